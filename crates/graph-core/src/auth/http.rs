//! The HTTP client a credential signs in with: the caller's, or a default one with the SDK's
//! connect timeout and a 30-second limit per token request.

use std::time::Duration;

use super::CredentialError;

/// `given`, or a new client (after making sure a TLS crypto provider is installed).
pub(crate) fn sign_in_client(
    given: Option<reqwest::Client>,
) -> Result<reqwest::Client, CredentialError> {
    if let Some(client) = given {
        return Ok(client);
    }
    crate::tls::ensure_crypto_provider().map_err(|e| CredentialError::new(e.to_string()))?;
    reqwest::Client::builder()
        .connect_timeout(crate::defaults::DEFAULT_CONNECT_TIMEOUT)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| CredentialError::new(format!("could not build the HTTP client: {e}")))
}
