//! A local, stateful emulator of the Microsoft Graph beta operations that graph-beta-rs
//! implements, for tests and quickstarts.
//!
//! [`Emulator::start`] binds a real HTTP server to `127.0.0.1` on a free port, in-process, on the
//! current tokio runtime. [`Emulator::base_url`] is the service root *including* the version
//! (`http://127.0.0.1:PORT/beta`), exactly what a Graph client takes as its custom service root.
//! The same server runs standalone as the `graph-emulator` binary
//! (`graph-emulator --port 8080 --seed tenant.json`; Ctrl-C stops it).
//!
//! # What it serves
//!
//! Everything is driven by the OpenAPI slice `specs/graph-beta.yaml` (embedded; replace it with
//! [`EmulatorBuilder::spec_yaml`]):
//!
//! * **Routing** matches method and path template from the spec's `paths`. `{param}` takes one
//!   non-empty segment (percent-decoded); literal segments match case-insensitively, and a
//!   `microsoft.graph.X` cast also matches Graph's short alias `graph.X`. A path no template takes
//!   is a 400 `BadRequest` ("Resource not found for the segment '…'"), a known path with another
//!   method a 405.
//! * **Request bodies** are validated against the operation's schema (`$ref`, `allOf`, `anyOf` /
//!   `oneOf`, `nullable`, types, `enum`, `items`, `additionalProperties`): an unknown property, a
//!   mistyped value or a server-computed annotation such as `@odata.context` is a 400 naming the
//!   property. A property added to a schema in the spec is accepted with no emulator change.
//! * **Permissions** come from the operations' `x-graph-rs-permissions` (see [`AuthMode`] and the
//!   [`token`] helpers).
//! * **Behaviour** (bound by operation id):
//!   * `servicePrincipals.agentIdentity.CreateRefOwners` —
//!     `POST /servicePrincipals/{id}/microsoft.graph.agentIdentity/owners/$ref` with
//!     `{"@odata.id": "https://…/directoryObjects/{ownerId}"}`: 204 and the owner recorded. An
//!     unknown id, or the id of a service principal that is not an agent identity, is a 404
//!     `Request_ResourceNotFound`; a reference that is not a full `http(s)://…/{version}/directoryObjects/{id}`
//!     URL a 400 `Request_BadRequest` ("Invalid URL format specified in payload."); an unknown
//!     owner a 404; an existing owner a 400 ("One or more added object references already exist
//!     for the following modified properties: 'owners'."); a group as owner a 400.
//!   * `copilot.admin.settings.UpdateLimitedMode` — `PATCH /copilot/admin/settings/limitedMode`:
//!     200 with the updated object, `@odata.context` and `@odata.type` included. Absent properties
//!     stay as they were, an explicit `null` clears. A result with `isEnabledForGroup: true` and
//!     no `groupId` is a 400; a `groupId` that names no group of the tenant a 404.
//!   * Any other operation of a custom spec answers 501 after routing, auth and validation.
//! * **Errors** are Graph-shaped: `{"error": {"code", "message", "target"?, "innerError": {"date",
//!   "request-id", "client-request-id"}}}`. Every response carries a `request-id` header (a fresh
//!   UUID) and `client-request-id` (the caller's, echoed; the request id when none was sent).
//! * **Faults** can be scripted per route: see [`Faults`] and [`Fault`].
//! * **The request log** ([`Emulator::requests`]) holds every request as received.
//!
//! # Authentication
//!
//! `Authorization: Bearer <token>` is required (else 401 `InvalidAuthenticationToken`). A token of
//! the form `header.payload.signature` whose parts are base64url JSON is read as an (unsigned) JWT:
//! its `scp` (delegated) or `roles` (app-only) must hold one of the operation's permissions, else
//! 403 `Authorization_RequestDenied` ("Insufficient privileges to complete the operation."). Any
//! other token is, by default ([`AuthMode::Lenient`]), accepted as all-powerful, so a quickstart
//! works with any string; [`AuthMode::StrictJwt`] refuses it. Signatures are never checked.
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
//! let response = http
//!     .post(format!("{}/servicePrincipals/a1/microsoft.graph.agentIdentity/owners/$ref", graph.base_url()))
//!     .bearer_auth(token::delegated(&["AgentIdentity.ReadWrite.All"]))
//!     .json(&json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/u1"}))
//!     .send()
//!     .await?;
//! assert_eq!(response.status(), 204);
//! assert_eq!(graph.state().owners_of("a1"), ["u1"]);
//! assert_eq!(graph.requests().len(), 1);
//!
//! graph.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Seed file
//!
//! The JSON form of [`Seed`]; every key is optional:
//!
//! ```json
//! {
//!   "users": [{"id": "u1", "displayName": "Adele Vance", "userPrincipalName": "adele@contoso.com"}],
//!   "agentIdentities": [{"id": "a1", "displayName": "Expense agent", "owners": ["u1"]}],
//!   "servicePrincipals": [
//!     {"id": "sp1", "displayName": "Payroll", "appId": "…", "isAgentIdentity": false, "owners": []}
//!   ],
//!   "groups": [{"id": "g1", "displayName": "Copilot pilot"}],
//!   "limitedMode": {"isEnabledForGroup": false, "groupId": null}
//! }
//! ```
//!
//! Unknown keys are refused, so a typo fails loudly.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

