//! Signing in: the [`Credential`] trait and its tokens, the [`TokenCache`] that any credential
//! can sit behind, and (behind features) Entra ID's device-code flow and Microsoft's
//! `azure_identity` credentials.
//!
//! * [`StaticToken`]: a token obtained elsewhere.
//! * [`TokenCache`]: reuse, single flight per scope set, claims bypass; around any credential.
//! * `DeviceCodeCredential` (feature `device-code`): delegated sign-in for CLIs and admin tools,
//!   with silent renewal by refresh token.
//! * `BrowserCredential` (feature `browser`): delegated sign-in in the system browser
//!   (authorization code with PKCE, a loopback redirect), with silent renewal by refresh token.
//! * `AzureIdentityCredential` (feature `azure-identity`): any `azure_core` `TokenCredential`
//!   (client secret, certificate, assertion, workload or managed identity, Azure CLI, …).
//! * `PersistentTokenCache` (feature `persistent-cache`): refresh tokens and accounts kept
//!   across runs in a private file, so the interactive credentials sign in silently first.
//! * `CertificateCredential` (feature `certificate`): app-only sign-in with a certificate
//!   (`ClientCertificate`: PEM, or PKCS#12 with feature `pkcs12`), assertions signed with `ring`.
//!
//! Failures are [`CredentialError`]s: Entra's `error`, `AADSTS` codes, trace and correlation ids
//! when Entra answered ([`EntraError`]), and never a secret.

mod cache;
pub(crate) mod challenge;
mod error;

#[cfg(any(feature = "device-code", feature = "browser", feature = "certificate"))]
mod authority;
#[cfg(feature = "browser")]
mod browser;
#[cfg(feature = "certificate")]
mod certificate;
#[cfg(feature = "certificate")]
mod client_certificate;
#[cfg(feature = "device-code")]
mod device_code;
#[cfg(any(feature = "device-code", feature = "browser"))]
mod entra_token;
#[cfg(any(
    feature = "device-code",
    feature = "browser",
    feature = "azure-identity"
))]
mod error_bodies;
#[cfg(any(
    feature = "device-code",
    feature = "browser",
    feature = "azure-identity",
    feature = "certificate"
))]
mod http;
#[cfg(feature = "browser")]
mod id_token;
#[cfg(feature = "browser")]
mod loopback;
#[cfg(any(feature = "device-code", feature = "browser"))]
mod oauth_http;
#[cfg(any(feature = "device-code", feature = "browser"))]
mod persistence;
#[cfg(feature = "persistent-cache")]
pub(crate) mod persistent;
#[cfg(any(feature = "device-code", feature = "browser"))]
mod renewal;

#[cfg(feature = "azure-identity")]
mod azure;

pub use cache::TokenCache;
pub use challenge::claims_challenge;
pub use error::{CredentialError, CredentialErrorKind, EntraError};

#[cfg(feature = "browser")]
pub use browser::{BrowserCredential, BrowserCredentialBuilder};
#[cfg(feature = "device-code")]
pub use device_code::{DeviceCodeCredential, DeviceCodeCredentialBuilder, DeviceCodePrompt};

#[cfg(feature = "azure-identity")]
pub use azure::{AzureIdentityCredential, AzureIdentityOptions};

#[cfg(feature = "certificate")]
pub use certificate::{
    CertificateCredential, CertificateCredentialBuilder, DEFAULT_ASSERTION_LIFETIME,
};
#[cfg(feature = "certificate")]
pub use client_certificate::{AssertionAlgorithm, ClientCertificate};
#[cfg(feature = "persistent-cache")]
pub use persistent::{
    Account, PersistentCacheError, PersistentCacheErrorKind, PersistentTokenCache,
};

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

/// What the client asks a [`Credential`] for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenRequest {
    /// The OAuth scopes, e.g. `["https://graph.microsoft.com/.default"]`.
    pub scopes: Vec<String>,
    /// A continuous access evaluation (CAE) claims challenge: the decoded JSON text from a
    /// `WWW-Authenticate: Bearer ... claims="<base64>"` response header. When set, the
    /// credential must obtain a fresh token that satisfies these claims (not a cached one).
    pub claims: Option<String>,
}

