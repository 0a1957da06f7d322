//! The emulator as a local identity provider: Entra ID's endpoints, enough for Microsoft's own
//! identity libraries to discover it and sign in, unmodified.
//!
//! Served on the emulator's origin (the *authority host*), for the tenant by id
//! ([`EMULATOR_TENANT`]) or domain ([`EMULATOR_TENANT_DOMAIN`]), `common` or `organizations`:
//!
//! * `GET /{tenant}/v2.0/.well-known/openid-configuration`: the OpenID Provider configuration,
//!   shaped like Entra's (`issuer` `{origin}/{tid}/v2.0`, or Entra's `{tenantid}` placeholder
//!   for `common`/`organizations`; `token_endpoint`, `device_authorization_endpoint`,
//!   `authorization_endpoint`, `end_session_endpoint`, `jwks_uri`, all on this origin;
//!   `response_types_supported`, `scopes_supported`, `subject_types_supported`,
//!   `id_token_signing_alg_values_supported` (`RS256`), `claims_supported`,
//!   `tenant_region_scope`, `msgraph_host`, …). A domain name resolves to the tenant id in the
//!   endpoints, as Entra's does.
//! * `GET /{tenant}/discovery/v2.0/keys` (and `/common/discovery/keys`): the JSON Web Key Set
//!   holding the public half of the token-signing key
//!   ([`tls::TOKEN_SIGNING_TEST_KEY_PEM`](crate::tls::TOKEN_SIGNING_TEST_KEY_PEM), a committed
//!   test key; `kid` is its RFC 7638 thumbprint).
//! * `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=…`: Entra's instance
//!   discovery (`tenant_discovery_endpoint`, `api-version`, `metadata` with `preferred_network`,
//!   `preferred_cache`, `aliases`: this origin's `host:port`, the other loopback name, and both
//!   without the port); another host is Entra's `invalid_instance` (AADSTS50049). MSAL asks the
//!   *public cloud* for this when it does not know the authority host, so MSAL clients are
//!   configured with instance discovery off (`instance_discovery=False`,
//!   `disable_instance_discovery=True`), as MSAL documents for private clouds.
//! * `POST /{tenant}/oauth2/v2.0/token` with `grant_type` `client_credentials` (a client secret
//!   in the form or HTTP Basic, or a client assertion: signed with the key of a certificate
//!   registered for the app ([`App::with_certificate`]) and verified as Entra verifies it, or
//!   unsigned for an app that [accepts](App::accepts_assertions) federated ones), `refresh_token`,
//!   `authorization_code`, or `urn:ietf:params:oauth:grant-type:device_code`;
//!   `POST /{tenant}/oauth2/v2.0/devicecode`.
//! * `/devicelogin` (the device code's `verification_uri`): a small HTML form where a person
//!   approves or declines a pending sign-in as one of the seeded users.
//! * `GET /{tenant}/oauth2/v2.0/authorize`: browser sign-in, authorization code with PKCE
//!   (`S256` or `plain`): a page where a person picks a seeded user and accepts or declines,
//!   then a 302 to the app's redirect URI (any loopback URI for a public client, else one
//!   registered on the app, [`App::redirect_uris`]) with `code` and `state`, or
//!   `error=access_denied`; see [`authorize`]. The code is redeemed at the token endpoint with
//!   `grant_type=authorization_code` ([`auth_code`]).
//! * `GET /{tenant}/oauth2/v2.0/logout`: back to a loopback (or registered)
//!   `post_logout_redirect_uri`, else a small page ([`logout`]).
//!
//! Every token is an RS256-signed JWT verifiable with the JWKS. Access tokens keep Graph's v1
//! claims: `aud`, `iss` (`https://sts.windows.net/{tid}/`, as Graph's tokens carry), `tid`,
//! `oid`, `appid`, `iat`, `nbf`, `exp`, `uti`, and `roles` (app-only: the app registration's
//! granted application permissions) or `scp` (delegated: the requested permissions the app has
//! consent for, with the user's `name` and `upn`), which the Graph routes check exactly like any
//! other token (they never verify
//! signatures, so hand-made unsigned tokens keep working). A delegated sign-in that asks for
//! `openid` (MSAL always adds `openid profile offline_access`) also gets an `id_token` (`aud` =
//! the client id, `iss` = the configuration's issuer, `iat`/`nbf`/`exp`, `oid`, `tid`, a
//! pairwise `sub`, `preferred_username` = the user's `userPrincipalName` or
//! `{id}@emulator.onmicrosoft.com`, `name` = `displayName`, `ver` 2.0, `nonce` when sent) and
//! `client_info` (base64url `{"uid": oid, "utid": tid}`; also for `client_info=1`): what MSAL
//! builds its cached account from and azure-identity its `AuthenticationRecord`. Renewals by
//! refresh token carry them again.
//!
//! Refusals are Entra-shaped (`error`, `error_description` with `AADSTS…`, `error_codes`,
//! `trace_id`, `correlation_id`): a wrong secret (AADSTS7000215), a certificate assertion that
//! names no registered certificate or does not verify (AADSTS700027), is expired or not yet
//! valid (AADSTS700024), has another audience than the token endpoint (AADSTS50012), another
//! issuer or subject than the client (AADSTS700021) or is malformed (AADSTS50027), an unknown client
//! (AADSTS700016), a scope the client credentials flow cannot take or the app has no consent
//! for (AADSTS1002012, AADSTS70011), an unknown tenant on any endpoint (`invalid_tenant`,
//! AADSTS90002), and the device-code states (`authorization_pending`, `slow_down`,
//! `authorization_declined`, `expired_token`, `bad_verification_code`), and the authorization
//! code's (`invalid_grant`: AADSTS501481 for a wrong PKCE verifier, AADSTS54005 for a code
//! redeemed twice, AADSTS70008 for an expired one, AADSTS500112 for another redirect URI). A
//! pending device-code sign-in is approved or declined at `/devicelogin`, from the test with
//! [`Identity::approve`] and [`Identity::decline`]; a browser sign-in at the authorization
//! page (a test plays the browser: GET the page, POST its form, follow the 302); or every
//! sign-in, device code and browser alike, up front with
//! [`EmulatorBuilder::approve_device_codes_as`](crate::EmulatorBuilder::approve_device_codes_as)
//! (the binary's `--approve-as USER`): the authorization endpoint then redirects with a code
//! at once.
//!
//! Not served: Entra's v1 endpoints (`/{tenant}/oauth2/token`, the v1
//! `/{tenant}/.well-known/openid-configuration`), the implicit and hybrid flows
//! (`response_type` other than `code`), browser sessions (every sign-in page asks again;
//! `prompt=none` is `login_required` unless sign-ins are approved up front), the userinfo
//! endpoint.

