//! The request log: every request the emulator received, as received.

use serde_json::Value;

/// One request as the emulator received it, with what it answered.
///
/// Entries are appended when the emulator has decided its answer, before the answer is sent, so a
/// test that has its response can read the entry.
///
/// The fields hold the request exactly as received, credentials included; its `Debug` (what a
/// failed `assert_eq!` prints into a CI log) shows `Authorization` and `Cookie` values, form
/// bodies and the bodies of token and device-code requests (secrets, assertions, device codes,
/// refresh tokens) as `<redacted>`. Other headers and the query are shown as received.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The HTTP method, e.g. `PATCH`.
    pub method: String,
    /// The path exactly as received (still percent-encoded), e.g.
    /// `/beta/servicePrincipals/a1/microsoft.graph.agentIdentity/owners/$ref`.
    pub path: String,
    /// The raw query string without `?`, if any.
    pub query: Option<String>,
    /// Headers in the order received, names in lower case; values decoded lossily as UTF-8.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The operation id the request was routed to, if any.
    pub operation_id: Option<String>,
    /// The status answered; `None` when the connection was dropped on purpose.
    pub status: Option<u16>,
}

/// Header names whose values `Debug` hides.
const SECRET_HEADERS: &[&str] = &["authorization", "cookie", "proxy-authorization"];

impl std::fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let secret = SECRET_HEADERS.iter().any(|s| name.eq_ignore_ascii_case(s));
                (
                    name.as_str(),
                    if secret { "<redacted>" } else { value.as_str() },
                )
            })
            .collect();
        // Token requests carry secrets in their bodies whatever their content type says.
        let form = self.header_values("content-type").iter().any(|t| {
            t.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        }) || self.path.ends_with("/oauth2/v2.0/token")
            || self.path.ends_with("/oauth2/v2.0/devicecode");
        let text = self.body_text();
        let body: &dyn std::fmt::Debug = match &text {
            _ if self.body.is_empty() => &"",
            _ if form => &"<redacted form>",
            Some(text) => text,
            None => &Bytes(self.body.len()),
        };
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &headers)
            .field("body", body)
            .field("operation_id", &self.operation_id)
            .field("status", &self.status)
            .finish()
    }
}

struct Bytes(usize);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes, not UTF-8>", self.0)
    }
}

impl RecordedRequest {
    /// A request as received, not yet answered.
    pub(crate) fn of(parts: &axum::http::request::Parts, body: &[u8]) -> Self {
        Self {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.to_vec(),
            operation_id: None,
            status: None,
        }
    }

    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in order (name compared case-insensitively).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body as UTF-8 text, if it is.
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// The body parsed as JSON, if it is.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}
