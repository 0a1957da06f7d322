//! The emulator as a local identity provider: Entra ID's token and device-code endpoints.
//!
//! * `POST /{tenant}/oauth2/v2.0/token` with `grant_type` `client_credentials` (a client secret
//!   in the form or HTTP Basic, or a client assertion), `refresh_token`, or
//!   `urn:ietf:params:oauth:grant-type:device_code`;
//! * `POST /{tenant}/oauth2/v2.0/devicecode`.
//!
//! Tokens are unsigned JWTs with `aud`, `iss`, `tid`, `oid`, `appid`, `iat`, `nbf`, `exp`, `uti`, and
//! `roles` (app-only: the app registration's granted application permissions) or `scp`
//! (delegated: the requested permissions the app has consent for), which the Graph routes check
//! exactly like any other token. Refusals are Entra-shaped (`error`, `error_description` with
//! `AADSTS…`, `error_codes`, `trace_id`, `correlation_id`): a wrong secret (AADSTS7000215), an
//! unknown client (AADSTS700016), a scope the client credentials flow cannot take or the app has
//! no consent for (AADSTS1002012, AADSTS70011), an unknown tenant (AADSTS90002), and the
//! device-code states (`authorization_pending`, `slow_down`, `authorization_declined`,
//! `expired_token`, `bad_verification_code`). A pending sign-in is approved or declined from the
//! test with [`Identity::approve`] and [`Identity::decline`], as a seeded user.

mod apps;
mod errors;
mod grants;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::response::Response;

pub use apps::App;

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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(3599),
            device_interval_secs: 5,
            device_lifetime: Duration::from_secs(900),
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
}

#[derive(Debug, Default)]
struct State {
    apps: BTreeMap<String, App>,
    device_codes: HashMap<String, DeviceCode>,
    refresh_tokens: HashMap<String, Grant>,
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
            .finish()
    }
}

impl Identity {
    pub(crate) fn new(store: Arc<Mutex<Store>>, settings: Settings, apps: Vec<App>) -> Self {
        let identity = Self {
            state: Arc::default(),
            store,
            settings,
        };
        for app in apps {
            identity.register(app);
        }
        identity
    }

    /// Adds (or replaces) an app registration.
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
        let id = lock(&self.store)
            .entity(crate::tenant::USERS, user)
            .and_then(|u| u.get("id"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
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

    /// Answers a request to `/{tenant}/oauth2/v2.0/{endpoint}`.
    pub(crate) fn handle(&self, request: &grants::TokenEndpointRequest<'_>) -> Response {
        grants::handle(self, request)
    }
}

/// `(tenant, endpoint)` of an identity path: `/{tenant}/oauth2/v2.0/{token|devicecode}`.
pub(crate) fn route(segments: &[String]) -> Option<(&str, &str)> {
    match segments {
        [tenant, oauth2, version, endpoint]
            if oauth2 == "oauth2"
                && version == "v2.0"
                && (endpoint == "token" || endpoint == "devicecode") =>
        {
            Some((tenant.as_str(), endpoint.as_str()))
        }
        _ => None,
    }
}

pub(crate) use grants::TokenEndpointRequest;