mod apps;
mod assertions;
mod auth_code;
mod authorize;
mod authorize_reply;
mod device_login;
mod discovery;
mod errors;
mod grants;
mod html;
mod id_token;
mod logout;
mod redirect_uri;
mod signing;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;

pub use apps::App;
use errors::Refusal;
use signing::SigningKey;

use crate::Error;
use crate::store::Store;
use crate::sync::lock;

/// Fault routes of the identity endpoints (`Faults::on("identity:token")`).
pub(crate) const FAULT_ROUTES: &[&str] = &["identity:token", "identity:devicecode"];

/// The tenant id the identity provider answers for (and puts in `tid`).
pub use crate::auth::EMULATOR_TENANT;

/// A domain name of the emulated tenant, accepted in place of its id.
pub const EMULATOR_TENANT_DOMAIN: &str = "emulator.onmicrosoft.com";

/// Tunables of the identity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) token_lifetime: Duration,
    pub(crate) device_interval_secs: u64,
    pub(crate) device_lifetime: Duration,
    /// How long an authorization code may wait for its redemption.
    pub(crate) auth_code_lifetime: Duration,
    /// Clock skew allowed on a certificate assertion's `exp` and `nbf`.
    pub(crate) assertion_clock_skew: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(3599),
            device_interval_secs: 5,
            device_lifetime: Duration::from_secs(900),
            auth_code_lifetime: Duration::from_secs(600),
            assertion_clock_skew: Duration::from_secs(300),
        }
    }
}

