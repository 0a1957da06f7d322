//! The crate's error type.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::auth::CredentialError;
use crate::cloud::NationalCloud;
use crate::operation::{HttpMethod, Permissions};

/// Everything that can go wrong when calling Graph.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Graph (or a gateway in front of it) answered with a non-2xx status.
    #[error(transparent)]
    Service(Box<ServiceError>),

    /// The request could not be sent or the response could not be read. Not retried (except
    /// connection failures, see [`RetryPolicy`](crate::RetryPolicy)): the request may have
    /// been executed.
    #[error("transport error in {operation_id}: {source}")]
    Transport {
        /// The operation that failed.
        operation_id: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// The connect timeout or the whole-request timeout elapsed.
    #[error("timeout in {operation_id}: {source}")]
    Timeout {
        /// The operation that timed out.
        operation_id: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// A 2xx response whose body could not be decoded.
    #[error(
        "could not decode the HTTP {status} response of {operation_id}: {message}; body: {}",
        if body_excerpt.is_empty() { "(empty)" } else { body_excerpt.as_str() }
    )]
    Decode {
        /// The operation.
        operation_id: &'static str,
        /// The (successful) HTTP status.
        status: u16,
        /// What went wrong.
        message: String,
        /// The start of the body (at most about 512 characters).
        body_excerpt: String,
    },

    /// An argument was rejected before anything was sent (a bad path parameter, header,
    /// body or service root).
    #[error("invalid input: {message}")]
    InvalidInput {
        /// What is wrong.
        message: String,
    },

    /// A next link (`@odata.nextLink`, or one given to `resume`) that does not point at the
    /// client's service root, or is not a URL; nothing was sent, so the link's token went
    /// nowhere. The reason names the scheme, host and port, never the link's query.
    #[error("refused the next link of {operation_id}: {reason}")]
    InvalidNextLink {
        /// The operation being paged.
        operation_id: &'static str,
        /// What is wrong with the link.
        reason: String,
    },

    /// The credential could not provide a token.
    #[error("could not obtain an access token: {0}")]
    Credential(#[source] CredentialError),

    /// The operation is documented as unavailable in the client's national cloud; nothing
    /// was sent.
    #[error(
        "{operation_id} is not available in {cloud}; documented clouds: {}",
        join_clouds(available)
    )]
    NotAvailableInCloud {
        /// The operation.
        operation_id: &'static str,
        /// The client's cloud.
        cloud: NationalCloud,
        /// The clouds the operation is documented for.
        available: &'static [NationalCloud],
    },

    /// The client could not be configured (e.g. no TLS crypto provider, HTTP client failure).
    #[error("configuration error: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },

    /// A [`$batch`](crate::batch) item that was not carried out on its own: the batch request
    /// carrying it failed without an answer (a transport failure, a timeout, no token), or an
    /// item it depends on (`dependsOn`), sent in an earlier batch request, failed. `source` is
    /// that failure, shared by every item it stopped.
    #[error("{operation_id} (batch item {id}) was not carried out: {reason}")]
    BatchItemNotRun {
        /// The item's operation (or raw call template).
        operation_id: &'static str,
        /// The item's id in the batch.
        id: String,
        /// Why, in words.
        reason: String,
        /// The failure that stopped it.
        #[source]
        source: std::sync::Arc<Error>,
    },
}

fn join_clouds(clouds: &[NationalCloud]) -> String {
    if clouds.is_empty() {
        return "none".to_owned();
    }
    clouds
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Error {
    /// The HTTP status of a service error (or of the undecodable response of a decode error).
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Service(e) => Some(e.status),
            Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The service error, if this is one.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// How long the service asked to wait (`Retry-After`) before trying again, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.service().and_then(|e| e.retry_after)
    }

    /// Whether the service throttled the request (HTTP 429, or 503 which Graph also uses
    /// for throttling).
    pub fn is_throttled(&self) -> bool {
        matches!(self.status(), Some(429 | 503)) && self.service().is_some()
    }
}

