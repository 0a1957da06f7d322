//! How the authorization endpoint answers: back to the app at its redirect URI (a 302 with the
//! answer in the query or fragment, or a `form_post` page that posts it), or, when the request
//! cannot be trusted to name where to go, an HTML error page.

use std::fmt::Write as _;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;

use super::errors::Refusal;
use super::html::{document, escape, html, html_with_policy};
use super::redirect_uri::{self, Delivery};

/// How the answer goes back to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResponseMode {
    /// In the redirect URI's query or fragment.
    Redirect(Delivery),
    /// A page whose form posts the answer to the redirect URI.
    FormPost,
}

/// Where an answer goes: the redirect URI, how, and the client's `state`.
#[derive(Debug, Clone)]
pub(super) struct ReplyTo {
    pub(super) redirect_uri: String,
    pub(super) mode: ResponseMode,
    pub(super) state: Option<String>,
}

/// The ids a request carries, for refusal texts.
pub(super) struct Ids<'a> {
    pub(super) trace: &'a str,
    pub(super) correlation: &'a str,
}

/// Entra's `error_description`: the AADSTS code and text, then the trace and correlation ids.
fn description(refused: &Refusal, ids: &Ids<'_>) -> String {
    format!(
        "AADSTS{}: {}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}",
        refused.code,
        refused.text,
        ids.trace,
        ids.correlation,
        crate::response::now_iso8601().replace('T', " ")
    )
}

/// The error page for a request that cannot be sent back to its app.
pub(super) fn error_page(refused: &Refusal, ids: &Ids<'_>) -> Response {
    let body = format!(
        "<p class=\"error\" role=\"alert\"><strong>AADSTS{}</strong>: {}</p><p>Error: {}<br>Trace ID: {}<br>Correlation ID: {}</p>",
        refused.code,
        escape(&refused.text),
        escape(refused.error),
        escape(ids.trace),
        escape(ids.correlation),
    );
    html(refused.status, &document("Sign-in error", &body))
}

/// Sends `params` (and `state`) back to the app.
pub(super) fn send_back(reply: &ReplyTo, params: &[(&str, &str)]) -> Response {
    let mut all: Vec<(&str, &str)> = params.to_vec();
    if let Some(state) = &reply.state {
        all.push(("state", state));
    }
    match reply.mode {
        ResponseMode::Redirect(delivery) => {
            let location = redirect_uri::with_params(&reply.redirect_uri, &all, delivery);
            let mut response = Response::new(axum::body::Body::empty());
            *response.status_mut() = StatusCode::FOUND;
            let headers = response.headers_mut();
            if let Ok(value) = HeaderValue::from_str(&location) {
                headers.insert(header::LOCATION, value);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        ResponseMode::FormPost => form_post(reply, &all),
    }
}

/// `response_mode=form_post`: a page that posts the answer to the redirect URI at once.
fn form_post(reply: &ReplyTo, params: &[(&str, &str)]) -> Response {
    const SCRIPT: &str = "document.forms[0].submit();";
    let mut body = format!(
        r#"<form method="post" action="{}">"#,
        escape(&reply.redirect_uri)
    );
    for (name, value) in params {
        let _ = write!(
            body,
            r#"<input type="hidden" name="{}" value="{}">"#,
            escape(name),
            escape(value)
        );
    }
    body.push_str(r#"<noscript><button>Continue</button></noscript></form><script>"#);
    body.push_str(SCRIPT);
    body.push_str("</script>");
    let hash = base64::engine::general_purpose::STANDARD
        .encode(ring::digest::digest(&ring::digest::SHA256, SCRIPT.as_bytes()).as_ref());
    let target = redirect_uri::origin(&reply.redirect_uri).unwrap_or("'none'");
    let policy = format!("default-src 'none'; form-action {target}; script-src 'sha256-{hash}'");
    html_with_policy(StatusCode::OK, &document("Signing in", &body), &policy)
}

/// Sends a refusal back to the app: `error`, `error_description`, `error_uri`, `state`.
pub(super) fn refuse_back(reply: &ReplyTo, refused: &Refusal, ids: &Ids<'_>) -> Response {
    let text = description(refused, ids);
    let uri = format!(
        "https://login.microsoftonline.com/error?code={}",
        refused.code
    );
    send_back(
        reply,
        &[
            ("error", refused.error),
            ("error_description", &text),
            ("error_uri", &uri),
        ],
    )
}
