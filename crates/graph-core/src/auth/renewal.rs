//! What the delegated sign-ins (device code, browser) share: the refresh token a credential
//! holds, renewing with it at the token endpoint, the persistent cache hook, and the choice
//! between renewing silently and signing the person in again.

use std::fmt;
use std::future::Future;
use std::sync::{Mutex, PoisonError};

use oauth2::{
    ClientId, EndpointNotSet, EndpointSet, RefreshToken, RequestTokenError, Scope, TokenResponse,
    TokenUrl,
};

use super::entra_token::{EntraClient, EntraTokenResponse};
use super::oauth_http::{Http, access_token, token_failure};
use super::persistence::Persistence;
use super::{AccessToken, CredentialError, TokenRequest};

/// An `oauth2` client with only the token endpoint set: all that renewal needs.
type TokenClient =
    EntraClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// A delegated credential's refresh token and how it is used.
pub(crate) struct Renewal {
    client: TokenClient,
    /// The sign-in HTTP client (through this crate's reqwest client).
    pub(crate) http: Http,
    /// The application (client) id, for messages.
    pub(crate) client_id: String,
    /// The refresh token of the latest sign-in or renewal, in memory.
    refresh: Mutex<Option<RefreshToken>>,
    /// The persistent cache, when the credential keeps one.
    pub(crate) persistence: Persistence,
    /// The interactive flow, for logs: `device-code`, `browser`.
    flow: &'static str,
}

impl fmt::Debug for Renewal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renewal")
            .field("client_id", &self.client_id)
            .field("has_refresh_token", &self.lock().is_some())
            .field("persistence", &self.persistence)
            .finish_non_exhaustive()
    }
}

impl Renewal {
    /// Renewal at `token_url` for `client_id`, before any sign-in of `flow`.
    pub(crate) fn new(
        token_url: TokenUrl,
        http: Http,
        client_id: String,
        persistence: Persistence,
        flow: &'static str,
    ) -> Self {
        Self {
            client: EntraClient::new(ClientId::new(client_id.clone())).set_token_uri(token_url),
            http,
            client_id,
            refresh: Mutex::new(None),
            persistence,
            flow,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<RefreshToken>> {
        self.refresh.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What went wrong in a token exchange, in words, with Entra's diagnostics.
    pub(crate) fn failure<RE: std::error::Error, T: oauth2::ErrorResponse + 'static>(
        &self,
        doing: &str,
        error: RequestTokenError<RE, T>,
    ) -> CredentialError {
        token_failure(&self.http, &self.client_id, doing, error)
    }

    /// Keeps what a sign-in or renewal answered: its refresh token (in memory and, with a
    /// persistent cache, on disk) and who signed in. Returns the access token.
    pub(crate) fn keep(&self, response: &EntraTokenResponse, scopes: &[Scope]) -> AccessToken {
        if let Some(next) = response.refresh_token() {
            *self.lock() = Some(next.clone());
        }
        self.persistence.keep(response, scopes);
        access_token(response)
    }

    /// Forgets the refresh token held in memory (signing out).
    pub(crate) fn forget(&self) {
        *self.lock() = None;
    }

    /// A token for `request` (asking for `scopes`): renewed silently with the refresh token at
    /// hand (in memory, else the persistent cache's), or, when there is none or Entra refuses
    /// it (`invalid_grant`: expired, revoked), by `sign_in`, the interactive flow.
    pub(crate) async fn token<F, Fut>(
        &self,
        request: &TokenRequest,
        scopes: Vec<Scope>,
        sign_in: F,
    ) -> Result<AccessToken, CredentialError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, CredentialError>>,
    {
        let in_memory = self.lock().clone();
        if let Some((refresh, cached_account)) = self.persistence.refresh_token(in_memory) {
            match self.renew(&refresh, request, scopes).await {
                Ok(token) => return Ok(token),
                Err(e)
                    if e.entra_error()
                        .is_some_and(|entra| entra.error == "invalid_grant") =>
                {
                    tracing::debug!(
                        flow = self.flow,
                        "the refresh token was refused; starting a new sign-in"
                    );
                    self.forget();
                    self.persistence.refused(cached_account, &e);
                }
                Err(e) => return Err(e),
            }
        }
        sign_in().await
    }

    async fn renew(
        &self,
        refresh: &RefreshToken,
        request: &TokenRequest,
        scopes: Vec<Scope>,
    ) -> Result<AccessToken, CredentialError> {
        self.http.reset();
        let mut exchange = self
            .client
            .exchange_refresh_token(refresh)
            .add_scopes(scopes.clone());
        if let Some(claims) = &request.claims {
            exchange = exchange.add_extra_param("claims", claims.clone());
        }
        if self.persistence.active() {
            exchange = exchange.add_extra_param("client_info", "1");
        }
        let response = exchange
            .request_async(&self.http)
            .await
            .map_err(|e| self.failure("renewing the sign-in", e))?;
        Ok(self.keep(&response, &scopes))
    }
}
