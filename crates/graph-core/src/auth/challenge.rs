//! Continuous access evaluation (CAE): the claims challenge in a 401's `WWW-Authenticate`
//! header (`Bearer …, error="insufficient_claims", claims="<base64 JSON>"`).

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};

/// Finds a CAE claims challenge (`claims="<base64>"`) in the `WWW-Authenticate` headers and
/// returns the decoded JSON text.
pub fn claims_challenge(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| auth_param(v, "claims"))
        .and_then(|encoded| decode_base64(&encoded))
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|s| !s.trim().is_empty())
}

/// The value of the auth-param `name` (quoted or token form) in a `WWW-Authenticate` value.
fn auth_param(header: &str, name: &str) -> Option<String> {
    let lower = header.to_ascii_lowercase();
    let needle = format!("{}=", name.to_ascii_lowercase());
    let mut from = 0;
    while let Some(pos) = lower[from..].find(&needle) {
        let start = from + pos;
        from = start + needle.len();
        let at_boundary =
            lower[..start].trim_end().is_empty() || lower[..start].ends_with([' ', ',', '\t']);
        if !at_boundary {
            continue;
        }
        let rest = header[from..].trim_start();
        return Some(if let Some(quoted) = rest.strip_prefix('"') {
            quoted.split('"').next().unwrap_or_default().to_owned()
        } else {
            rest.split([',', ' ', '\t'])
                .next()
                .unwrap_or_default()
                .to_owned()
        });
    }
    None
}

/// Decodes standard or URL-safe base64, with or without padding.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn base64() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVsbG8").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVsbA==").unwrap(), b"hell");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(
            decode_base64("-_-_").unwrap(),
            decode_base64("+/+/").unwrap()
        );
        assert!(decode_base64("a").is_none());
        assert!(decode_base64("a$bc").is_none());
    }

    #[test]
    fn claims_from_header() {
        let json = r#"{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}"#;
        let encoded = "eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwidmFsdWUiOiIxNjA0MTA2NjUxIn19fQ==";
        let mut headers = HeaderMap::new();
        headers.append(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"x\""),
        );
        let value = format!(
            "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", \
             error=\"insufficient_claims\", claims=\"{encoded}\""
        );
        headers.append(WWW_AUTHENTICATE, HeaderValue::from_str(&value).unwrap());
        assert_eq!(claims_challenge(&headers).as_deref(), Some(json));

        let mut plain = HeaderMap::new();
        plain.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\", xclaims=\"e30=\""),
        );
        assert_eq!(claims_challenge(&plain), None);
        assert_eq!(
            auth_param("Bearer Claims=abc, x=1", "claims").as_deref(),
            Some("abc")
        );
    }
}