/// A bearer token. Its `Debug` output never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// Shared: clones (a cache handing out its token) copy a pointer.
    secret: Arc<str>,
    expires_on: Option<SystemTime>,
}

impl AccessToken {
    /// Wraps a raw bearer token.
    pub fn new(secret: impl Into<String>) -> Self {
        Self {
            secret: Arc::from(secret.into()),
            expires_on: None,
        }
    }

    /// The secret, shared (the client keys its `Authorization` header on it).
    pub(crate) fn shared_secret(&self) -> &Arc<str> {
        &self.secret
    }

    /// Sets when the token expires ([`TokenCache`] reuses a token until a margin before it).
    #[must_use]
    pub fn with_expires_on(mut self, expires_on: SystemTime) -> Self {
        self.expires_on = Some(expires_on);
        self
    }

    /// The raw token. Handle with care: never log it.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// When the token expires, if known.
    pub fn expires_on(&self) -> Option<SystemTime> {
        self.expires_on
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// The future returned by [`Credential::token`].
pub type TokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AccessToken, CredentialError>> + Send + 'a>>;

/// A source of access tokens.
///
/// The client calls [`token`](Credential::token) before every logical request (and again
/// with [`TokenRequest::claims`] set after a CAE challenge). Wrap a credential that fetches
/// tokens in a [`TokenCache`] (the SDK's own credentials do), so that they are reused and fetched
/// once however many requests need one. The trait is dyn-compatible: the client stores it as
/// `Arc<dyn Credential>`.
///
/// ```
/// use graph_core::{AccessToken, Credential, CredentialError, TokenFuture, TokenRequest};
///
/// #[derive(Debug)]
/// struct FromEnv;
///
/// impl Credential for FromEnv {
///     fn token<'a>(&'a self, _request: &'a TokenRequest) -> TokenFuture<'a> {
///         Box::pin(async {
///             std::env::var("GRAPH_TOKEN")
///                 .map(AccessToken::new)
///                 .map_err(|e| CredentialError::with_source("GRAPH_TOKEN is not set", e))
///         })
///     }
/// }
/// ```
pub trait Credential: Send + Sync + fmt::Debug {
    /// Returns a token for `request.scopes` (honouring `request.claims` when set).
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a>;

    /// A token this credential has at hand for `request`, without any I/O: the client asks this
    /// first and awaits [`token`](Self::token) only when it returns `None` (the default).
    /// [`StaticToken`] and a [`TokenCache`] holding a fresh token answer here, so a request
    /// that needs no new token costs no future.
    fn token_now(&self, request: &TokenRequest) -> Option<AccessToken> {
        let _ = request;
        None
    }
}

impl<C: Credential + ?Sized> Credential for Arc<C> {
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        (**self).token(request)
    }

    fn token_now(&self, request: &TokenRequest) -> Option<AccessToken> {
        (**self).token_now(request)
    }
}

impl<C: Credential + ?Sized> Credential for Box<C> {
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        (**self).token(request)
    }

    fn token_now(&self, request: &TokenRequest) -> Option<AccessToken> {
        (**self).token_now(request)
    }
}

/// A credential that always returns the same token (for tests, scripts, or tokens obtained
/// elsewhere). It cannot answer CAE challenges: it returns the same token again.
#[derive(Clone)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// Wraps a raw bearer token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(AccessToken::new(token))
    }
}

impl From<AccessToken> for StaticToken {
    fn from(token: AccessToken) -> Self {
        Self(token)
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticToken(<redacted>)")
    }
}

impl Credential for StaticToken {
    fn token<'a>(&'a self, _request: &'a TokenRequest) -> TokenFuture<'a> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }

    fn token_now(&self, _request: &TokenRequest) -> Option<AccessToken> {
        Some(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let t = AccessToken::new("sekrit-token");
        assert_eq!(format!("{t:?}"), "AccessToken(<redacted>)");
        assert_eq!(t.secret(), "sekrit-token");
        let s = StaticToken::new("sekrit-token");
        assert!(!format!("{s:?}").contains("sekrit"));
        let arc: Arc<dyn Credential> = Arc::new(s);
        assert!(!format!("{arc:?}").contains("sekrit"));
    }
}
