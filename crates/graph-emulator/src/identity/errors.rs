//! Entra-shaped error answers of the token and device-code endpoints.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;

/// One refusal: the OAuth error code, the AADSTS number, the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) error: &'static str,
    pub(crate) code: u32,
    pub(crate) text: String,
}

pub(crate) fn refusal(
    status: StatusCode,
    error: &'static str,
    code: u32,
    text: impl Into<String>,
) -> Refusal {
    Refusal {
        status,
        error,
        code,
        text: text.into(),
    }
}

/// The answer Entra gives for a refusal: `{"error", "error_description": "AADSTS…: …\r\nTrace ID: …
/// \r\nCorrelation ID: …\r\nTimestamp: …", "error_codes", "timestamp", "trace_id",
/// "correlation_id", "error_uri"}`.
pub(crate) fn respond(refusal: &Refusal, trace_id: &str, correlation_id: &str) -> Response {
    let timestamp = crate::response::now_iso8601().replace('T', " ");
    let description = format!(
        "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
        refusal.code, refusal.text
    );
    let body = json!({
        "error": refusal.error,
        "error_description": description,
        "error_codes": [refusal.code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": format!("https://login.microsoftonline.com/error?code={}", refusal.code),
    });
    json(refusal.status, &body, trace_id, correlation_id)
}

/// A JSON answer with Entra's headers (`no-store`, request and correlation ids).
pub(crate) fn json(
    status: StatusCode,
    body: &serde_json::Value,
    trace_id: &str,
    correlation_id: &str,
) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    if let Ok(v) = HeaderValue::from_str(trace_id) {
        headers.insert("x-ms-request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(correlation_id) {
        headers.insert("client-request-id", v);
    }
    response
}
