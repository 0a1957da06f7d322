//! The request log: every request the emulator received, as received.

use serde_json::Value;

/// One request as the emulator received it, with what it answered.
///
/// Entries are appended when the emulator has decided its answer, before the answer is sent, so a
/// test that has its response can read the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl RecordedRequest {
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
