//! # graph-beta
//!
//! A Rust SDK for Microsoft Graph **beta**, generated from an OpenAPI slice of
//! Microsoft's published description. This crate is the thin, handwritten
//! front door: it re-exports the generated request builders
//! ([`requests`]), the generated models ([`models`]) and the runtime
//! ([`runtime`]: client, credentials, clouds, retries, errors).
//!
//! ```no_run
//! use graph_beta::prelude::*;
//!
//! # async fn run() -> Result<(), graph_beta::Error> {
//! // Global cloud, beta endpoint, 3 retries on 429/503/504.
//! let client = Client::new(StaticToken::new(std::env::var("GRAPH_ACCESS_TOKEN").unwrap_or_default()));
//!
//! // POST /servicePrincipals/{id}/microsoft.graph.agentIdentity/owners/$ref  -> 204
//! let agent_id = "00000000-0000-0000-0000-0000000000a1";
//! let owner_id = "1511d5e7-c324-4362-ad4b-16c20076e5aa";
//! client
//!     .service_principals()
//!     .by_service_principal_id(agent_id)
//!     .agent_identity()
//!     .owners()
//!     .ref_()
//!     .post(&ReferenceCreate::directory_object(&client, owner_id)?)
//!     .await?;
//!
//! // PATCH /copilot/admin/settings/limitedMode  -> 200 with the updated object
//! let updated = client
//!     .copilot()
//!     .admin()
//!     .settings()
//!     .limited_mode()
//!     .patch(&CopilotAdminLimitedMode {
//!         is_enabled_for_group: true.into(),
//!         group_id: Nullable::Value("4c563cdf-0efa-44c5-a384-dbf57db277df".into()),
//!         ..Default::default()
//!     })
//!     .await?;
//! assert_eq!(updated.is_enabled_for_group, Nullable::Value(true));
//!
//! // Turning it off sends an explicit null for groupId; unset fields are not sent.
//! client
//!     .copilot()
//!     .admin()
//!     .settings()
//!     .limited_mode()
//!     .patch(&CopilotAdminLimitedMode {
//!         is_enabled_for_group: false.into(),
//!         group_id: Nullable::Null,
//!         ..Default::default()
//!     })
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Lists and pages
//!
//! A pageable operation (such as listing an agent identity's owners) gives its first page when
//! awaited, and streams every item — or every page — across pages, fetching each next page only
//! when needed. Owners come back typed by `@odata.type`:
//!
//! ```no_run
//! use graph_beta::prelude::*;
//!
//! # async fn run(client: Client) -> Result<(), graph_beta::Error> {
//! let owners = client.service_principals().by_service_principal_id("agent-id").agent_identity().owners();
//! let mut all = owners.get().select(["id", "displayName", "userPrincipalName"]).items();
//! while let Some(owner) = all.next().await {
//!     match owner? {
//!         AnyDirectoryObject::User(user) => println!("user {}", user.user_principal_name.as_deref().unwrap_or("?")),
//!         AnyDirectoryObject::ServicePrincipal(sp) => println!("service principal {}", sp.app_id.as_deref().unwrap_or("?")),
//!         other => println!("{} {}", other.odata_type().unwrap_or("object"), other.id().unwrap_or("?")),
//!     }
//! }
//! // Remove one: DELETE …/owners/{id}/$ref -> 204.
//! owners.by_directory_object_id("owner-id").ref_().delete().await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Signing in
//!
//! The client asks its [`Credential`] for a `{graph root}/.default` token before each request.
//! [`StaticToken`] wraps a token obtained elsewhere; [`TokenCache`] puts reuse and single flight
//! in front of any credential. Features add Entra ID sign-in (the types are at the crate root
//! and in [`runtime`]):
//!
//! * `azure-identity`: `AzureIdentityOptions` / `AzureIdentityCredential` make Microsoft's
//!   `azure_identity` credentials (client secret, managed and workload identity, client
//!   assertion, Azure CLI, …) a [`Credential`] that signs in where the client's cloud does;
//! * `device-code`: `DeviceCodeCredential`, a person's sign-in for admin tools (Copilot limited
//!   mode accepts only a delegated administrator), renewed silently by refresh token;
//! * `browser`: `BrowserCredential`, the same person's sign-in in the system browser
//!   (authorization code with PKCE and a loopback redirect; state and nonce checked), renewed
//!   silently by refresh token;
//! * `persistent-cache`: `PersistentTokenCache`, refresh tokens and accounts kept across runs in a
//!   private file per OS user (`.persistent_cache(PersistentTokenCache::open()?)` on the
//!   device-code or browser builder): the next run signs in silently instead of prompting;
//! * `certificate`: `CertificateCredential`, app-only sign-in with a certificate registered for
//!   the app (`ClientCertificate` from PEM, or from PKCS#12 with `pkcs12`): it signs its own
//!   client assertions with `ring` (PS256, `x5t#S256`), no OpenSSL.
//!
//! ```no_run
//! use graph_beta::prelude::*;
//! use graph_beta::runtime::{AzureIdentityOptions, DeviceCodeCredential};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let tenant = "contoso.onmicrosoft.com";
//! // App-only, for the owner operations.
//! let secret = std::env::var("AZURE_CLIENT_SECRET")?;
//! let app = Client::new(AzureIdentityOptions::new(&Cloud::Global).client_secret(tenant, "app-client-id", secret)?);
//! // A signed-in administrator, for limited mode.
//! let admin = Client::new(
//!     DeviceCodeCredential::builder(tenant, "public-client-id")
//!         .scopes(["CopilotSettings-LimitedMode.ReadWrite"])
//!         .on_prompt(|prompt| eprintln!("{}", prompt.message))
//!         .build()?,
//! );
//! let mode = admin.copilot().admin().settings().limited_mode().get().await?;
//! # let _ = (app, mode); Ok(())
//! # }
//! ```
//!
//! A failed sign-in is [`Error::Credential`]: its [`CredentialError`] has a
//! [`kind`](CredentialError::kind) and, when Entra answered, an [`EntraError`] with the `error`,
//! `AADSTS` codes, trace and correlation ids. No secret or token is ever in `Debug`, `Display`,
//! logs or errors.
//!
//! ## Errors
//!
//! Every call returns [`Error`]. A non-2xx answer is [`Error::Service`] with
//! the status, Graph's error code and message, request ids, response
//! headers, the raw body and `Retry-After`; a 403 also names the permissions
//! the operation documents. Bad input (an empty, `.` or `..` id) fails as
//! [`Error::InvalidInput`] before anything is sent, and an operation called
//! on a national cloud where it is not available fails as
//! [`Error::NotAvailableInCloud`].
//!
//! ## Other clouds and local servers
//!
//! ```no_run
//! use graph_beta::prelude::*;
//! # fn run() -> Result<(), graph_beta::Error> {
//! let gov = Client::builder(StaticToken::new("token")).cloud(Cloud::UsGovL4).build()?;
//! let local = Client::builder(StaticToken::new("token"))
//!     .service_root("http://127.0.0.1:8080/beta")
//!     .build()?;
//! # let _ = (gov, local); Ok(())
//! # }
//! ```
//!
//! ## TLS
//!
//! rustls with the `ring` provider by default (no C toolchain needed); the
//! `rustls-aws-lc-rs` feature switches to aws-lc-rs.
//!
//! ## Compile only what you call
//!
//! Every top-level URL segment is an API area with its own feature
//! (`service-principals`, `copilot`, …), all enabled by default through
//! `all-areas`. A program that only manages Copilot settings can depend on
//! `graph-beta = { default-features = false, features = ["rustls-ring", "copilot"] }`:
//! the builders and models of the other areas are then not compiled.

