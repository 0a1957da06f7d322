//! The throttling headers Graph puts on its answers, and the 429 it sends: `x-ms-resource-unit`,
//! `x-ms-throttle-limit-percentage`, a decimal `Retry-After`, `x-ms-throttle-scope` and
//! `x-ms-throttle-information`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::response::{Ctx, graph_error};

/// The largest `x-ms-throttle-limit-percentage` Graph reports.
const MAX_SHARE: f64 = 1.8;

/// What the model said about one request, for its answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Charge {
    /// The resource units the request costs (`x-ms-resource-unit`).
    pub(crate) ru: f64,
    /// The largest share of a limit in use, when over 80 % (`x-ms-throttle-limit-percentage`).
    pub(crate) share: Option<f64>,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refusal {
    /// Real seconds until the request would fit.
    pub(crate) retry_after_secs: f64,
    /// `Tenant_Application/Write/{appId}/{tenantId}` and the like.
    pub(crate) scope: String,
    /// `WriteLimitExceeded` or `ResourceUnitLimitExceeded`.
    pub(crate) information: &'static str,
}

/// Seconds as Graph writes them in `Retry-After`: decimal, rounded up to the millisecond, at
/// least `0.001`, without trailing zeros (`2.128`, `0.25`, `3`).
pub(crate) fn seconds(secs: f64) -> String {
    let millis = if secs.is_finite() {
        (secs * 1000.0).ceil().max(1.0)
    } else {
        1000.0 * 86_400.0
    };
    decimal(millis / 1000.0)
}

/// A number with up to three decimals and no trailing zeros.
pub(crate) fn decimal(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Adds `x-ms-resource-unit` and, over 80 % of a limit, `x-ms-throttle-limit-percentage`.
pub(crate) fn add(response: &mut Response, charge: &Charge) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&decimal(charge.ru)) {
        headers.insert("x-ms-resource-unit", value);
    }
    let share = charge
        .share
        .and_then(|share| HeaderValue::from_str(&decimal(share.min(MAX_SHARE))).ok());
    if let Some(value) = share {
        headers.insert("x-ms-throttle-limit-percentage", value);
    }
}

/// Graph's 429 for a request over a limit (the headers of [`add`] are added by the caller).
pub(crate) fn too_many_requests(refusal: &Refusal, ctx: &Ctx) -> Response {
    let mut response = graph_error(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        "Please retry again later.",
        None,
        ctx,
    );
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::RETRY_AFTER.as_str(),
            seconds(refusal.retry_after_secs),
        ),
        ("x-ms-throttle-scope", refusal.scope.clone()),
        ("x-ms-throttle-information", refusal.information.to_owned()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_seconds_like_graph() {
        assert_eq!(seconds(2.1271), "2.128");
        assert_eq!(seconds(2.128), "2.128");
        assert_eq!(seconds(0.25), "0.25");
        assert_eq!(seconds(3.0), "3");
        assert_eq!(seconds(0.0), "0.001");
        assert_eq!(seconds(-4.0), "0.001");
        assert_eq!(seconds(0.000_01), "0.001");
        assert_eq!(seconds(f64::INFINITY), "86400");
        assert_eq!(decimal(0.8571), "0.857");
        assert_eq!(decimal(1.0), "1");
        assert_eq!(decimal(2.0), "2");
    }
}