/// A non-2xx response.
///
/// `#[non_exhaustive]`: the runtime builds these; more facts may be added without a breaking
/// change.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServiceError {
    /// The HTTP status code.
    pub status: u16,
    /// The operation that was called.
    pub operation_id: &'static str,
    /// The parsed `error` member of a Graph error body, if the body had one.
    pub error: Option<GraphError>,
    /// The response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as text (lossy UTF-8), e.g. the HTML of a gateway error.
    pub raw_body: String,
    /// The delay the service asked for in `Retry-After`, if any.
    pub retry_after: Option<Duration>,
    /// The `client-request-id` this client sent (the same on every attempt).
    pub client_request_id: String,
    /// The operation's documented permissions, if any (shown in the message of a 403).
    pub required_permissions: Option<Permissions>,
    /// The operation's HTTP method.
    pub method: HttpMethod,
    /// How many attempts this call made, this one included (retried connection failures
    /// count too).
    pub attempts: u32,
    /// The statuses of the earlier attempts that got a response and were retried (429, 503,
    /// 504, or a 401 claims challenge), oldest first. Empty when no response was retried.
    pub earlier_attempts: Vec<u16>,
}

impl ServiceError {
    /// `true` when the service may have carried out this call although it failed: a request
    /// that changes something (any method but GET) got `504 Gateway Timeout`, on this attempt
    /// or an earlier one. The gateway gave up, but the service may have finished. After an
    /// earlier 504, this error may be about the call's own effect: a 400 "already exist" after
    /// adding an owner, a 404 after a DELETE, a 412 after a PATCH with `If-Match`. A 429 or 503
    /// means the attempt was not executed, so neither counts.
    pub fn may_have_been_applied(&self) -> bool {
        self.method != HttpMethod::Get
            && (self.status == 504 || self.earlier_attempts.contains(&504))
    }

    /// The Graph error code, e.g. `Authorization_RequestDenied`.
    pub fn code(&self) -> Option<&str> {
        self.error
            .as_ref()
            .map(|e| e.code.as_str())
            .filter(|c| !c.is_empty())
    }

    /// The Graph error message.
    pub fn message(&self) -> Option<&str> {
        self.error
            .as_ref()
            .map(|e| e.message.as_str())
            .filter(|m| !m.is_empty())
    }

    /// The `request-id` response header, else the `request-id` in `innerError`.
    pub fn request_id(&self) -> Option<&str> {
        self.headers
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .or_else(|| {
                self.error
                    .as_ref()
                    .and_then(|e| e.inner_error.as_ref())
                    .and_then(|i| i.request_id.as_deref())
            })
    }

