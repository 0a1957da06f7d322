//! TLS crypto provider selection.
//!
//! reqwest is built with `rustls-no-provider`, so a rustls crypto provider must be chosen:
//! - feature `rustls-ring` (default): `ring` is installed as the process-wide default
//!   provider, unless the application already installed one (then that one is used);
//! - feature `rustls-aws-lc-rs`: reqwest falls back to its own aws-lc-rs provider;
//! - neither: the application must install a provider itself
//!   (`rustls::crypto::CryptoProvider::install_default`) before building a client, or
//!   [`ClientBuilder::build`](crate::ClientBuilder::build) returns
//!   [`Error::Config`](crate::Error::Config).

/// No rustls crypto provider is available (neither TLS feature is enabled and the application
/// installed none). Converts into [`Error::Config`](crate::Error::Config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "no rustls crypto provider is available: enable the `rustls-ring` or `rustls-aws-lc-rs` \
     feature of graph-core, or install a provider with \
     rustls::crypto::CryptoProvider::install_default before building the client"
)]
#[non_exhaustive]
pub struct NoCryptoProvider;

/// Makes sure a rustls crypto provider is available for building a reqwest client: with the
/// `rustls-ring` feature, installs `ring` as the process default unless a provider is already
/// installed. Idempotent and cheap.
///
/// [`ClientBuilder::build`](crate::ClientBuilder::build) calls this itself. Call it before
/// building your own `reqwest::Client` for
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client): reqwest panics if no
/// provider is available.
///
/// # Errors
///
/// [`NoCryptoProvider`] when no provider is available (neither TLS feature is enabled and the
/// application installed none).
pub fn ensure_crypto_provider() -> Result<(), NoCryptoProvider> {
    #[cfg(feature = "rustls-ring")]
    {
        // Idempotent: fails harmlessly when a provider is already installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    if cfg!(feature = "rustls-aws-lc-rs") || rustls::crypto::CryptoProvider::get_default().is_some()
    {
        Ok(())
    } else {
        Err(NoCryptoProvider)
    }
}
