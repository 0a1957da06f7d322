//! Which redirect URIs an app may be sent back to, and how an answer rides on one.
//!
//! As Entra allows for public clients (desktop and CLI apps), any loopback URI
//! (`http://localhost[:port][/path]`, `http://127.0.0.1[:port][/path]`) is accepted whatever its
//! port; any other URI must be registered on the app ([`App::redirect_uris`]). A registered
//! loopback URI matches the same URI on any port, as Entra's do.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::App;

/// What stays unescaped in a query value: RFC 3986's unreserved characters.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A loopback URI, taken apart: `(host, port, path and query)`.
#[derive(Debug, PartialEq, Eq)]
struct Loopback<'a> {
    host: &'a str,
    port: Option<u16>,
    rest: &'a str,
}

/// `uri` as a loopback redirect URI (plain `http`, host `localhost` or `127.0.0.1`, an optional
/// port, no user info or fragment), or `None`.
fn loopback(uri: &str) -> Option<Loopback<'_>> {
    let after = strip_prefix_ignore_case(uri, "http://")?;
    if after.contains('#') {
        return None;
    }
    let end = after.find(['/', '?']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    if authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port.parse::<u16>().ok()?)),
        None => (authority, None),
    };
    let known = host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1";
    known.then_some(Loopback { host, port, rest })
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Whether `uri` is a loopback redirect URI.
pub(super) fn is_loopback(uri: &str) -> bool {
    loopback(uri).is_some()
}

/// Whether `given` is one of the app's registered URIs (a registered loopback URI matches on
/// any port).
pub(super) fn is_registered(app: &App, given: &str) -> bool {
    app.redirect_uris.iter().any(|registered| {
        if registered == given {
            return true;
        }
        match (loopback(registered), loopback(given)) {
            (Some(r), Some(g)) => {
                r.host.eq_ignore_ascii_case(g.host)
                    && r.rest.trim_start_matches('/') == g.rest.trim_start_matches('/')
            }
            _ => false,
        }
    })
}

/// Whether the app may be sent to `uri`: a loopback URI for a public client, or a registered one.
pub(super) fn is_allowed(app: &App, uri: &str) -> bool {
    (app.public_client && is_loopback(uri)) || is_registered(app, uri)
}

/// The origin (`scheme://host[:port]`) of an absolute URI, for a page's `form-action`.
pub(super) fn origin(uri: &str) -> Option<&str> {
    let (scheme, after) = uri.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+')
    {
        return None;
    }
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..end];
    if authority.is_empty()
        || !authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    {
        return None;
    }
    Some(&uri[..scheme.len() + 3 + end])
}

/// Where an answer goes: in the query (the default for `code`), or in the fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Delivery {
    Query,
    Fragment,
}

/// `uri` with `params` added, form-encoded, in its query or fragment.
pub(super) fn with_params(uri: &str, params: &[(&str, &str)], delivery: Delivery) -> String {
    let encoded: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, VALUE)))
        .collect();
    let joined = encoded.join("&");
    match delivery {
        Delivery::Query => {
            let separator = match uri.split_once('?') {
                None => "?",
                Some((_, "")) => "",
                Some(_) => "&",
            };
            format!("{uri}{separator}{joined}")
        }
        Delivery::Fragment => format!("{uri}#{joined}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_uris_are_plain_http_on_localhost_or_127_0_0_1() {
        for uri in [
            "http://localhost",
            "http://localhost:8400",
            "http://LOCALHOST:8400/callback",
            "HTTP://127.0.0.1:1/x?y=z",
            "http://127.0.0.1",
        ] {
            assert!(is_loopback(uri), "{uri}");
        }
        for uri in [
            "https://localhost:8400",
            "http://localhost.evil.example",
            "http://127.0.0.2:80",
            "http://user@localhost",
            "http://localhost:99999",
            "http://localhost:x",
            "http://localhost/#frag",
            "http://[::1]:80",
            "http://example.com",
            "localhost",
            "",
            "h",
        ] {
            assert!(!is_loopback(uri), "{uri}");
        }
    }

    #[test]
    fn registered_loopback_uris_match_any_port() {
        let mut app = App::new("c");
        app.redirect_uris = vec![
            "https://app.example/signed-in".into(),
            "http://localhost/cb".into(),
        ];
        assert!(is_registered(&app, "https://app.example/signed-in"));
        assert!(!is_registered(&app, "https://app.example/other"));
        assert!(is_registered(&app, "http://localhost:5123/cb"));
        assert!(!is_registered(&app, "http://localhost:5123/other"));
        assert!(!is_registered(&app, "http://127.0.0.1:5123/cb"));
        assert!(!is_allowed(&app, "http://127.0.0.1:5123/"), "not public");
        app.public_client = true;
        assert!(is_allowed(&app, "http://127.0.0.1:5123/"));
        assert!(!is_allowed(&app, "https://other.example/"));
    }

    #[test]
    fn params_ride_in_the_query_or_the_fragment() {
        let params = [("code", "a b&c"), ("state", "s/1")];
        assert_eq!(
            with_params("http://localhost:1", &params, Delivery::Query),
            "http://localhost:1?code=a%20b%26c&state=s%2F1"
        );
        assert_eq!(
            with_params("http://localhost:1/?x=1", &params, Delivery::Query),
            "http://localhost:1/?x=1&code=a%20b%26c&state=s%2F1"
        );
        assert_eq!(
            with_params("http://localhost:1/?", &params[..1], Delivery::Query),
            "http://localhost:1/?code=a%20b%26c"
        );
        assert_eq!(
            with_params("http://localhost:1/", &params[..1], Delivery::Fragment),
            "http://localhost:1/#code=a%20b%26c"
        );
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin("http://localhost:1/x?y#z"),
            Some("http://localhost:1")
        );
        assert_eq!(origin("https://a.example"), Some("https://a.example"));
        assert_eq!(origin("https://a b.example/"), None);
        assert_eq!(origin("nope"), None);
        assert_eq!(origin("https:///x"), None);
    }
}
