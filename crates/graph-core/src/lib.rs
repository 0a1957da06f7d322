//! HTTP runtime of graph-beta-rs, a Rust SDK for the Microsoft Graph beta API.
//!
//! Generated request code describes each operation declaratively (an [`OperationMeta`], a
//! [`RequestPath`] and a [`Decoder`]) and hands it to this crate, which does the rest once for
//! every operation:
//!
//! - joining the path to the cloud's service root, encoding every user-supplied path
//!   parameter as exactly one segment and rejecting `""`, `.` and `..` ([`path`]);
//! - authentication through a [`Credential`], including continuous access evaluation (CAE)
//!   claims challenges, with a [`TokenCache`] and Entra ID sign-in behind features
//!   (`azure-identity`, `device-code`, `browser`; sign-ins kept across runs with
//!   `persistent-cache`; see [`auth`]);
//! - Graph's headers (`client-request-id`, `Retry-After`/`Retry-Attempt`), retries of 429,
//!   503 and 504 with backoff ([`RetryPolicy`]), timeouts and tracing;
//! - a client-wide throttle governor that holds back requests of a throttled class and paces
//!   them at the rate the service allows ([`throttle`], [`ThrottleGovernor`]);
//! - decoding ([`decode`]) and typed errors ([`Error`], [`ServiceError`], [`GraphError`]);
//! - refusing operations documented as unavailable in the configured national cloud;
//! - JSON batching ([`batch`]): any requests in `POST /$batch` requests of at most 20 items,
//!   `dependsOn`, per-item typed results and per-item retries through the same decision.
//!
//! ```no_run
//! use graph_core::{decode, CoreClient, HttpMethod, OperationMeta, OperationKind, RequestPath, StaticToken};
//!
//! static ADD_OWNER: OperationMeta = OperationMeta {
//!     operation_id: "servicePrincipals.agentIdentity.CreateRefOwners",
//!     method: HttpMethod::Post,
//!     path_template: "/servicePrincipals/{servicePrincipal-id}/microsoft.graph.agentIdentity/owners/$ref",
//!     permissions: None,
//!     national_clouds: None,
//!     docs_url: None,
//!     kind: OperationKind::AddReference,
//! };
//!
//! # async fn run() -> Result<(), graph_core::Error> {
//! let client = CoreClient::new(StaticToken::new("eyJ..."));
//! let owner = client.entity_url("directoryObjects", "11111111-2222-3333-4444-555555555555")?;
//! client
//!     .request(
//!         &ADD_OWNER,
//!         RequestPath::new()
//!             .literal("servicePrincipals")
//!             .param("servicePrincipal-id", "00000000-0000-0000-0000-000000000000")
//!             .literal("microsoft.graph.agentIdentity")
//!             .literal("owners")
//!             .literal("$ref"),
//!         decode::empty,
//!     )
//!     .json_body(&serde_json::json!({ "@odata.id": owner }))
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! # TLS
//!
//! reqwest is used with rustls. The default feature `rustls-ring` installs `ring` as the
//! process-wide rustls crypto provider (unless one is already installed); `rustls-aws-lc-rs`
//! uses reqwest's aws-lc-rs provider instead. With neither, the application must install a
//! provider before building a client, or [`ClientBuilder::build`] returns [`Error::Config`].
//! Call [`ensure_crypto_provider`] before building your own `reqwest::Client` for
//! [`ClientBuilder::http_client`].

#![warn(missing_docs)]

pub mod auth;
pub mod batch;
mod client;
mod cloud;
pub mod decode;
mod defaults;
mod error;
mod operation;
mod page;
mod paging;
pub mod path;
pub mod raw;
mod request;
mod response;
pub mod retry;
mod send;
pub mod throttle;
mod tls;
mod url;

pub use auth::{
    AccessToken, Credential, CredentialError, CredentialErrorKind, EntraError, StaticToken,
    TokenCache, TokenFuture, TokenRequest,
};
#[cfg(feature = "persistent-cache")]
pub use auth::{Account, PersistentCacheError, PersistentCacheErrorKind, PersistentTokenCache};
#[cfg(feature = "certificate")]
pub use auth::{
    AssertionAlgorithm, CertificateCredential, CertificateCredentialBuilder, ClientCertificate,
};
#[cfg(feature = "azure-identity")]
pub use auth::{AzureIdentityCredential, AzureIdentityOptions};
#[cfg(feature = "browser")]
pub use auth::{BrowserCredential, BrowserCredentialBuilder};
#[cfg(feature = "device-code")]
pub use auth::{DeviceCodeCredential, DeviceCodeCredentialBuilder, DeviceCodePrompt};
/// Microsoft's `azure_core` (its `TokenCredential` trait and `Secret`), re-exported with
/// `azure_identity`.
#[cfg(feature = "azure-identity")]
pub use azure_core;
/// Microsoft's `azure_identity`, re-exported so that its credentials (managed identity, workload
/// identity, client assertion, Azure CLI, …) come in the version [`AzureIdentityOptions`] fits.
#[cfg(feature = "azure-identity")]
pub use azure_identity;
pub use batch::{Batch, BatchItem, BatchItemId, BatchResults, IntoBatchRequest};
pub use client::{ClientBuilder, CoreClient};
pub use cloud::{Cloud, NationalCloud};
pub use decode::{DecodeError, Decoder};
pub use defaults::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, USER_AGENT};
pub use error::{Error, ErrorDetail, GraphError, GraphInnerError, ServiceError};
pub use operation::{HttpMethod, OperationKind, OperationMeta, Permissions};
pub use page::Page;
pub use paging::{Items, PagedRequest, Pages};
pub use path::RequestPath;
pub use request::Request;
pub use response::ResponseInfo;
pub use retry::RetryPolicy;
pub use throttle::{
    ClassThrottleState, ThrottleClass, ThrottleGovernor, ThrottlePriority, ThrottleState,
};
pub use tls::{NoCryptoProvider, ensure_crypto_provider};

/// Re-exported so that callers can pass their own client to
/// [`ClientBuilder::http_client`] and inspect [`ServiceError::headers`] with matching types.
pub use reqwest;

/// Re-exported so that [`Pages`] and [`Items`] can be used with any stream combinators.
pub use futures_core::Stream;