/// Where a device-code sign-in stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DeviceState {
    Pending,
    Approved { user: String },
    Declined,
    Used,
}

#[derive(Debug, Clone)]
struct DeviceCode {
    user_code: String,
    client_id: String,
    /// Granted delegated scopes (short names).
    scopes: Vec<String>,
    resource: String,
    offline: bool,
    /// `Some` when `openid` was asked for: the answer carries an `id_token` (with this nonce).
    openid: Option<OpenId>,
    expires_at: Instant,
    state: DeviceState,
    slow_down: bool,
}

/// What a refresh token stands for.
#[derive(Debug, Clone)]
struct Grant {
    client_id: String,
    user: String,
    scopes: Vec<String>,
    resource: String,
    /// Whether the sign-in asked for `openid` (renewals carry an `id_token` too).
    openid: bool,
}

/// An OpenID Connect sign-in: the `nonce` the client sent, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct OpenId {
    nonce: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    apps: BTreeMap<String, App>,
    device_codes: HashMap<String, DeviceCode>,
    refresh_tokens: HashMap<String, Grant>,
    /// Browser sign-in pages waiting for their person, by the page's id.
    auth_requests: HashMap<String, authorize::PendingAuthorization>,
    /// Authorization codes, by value.
    auth_codes: HashMap<String, auth_code::AuthCode>,
}

/// A device-code sign-in waiting for its user, as a test sees it (the device code itself is not
/// shown: it is the client's secret).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingSignIn {
    /// The code the person types.
    pub user_code: String,
    /// The app signing in.
    pub client_id: String,
    /// The delegated permissions it asked for (and has consent for).
    pub scopes: Vec<String>,
}

/// The identity provider of a running emulator: app registrations and pending sign-ins. Clones
/// share it. From [`Emulator::identity`](crate::Emulator::identity).
#[derive(Clone)]
pub struct Identity {
    state: Arc<Mutex<State>>,
    store: Arc<Mutex<Store>>,
    settings: Settings,
    key: Arc<SigningKey>,
    /// A seeded user's id: every device-code and browser sign-in is approved as that user when
    /// it starts.
    approve_as: Option<String>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("Identity")
            .field("apps", &state.apps.values().collect::<Vec<_>>())
            .field(
                "pending_sign_ins",
                &state
                    .device_codes
                    .values()
                    .filter(|d| d.state == DeviceState::Pending)
                    .count(),
            )
            .field("settings", &self.settings)
            .field("approve_as", &self.approve_as)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The identity provider of a tenant. `approve_as` names a seeded user who approves every
    /// device-code and browser sign-in as it starts.
    ///
    /// # Errors
    ///
    /// [`Error::SignIn`] when `approve_as` names no seeded user; [`Error::Seed`] when an app's
    /// certificate is unusable; [`Error::Key`] if the token-signing key is unusable.
    pub(crate) fn new(
        store: Arc<Mutex<Store>>,
        settings: Settings,
        apps: Vec<App>,
        approve_as: Option<&str>,
    ) -> Result<Self, Error> {
        let mut identity = Self {
            state: Arc::default(),
            store,
            settings,
            key: SigningKey::test_key().map_err(Error::Key)?,
            approve_as: None,
        };
        if let Some(user) = approve_as {
            let id = identity.user_id(user).ok_or_else(|| {
                Error::SignIn(format!(
                    "cannot approve sign-ins as {user:?}: no seeded user has that id"
                ))
            })?;
            identity.approve_as = Some(id);
        }
        for app in apps {
            for (n, certificate) in app.certificates.iter().enumerate() {
                assertions::parse_certificate(certificate).map_err(|why| {
                    Error::Seed(format!(
                        "app {:?}: certificate {} is unusable: {why}",
                        app.client_id,
                        n + 1
                    ))
                })?;
            }
            identity.register(app);
        }
        Ok(identity)
    }