    /// The `date` in `innerError`, if present.
    pub fn date(&self) -> Option<&str> {
        self.error
            .as_ref()
            .and_then(|e| e.inner_error.as_ref())
            .and_then(|i| i.date.as_deref())
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        write!(f, "HTTP {}", self.status)?;
        if !reason.is_empty() {
            write!(f, " {reason}")?;
        }
        write!(f, " from {}: ", self.operation_id)?;
        match (self.code(), self.message()) {
            (Some(code), Some(message)) => write!(f, "{code}: {message}")?,
            (Some(code), None) => f.write_str(code)?,
            (None, Some(message)) => f.write_str(message)?,
            (None, None) => {
                let text = excerpt(&collapse_whitespace(&self.raw_body), 300);
                if text.is_empty() {
                    f.write_str("(empty body)")?;
                } else {
                    f.write_str(&text)?;
                }
            }
        }
        f.write_str(" (")?;
        if let Some(id) = self.request_id() {
            write!(f, "request-id: {id}, ")?;
        }
        write!(f, "client-request-id: {})", self.client_request_id)?;
        if let Some(wait) = self.retry_after {
            write!(f, "; retry after {} s", wait.as_secs_f64())?;
        }
        if self.status == 403 {
            if let Some(permissions) = &self.required_permissions {
                write!(f, "; documented permissions: {permissions}")?;
            }
        }
        if self.attempts > 1 {
            write!(f, "; attempt {}", self.attempts)?;
            if !self.earlier_attempts.is_empty() {
                let earlier: Vec<String> =
                    self.earlier_attempts.iter().map(u16::to_string).collect();
                write!(f, ", after {}", earlier.join(", "))?;
            }
        }
        if self.may_have_been_applied() {
            f.write_str("; a gateway timed out, so the service may have applied the request")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

/// The `error` member of a Graph error response. Parsing is lenient: missing or `null`
/// members get defaults.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct GraphError {
    /// The error code, e.g. `Request_ResourceNotFound`.
    #[serde(deserialize_with = "lenient_string")]
    pub code: String,
    /// The human-readable message.
    #[serde(deserialize_with = "lenient_string")]
    pub message: String,
    /// The target of the error, if any.
    #[serde(deserialize_with = "lenient_opt_string")]
    pub target: Option<String>,
    /// Further details.
    #[serde(deserialize_with = "lenient_vec")]
    pub details: Vec<ErrorDetail>,
    /// Diagnostic information (`innerError`).
    #[serde(
        rename = "innerError",
        alias = "innererror",
        deserialize_with = "lenient_inner"
    )]
    pub inner_error: Option<GraphInnerError>,
}

/// One entry of [`GraphError::details`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ErrorDetail {
    /// The detail's code.
    #[serde(deserialize_with = "lenient_string")]
    pub code: String,
    /// The detail's message.
    #[serde(deserialize_with = "lenient_string")]
    pub message: String,
    /// The detail's target, if any.
    #[serde(deserialize_with = "lenient_opt_string")]
    pub target: Option<String>,
}

/// The `innerError` member of a Graph error.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct GraphInnerError {
    /// `request-id`
    #[serde(rename = "request-id", deserialize_with = "lenient_opt_string")]
    pub request_id: Option<String>,
    /// `client-request-id`
    #[serde(rename = "client-request-id", deserialize_with = "lenient_opt_string")]
    pub client_request_id: Option<String>,
    /// `date`
    #[serde(deserialize_with = "lenient_opt_string")]
    pub date: Option<String>,
    /// Every other member (`code`, `@odata.type`, nested `innerError`, ...).
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

fn value_to_string(v: serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        // Old OData style: {"lang": "en-US", "value": "text"}
        serde_json::Value::Object(mut m)
            if matches!(m.get("value"), Some(serde_json::Value::String(_))) =>
        {
            m.remove("value")
                .and_then(|v| v.as_str().map(str::to_owned))
        }
        other => Some(other.to_string()),
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(value_to_string(serde_json::Value::deserialize(d)?).unwrap_or_default())
}

fn lenient_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(value_to_string(serde_json::Value::deserialize(d)?))
}

fn lenient_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ErrorDetail>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(v).unwrap_or_default())
}

fn lenient_inner<'de, D: Deserializer<'de>>(d: D) -> Result<Option<GraphInnerError>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

impl GraphError {
    /// Reads a Graph error body (`{"error": {"code", "message", …}}`); `None` when the body is
    /// not one.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        #[derive(Deserialize)]
        struct Envelope {
            error: serde_json::Value,
        }
        let envelope: Envelope = serde_json::from_slice(body).ok()?;
        if !envelope.error.is_object() {
            return None;
        }
        serde_json::from_value(envelope.error).ok()
    }
}

