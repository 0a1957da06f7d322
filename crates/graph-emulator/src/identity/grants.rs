//! The two endpoints: device authorization and token (client credentials, device code, refresh
//! token; the authorization code grant is in `auth_code`).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine as _;
use serde_json::{Value, json};

use super::assertions;
use super::errors::{Refusal, refusal};
use super::id_token::{self, Person};
use super::{
    App, DeviceCode, DeviceState, EMULATOR_TENANT, Endpoint, Grant, Identity, IdentityRequest,
    OpenId,
};
use crate::sync::lock;

/// The Microsoft Graph resource, by URI and by application id.
const GRAPH_RESOURCES: &[&str] = &[
    "https://graph.microsoft.com",
    "00000003-0000-0000-c000-000000000000",
];
/// Scopes that are not permissions.
const OPENID: &[&str] = &["openid", "profile", "email", "offline_access"];
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub(super) struct Form(pub(super) Vec<(String, String)>);

impl Form {
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

pub(super) fn bad_request(error: &'static str, code: u32, text: impl Into<String>) -> Refusal {
    refusal(StatusCode::BAD_REQUEST, error, code, text)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub(super) fn random_token() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{a}{b}"))
}

/// A stable object id for an app's service principal (the `oid` of its app-only tokens): the
/// same client id always gives the same id.
fn app_object_id(client_id: &str) -> String {
    use std::hash::{Hash as _, Hasher as _};
    let half = |salt: u8| {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (salt, client_id.to_ascii_lowercase()).hash(&mut hasher);
        hasher.finish()
    };
    uuid::Uuid::from_u64_pair(half(1), half(2)).to_string()
}

/// The user side of a token answer.
pub(super) struct Delegation<'a> {
    /// The user's object id.
    pub(super) user: &'a str,
    /// Granted delegated scopes (short names).
    pub(super) scopes: &'a [String],
    pub(super) offline: bool,
    /// `Some` when the sign-in asked for `openid`.
    pub(super) openid: Option<&'a OpenId>,
    /// Whether the client asked for `client_info=1` (MSAL does).
    pub(super) client_info: bool,
    /// `http(s)://127.0.0.1:PORT`, for the `id_token`'s issuer.
    pub(super) origin: &'a str,
}

/// Whether a form asks for Entra's `client_info`.
pub(super) fn wants_client_info(form: &Form) -> bool {
    form.get("client_info") == Some("1")
}

/// The OpenID Connect part of a request: `Some` when `scope` holds `openid`.
pub(super) fn openid(form: &Form) -> Option<OpenId> {
    form.get("scope")
        .is_some_and(|s| s.split_whitespace().any(|s| s == "openid"))
        .then(|| OpenId {
            nonce: form.get("nonce").map(str::to_owned),
        })
}

/// `HTTP Basic` client authentication: `(client id, secret)`, each form-decoded (RFC 6749 §2.3.1).
fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let pairs = crate::odata::query::pairs(&format!("i={id}&s={secret}"));
    Some((pairs.first()?.1.clone(), pairs.get(1)?.1.clone()))
}

/// A requested scope string split into its resource and permission: `https://graph.microsoft.com/User.Read`
/// → (`https://graph.microsoft.com`, `User.Read`); a bare name belongs to Graph.
fn split_scope(scope: &str) -> (Option<&str>, &str) {
    match scope.rsplit_once('/') {
        Some((resource, permission))
            if resource.contains("://") || GRAPH_RESOURCES.contains(&resource) =>
        {
            (Some(resource), permission)
        }
        _ => (None, scope),
    }
}

impl Identity {
    fn known_resource(&self, resource: &str, origin: &str) -> bool {
        let bare = resource.trim_end_matches('/');
        GRAPH_RESOURCES.contains(&bare)
            || bare.eq_ignore_ascii_case(origin)
            || bare.eq_ignore_ascii_case(&origin.replacen("https://", "http://", 1))
    }

    pub(super) fn app(&self, client_id: &str, tenant: &str) -> Result<App, Refusal> {
        lock(&self.state).apps.get(&client_id.to_ascii_lowercase()).cloned().ok_or_else(|| {
            bad_request(
                "unauthorized_client",
                700_016,
                format!(
                    "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
                ),
            )
        })
    }

