//! `/{tenant}/oauth2/v2.0/authorize`: browser sign-in (authorization code, with PKCE).
//!
//! `GET` (or a form `POST`) with `client_id`, `response_type=code`, `redirect_uri`, `scope`,
//! `state`, `nonce`, `code_challenge` and `code_challenge_method` (`S256` or `plain`), `prompt`,
//! `login_hint`, `response_mode` (`query`, the default, `fragment` or `form_post`):
//!
//! * an unknown tenant or client, or a redirect URI the app may not use (see
//!   [`redirect_uri`](super::redirect_uri)), is an HTML error page (400) with Entra's AADSTS
//!   code, never a redirect: the request cannot be trusted to name where to go;
//! * any other fault of the request (`response_type`, scopes without consent, a malformed PKCE
//!   challenge, `prompt=none` with nobody signed in) goes back to the redirect URI as
//!   `error`, `error_description` (`AADSTS…`) and `state`, as OAuth 2.0 says;
//! * with [`EmulatorBuilder::approve_device_codes_as`](crate::EmulatorBuilder::approve_device_codes_as)
//!   the named user is signed in at once: a 302 to `redirect_uri?code=…&state=…`;
//! * otherwise a page: the app, the permissions it asks for, a choice of the seeded users
//!   (`login_hint` preselects one by id or user principal name), *Accept* and *Decline*. The
//!   form posts back here (`sign_in`, `user`, `action`), and the answer is the 302: a code, or
//!   `error=access_denied` (AADSTS65004) when declined. There is no browser session, so
//!   `prompt=login`, `consent` and `select_account` show the page as any request does, and
//!   `prompt=none` is `login_required` (AADSTS50058) unless sign-ins are approved up front.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;

use super::auth_code::{AuthCode, Challenge, ChallengeMethod, well_formed};
use super::authorize_reply::{Ids, ReplyTo, ResponseMode, error_page, refuse_back, send_back};
use super::errors::{Refusal, refusal};
use super::grants::{Form, bad_request, random_token};
use super::html::{document, escape, html, html_with_policy};
use super::redirect_uri::{self, Delivery};
use super::{App, Identity, IdentityRequest, OpenId, Tenant};
use crate::sync::lock;

/// How long a sign-in page waits for its person.
const PAGE_LIFETIME: Duration = Duration::from_secs(900);

/// A sign-in page waiting for its person's answer.
#[derive(Debug, Clone)]
pub(super) struct PendingAuthorization {
    app: App,
    /// The tenant segment the app used (the page's form posts back to it).
    tenant: String,
    reply: ReplyTo,
    /// The code to issue, once someone signs in (`user` is filled in then).
    grant: AuthCode,
    login_hint: Option<String>,
    expires_at: Instant,
}

/// `response_mode`: `query` (the default for `code`), `fragment` or `form_post`.
fn response_mode(params: &Form) -> Result<ResponseMode, Refusal> {
    match params.get("response_mode") {
        None | Some("query") => Ok(ResponseMode::Redirect(Delivery::Query)),
        Some("fragment") => Ok(ResponseMode::Redirect(Delivery::Fragment)),
        Some("form_post") => Ok(ResponseMode::FormPost),
        Some(other) => Err(bad_request(
            "invalid_request",
            900_144,
            format!(
                "The response_mode '{other}' is not supported: use query, fragment or form_post."
            ),
        )),
    }
}

/// `response_type`: `code` only.
fn response_type(params: &Form) -> Result<(), Refusal> {
    match params.get("response_type") {
        Some("code") => Ok(()),
        None => Err(bad_request(
            "invalid_request",
            900_144,
            "The request body must contain the following parameter: 'response_type'.",
        )),
        Some(other) => Err(bad_request(
            "unsupported_response_type",
            700_054,
            format!(
                "response_type '{other}' is not enabled for the application: the emulator signs in with response_type 'code' only."
            ),
        )),
    }
}

/// The PKCE challenge, if the request has one: `code_challenge` (43 to 128 unreserved
/// characters) and `code_challenge_method` (`S256`, or `plain` when absent).
fn challenge(params: &Form) -> Result<Option<Challenge>, Refusal> {
    let Some(value) = params.get("code_challenge") else {
        return Ok(None);
    };
    let named = params.get("code_challenge_method");
    let method = ChallengeMethod::parse(named).ok_or_else(|| {
        bad_request(
            "invalid_request",
            501_491,
            format!(
                "The code_challenge_method '{}' is not supported: use S256 or plain.",
                named.unwrap_or_default()
            ),
        )
    })?;
    if !well_formed(value) {
        return Err(bad_request(
            "invalid_request",
            501_491,
            "Invalid size of Code_Challenge parameter: it must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~'.",
        ));
    }
    Ok(Some(Challenge {
        method,
        value: value.to_owned(),
    }))
}