/// The first `max_chars` characters of `text` (char-boundary safe), with `…` when cut.
pub(crate) fn excerpt(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl From<crate::tls::NoCryptoProvider> for Error {
    fn from(e: crate::tls::NoCryptoProvider) -> Self {
        Error::Config {
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(status: u16, body: &str) -> ServiceError {
        ServiceError {
            status,
            operation_id: "op.Id",
            error: GraphError::from_body(body.as_bytes()),
            headers: Default::default(),
            raw_body: body.to_owned(),
            retry_after: None,
            client_request_id: "crid".into(),
            required_permissions: None,
            method: HttpMethod::Get,
            attempts: 1,
            earlier_attempts: Vec::new(),
        }
    }

    #[test]
    fn lenient_parsing() {
        let e = GraphError::from_body(br#"{"error":{"code":null,"message":{"lang":"en","value":"m"},"details":null,"innerError":{"date":"d","x":1}}}"#).unwrap();
        assert_eq!(e.code, "");
        assert_eq!(e.message, "m");
        assert!(e.details.is_empty());
        let inner = e.inner_error.unwrap();
        assert_eq!(inner.date.as_deref(), Some("d"));
        assert_eq!(inner.other.get("x"), Some(&serde_json::json!(1)));
        assert!(GraphError::from_body(b"<html>").is_none());
        assert!(GraphError::from_body(br#"{"error":"x"}"#).is_none());
        assert_eq!(
            GraphError::from_body(br#"{"error":{}}"#),
            Some(GraphError::default())
        );
    }

    #[test]
    fn display_forms() {
        let s = service(
            404,
            r#"{"error":{"code":"NotFound","message":"gone","innerError":{"request-id":"r1"}}}"#,
        );
        assert_eq!(
            s.to_string(),
            "HTTP 404 Not Found from op.Id: NotFound: gone (request-id: r1, client-request-id: crid)"
        );
        let s = service(502, "<html>\n <body>Bad   gateway</body></html>");
        assert_eq!(
            s.to_string(),
            "HTTP 502 Bad Gateway from op.Id: <html> <body>Bad gateway</body></html> (client-request-id: crid)"
        );
        let s = service(503, "");
        assert!(s.to_string().contains("(empty body)"));
    }

    #[test]
    fn attempts_are_shown_and_a_change_after_a_504_may_have_been_applied() {
        let mut s = service(
            400,
            r#"{"error":{"code":"Request_BadRequest","message":"dup"}}"#,
        );
        s.attempts = 2;
        s.earlier_attempts = vec![504];
        assert!(!s.may_have_been_applied(), "a GET changes nothing");
        assert!(s.to_string().ends_with("; attempt 2, after 504"), "{s}");
        for method in [
            HttpMethod::Post,
            HttpMethod::Patch,
            HttpMethod::Put,
            HttpMethod::Delete,
        ] {
            s.method = method;
            assert!(s.may_have_been_applied(), "{method:?}");
            assert!(
                s.to_string().ends_with(
                    "; attempt 2, after 504; a gateway timed out, so the service may have applied the request"
                ),
                "{s}"
            );
        }
        s.attempts = 4;
        s.earlier_attempts = vec![429, 503];
        assert!(!s.may_have_been_applied(), "429 and 503 were not executed");
        // One of the four attempts was a connection failure: counted, with no status.
        assert!(
            s.to_string().ends_with("; attempt 4, after 429, 503"),
            "{s}"
        );
        let mut timeout = service(504, "");
        timeout.method = HttpMethod::Post;
        assert!(
            timeout.may_have_been_applied(),
            "the final answer itself was a 504"
        );
    }

    #[test]
    fn excerpts_are_char_safe() {
        assert_eq!(excerpt("üüü", 2), "üü…");
        assert_eq!(excerpt("ab", 2), "ab");
        assert_eq!(excerpt("", 2), "");
    }

    #[test]
    fn not_available_message() {
        let e = Error::NotAvailableInCloud {
            operation_id: "copilot.admin.settings.UpdateLimitedMode",
            cloud: NationalCloud::UsGovL4,
            available: &[NationalCloud::Global],
        };
        assert_eq!(
            e.to_string(),
            "copilot.admin.settings.UpdateLimitedMode is not available in US Government L4; documented clouds: global"
        );
    }
}