    /// Issues a token answer: an access token; for a user, a refresh token with `offline_access`,
    /// and `id_token` and `client_info` when the sign-in asked for `openid`. Every token is signed
    /// (RS256) with the key the JWKS endpoint publishes.
    pub(super) fn issue(
        &self,
        app: &App,
        resource: &str,
        user: Option<&Delegation<'_>>,
    ) -> Result<Value, Refusal> {
        let now = now_secs();
        let lifetime = self.settings.token_lifetime.as_secs();
        let mut claims = json!({
            "aud": resource,
            "iss": format!("https://sts.windows.net/{EMULATOR_TENANT}/"),
            "tid": EMULATOR_TENANT,
            "appid": app.client_id,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "ver": "1.0",
            // Entra's unique token id: no two tokens are equal, even within a second.
            "uti": uuid::Uuid::new_v4().simple().to_string(),
        });
        let mut answer = json!({
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
        });
        match user {
            None => {
                claims["oid"] = json!(app_object_id(&app.client_id));
                claims["roles"] = json!(app.app_roles);
                claims["idtyp"] = json!("app");
            }
            Some(delegation) => {
                let person = Person::from_user(
                    delegation.user,
                    lock(&self.store).entity(crate::tenant::USERS, delegation.user),
                );
                claims["oid"] = json!(delegation.user);
                claims["scp"] = json!(delegation.scopes.join(" "));
                claims["idtyp"] = json!("user");
                if let Some(name) = &person.name {
                    claims["name"] = json!(name);
                }
                claims["upn"] = json!(person.username);
                answer["scope"] = json!(
                    delegation
                        .scopes
                        .iter()
                        .map(|s| format!("{resource}/{s}"))
                        .chain(delegation.offline.then(|| "offline_access".to_owned()))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                if delegation.offline {
                    let refresh = random_token();
                    lock(&self.state).refresh_tokens.insert(
                        refresh.clone(),
                        Grant {
                            client_id: app.client_id.clone(),
                            user: delegation.user.to_owned(),
                            scopes: delegation.scopes.to_vec(),
                            resource: resource.to_owned(),
                            openid: delegation.openid.is_some(),
                        },
                    );
                    answer["refresh_token"] = json!(refresh);
                }
                if let Some(openid) = delegation.openid {
                    let issuer = format!("{}/{EMULATOR_TENANT}/v2.0", delegation.origin);
                    let id_claims = id_token::claims(
                        &person,
                        &app.client_id,
                        &issuer,
                        openid.nonce.as_deref(),
                        now,
                        lifetime,
                    );
                    answer["id_token"] = json!(self.sign(&id_claims)?);
                }
                if delegation.openid.is_some() || delegation.client_info {
                    answer["client_info"] = json!(id_token::client_info(&person.id));
                }
            }
        }
        answer["access_token"] = json!(self.sign(&claims)?);
        Ok(answer)
    }

    fn sign(&self, claims: &Value) -> Result<String, Refusal> {
        self.key.sign(claims).ok_or_else(|| {
            refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "temporarily_unavailable",
                50_000,
                "There was an error issuing a token: the token could not be signed.",
            )
        })
    }

    /// The permissions of a delegated request: the resource, the granted short names (consented;
    /// all consented ones for `/.default`), and whether `offline_access` was asked for.
    pub(super) fn delegated_scopes(
        &self,
        app: &App,
        scope: &str,
        origin: &str,
    ) -> Result<(String, Vec<String>, bool), Refusal> {
        let mut resource = None;
        let mut granted = Vec::new();
        let mut offline = false;
        for requested in scope.split_whitespace() {
            if requested == "offline_access" {
                offline = true;
                continue;
            }
            if OPENID.contains(&requested) {
                continue;
            }
            let (res, permission) = split_scope(requested);
            let res = res.unwrap_or(GRAPH_RESOURCES[0]);
            if !self.known_resource(res, origin) {
                return Err(bad_request(
                    "invalid_resource",
                    500_011,
                    format!(
                        "The resource principal named {res} was not found in the tenant named {EMULATOR_TENANT}."
                    ),
                ));
            }
            resource.get_or_insert(res.trim_end_matches('/').to_owned());
            if permission == ".default" {
                granted.extend(app.delegated_scopes.iter().cloned());
            } else if let Some(consented) = app
                .delegated_scopes
                .iter()
                .find(|c| c.eq_ignore_ascii_case(permission))
            {
                granted.push(consented.clone());
            } else {
                return Err(bad_request(
                    "invalid_scope",
                    70_011,
                    format!(
                        "The provided value for the input parameter 'scope' is not valid. The scope '{requested}' has no consent for application '{}' in the emulated tenant.",
                        app.client_id
                    ),
                ));
            }
        }
        granted.sort();
        granted.dedup();
        if granted.is_empty() {
            return Err(bad_request(
                "invalid_scope",
                70_011,
                "The provided request must include a 'scope' input parameter with at least one permission.",
            ));
        }
        Ok((
            resource.unwrap_or_else(|| GRAPH_RESOURCES[0].to_owned()),
            granted,
            offline,
        ))
    }

