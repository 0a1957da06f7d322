//! The loopback redirect of a browser sign-in: a one-shot HTTP listener on `127.0.0.1` that
//! receives the identity provider's answer (`?code=…&state=…` or `?error=…&state=…`), shows the
//! browser a short page, and closes.
//!
//! The listener binds `127.0.0.1` on a free port; the redirect URI is
//! `http://localhost:{port}` (what Entra accepts for public clients without registering the
//! port). It serves HTTP/1.1 with `hyper` (one request per connection), answers anything that
//! is not a sign-in answer (a `favicon.ico`, say) with 404 and keeps waiting, and stops at the
//! first answer, at a `state` that does not match, or at the deadline.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::{CredentialError, CredentialErrorKind, EntraError};

/// What the identity provider sent back through the browser.
type Outcome = Result<String, CredentialError>;

/// A listener waiting for one sign-in answer.
#[derive(Debug)]
pub(crate) struct Loopback {
    listener: TcpListener,
    port: u16,
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page the browser shows at the end.
fn page(status: StatusCode, title: &str, text: &str) -> Response<Full<Bytes>> {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title></head><body><h1>{0}</h1><p>{1}</p></body></html>\n",
        escape(title),
        escape(text)
    );
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static("default-src 'none'"),
    );
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

/// Entra's error from the answer's `error` and `error_description` (`AADSTS65004: User declined
/// …\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …`).
fn entra_error(error: &str, description: Option<&str>) -> EntraError {
    let description = description.unwrap_or_default();
    let line = |label: &str| {
        description.split(['\r', '\n']).find_map(|l| {
            l.trim()
                .strip_prefix(label)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        })
    };
    let code = description
        .strip_prefix("AADSTS")
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|digits| digits.parse::<u32>().ok());
    let mut body = serde_json::json!({
        "error": error,
        "error_description": description,
        "error_codes": code.into_iter().collect::<Vec<_>>(),
    });
    for (key, label) in [
        ("trace_id", "Trace ID:"),
        ("correlation_id", "Correlation ID:"),
        ("timestamp", "Timestamp:"),
    ] {
        if let Some(value) = line(label) {
            body[key] = serde_json::Value::String(value);
        }
    }
    EntraError::parse(body.to_string().as_bytes()).unwrap_or_default()
}

/// Reads one request: `(outcome, if it was a sign-in answer; the page to show)`.
fn read_answer(
    method: &Method,
    target: &str,
    expected_state: &str,
) -> (Option<Outcome>, Response<Full<Bytes>>) {
    let url = reqwest::Url::parse(&format!("http://localhost{target}")).ok();
    let is_answer_path = url.as_ref().is_some_and(|u| u.path() == "/");
    if *method != Method::GET || !is_answer_path {
        return (
            None,
            page(
                StatusCode::NOT_FOUND,
                "Not found",
                "This address only receives the sign-in answer.",
            ),
        );
    }
    let pairs: Vec<(String, String)> = url
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let (code, error) = (get("code"), get("error"));
    if code.is_none() && error.is_none() {
        return (
            None,
            page(
                StatusCode::BAD_REQUEST,
                "Not a sign-in answer",
                "This address only receives the sign-in answer.",
            ),
        );
    }
    if get("state") != Some(expected_state) {
        let failure = CredentialError::of_kind(
            CredentialErrorKind::StateMismatch,
            "the browser sign-in's answer carried another state than the one sent, so it does not belong to this sign-in and its code was not used",
        );
        return (
            Some(Err(failure)),
            page(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                "This answer does not belong to the sign-in the app started (its state does not match). Start the sign-in again from the app.",
            ),
        );
    }
    if let Some(error) = error {
        let entra = entra_error(error, get("error_description"));
        let shown = format!("The sign-in did not finish: {entra}. You can close this window.");
        let failure = CredentialError::entra("signing in in the browser", entra);
        return (
            Some(Err(failure)),
            page(StatusCode::OK, "Sign-in failed", &shown),
        );
    }
    let code = code.unwrap_or_default().to_owned();
    (
        Some(Ok(code)),
        page(
            StatusCode::OK,
            "Signed in",
            "You are signed in. You can close this window and return to the app.",
        ),
    )
}