mod auth;
mod faults;
mod log;
mod ops;
mod server;
mod spec;
mod state;

pub use auth::{AuthMode, EMULATOR_TENANT, PERSONAL_ACCOUNT_TENANT, token};
pub use faults::{Fault, Faults, RouteFaults};
pub use log::RecordedRequest;
pub use state::{
    AGENT_IDENTITY_TYPE, DirectoryObject, GROUP_TYPE, Group, LIMITED_MODE_TYPE, LimitedMode,
    SERVICE_PRINCIPAL_TYPE, Seed, ServicePrincipal, State, USER_TYPE, User,
};

use server::{Shared, lock};

/// The OpenAPI slice the emulator serves unless told otherwise.
pub const DEFAULT_SPEC: &str = include_str!("../../../specs/graph-beta.yaml");

/// The API version, the first path segment of every route.
pub const API_VERSION: &str = "beta";

/// What can go wrong starting an emulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The OpenAPI document could not be used.
    #[error("graph-emulator: invalid OpenAPI document: {0}")]
    Spec(String),
    /// A seed could not be read or parsed.
    #[error("graph-emulator: invalid seed: {0}")]
    Seed(String),
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
}

impl EmulatorBuilder {
    /// Serves this OpenAPI document (YAML or JSON) instead of the embedded slice.
    pub fn spec_yaml(mut self, yaml: impl Into<String>) -> Self {
        self.spec_yaml = Some(yaml.into());
        self
    }

    /// Loads this tenant before serving (may be called more than once; later entries win).
    pub fn seed(mut self, seed: Seed) -> Self {
        merge_seed(&mut self.seed, seed);
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

    /// Parses the spec, binds the socket and starts serving on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// [`Error::Spec`] for an unusable document, [`Error::Io`] when the address cannot be bound.
    pub async fn start(self) -> Result<Emulator, Error> {
        let spec = match &self.spec_yaml {
            Some(yaml) => spec::Spec::parse(yaml)?,
            None => spec::Spec::parse(DEFAULT_SPEC)?,
        };
        let listener = TcpListener::bind(
            self.addr
                .unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, 0))),
        )
        .await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}/{API_VERSION}");
        let mut state = State::default();
        state.apply(self.seed);
        let shared = Arc::new(Shared {
            faults: Faults::new(spec.operations()),
            spec,
            state: Mutex::new(state),
            log: Mutex::new(Vec::new()),
            auth: self.auth,
            base_url: base_url.clone(),
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared), stopped));
        Ok(Emulator {
            addr,
            base_url,
            shared,
            stop,
            task: Some(task),
        })
    }
}

fn merge_seed(into: &mut Seed, more: Seed) {
    into.users.extend(more.users);
    into.service_principals.extend(more.service_principals);
    into.agent_identities.extend(more.agent_identities);
    into.groups.extend(more.groups);
    if more.limited_mode.is_some() {
        into.limited_mode = more.limited_mode;
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

    /// A builder for everything else: spec, seed, auth mode, port.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The service root including the version, e.g. `http://127.0.0.1:41234/beta`, without a
    /// trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
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
            percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
        )
    }

    /// A snapshot (clone) of the tenant.
    pub fn state(&self) -> State {
        lock(&self.shared.state).clone()
    }

    /// Adds (or replaces, by id) what the seed describes.
    pub fn seed(&self, seed: Seed) {
        lock(&self.shared.state).apply(seed);
    }

    /// Runs `f` on the live tenant, under its lock, and returns what `f` returns.
    pub fn update_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut lock(&self.shared.state))
    }

    /// Adds (or replaces) a user.
    pub fn add_user(&self, user: User) {
        lock(&self.shared.state).users.insert(user.id.clone(), user);
    }

    /// Adds (or replaces) a group.
    pub fn add_group(&self, group: Group) {
        lock(&self.shared.state)
            .groups
            .insert(group.id.clone(), group);
    }

    /// Adds (or replaces) a service principal, agent identity or not.
    pub fn add_service_principal(&self, sp: ServicePrincipal) {
        lock(&self.shared.state)
            .service_principals
            .insert(sp.id.clone(), sp);
    }

    /// Adds (or replaces) an agent identity with this id and no owners.
    pub fn add_agent_identity(&self, id: impl Into<String>) {
        self.add_service_principal(ServicePrincipal::agent_identity(id));
    }

    /// The fault script; see [`Faults::on`].
    pub fn faults(&self) -> Faults {
        self.shared.faults.clone()
    }

    /// Every request received so far, oldest first.
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