    /// Authenticates a confidential client: a secret (form or Basic) or an assertion.
    pub(super) fn authenticate_client(
        &self,
        form: &Form,
        headers: &HeaderMap,
        tenant: &str,
        origin: &str,
    ) -> Result<App, Refusal> {
        let basic = basic_auth(headers);
        let client_id = basic
            .as_ref()
            .map(|(id, _)| id.as_str())
            .or(form.get("client_id"))
            .unwrap_or_default()
            .to_owned();
        if client_id.is_empty() {
            return Err(bad_request(
                "invalid_request",
                900_144,
                "The request body must contain the following parameter: 'client_id'.",
            ));
        }
        let app = self.app(&client_id, tenant)?;
        let secret = basic
            .as_ref()
            .map(|(_, s)| s.as_str())
            .or(form.get("client_secret"));
        if let Some(secret) = secret {
            return if app.secrets.iter().any(|s| s == secret) {
                Ok(app)
            } else {
                Err(refusal(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7_000_215,
                    format!(
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                    ),
                ))
            };
        }
        if let Some(assertion) = form.get("client_assertion") {
            assertions::authenticate(
                &app,
                &assertions::Presented {
                    client_id: &client_id,
                    assertion,
                    jwt_bearer: form.get("client_assertion_type") == Some(JWT_BEARER),
                    audiences: assertions::token_endpoints(origin, tenant),
                    clock_skew_secs: self.settings.assertion_clock_skew.as_secs(),
                },
            )?;
            return Ok(app);
        }
        Err(refusal(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7_000_218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ))
    }

