//! What an answer's throttling headers say: which class a 429 throttles
//! (`x-ms-throttle-scope`), how near the application is to a limit
//! (`x-ms-throttle-limit-percentage`).

use reqwest::header::HeaderMap;

use super::ThrottleClass;

/// The header naming the limit a 429 hit: `<Scope>/<Limit>/<ApplicationId>/<Tenant…>`, e.g.
/// `Tenant_Application/Write/{appId}/{tenantId}`.
pub const THROTTLE_SCOPE: &str = "x-ms-throttle-scope";
/// The header Entra adds once an application has used over 80 % of a limit: `0.8` to `1.8`.
pub const THROTTLE_LIMIT_PERCENTAGE: &str = "x-ms-throttle-limit-percentage";

/// The classes a throttle scope covers, from its second part (`Read`, `Write` or `ReadWrite`,
/// any case); `None` when the value has no such part.
pub(crate) fn scope_classes(scope: &str) -> Option<&'static [ThrottleClass]> {
    let limit = scope.split('/').nth(1)?.trim();
    if limit.eq_ignore_ascii_case("readwrite") {
        Some(&[ThrottleClass::Read, ThrottleClass::Write])
    } else if limit.eq_ignore_ascii_case("write") {
        Some(&[ThrottleClass::Write])
    } else if limit.eq_ignore_ascii_case("read") {
        Some(&[ThrottleClass::Read])
    } else {
        None
    }
}

/// The classes a 429 throttles: those its scope names, else the request's own.
pub(crate) fn throttled_classes(
    headers: &HeaderMap,
    own: ThrottleClass,
) -> &'static [ThrottleClass] {
    headers
        .get(THROTTLE_SCOPE)
        .and_then(|v| v.to_str().ok())
        .and_then(scope_classes)
        .unwrap_or(own.alone())
}

/// `x-ms-throttle-limit-percentage` as a number (a finite value from 0 to 10; anything else is
/// ignored).
pub(crate) fn limit_percentage(headers: &HeaderMap) -> Option<f64> {
    let text = headers.get(THROTTLE_LIMIT_PERCENTAGE)?.to_str().ok()?;
    let value: f64 = text.trim().parse().ok()?;
    (value.is_finite() && (0.0..=10.0).contains(&value)).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn scopes_as_a_table() {
        use ThrottleClass::{Read, Write};
        let table: [(&str, Option<&[ThrottleClass]>); 9] = [
            ("Tenant_Application/Write/app/tenant", Some(&[Write])),
            ("Tenant_Application/Read/app/tenant", Some(&[Read])),
            (
                "Tenant_Application/ReadWrite/app/tenant",
                Some(&[Read, Write]),
            ),
            ("Application/write/app", Some(&[Write])),
            ("Tenant/READ/tenant", Some(&[Read])),
            ("Tenant_Application", None),
            ("", None),
            ("Tenant_Application/Delete/app/tenant", None),
            ("//", None),
        ];
        for (scope, expected) in table {
            assert_eq!(scope_classes(scope), expected, "{scope:?}");
        }
        let mut headers = HeaderMap::new();
        assert_eq!(throttled_classes(&headers, Read), &[Read]);
        headers.insert(
            THROTTLE_SCOPE,
            HeaderValue::from_static("Tenant_Application/Write/a/t"),
        );
        assert_eq!(throttled_classes(&headers, Read), &[Write]);
        headers.insert(THROTTLE_SCOPE, HeaderValue::from_static("garbage"));
        assert_eq!(throttled_classes(&headers, Write), &[Write]);
    }

    #[test]
    fn limit_percentages() {
        for (text, expected) in [
            ("0.8", Some(0.8)),
            (" 1.25 ", Some(1.25)),
            ("1.8", Some(1.8)),
            ("NaN", None),
            ("inf", None),
            ("-1", None),
            ("1e300", None),
            ("high", None),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(THROTTLE_LIMIT_PERCENTAGE, HeaderValue::from_static(text));
            assert_eq!(limit_percentage(&headers), expected, "{text:?}");
        }
        assert_eq!(limit_percentage(&HeaderMap::new()), None);
    }
}