/// Answers a request to `…/authorize`.
pub(super) fn page(
    identity: &Identity,
    request: &IdentityRequest<'_>,
    correlation: &str,
) -> Response {
    let ids = Ids {
        trace: request.request_id,
        correlation,
    };
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
    // The sign-in page's own form posts its answer back here.
    let answer = params
        .get("sign_in")
        .filter(|_| *request.method == Method::POST);
    if let Some(sign_in) = answer {
        return identity.answer_page(sign_in, &params, &ids);
    }
    match identity.authorize(&params, request, &ids) {
        Ok(response) | Err(response) => response,
    }
}

impl Identity {
    /// Checks an authorization request; `Err` is an answer that ends it early (an error page,
    /// or an error sent back).
    fn authorize(
        &self,
        params: &Form,
        request: &IdentityRequest<'_>,
        ids: &Ids<'_>,
    ) -> Result<Response, Response> {
        let tenant_name = request.tenant.unwrap_or("common");
        if Tenant::parse(tenant_name).is_none() {
            return Err(error_page(&Tenant::unknown(tenant_name), ids));
        }
        let page_error = |refused: Refusal| error_page(&refused, ids);
        let client_id = params.get("client_id").ok_or_else(|| {
            page_error(bad_request(
                "invalid_request",
                900_144,
                "The request body must contain the following parameter: 'client_id'.",
            ))
        })?;
        let app = self.app(client_id, tenant_name).map_err(page_error)?;
        let redirect_uri = match params.get("redirect_uri") {
            Some(uri) => uri.to_owned(),
            None => app.redirect_uris.first().cloned().ok_or_else(|| {
                page_error(bad_request(
                    "invalid_request",
                    500_113,
                    "No reply address is registered for the application.",
                ))
            })?,
        };
        if !redirect_uri::is_allowed(&app, &redirect_uri) {
            return Err(page_error(bad_request(
                "invalid_request",
                50_011,
                format!(
                    "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.",
                    app.client_id
                ),
            )));
        }
        // From here on, the app hears of any fault at its redirect URI.
        let mut reply = ReplyTo {
            redirect_uri,
            mode: ResponseMode::Redirect(Delivery::Query),
            state: params.get("state").map(str::to_owned),
        };
        let back = |reply: &ReplyTo, refused: Refusal| refuse_back(reply, &refused, ids);
        reply.mode = response_mode(params).map_err(|refused| back(&reply, refused))?;
        response_type(params).map_err(|refused| back(&reply, refused))?;
        let scope = params.get("scope").unwrap_or_default();
        let (resource, scopes, offline) = self
            .delegated_scopes(&app, scope, request.origin)
            .map_err(|refused| back(&reply, refused))?;
        let challenge = challenge(params).map_err(|refused| back(&reply, refused))?;
        let openid = scope
            .split_whitespace()
            .any(|s| s == "openid")
            .then(|| OpenId {
                nonce: params.get("nonce").map(str::to_owned),
            });
        let grant = AuthCode {
            client_id: app.client_id.clone(),
            redirect_uri: reply.redirect_uri.clone(),
            challenge,
            scopes,
            resource,
            offline,
            openid,
            user: String::new(),
            expires_at: Instant::now(),
            redeemed: false,
        };
        // `--approve-as`: that user is signed in already, and says yes.
        if let Some(user) = self.approve_as.clone() {
            let code = self.issue_code(AuthCode { user, ..grant });
            return Ok(send_back(&reply, &[("code", &code)]));
        }
        let silent = params
            .get("prompt")
            .is_some_and(|p| p.split_whitespace().any(|p| p == "none"));
        if silent {
            return Err(back(
                &reply,
                bad_request(
                    "login_required",
                    50_058,
                    "A silent sign-in request was sent but no user is signed in.",
                ),
            ));
        }
        let pending = PendingAuthorization {
            app,
            tenant: tenant_name.to_owned(),
            reply,
            grant,
            login_hint: params.get("login_hint").map(str::to_owned),
            expires_at: Instant::now() + PAGE_LIFETIME,
        };
        let id = random_token();
        let page = self.sign_in_page(&id, &pending, StatusCode::OK, None);
        let mut state = lock(&self.state);
        let now = Instant::now();
        state.auth_requests.retain(|_, p| p.expires_at > now);
        state.auth_requests.insert(id, pending);
        Ok(page)
    }

