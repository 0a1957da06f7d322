//! `/{tenant}/oauth2/v2.0/logout`: the end-session endpoint.
//!
//! The emulator keeps no browser session (every sign-in page asks afresh), so signing out
//! changes nothing but what the person sees: with a `post_logout_redirect_uri` that is a
//! loopback URI, or registered on the app named by `client_id`, the answer is a 302 there (with
//! `state` when sent); otherwise a small page saying the person is signed out. Refresh tokens
//! stay valid, as Entra's do after a browser sign-out.

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;

use super::grants::Form;
use super::html::{document, escape, html};
use super::redirect_uri::{self, Delivery};
use super::{Identity, IdentityRequest, Tenant};
use crate::sync::lock;

/// Answers a request to `…/logout`.
pub(super) fn page(identity: &Identity, request: &IdentityRequest<'_>) -> Response {
    let params = if *request.method == Method::GET {
        Form(crate::odata::query::pairs(
            request.query.unwrap_or_default(),
        ))
    } else if *request.method == Method::POST {
        Form(crate::odata::query::pairs(&String::from_utf8_lossy(
            request.body,
        )))
    } else {
        let mut response = html(
            StatusCode::METHOD_NOT_ALLOWED,
            &document("Method not allowed", "<p>Use GET or POST.</p>"),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        return response;
    };
    let tenant = request.tenant.unwrap_or("common");
    if Tenant::parse(tenant).is_none() {
        let refused = Tenant::unknown(tenant);
        return html(
            refused.status,
            &document(
                "Sign-out error",
                &format!(
                    "<p class=\"error\" role=\"alert\"><strong>AADSTS{}</strong>: {}</p>",
                    refused.code,
                    escape(&refused.text)
                ),
            ),
        );
    }
    let target = params.get("post_logout_redirect_uri");
    let registered = |uri: &str| {
        params.get("client_id").is_some_and(|client| {
            lock(&identity.state)
                .apps
                .get(&client.to_ascii_lowercase())
                .is_some_and(|app| redirect_uri::is_registered(app, uri))
        })
    };
    match target {
        Some(uri) if redirect_uri::is_loopback(uri) || registered(uri) => {
            let mut params_back = Vec::new();
            if let Some(state) = params.get("state") {
                params_back.push(("state", state));
            }
            let location = if params_back.is_empty() {
                uri.to_owned()
            } else {
                redirect_uri::with_params(uri, &params_back, Delivery::Query)
            };
            let mut response = Response::new(axum::body::Body::empty());
            *response.status_mut() = StatusCode::FOUND;
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        Some(uri) => html(
            StatusCode::OK,
            &document(
                "Signed out",
                &format!(
                    "<p>You signed out. You can close this window.</p><p>The app asked to be shown {}, which is neither a loopback address nor registered for it, so you were not sent there.</p>",
                    escape(uri)
                ),
            ),
        ),
        None => html(
            StatusCode::OK,
            &document(
                "Signed out",
                "<p>You signed out. You can close this window.</p>",
            ),
        ),
    }
}
