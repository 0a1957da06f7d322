//! A local, stateful emulator of Microsoft Graph beta, for tests and quickstarts, whose
//! behaviour comes from OData rules applied to the OpenAPI slice — not from code per operation.
//!
//! [`Emulator::start`] binds a real HTTP server to `127.0.0.1` on a free port, in-process, on the
//! current tokio runtime. [`Emulator::base_url`] is the service root *including* the version
//! (`http://127.0.0.1:PORT/beta`), exactly what a Graph client takes as its custom service root.
//! The same server runs standalone as the `graph-emulator` binary
//! (`graph-emulator --port 8080 --seed tenant.json`; Ctrl-C stops it).
//!
//! # The engine
//!
//! The emulator reads the slice `specs/graph-beta.yaml` (embedded; replace it with
//! [`EmulatorBuilder::spec_yaml`]) through `graph-spec`, the same reader the SDK's generator
//! uses, and serves **any** operation in it with no code of its own:
//!
//! 1. **Shapes.** Every path is classified once, at start, as a chain of OData steps: entity set
//!    (`/servicePrincipals`), key (`{servicePrincipal-id}`, or an alternate key
//!    `applications(appId='{appId}')`), type cast (`microsoft.graph.agentIdentity`, or Graph's
//!    alias `graph.agentIdentity`), collection or single-valued navigation (`owners`), `$ref`,
//!    `$count`, singleton and containment chain (`/copilot/admin/settings/limitedMode`), action
//!    or function. The inputs are the path segments, `x-ms-docs-key-type`,
//!    `x-ms-docs-operation-type`, the component schemas and the success responses; each segment
//!    is decided from every template that shares it (an alternate key
//!    `/directory/subscriptions(commerceSubscriptionId='{id}')` makes `subscriptions` a
//!    collection and leaves `/directory` a singleton; a single-valued navigation with a `/$ref`
//!    template, such as `manager`, is a reference to an entity that lives elsewhere).
//! 2. **A generic store** ([`Store`]): entity sets of JSON objects (each with its `@odata.type`),
//!    links per (entity, navigation property), singletons per path.
//! 3. **Behaviour by (shape, method)**, as Graph does it: list a collection (`$top` with
//!    `@odata.nextLink` paging by an opaque `$skiptoken`, `$select`, `$count`, `$filter` with
//!    `eq`/`ne`/`gt`/`ge`/`lt`/`le`/`startswith`/`and`/`or`/`not`, `$orderby`, `$search`, `$skip`);
//!    create in an entity set or through a collection navigation (201 and the stored entity
//!    with a new id, then listed, counted and reachable at `…/{navigation}/{id}`); read,
//!    merge-`PATCH` (absent keeps, `null` clears, read-only properties refused), delete an
//!    entity, by key or alternate key (`…/federatedIdentityCredentials(name='…')`: 404 for an
//!    unknown one); read, `PATCH`, `PUT` and reset a singleton; add (`POST …/$ref`), list
//!    (`GET …/$ref`) and remove (`DELETE …/{id}/$ref` or `DELETE …/$ref?$id={url}`) references,
//!    and read, set (`PUT`) and clear (`DELETE`) a single-valued one (`…/manager/$ref`; its
//!    navigation answers the entity or 404 when unset), with Graph's messages (unknown target
//!    404, duplicate 400 "One or more added object references already exist…", a bare id or a
//!    foreign host 400 "Invalid URL format specified in payload."); a reference URL may name the
//!    target in any entity set or path the spec serves (`…/users/{id}`, `…/directoryObjects/{id}`,
//!    absolute on Graph's hosts or the emulator's origin, or relative); a cast that does not
//!    fit the entity is a 404; `@odata.context` from the path; the status (200/201/204) from the
//!    operation's success responses. An action or function no rule covers answers 501 in
//!    Graph's error shape, naming the operation.
//! 4. **Rules the spec cannot say** are data: `x-graph-rs-rules` members that the slicer merges
//!    from `specs/overlays/emulator-rules.yaml` into schemas (`defaults`, `requiredWhen`,
//!    `references`) and operations (`refTargets`, `refTargetMessage`, `consistencyLevelFor`).
//!    What data cannot say goes in a [hook](EmulatorBuilder::hook) keyed by operation id; the
//!    slice's five operations need none.
//!
//! Around it: routing errors as Graph words them (an unknown segment is a 400 "Resource not
//! found for the segment '…'", a known path with another method a 405; empty segments right
//! after the version, `/beta//servicePrincipals/…` as Microsoft's SDKs send by default, are
//! collapsed, while an empty key further on, `/servicePrincipals//owners`, stays a 400);
//! request bodies validated against the operation's schema, or the derived type their
//! `@odata.type` names (`$ref`, `allOf`, `anyOf`/`oneOf`, the nullable shapes, types, `enum`,
//! `items`, `additionalProperties`, `readOnly`; a property a Graph type does not declare is a
//! 400 even under the PowerShell flavour's blanket `additionalProperties: {type: object}`,
//! except on open types such as `openTypeExtension`; instance annotations a GET gave, such as
//! `@odata.context` or `@odata.etag`, are ignored and not stored, `@odata.type` is checked);
//! undeclared `$…` query options refused; Graph-shaped errors
//! (`{"error": {"code", "message", "target"?, "innerError": {"date", "request-id",
//! "client-request-id"}}}`); `request-id` and `client-request-id` headers on every response;
//! permissions from `x-graph-rs-permissions` ([`AuthMode`], [`token`]); scripted faults
//! ([`Faults`]: queued, permanent, or at a seeded rate); and the request log
//! ([`Emulator::requests`]).
//!
//! # Throttling like Entra
//!
//! Off by default; [`EmulatorBuilder::throttling`] (the binary's
//! `--throttling small|medium|large[:SCALE]`) switches on a model of Microsoft Entra's
//! documented limits for identity and access requests ([`Throttling::entra`] with a
//! [`TenantSize`]). Token buckets, each draining continuously over its window:
//!
//! * per application and tenant: 3,500 / 5,000 / 8,000 resource units (RU) per 10 s for a
//!   small / medium / large tenant, and 3,000 writes per 150 s;
//! * per application, over all tenants: 150,000 RU per 20 s and 70,000 writes per 5 min;
//! * per tenant, over all applications: 18,000 writes per 5 min.
//!
//! The application is the token's `appid` (else `azp`, else [`OPAQUE_TOKEN_APP_ID`]), the
//! tenant its `tid` (else [`EMULATOR_TENANT`]). What a request costs is data, a [`CostTable`]
//! (embedded `src/throttle/costs.yaml`, replaced with [`Throttling::costs`]): a GET 1 RU
//! (`GET users` and `GET applications` 2, `GET groups/{id}/members` 3,
//! `GET groups/{id}/transitiveMembers` 5, `POST directoryObjects/getByIds` 3 and no write), a
//! POST, PATCH, PUT or DELETE 1 RU and 1 write; `$select` −1, `$expand` +1, `$top` under 20 −1,
//! never below 1; `me/…` costs as `users/{id}/…`.
//!
//! Every Graph request is charged after authentication and routing, before authorization and
//! before it runs: one that fits every bucket it touches is counted in all of them; one that
//! does not is refused, with no effect, by Graph's 429 (`TooManyRequests`, "Please retry again
//! later."), a decimal `Retry-After` (the model time until the fullest bucket can take it,
//! divided by the time scale, rounded up to the millisecond, plus a seeded jitter of up to 5 %;
//! e.g. `0.214`), `x-ms-throttle-scope` (`Tenant_Application/ReadWrite/{appId}/{tenantId}` for
//! resource units, `…/Write/…` for writes, `Application/…` and `Tenant/…` likewise) and
//! `x-ms-throttle-information` (`ResourceUnitLimitExceeded` or `WriteLimitExceeded`). Every
//! Graph answer, refused, faulted or served, carries `x-ms-resource-unit` (the request's cost),
//! and once a bucket the request was charged to is over 80 % full,
//! `x-ms-throttle-limit-percentage` (its share of the limit, up to 1.8). A request with
//! `x-ms-throttle-priority: low` must leave 20 % of every bucket free, so it is refused first;
//! the limits themselves do not change. [`Throttling::time_scale`] runs the model's clock
//! faster (10.0: buckets drain ten times faster and `Retry-After` is a tenth) so that a test
//! meets the limits in seconds; it is monotonic and starts with the emulator. The scripted and
//! rate-based [`Faults`] stay, for chaos tests, and come first.
//!
//! # JSON batching
//!
//! `POST /beta/$batch` takes Graph's `{"requests": [{"id", "method", "url", "headers"?,
//! "body"?, "dependsOn"?}]}` and answers `200 {"responses": [{"id", "status", "headers",
//! "body"?}]}` in the order the items completed. Each item, a URL relative to the version root,
//! is answered by the same pipeline as a request of its own (the batch's `Authorization`,
//! faults, throttling at its own cost, validation, logging), one at a time and after the items
//! it depends on; one whose dependency answered anything but 2xx answers 424 without running,
//! and an item's failure never fails its siblings. Graph's limits are kept: more than 20 items,
//! a duplicate id, an item without `id`, `method` or `url`, or a `dependsOn` outside the batch
//! make the whole batch a 400; an item with a body but no `Content-Type` is a 400 on its own.
//!
//! # Authentication
//!
//! `Authorization: Bearer <token>` is required (else 401 `InvalidAuthenticationToken`). A token of
//! the form `header.payload.signature` whose parts are base64url JSON is read as a JWT, signed or
//! not (signatures are never checked): an `exp` in the past, or an `aud` that is not Graph's
//! (`https://graph.microsoft.com` or its application id) nor this emulator's origin, is a 401
//! `InvalidAuthenticationToken` as Graph answers it ("Access token validation failure. Invalid
//! audience."; a JWT without `aud` is read as Graph's); its `scp` (delegated) or `roles`
//! (app-only) must hold one of the operation's permissions, else 403
//! `Authorization_RequestDenied` ("Insufficient privileges to complete the operation."). Any
//! other token is, by default ([`AuthMode::Lenient`]), accepted as all-powerful, so a quickstart
//! works with any string; [`AuthMode::StrictJwt`] (the binary's `--strict-auth`) refuses it.
//! JWTs are checked the same way in both modes.
//!
//! # Signing in: the emulator as a local identity provider
//!
//! The same server is an Entra ID identity provider ([`Emulator::authority_host`] is the
//! authority; the tenant is [`EMULATOR_TENANT`], [`EMULATOR_TENANT_DOMAIN`], `organizations` or
//! `common`) for the [`App`]s registered in the seed ([`Seed::app`], JSON key `apps`), complete
//! enough that Microsoft's own libraries use it unmodified (tested with Python's `msal` 1.39.0
//! and `azure-identity` 1.27.0, by `tests/it/oidc_clients.rs`):
//!
//! * OpenID discovery: `GET /{tenant}/v2.0/.well-known/openid-configuration` (Entra's fields,
//!   every endpoint on this origin), the JWKS (`/{tenant}/discovery/v2.0/keys`) and Entra's
//!   instance discovery (`/common/discovery/instance`);
//! * client credentials, with a client secret (form or HTTP Basic) or a client assertion (a
//!   JWT signed, RS256 or PS256, with the key of a certificate registered for the app
//!   ([`App::with_certificate`], JSON `certificates`: PEM or base64 DER) and named by its
//!   `x5t#S256` or `x5t` thumbprint, verified with its signature, `aud` = the token endpoint,
//!   `iss` = `sub` = the client, `exp`/`nbf`, `jti`; or an unsigned federated assertion for an
//!   app with [`App::accepts_assertions`]), for a `{resource}/.default` scope, where the resource is Graph (`https://graph.microsoft.com`)
//!   or this emulator's own origin: an app-only token whose `roles` are the app's
//!   `app_roles`;
//! * device code: the person's side is a page, `/devicelogin` (the `verification_uri`: enter
//!   the code, pick a seeded user), or the test's, through [`Emulator::identity`]
//!   ([`Identity::approve`] as a seeded user, [`Identity::decline`], [`Identity::expire`],
//!   [`Identity::slow_down`]), or nobody's with [`EmulatorBuilder::approve_device_codes_as`];
//!   the token's `scp` holds the requested permissions the app has consent for,
//!   `offline_access` adds a refresh token, and `openid` an `id_token` and `client_info`;
//! * browser sign-in: `/{tenant}/oauth2/v2.0/authorize` (authorization code with PKCE) shows
//!   a page where a person (or a test playing the browser) picks a seeded user and accepts or
//!   declines, then redirects to the app's loopback or registered redirect URI
//!   ([`App::redirect_uris`]) with a code, single-use and bound to the client, redirect URI,
//!   PKCE challenge, scopes, nonce and user, redeemed with `grant_type=authorization_code`
//!   (tokens as device code gives them); [`EmulatorBuilder::approve_device_codes_as`] signs
//!   its user in at once; `…/logout` redirects to a loopback `post_logout_redirect_uri`;
//! * refresh token (revocable with [`Identity::revoke_refresh_tokens`]).
//!
//! Not implemented: the implicit and hybrid flows, browser sessions (`prompt=none` is
//! `login_required`), Entra's v1 endpoints and v1 configuration, the userinfo endpoint. MSAL sends instance discovery for an authority host
//! it does not know to Microsoft's public cloud, so MSAL-based clients turn it off
//! (`instance_discovery=False` in `msal`, `disable_instance_discovery=True` in
//! `azure-identity`), the documented setting for private clouds; the emulator answers instance
//! discovery itself for clients that ask it.
//!
//! Tokens are JWTs signed (RS256) with a committed test key
//! ([`tls::TOKEN_SIGNING_TEST_KEY_PEM`]) that the JWKS publishes: `id_token`s verify as a strict
//! OpenID Connect client expects, and access tokens carry Graph's claims (`aud`, `iss`, `tid`,
//! `oid`, `appid`, `iat`, `nbf`, `exp`, `uti`, `roles` or `scp`), checked by the Graph routes
//! as described above, expiring after [`EmulatorBuilder::token_lifetime`]. Refusals are shaped
//! like Entra's, with `AADSTS` codes, trace and correlation ids (an unknown tenant is
//! `invalid_tenant`, AADSTS90002, on every endpoint). The token and device-code endpoints take
//! faults under the route names `identity:token` and `identity:devicecode`; all identity
//! requests are logged like every request. Clients that refuse a plain-http authority
//! (`azure_identity`, `azure-identity`, `msal`) need [`EmulatorBuilder::https`], with
//! [`tls::TEST_CA_PEM`] trusted.
//!
//! # Example
//!
//! ```
//! use graph_emulator::{Emulator, Seed, token};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let _ = rustls::crypto::ring::default_provider().install_default();
//! let graph = Emulator::builder()
//!     .seed(Seed::new().user("u1", "Adele Vance").agent_identity("a1", "Expense agent"))
//!     .start()
//!     .await?;
//!
//! let http = reqwest::Client::new();
//! let owners = format!("{}/servicePrincipals/a1/microsoft.graph.agentIdentity/owners", graph.base_url());
//! let response = http
//!     .post(format!("{owners}/$ref"))
//!     .bearer_auth(token::delegated(&["AgentIdentity.ReadWrite.All"]))
//!     .json(&json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/u1"}))
//!     .send()
//!     .await?;
//! assert_eq!(response.status(), 204);
//! assert_eq!(graph.state().owners_of("a1"), ["u1"]);
//!
//! let listed: serde_json::Value = http
//!     .get(&owners)
//!     .bearer_auth(token::delegated(&["AgentIdentity.Read.All"]))
//!     .send()
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(listed["value"][0]["displayName"], "Adele Vance");
//! assert_eq!(listed["value"][0]["@odata.type"], "#microsoft.graph.user");
//!
//! graph.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Seeds and state
//!
//! A [`Seed`] describes the tenant: entities per entity set, links, singletons, or the typed
//! sugar (`user`, `agent_identity`, `service_principal`, `group`, `limited_mode`); its JSON
//! format is documented on [the `seed` module](crate::seed). [`Emulator::state`] returns a
//! [`State`] snapshot: the generic [`Store`] ([`State::store`], [`State::entity`],
//! [`State::links`], [`State::singleton`]) and typed views ([`State::owners_of`],
//! [`State::user`], [`State::service_principal`], [`State::group`], [`State::limited_mode`]).
//! [`Emulator::update_state`] runs a closure on the live store.