impl Loopback {
    /// Listens on `127.0.0.1`, on a free port.
    pub(crate) async fn bind() -> Result<Self, CredentialError> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| {
            CredentialError::of_kind(
                CredentialErrorKind::Other,
                format!("could not listen on 127.0.0.1 for the browser sign-in's redirect: {e}"),
            )
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| {
                CredentialError::new(format!("the loopback listener has no address: {e}"))
            })?
            .port();
        Ok(Self { listener, port })
    }

    /// `http://localhost:{port}`.
    pub(crate) fn redirect_uri(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// Waits for the sign-in answer: the code, or why there is none. The browser is answered
    /// before this returns; the listener closes when it does.
    pub(crate) async fn wait(
        self,
        expected_state: &str,
        timeout: Duration,
    ) -> Result<String, CredentialError> {
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut connections = FuturesUnordered::new();
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let stream = match accepted {
                        Ok((stream, _)) => stream,
                        Err(e) => {
                            return Err(CredentialError::of_kind(
                                CredentialErrorKind::Other,
                                format!(
                                    "the browser sign-in's loopback listener on {} failed: {e}",
                                    self.redirect_uri()
                                ),
                            ));
                        }
                    };
                    let state = expected_state.to_owned();
                    connections.push(async move {
                        let slot: Arc<Mutex<Option<Outcome>>> = Arc::default();
                        let seen = Arc::clone(&slot);
                        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                            let target = request
                                .uri()
                                .path_and_query()
                                .map_or("/", |p| p.as_str())
                                .to_owned();
                            let (outcome, response) =
                                read_answer(request.method(), &target, &state);
                            if let Some(outcome) = outcome {
                                *seen.lock().unwrap_or_else(PoisonError::into_inner) =
                                    Some(outcome);
                            }
                            async move { Ok::<_, Infallible>(response) }
                        });
                        let served = hyper::server::conn::http1::Builder::new()
                            .keep_alive(false)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                        if let Err(e) = served {
                            tracing::debug!("a connection to the sign-in loopback failed: {e}");
                        }
                        slot.lock().unwrap_or_else(PoisonError::into_inner).take()
                    });
                }
                Some(outcome) = connections.next(), if !connections.is_empty() => {
                    if let Some(outcome) = outcome {
                        return outcome;
                    }
                }
                () = &mut deadline => {
                    return Err(CredentialError::of_kind(
                        CredentialErrorKind::SignInExpired,
                        format!(
                            "no sign-in answer reached {} within {} s: the browser sign-in was not finished",
                            self.redirect_uri(),
                            timeout.as_secs()
                        ),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_and_checked() {
        let (outcome, response) = read_answer(&Method::GET, "/?code=c-1&state=s%201", "s 1");
        assert_eq!(outcome.unwrap().unwrap(), "c-1");
        assert_eq!(response.status(), StatusCode::OK);

        let (outcome, response) = read_answer(&Method::GET, "/?code=c-1&state=other", "s 1");
        assert_eq!(
            outcome.unwrap().unwrap_err().kind(),
            CredentialErrorKind::StateMismatch
        );
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let (outcome, _) = read_answer(&Method::GET, "/?code=c-1", "s 1");
        assert_eq!(
            outcome.unwrap().unwrap_err().kind(),
            CredentialErrorKind::StateMismatch
        );

        let declined = "/?error=access_denied&error_description=AADSTS65004%3A+User+declined+to+consent+to+access+the+app.%0D%0ATrace+ID%3A+t-1%0D%0ACorrelation+ID%3A+c-9%0D%0ATimestamp%3A+2026-12-05+10%3A00%3A00Z&state=s";
        let (outcome, _) = read_answer(&Method::GET, declined, "s");
        let e = outcome.unwrap().unwrap_err();
        assert_eq!(e.kind(), CredentialErrorKind::SignInDeclined);
        let entra = e.entra_error().unwrap();
        assert_eq!(entra.codes, [65_004]);
        assert_eq!(entra.trace_id.as_deref(), Some("t-1"));
        assert_eq!(entra.correlation_id.as_deref(), Some("c-9"));

        for (method, target) in [
            (Method::GET, "/favicon.ico"),
            (Method::GET, "/"),
            (Method::POST, "/?code=c&state=s"),
            (Method::GET, "/?foo=bar"),
        ] {
            let (outcome, response) = read_answer(&method, target, "s");
            assert!(outcome.is_none(), "{target}");
            assert!(response.status().is_client_error());
        }
    }

    #[test]
    fn the_page_escapes_what_it_shows() {
        let target = "/?error=x%3Cscript%3E&error_description=%3Cb%3E&state=s";
        let (_, response) = read_answer(&Method::GET, target, "s");
        let body = format!("{:?}", response.body());
        assert!(
            !body.contains("<script>") && !body.contains("<b>"),
            "{body}"
        );
    }
}
