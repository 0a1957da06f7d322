//! `/devicelogin`: the person's side of a device-code sign-in, as a small HTML form.
//!
//! `GET` shows the form (the code, prefilled from `?otc=` as Entra's page does, and a choice
//! of the seeded users); `POST` (form-encoded `code`, `user`, and `action` = `approve` or
//! `decline`) approves or declines the pending sign-in with that code. A code that no sign-in
//! has, or whose sign-in expired or already finished, gets a 400 page saying which. Everything
//! shown is HTML-escaped.

use std::fmt::Write as _;
use std::time::Instant;

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use super::html::{document, escape, html};
use super::{DeviceState, Identity, IdentityRequest};
use crate::sync::lock;

/// Where the sign-in with a user code stands, as the page tells the person.
enum CodeStatus {
    Pending,
    Unknown,
    Expired,
    Finished,
}

impl Identity {
    fn code_status(&self, user_code: &str) -> CodeStatus {
        let state = lock(&self.state);
        let code = state
            .device_codes
            .values()
            .filter(|d| d.user_code.eq_ignore_ascii_case(user_code.trim()))
            // A pending one first, should a code ever repeat.
            .min_by_key(|d| d.state != DeviceState::Pending);
        match code {
            None => CodeStatus::Unknown,
            Some(d) if d.state != DeviceState::Pending => CodeStatus::Finished,
            Some(d) if d.expires_at <= Instant::now() => CodeStatus::Expired,
            Some(_) => CodeStatus::Pending,
        }
    }

    /// The seeded users, as `(id, display name)`, in id order.
    pub(super) fn users(&self) -> Vec<(String, String)> {
        let store = lock(&self.store);
        let mut users: Vec<(String, String)> = store
            .entities(crate::tenant::USERS)
            .filter_map(|u| {
                let id = u.get("id").and_then(Value::as_str)?.to_owned();
                let name = u
                    .get("displayName")
                    .and_then(Value::as_str)
                    .or_else(|| u.get("userPrincipalName").and_then(Value::as_str))
                    .unwrap_or(&id)
                    .to_owned();
                Some((id, name))
            })
            .collect();
        users.sort();
        users
    }
}

/// Answers a request to `/devicelogin`.
pub(super) fn page(identity: &Identity, request: &IdentityRequest<'_>) -> Response {
    let pairs = |text: &str| crate::odata::query::pairs(text);
    let field = |pairs: &[(String, String)], name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    if *request.method == Method::GET {
        let query = pairs(request.query.unwrap_or_default());
        return html(
            StatusCode::OK,
            &form_page(identity, &field(&query, "otc"), None),
        );
    }
    if *request.method != Method::POST {
        let mut response = html(
            StatusCode::METHOD_NOT_ALLOWED,
            &document("Method not allowed", "<p>Use GET or POST.</p>"),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        return response;
    }
    let form = pairs(&String::from_utf8_lossy(request.body));
    let code = field(&form, "code");
    let user = field(&form, "user");
    let decline = field(&form, "action") == "decline";
    let refuse = |message: &str| {
        html(
            StatusCode::BAD_REQUEST,
            &form_page(identity, &code, Some(message)),
        )
    };
    if code.is_empty() {
        return refuse("Enter the code shown by the app.");
    }
    match identity.code_status(&code) {
        CodeStatus::Pending => {}
        CodeStatus::Unknown => {
            return refuse(
                "That code didn't work: no sign-in is waiting on it. Check the code and try again.",
            );
        }
        CodeStatus::Expired => {
            return refuse(
                "That code has expired. Start the sign-in again in the app to get a new code.",
            );
        }
        CodeStatus::Finished => {
            return refuse("That code was already used: its sign-in has finished.");
        }
    }
    if decline {
        return match identity.decline(&code) {
            Ok(()) => html(
                StatusCode::OK,
                &document(
                    "Sign-in declined",
                    "<p>You declined the sign-in. The app is told so at its next poll.</p>",
                ),
            ),
            Err(_) => refuse("That code didn't work. Check the code and try again."),
        };
    }
    let Some(name) = identity
        .users()
        .into_iter()
        .find(|(id, _)| *id == user)
        .map(|(_, name)| name)
    else {
        return refuse("Choose one of the tenant's users to sign in as.");
    };
    match identity.approve(&code, &user) {
        Ok(()) => html(
            StatusCode::OK,
            &document(
                "Signed in",
                &format!(
                    "<p>You signed in as <strong>{}</strong>. You can close this window: the app gets its token at its next poll.</p>",
                    escape(&name)
                ),
            ),
        ),
        Err(_) => refuse("That code didn't work. Check the code and try again."),
    }
}

/// The form, with the code filled in and an error above it if there is one.
fn form_page(identity: &Identity, code: &str, error: Option<&str>) -> String {
    let mut body = String::new();
    if let Some(error) = error {
        let _ = write!(
            body,
            r#"<p class="error" role="alert">{}</p>"#,
            escape(error)
        );
    }
    body.push_str(
        r#"<form method="post" action="/devicelogin"><p><label>Code <input name="code" autocomplete="off" required value=""#,
    );
    body.push_str(&escape(code));
    body.push_str(r#""></label></p><p><label>Sign in as <select name="user">"#);
    for (id, name) in identity.users() {
        let _ = write!(
            body,
            r#"<option value="{}">{} ({})</option>"#,
            escape(&id),
            escape(&name),
            escape(&id)
        );
    }
    body.push_str(
        r#"</select></label></p><p><button name="action" value="approve">Sign in</button> <button name="action" value="decline">Decline</button></p></form>"#,
    );
    document("Enter code", &body)
}