#![warn(missing_docs)]

#[cfg(feature = "service-principals")]
mod reference;

#[cfg(feature = "service-principals")]
pub use reference::ReferenceCreateExt;

/// The generated request builders (one per URL segment) and operation metadata.
pub mod requests {
    pub use graph_requests::*;
}

/// The generated serde models and their support types.
pub mod models {
    pub use graph_models::*;
}

/// The runtime: client, credentials, clouds, retry policy, errors.
pub mod runtime {
    pub use graph_core::*;
}

/// The client: generated entry point ([`requests::GraphClient`]) for the
/// whole API, configured through [`runtime::ClientBuilder`].
pub type Client = graph_requests::GraphClient;

pub use graph_core::{
    AccessToken, Cloud, Credential, CredentialError, CredentialErrorKind, EntraError, Error,
    GraphError, Items, NationalCloud, Page, PagedRequest, Pages, ResponseInfo, RetryPolicy,
    ServiceError, StaticToken, Stream, ThrottleGovernor, ThrottlePriority, ThrottleState,
    TokenCache, TokenRequest,
};
#[cfg(feature = "persistent-cache")]
pub use graph_core::{
    Account, PersistentCacheError, PersistentCacheErrorKind, PersistentTokenCache,
};
#[cfg(feature = "certificate")]
pub use graph_core::{
    AssertionAlgorithm, CertificateCredential, CertificateCredentialBuilder, ClientCertificate,
};
#[cfg(feature = "azure-identity")]
pub use graph_core::{AzureIdentityCredential, AzureIdentityOptions, azure_core, azure_identity};
#[cfg(feature = "browser")]
pub use graph_core::{BrowserCredential, BrowserCredentialBuilder};
#[cfg(feature = "device-code")]
pub use graph_core::{DeviceCodeCredential, DeviceCodeCredentialBuilder, DeviceCodePrompt};
pub use graph_types::Nullable;

/// Everything a typical program needs, in one import.
pub mod prelude {
    #[cfg(feature = "copilot")]
    pub use crate::models::CopilotAdminLimitedMode;
    #[cfg(feature = "service-principals")]
    pub use crate::models::{
        AgentIdentity, AnyDirectoryObject, DirectoryObject, ServicePrincipal, User,
    };
    pub use crate::{Client, Cloud, Credential, Error, Nullable, Page, RetryPolicy, StaticToken};
    #[cfg(feature = "service-principals")]
    pub use crate::{ReferenceCreateExt, models::ReferenceCreate};
}