    /// The stored id of the seeded user with this id (ids compare as stored).
    fn user_id(&self, user: &str) -> Option<String> {
        lock(&self.store)
            .entity(crate::tenant::USERS, user)
            .and_then(|u| u.get("id"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    }

    /// Adds (or replaces) an app registration. A certificate of it that is not one (see
    /// [`App::certificates`]) authenticates nothing.
    pub fn register(&self, app: App) {
        lock(&self.state)
            .apps
            .insert(app.client_id.to_ascii_lowercase(), app);
    }

    /// The device-code sign-ins waiting for their user, oldest first.
    pub fn pending(&self) -> Vec<PendingSignIn> {
        let state = lock(&self.state);
        let now = Instant::now();
        let mut pending: Vec<&DeviceCode> = state
            .device_codes
            .values()
            .filter(|d| d.state == DeviceState::Pending && d.expires_at > now)
            .collect();
        pending.sort_by_key(|d| d.expires_at);
        pending
            .into_iter()
            .map(|d| PendingSignIn {
                user_code: d.user_code.clone(),
                client_id: d.client_id.clone(),
                scopes: d.scopes.clone(),
            })
            .collect()
    }

    fn with_pending(&self, user_code: &str, f: impl FnOnce(&mut DeviceCode)) -> Result<(), Error> {
        let mut state = lock(&self.state);
        let code = state
            .device_codes
            .values_mut()
            .find(|d| {
                d.user_code.eq_ignore_ascii_case(user_code.trim())
                    && d.state == DeviceState::Pending
            })
            .ok_or_else(|| {
                Error::SignIn(format!("no pending sign-in has the code {user_code:?}"))
            })?;
        f(code);
        Ok(())
    }

    /// Signs in as `user` (the id of a seeded user) for the pending sign-in with this code: the
    /// next poll gets the user's token.
    ///
    /// # Errors
    ///
    /// [`Error::SignIn`] when no sign-in waits on that code or no user has that id.
    pub fn approve(&self, user_code: &str, user: &str) -> Result<(), Error> {
        let id = self
            .user_id(user)
            .ok_or_else(|| Error::SignIn(format!("no user has the id {user:?}")))?;
        self.with_pending(user_code, |d| d.state = DeviceState::Approved { user: id })
    }

    /// Declines the pending sign-in with this code: the next poll gets `authorization_declined`.
    ///
    /// # Errors
    ///
    /// [`Error::SignIn`] when no sign-in waits on that code.
    pub fn decline(&self, user_code: &str) -> Result<(), Error> {
        self.with_pending(user_code, |d| d.state = DeviceState::Declined)
    }

    /// Lets the pending sign-in with this code expire now: the next poll gets `expired_token`.
    ///
    /// # Errors
    ///
    /// [`Error::SignIn`] when no sign-in waits on that code.
    pub fn expire(&self, user_code: &str) -> Result<(), Error> {
        self.with_pending(user_code, |d| d.expires_at = Instant::now())
    }

    /// Answers the next poll of this sign-in with `slow_down` (the client must add 5 s).
    ///
    /// # Errors
    ///
    /// [`Error::SignIn`] when no sign-in waits on that code.
    pub fn slow_down(&self, user_code: &str) -> Result<(), Error> {
        self.with_pending(user_code, |d| d.slow_down = true)
    }

    /// Revokes every refresh token (the next renewal gets `invalid_grant`).
    pub fn revoke_refresh_tokens(&self) {
        lock(&self.state).refresh_tokens.clear();
    }

    /// Answers a request to one of the identity provider's endpoints.
    pub(crate) fn handle(&self, request: &IdentityRequest<'_>) -> Response {
        if request.endpoint == Endpoint::DeviceLogin {
            return device_login::page(self, request);
        }
        let correlation = request
            .headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        match request.endpoint {
            Endpoint::Authorize => return authorize::page(self, request, &correlation),
            Endpoint::Logout => return logout::page(self, request),
            _ => {}
        }
        match self.answer(request) {
            Ok(body) => errors::json(StatusCode::OK, &body, request.request_id, &correlation),
            Err(refused) => errors::respond(&refused, request.request_id, &correlation),
        }
    }

    fn answer(&self, request: &IdentityRequest<'_>) -> Result<serde_json::Value, Refusal> {
        let tenant = match request.tenant {
            Some(name) => Tenant::parse(name).ok_or_else(|| Tenant::unknown(name))?,
            None => Tenant::Common,
        };
        let only = |method: Method| {
            if *request.method == method {
                Ok(())
            } else {
                Err(errors::refusal(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    900_561,
                    format!(
                        "The endpoint only accepts {method} requests. Received a {} request.",
                        request.method
                    ),
                ))
            }
        };
        match request.endpoint {
            Endpoint::Token | Endpoint::DeviceCode => {
                only(Method::POST)?;
                grants::answer(self, request)
            }
            Endpoint::OpenIdConfiguration => {
                only(Method::GET)?;
                Ok(discovery::openid_configuration(tenant, request.origin))
            }
            Endpoint::Keys => {
                only(Method::GET)?;
                Ok(self.jwks())
            }
            Endpoint::InstanceDiscovery => {
                only(Method::GET)?;
                discovery::instance(request)
            }
            Endpoint::DeviceLogin | Endpoint::Authorize | Endpoint::Logout => Err(errors::refusal(
                StatusCode::NOT_FOUND,
                "invalid_request",
                900_561,
                "The endpoint is not served here.",
            )),
        }
    }
}

/// A tenant the identity provider answers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tenant {
    /// The emulated tenant, by id ([`EMULATOR_TENANT`]) or domain ([`EMULATOR_TENANT_DOMAIN`]).
    Emulated,
    /// `common`: any account.
    Common,
    /// `organizations`: work or school accounts.
    Organizations,
}

impl Tenant {
    /// The tenant a path segment names, if the emulator knows it.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case(EMULATOR_TENANT)
            || name.eq_ignore_ascii_case(EMULATOR_TENANT_DOMAIN)
        {
            Some(Self::Emulated)
        } else if name.eq_ignore_ascii_case("common") {
            Some(Self::Common)
        } else if name.eq_ignore_ascii_case("organizations") {
            Some(Self::Organizations)
        } else {
            None
        }
    }