// Handler steps return the `Response` that ends a request as their error: it is built once, on
// the way out, so boxing it would buy nothing.
#![allow(clippy::result_large_err)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

mod accept;
mod auth;
mod batch;
mod connections;
mod faults;
mod handler;
mod hooks;
mod identity;
mod log;
mod odata;
mod pipeline;
mod response;
pub mod seed;
mod state;
mod store;
mod sync;
mod tenant;
mod throttle;
pub mod tls;

pub use auth::{AuthMode, EMULATOR_TENANT, PERSONAL_ACCOUNT_TENANT, token};
pub use faults::{Fault, Faults, RouteFaults};
pub use hooks::{HookFn, HookRequest, HookResponse};
pub use identity::{App, EMULATOR_TENANT_DOMAIN, Identity, PendingSignIn};
pub use log::RecordedRequest;
pub use seed::{Seed, SeedLink};
pub use state::State;
pub use store::{Store, StoreError};
pub use tenant::{
    AGENT_IDENTITY_TYPE, DirectoryObject, GROUP_TYPE, Group, LIMITED_MODE_TYPE, LimitedMode,
    SERVICE_PRINCIPAL_TYPE, ServicePrincipal, USER_TYPE, User,
};
pub use throttle::{
    CostTable, CostTableError, OPAQUE_TOKEN_APP_ID, ParseThrottlingError, TenantSize, Throttling,
};