    fn client_credentials(
        &self,
        form: &Form,
        request: &IdentityRequest<'_>,
    ) -> Result<Value, Refusal> {
        let app =
            self.authenticate_client(form, request.headers, tenant_name(request), request.origin)?;
        let scope = form.get("scope").unwrap_or_default();
        let resource = scope
            .strip_suffix("/.default")
            .filter(|r| !scope.contains(' ') && self.known_resource(r, request.origin));
        let Some(resource) = resource else {
            return Err(bad_request(
                "invalid_scope",
                1_002_012,
                format!(
                    "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                ),
            ));
        };
        self.issue(&app, resource.trim_end_matches('/'), None)
    }

    fn device_code_grant(
        &self,
        form: &Form,
        request: &IdentityRequest<'_>,
    ) -> Result<Value, Refusal> {
        let client_id = form.get("client_id").unwrap_or_default();
        let app = self.app(client_id, tenant_name(request))?;
        let device_code = form.get("device_code").unwrap_or_default();
        let mut state = lock(&self.state);
        let Some(code) = state
            .device_codes
            .get_mut(device_code)
            .filter(|c| c.client_id.eq_ignore_ascii_case(client_id))
        else {
            return Err(bad_request(
                "bad_verification_code",
                70_000,
                "The provided value for the input parameter 'device_code' is not valid.",
            ));
        };
        if code.state == DeviceState::Used {
            return Err(bad_request(
                "bad_verification_code",
                70_000,
                "The provided value for the input parameter 'device_code' was already used.",
            ));
        }
        if Instant::now() >= code.expires_at {
            return Err(bad_request(
                "expired_token",
                70_019,
                "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
            ));
        }
        if std::mem::take(&mut code.slow_down) {
            return Err(bad_request(
                "slow_down",
                70_016,
                "OAuth 2.0 device flow error. The client is polling too fast: add 5 seconds to the interval.",
            ));
        }
        match code.state.clone() {
            DeviceState::Pending => Err(bad_request(
                "authorization_pending",
                70_016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            )),
            DeviceState::Declined => Err(bad_request(
                "authorization_declined",
                70_000,
                "The user declined the authentication request.",
            )),
            DeviceState::Approved { user } => {
                code.state = DeviceState::Used;
                let code = code.clone();
                drop(state);
                self.issue(
                    &app,
                    &code.resource,
                    Some(&Delegation {
                        user: &user,
                        scopes: &code.scopes,
                        offline: code.offline,
                        openid: code.openid.as_ref(),
                        client_info: wants_client_info(form),
                        origin: request.origin,
                    }),
                )
            }
            DeviceState::Used => Err(bad_request(
                "bad_verification_code",
                70_000,
                "The device code was already used.",
            )),
        }
    }

    fn refresh_grant(&self, form: &Form, request: &IdentityRequest<'_>) -> Result<Value, Refusal> {
        let client_id = form
            .get("client_id")
            .or_else(|| basic_auth(request.headers).map(|_| ""))
            .unwrap_or_default()
            .to_owned();
        let refresh = form.get("refresh_token").unwrap_or_default();
        let grant = lock(&self.state).refresh_tokens.get(refresh).cloned();
        let Some(grant) =
            grant.filter(|g| client_id.is_empty() || g.client_id.eq_ignore_ascii_case(&client_id))
        else {
            return Err(bad_request(
                "invalid_grant",
                700_082,
                "The refresh token has expired or was revoked. The user must sign in again.",
            ));
        };
        let app = self.app(&grant.client_id, tenant_name(request))?;
        let scopes = match form.get("scope") {
            Some(scope) => {
                let (_, requested, _) = self.delegated_scopes(&app, scope, request.origin)?;
                let outside: Vec<&String> = requested
                    .iter()
                    .filter(|s| !grant.scopes.contains(s))
                    .collect();
                if !outside.is_empty() {
                    return Err(bad_request(
                        "invalid_grant",
                        65_001,
                        format!("The refresh token was not granted the scopes {outside:?}."),
                    ));
                }
                requested
            }
            None => grant.scopes.clone(),
        };
        // A renewal that names its scopes asks for `openid` again (MSAL does); one that does not
        // gets what the sign-in had.
        let openid = match form.get("scope") {
            Some(_) => openid(form),
            None => grant.openid.then(OpenId::default),
        };
        self.issue(
            &app,
            &grant.resource,
            Some(&Delegation {
                user: &grant.user,
                scopes: &scopes,
                offline: true,
                openid: openid.as_ref(),
                client_info: wants_client_info(form),
                origin: request.origin,
            }),
        )
    }

    fn device_authorization(
        &self,
        form: &Form,
        request: &IdentityRequest<'_>,
    ) -> Result<Value, Refusal> {
        let client_id = form.get("client_id").unwrap_or_default();
        let app = self.app(client_id, tenant_name(request))?;
        if !app.public_client {
            return Err(refusal(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7_000_218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'. (The app is not a public client, so it cannot sign in by device code.)",
            ));
        }
        let (resource, scopes, offline) =
            self.delegated_scopes(&app, form.get("scope").unwrap_or_default(), request.origin)?;
        let device_code = random_token();
        let user_code: String = uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .chars()
            .filter(char::is_ascii_alphabetic)
            .chain("KLMNPQRSTVWXYZ".chars())
            .take(9)
            .collect::<String>()
            .to_ascii_uppercase();
        let verification_uri = format!("{}/devicelogin", request.origin);
        let lifetime = self.settings.device_lifetime;
        // `--approve-as`: the person has already said yes.
        let state = match self.approve_as.as_deref().and_then(|u| self.user_id(u)) {
            Some(user) => DeviceState::Approved { user },
            None => DeviceState::Pending,
        };
        lock(&self.state).device_codes.insert(
            device_code.clone(),
            DeviceCode {
                user_code: user_code.clone(),
                client_id: app.client_id.clone(),
                scopes,
                resource,
                offline,
                openid: openid(form),
                expires_at: Instant::now() + lifetime,
                state,
                slow_down: false,
            },
        );
        Ok(json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verification_uri,
            "expires_in": lifetime.as_secs(),
            "interval": self.settings.device_interval_secs,
            "message": format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."),
        }))
    }
}

/// The tenant segment a request named, for messages.
pub(super) fn tenant_name<'a>(request: &IdentityRequest<'a>) -> &'a str {
    request.tenant.unwrap_or("common")
}

/// Answers a `POST` to the token or device-code endpoint (tenant and method already checked).
pub(super) fn answer(identity: &Identity, request: &IdentityRequest<'_>) -> Result<Value, Refusal> {
    let form = Form(crate::odata::query::pairs(&String::from_utf8_lossy(
        request.body,
    )));
    if request.endpoint == Endpoint::DeviceCode {
        return identity.device_authorization(&form, request);
    }
    match form.get("grant_type") {
        Some("client_credentials") => identity.client_credentials(&form, request),
        Some(DEVICE_CODE_GRANT) => identity.device_code_grant(&form, request),
        Some("refresh_token") => identity.refresh_grant(&form, request),
        Some("authorization_code") => identity.redeem_code(&form, request),
        Some(other) => Err(bad_request(
            "unsupported_grant_type",
            70_003,
            format!("The app requested an unsupported grant type '{other}'."),
        )),
        None => Err(bad_request(
            "invalid_request",
            900_144,
            "The request body must contain the following parameter: 'grant_type'.",
        )),
    }
}