    /// The segment endpoints carry: the tenant id for the emulated tenant (whichever name the
    /// client used, as Entra does), else `common`/`organizations`.
    pub(crate) fn path_segment(self) -> &'static str {
        match self {
            Self::Emulated => EMULATOR_TENANT,
            Self::Common => "common",
            Self::Organizations => "organizations",
        }
    }

    /// Entra's answer for a tenant it does not know: `invalid_tenant`, AADSTS90002.
    pub(crate) fn unknown(name: &str) -> Refusal {
        errors::refusal(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90_002,
            format!(
                "Tenant '{name}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        )
    }
}

/// The identity provider's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `POST /{tenant}/oauth2/v2.0/token`.
    Token,
    /// `POST /{tenant}/oauth2/v2.0/devicecode`.
    DeviceCode,
    /// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
    OpenIdConfiguration,
    /// `GET /{tenant}/discovery/v2.0/keys` (and Entra's tenant-less `/common/discovery/keys`).
    Keys,
    /// `GET /{tenant}/discovery/instance`.
    InstanceDiscovery,
    /// `/devicelogin`: the person's side of a device-code sign-in.
    DeviceLogin,
    /// `/{tenant}/oauth2/v2.0/authorize`: browser sign-in.
    Authorize,
    /// `/{tenant}/oauth2/v2.0/logout`: sign-out.
    Logout,
}

impl Endpoint {
    /// The fault route of the endpoint, if it takes faults, and the name the request log shows.
    pub(crate) fn log_name(self) -> &'static str {
        match self {
            Self::Token => "identity:token",
            Self::DeviceCode => "identity:devicecode",
            Self::OpenIdConfiguration | Self::Keys | Self::InstanceDiscovery => {
                "identity:discovery"
            }
            Self::DeviceLogin => "identity:devicelogin",
            Self::Authorize => "identity:authorize",
            Self::Logout => "identity:logout",
        }
    }

    /// Whether faults scripted under [`Endpoint::log_name`] apply (see [`FAULT_ROUTES`]).
    pub(crate) fn takes_faults(self) -> bool {
        FAULT_ROUTES.contains(&self.log_name())
    }
}