    /// The person's answer to a sign-in page: `sign_in` (the page's id), `user`, `action`.
    fn answer_page(&self, sign_in: &str, params: &Form, ids: &Ids<'_>) -> Response {
        let taken = lock(&self.state).auth_requests.remove(sign_in);
        let Some(pending) = taken.filter(|p| p.expires_at > Instant::now()) else {
            return html(
                StatusCode::BAD_REQUEST,
                &document(
                    "Sign-in expired",
                    "<p class=\"error\" role=\"alert\">This sign-in is no longer waiting: it expired or was already answered. Start the sign-in again from the app.</p>",
                ),
            );
        };
        if params.get("action") == Some("decline") {
            return refuse_back(
                &pending.reply,
                &refusal(
                    StatusCode::BAD_REQUEST,
                    "access_denied",
                    65_004,
                    "User declined to consent to access the app.",
                ),
                ids,
            );
        }
        let user = params.get("user").unwrap_or_default();
        if !self.users().iter().any(|(id, _)| id == user) {
            let page = self.sign_in_page(
                sign_in,
                &pending,
                StatusCode::BAD_REQUEST,
                Some("Choose one of the tenant's users to sign in as."),
            );
            lock(&self.state)
                .auth_requests
                .insert(sign_in.to_owned(), pending);
            return page;
        }
        let code = self.issue_code(AuthCode {
            user: user.to_owned(),
            ..pending.grant
        });
        send_back(&pending.reply, &[("code", &code)])
    }

    /// The page a person signs in at: who asks, for what, as whom.
    fn sign_in_page(
        &self,
        id: &str,
        pending: &PendingAuthorization,
        status: StatusCode,
        error: Option<&str>,
    ) -> Response {
        let mut body = String::new();
        if let Some(error) = error {
            let _ = write!(
                body,
                r#"<p class="error" role="alert">{}</p>"#,
                escape(error)
            );
        }
        let app = &pending.app;
        let name = app.display_name.as_deref().unwrap_or(&app.client_id);
        let _ = write!(
            body,
            "<p><strong>{}</strong> ({}) asks you to sign in and to let it:</p><ul>",
            escape(name),
            escape(&app.client_id)
        );
        for scope in &pending.grant.scopes {
            let _ = write!(body, "<li>{}</li>", escape(scope));
        }
        if pending.grant.offline {
            body.push_str(
                "<li>keep access to the data you gave it access to (offline_access)</li>",
            );
        }
        let _ = write!(
            body,
            r#"</ul><p>You will be sent back to {}.</p><form method="post" action="/{}/oauth2/v2.0/authorize"><input type="hidden" name="sign_in" value="{}"><p><label>Sign in as <select name="user">"#,
            escape(&pending.reply.redirect_uri),
            escape(&pending.tenant),
            escape(id)
        );
        let hint = pending.login_hint.as_deref().map(str::to_ascii_lowercase);
        let upns = self.user_principal_names();
        for (user, display) in self.users() {
            let hinted = hint.as_deref().is_some_and(|h| {
                h == user.to_ascii_lowercase()
                    || upns
                        .get(&user)
                        .is_some_and(|upn| upn.eq_ignore_ascii_case(h))
            });
            let _ = write!(
                body,
                r#"<option value="{}"{}>{} ({})</option>"#,
                escape(&user),
                if hinted { " selected" } else { "" },
                escape(&display),
                escape(&user)
            );
        }
        body.push_str(
            r#"</select></label></p><p><button name="action" value="accept">Accept</button> <button name="action" value="decline">Decline</button></p></form>"#,
        );
        let target = redirect_uri::origin(&pending.reply.redirect_uri).unwrap_or_default();
        let policy = format!("default-src 'none'; form-action 'self' {target}");
        html_with_policy(status, &document("Sign in", &body), policy.trim_end())
    }

    /// The seeded users' `userPrincipalName`s, by id.
    fn user_principal_names(&self) -> HashMap<String, String> {
        let store = lock(&self.store);
        store
            .entities(crate::tenant::USERS)
            .filter_map(|u| {
                let id = u.get("id")?.as_str()?.to_owned();
                let upn = u.get("userPrincipalName")?.as_str()?.to_owned();
                Some((id, upn))
            })
            .collect()
    }
}