use pipeline::Shared;
use sync::lock;

/// The OpenAPI slice the emulator serves unless told otherwise.
pub const DEFAULT_SPEC: &str = include_str!("../../../specs/graph-beta.yaml");

/// The API version, the first path segment of every route.
pub const API_VERSION: &str = "beta";

/// Reads an OpenAPI document (YAML or JSON) the way [`EmulatorBuilder::start`] does — shapes,
/// routes, rules — without binding anything: whether the emulator could serve it.
///
/// # Errors
///
/// [`Error::Spec`] saying what is wrong.
pub fn check_spec(yaml: &str) -> Result<(), Error> {
    odata::Model::load(yaml)
        .map(drop)
        .map_err(|e| Error::Spec(e.to_string()))
}

/// What can go wrong starting an emulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The OpenAPI document could not be used.
    #[error("graph-emulator: invalid OpenAPI document: {0}")]
    Spec(String),
    /// A seed could not be read, parsed or stored.
    #[error("graph-emulator: invalid seed: {0}")]
    Seed(String),
    /// A hook names no operation of the spec.
    #[error("graph-emulator: a hook names operation id {0:?}, which the spec does not have")]
    UnknownHook(String),
    /// The TLS certificate or key given to [`EmulatorBuilder::tls_identity`] is unusable.
    #[error("graph-emulator: TLS: {0}")]
    Tls(String),
    /// A sign-in could not be approved, declined or expired (see [`Identity`]), or
    /// [`EmulatorBuilder::approve_device_codes_as`] names no seeded user.
    #[error("graph-emulator: sign-in: {0}")]
    SignIn(String),
    /// The identity provider's token-signing key is unusable.
    #[error("graph-emulator: token-signing key: {0}")]
    Key(String),
    /// Binding the listening socket failed.
    #[error("graph-emulator: cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