/// The identity endpoint a path names, with its tenant (the first segment) if it has one.
pub(crate) fn route(segments: &[String]) -> Option<(Option<&str>, Endpoint)> {
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    // Graph's routes (`/beta/…`) are never the identity provider's, whatever the spec holds.
    if parts.first() == Some(&crate::API_VERSION) {
        return None;
    }
    let endpoint = match parts.as_slice() {
        ["devicelogin"] => return Some((None, Endpoint::DeviceLogin)),
        [_, "oauth2", "v2.0", "token"] => Endpoint::Token,
        [_, "oauth2", "v2.0", "devicecode"] => Endpoint::DeviceCode,
        [_, "oauth2", "v2.0", "authorize"] => Endpoint::Authorize,
        [_, "oauth2", "v2.0", "logout"] => Endpoint::Logout,
        [_, "v2.0", ".well-known", "openid-configuration"] => Endpoint::OpenIdConfiguration,
        [_, "discovery", "v2.0", "keys"] | [_, "discovery", "keys"] => Endpoint::Keys,
        [_, "discovery", "instance"] => Endpoint::InstanceDiscovery,
        _ => return None,
    };
    Some((segments.first().map(String::as_str), endpoint))
}

/// One request to an identity endpoint.
pub(crate) struct IdentityRequest<'a> {
    pub(crate) endpoint: Endpoint,
    /// The tenant segment of the path (`None` for `/devicelogin`).
    pub(crate) tenant: Option<&'a str>,
    pub(crate) method: &'a Method,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) query: Option<&'a str>,
    pub(crate) body: &'a [u8],
    /// `http(s)://127.0.0.1:PORT`.
    pub(crate) origin: &'a str,
    pub(crate) request_id: &'a str,
}

#[cfg(test)]
mod tests {
    use super::{Endpoint, route};

    fn routed(path: &str) -> Option<(Option<String>, Endpoint)> {
        let segments: Vec<String> = path.split('/').skip(1).map(str::to_owned).collect();
        route(&segments).map(|(tenant, endpoint)| (tenant.map(str::to_owned), endpoint))
    }

    #[test]
    fn routes_identity_paths_and_leaves_graph_alone() {
        let t = |tenant: &str| Some(tenant.to_owned());
        assert_eq!(routed("/devicelogin"), Some((None, Endpoint::DeviceLogin)));
        assert_eq!(
            routed("/common/oauth2/v2.0/token"),
            Some((t("common"), Endpoint::Token))
        );
        assert_eq!(
            routed("/x/oauth2/v2.0/devicecode"),
            Some((t("x"), Endpoint::DeviceCode))
        );
        assert_eq!(
            routed("/x/oauth2/v2.0/logout"),
            Some((t("x"), Endpoint::Logout))
        );
        assert_eq!(
            routed("/x/oauth2/v2.0/authorize"),
            Some((t("x"), Endpoint::Authorize))
        );
        assert_eq!(
            routed("/x/v2.0/.well-known/openid-configuration"),
            Some((t("x"), Endpoint::OpenIdConfiguration))
        );
        assert_eq!(
            routed("/x/discovery/v2.0/keys"),
            Some((t("x"), Endpoint::Keys))
        );
        assert_eq!(
            routed("/common/discovery/keys"),
            Some((t("common"), Endpoint::Keys))
        );
        assert_eq!(
            routed("/common/discovery/instance"),
            Some((t("common"), Endpoint::InstanceDiscovery))
        );
        for other in [
            "/beta/discovery/keys",
            "/beta/oauth2/v2.0/token",
            "/x/oauth2/token",
            "/x/.well-known/openid-configuration",
            "/devicelogin/x",
            "/",
        ] {
            assert_eq!(routed(other), None, "{other}");
        }
    }
}