/// A running emulator. Dropping it stops the server (open connections are cut); prefer
/// [`Emulator::shutdown`] to let in-flight requests finish.
///
/// Cheap handles into it: [`Emulator::faults`] returns a clonable [`Faults`]; state and log are
/// read through the methods below.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// Configures an [`Emulator`]; from [`Emulator::builder`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct EmulatorBuilder {
    spec_yaml: Option<String>,
    seed: Seed,
    auth: AuthMode,
    addr: Option<SocketAddr>,
    hooks: hooks::Hooks,
    tls: Option<(String, String)>,
    identity: identity::Settings,
    approve_as: Option<String>,
    without_request_log: bool,
    throttling: Option<Throttling>,
}

impl EmulatorBuilder {
    /// Serves this OpenAPI document (YAML or JSON) instead of the embedded slice.
    pub fn spec_yaml(mut self, yaml: impl Into<String>) -> Self {
        self.spec_yaml = Some(yaml.into());
        self
    }

    /// Loads this tenant before serving (may be called more than once; later entries win).
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = std::mem::take(&mut self.seed).merge(seed);
        self
    }

    /// Sets how bearer tokens are checked (default [`AuthMode::Lenient`]).
    pub fn auth_mode(mut self, mode: AuthMode) -> Self {
        self.auth = mode;
        self
    }

    /// Shorthand for [`AuthMode::StrictJwt`]: every token must be a JWT.
    pub fn strict_auth(self) -> Self {
        self.auth_mode(AuthMode::StrictJwt)
    }

    /// Listens on this port of 127.0.0.1 (default: a free port chosen by the OS).
    pub fn port(mut self, port: u16) -> Self {
        self.addr = Some(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
        self
    }

    /// Listens on this address (default `127.0.0.1:0`).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = Some(addr);
        self
    }

    /// Serves HTTPS with the built-in test certificate for `localhost` and `127.0.0.1` (trust
    /// [`tls::TEST_CA_PEM`] in the client). Needed by clients that refuse a plain-http authority,
    /// such as `azure_identity`.
    pub fn https(self) -> Self {
        self.tls_identity(tls::TEST_CERT_PEM, tls::TEST_KEY_PEM)
    }

    /// Serves HTTPS with this PEM certificate chain and private key.
    pub fn tls_identity(mut self, cert_pem: impl Into<String>, key_pem: impl Into<String>) -> Self {
        self.tls = Some((cert_pem.into(), key_pem.into()));
        self
    }

    /// How long the identity provider's access tokens live (default 3599 s, as Entra's).
    pub fn token_lifetime(mut self, lifetime: std::time::Duration) -> Self {
        self.identity.token_lifetime = lifetime;
        self
    }

    /// The clock skew the identity provider allows on a certificate client assertion's `exp`
    /// and `nbf` (default 5 minutes, as Entra's). `Duration::ZERO` makes an assertion that
    /// expires the second it is made a refusal (AADSTS700024), for tests of that path.
    pub fn assertion_clock_skew(mut self, skew: std::time::Duration) -> Self {
        self.identity.assertion_clock_skew = skew;
        self
    }

    /// The polling interval the device-code endpoint asks for, in seconds (default 5; tests use
    /// 0 or 1).
    pub fn device_code_interval(mut self, seconds: u64) -> Self {
        self.identity.device_interval_secs = seconds;
        self
    }

    /// Approves every device-code sign-in as this seeded user (an id) the moment it starts, so
    /// that the client's first poll gets the user's token: for a client that cannot be driven
    /// through [`Identity::approve`] or the `/devicelogin` page, such as a script in another
    /// language. Browser sign-in too: the authorization endpoint signs this user in at once
    /// and redirects with a code, without showing its page. The standalone binary's
    /// `--approve-as USER`.
    pub fn approve_device_codes_as(mut self, user: impl Into<String>) -> Self {
        self.approve_as = Some(user.into());
        self
    }

    /// Keeps no request log ([`Emulator::requests`] stays empty). For a long-running server whose
    /// log nobody reads, such as the standalone binary: the log keeps every request, headers and
    /// body, for the emulator's lifetime.
    pub fn without_request_log(mut self) -> Self {
        self.without_request_log = true;
        self
    }

    /// Throttles Graph requests like Microsoft Entra, by this model (off by default): token
    /// buckets per application and tenant, per application and per tenant, the costs of a
    /// [`CostTable`], a time-scaled clock, and Graph's throttling headers on every answer. See
    /// [Throttling like Entra](crate#throttling-like-entra). The standalone binary's
    /// `--throttling small|medium|large[:SCALE]`.
    pub fn throttling(mut self, throttling: Throttling) -> Self {
        self.throttling = Some(throttling);
        self
    }

    /// Registers an app with the identity provider; shorthand for
    /// `.seed(Seed::new().app(app))`.
    pub fn app(self, app: App) -> Self {
        self.seed(Seed::new().app(app))
    }

    /// Answers the operation `operation_id` with `hook` instead of the generic behaviour (after
    /// routing, faults, auth and validation), for what no OData rule covers: an action, a
    /// function, a side effect. The hook gets the request and the live store.
    pub fn hook(
        mut self,
        operation_id: impl Into<String>,
        hook: impl Fn(&HookRequest<'_>, &mut Store) -> HookResponse + Send + Sync + 'static,
    ) -> Self {
        self.hooks.insert(operation_id.into(), Arc::new(hook));
        self
    }

    /// Reads the spec, seeds the store, binds the socket and starts serving on the current
    /// tokio runtime.
    ///
    /// # Errors
    ///
    /// [`Error::Spec`] for an unusable document, [`Error::Seed`] for a seed entity without an
    /// id, [`Error::UnknownHook`] for a hook on no operation, [`Error::Tls`] for an unusable
    /// certificate or key, [`Error::SignIn`] when
    /// [`approve_device_codes_as`](Self::approve_device_codes_as) names no seeded user,
    /// [`Error::Key`] if the token-signing key is unusable, [`Error::Io`] when the address
    /// cannot be bound.
    pub async fn start(self) -> Result<Emulator, Error> {
        let model = odata::Model::load(self.spec_yaml.as_deref().unwrap_or(DEFAULT_SPEC))
            .map_err(|e| Error::Spec(e.to_string()))?;
        if let Some(unknown) = self.hooks.ids().find(|id| {
            !model
                .operations()
                .any(|op| op.operation_id.as_deref() == Some(*id))
        }) {
            return Err(Error::UnknownHook(unknown.to_owned()));
        }
        let mut store = Store::new();
        self.seed.apply(&mut store)?;
        let tls = match &self.tls {
            Some((cert, key)) => Some(tls::acceptor(cert, key)?),
            None => None,
        };
        let listener = TcpListener::bind(
            self.addr
                .unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, 0))),
        )
        .await?;
        let addr = listener.local_addr()?;
        let origin = format!("{}://{addr}", if tls.is_some() { "https" } else { "http" });
        let base_url = format!("{origin}/{API_VERSION}");
        let store = Arc::new(Mutex::new(store));
        let shared = Arc::new(Shared {
            faults: Faults::new(model.operations()),
            model,
            identity: Identity::new(
                Arc::clone(&store),
                self.identity,
                self.seed.apps().to_vec(),
                self.approve_as.as_deref(),
            )?,
            store,
            log: Mutex::new(Vec::new()),
            keep_log: !self.without_request_log,
            connections: Arc::default(),
            auth: self.auth,
            hooks: self.hooks,
            origin,
            base_url: base_url.clone(),
            throttle: self.throttling.map(throttle::Throttler::new),
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept::serve(listener, tls, Arc::clone(&shared), stopped));
        Ok(Emulator {
            addr,
            base_url,
            shared,
            stop,
            task: Some(task),
        })
    }
}

impl Emulator {
    /// Starts an emulator with the embedded spec, an empty tenant and lenient auth, on
    /// `127.0.0.1` and a free port.
    ///
    /// # Errors
    ///
    /// See [`EmulatorBuilder::start`].
    pub async fn start() -> Result<Self, Error> {
        Self::builder().start().await
    }

    /// A builder for everything else: spec, seed, auth mode, port, hooks.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The service root including the version, e.g. `http://127.0.0.1:41234/beta` (`https://…`
    /// when serving TLS), without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The identity provider's authority host, e.g. `https://127.0.0.1:41234`: what an Entra
    /// client takes as its authority (the token endpoint is
    /// `{authority_host}/{tenant}/oauth2/v2.0/token`, the tenant [`EMULATOR_TENANT`] or
    /// [`EMULATOR_TENANT_DOMAIN`]).
    pub fn authority_host(&self) -> &str {
        &self.shared.origin
    }

    /// The identity provider: app registrations and pending device-code sign-ins.
    pub fn identity(&self) -> &Identity {
        &self.shared.identity
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of a directory object on this emulator, usable as an `@odata.id` reference:
    /// `{base_url}/directoryObjects/{id}`.
    pub fn directory_object_url(&self, id: &str) -> String {
        format!(
            "{}/directoryObjects/{}",
            self.base_url,
            odata::context::key_segment(id)
        )
    }

    /// A snapshot (copy) of the tenant.
    pub fn state(&self) -> State {
        State::of(&lock(&self.shared.store))
    }

    /// Adds (or replaces, by id) what the seed describes.
    ///
    /// # Errors
    ///
    /// [`Error::Seed`] for an entity without a string `id` (nothing after it is stored).
    pub fn seed(&self, seed: Seed) -> Result<(), Error> {
        seed.apply(&mut lock(&self.shared.store))?;
        for app in seed.apps() {
            self.shared.identity.register(app.clone());
        }
        Ok(())
    }

    /// Runs `f` on the live store, under its lock, and returns what `f` returns.
    pub fn update_state<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut lock(&self.shared.store))
    }

    /// Adds (or replaces) a user.
    pub fn add_user(&self, user: User) {
        let _ = self.seed(Seed::new().add_user(user));
    }

    /// Adds (or replaces) a group.
    pub fn add_group(&self, group: Group) {
        let _ = self.seed(Seed::new().add_group(group));
    }

    /// Adds (or replaces) a service principal, agent identity or not, with its owners.
    pub fn add_service_principal(&self, sp: ServicePrincipal) {
        let _ = self.seed(Seed::new().service_principal(sp));
    }

    /// Adds (or replaces) an agent identity with this id and no owners.
    pub fn add_agent_identity(&self, id: impl Into<String>) {
        self.add_service_principal(ServicePrincipal::agent_identity(id));
    }

    /// The fault script; see [`Faults::on`].
    pub fn faults(&self) -> Faults {
        self.shared.faults.clone()
    }

    /// Client connections accepted so far and open now: `(accepted, open)`. A client that
    /// reuses its connections keeps `accepted` low; one that leaks them keeps `open` up.
    pub fn connections(&self) -> (u64, u64) {
        self.shared.connections.now()
    }

    /// Every request received so far, oldest first (none after
    /// [`EmulatorBuilder::without_request_log`]); the items of a `$batch` each on their own,
    /// before the batch itself.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// Stops accepting connections, lets in-flight requests finish (for up to five seconds), closes
    /// every connection and waits until the server task has ended.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
