//! [`Persistence`]: what an interactive credential built on the `oauth2` crate (device code,
//! browser) does with a persistent token cache, in one place both call. Without the
//! `persistent-cache` feature it is an empty stand-in whose methods do nothing, so the
//! credentials' flows carry no feature switches of their own.

#[cfg(feature = "persistent-cache")]
use oauth2::TokenResponse as _;
use oauth2::{RefreshToken, Scope};

use super::CredentialError;
use super::entra_token::EntraTokenResponse;
#[cfg(feature = "persistent-cache")]
use super::persistent::{
    Account, Issued, PersistentCacheError, PersistentTokenCache, SILENT_SCOPES, SilentSignIn,
    is_dead_grant,
};

/// A credential's link to its persistent cache (none when it keeps no cache).
#[derive(Debug, Default)]
pub(crate) struct Persistence {
    #[cfg(feature = "persistent-cache")]
    silent: Option<SilentSignIn>,
}

/// A refresh token to renew with, and the cached account it came from (`None`: from memory).
pub(crate) type RenewWith = (RefreshToken, Option<String>);

impl Persistence {
    /// Links `client_id` at `authority_host`/`tenant` to `cache`, preferring the cached account
    /// `hint` (a username or home account id).
    #[cfg(feature = "persistent-cache")]
    pub(crate) fn new(
        cache: Option<PersistentTokenCache>,
        authority_host: &str,
        tenant: &str,
        client_id: &str,
        hint: Option<String>,
    ) -> Self {
        Self {
            silent: cache
                .map(|cache| SilentSignIn::new(cache, authority_host, tenant, client_id, hint)),
        }
    }

    /// Whether there is a cache: the credential then asks for `client_info` (`client_info=1`)
    /// and the scopes of [`add_scopes`](Self::add_scopes).
    pub(crate) fn active(&self) -> bool {
        #[cfg(feature = "persistent-cache")]
        return self.silent.is_some();
        #[cfg(not(feature = "persistent-cache"))]
        false
    }

    /// Adds `openid profile offline_access` (who signed in, and a refresh token to keep) when
    /// there is a cache.
    pub(crate) fn add_scopes(&self, wanted: &mut Vec<String>) {
        #[cfg(feature = "persistent-cache")]
        if self.active() {
            for scope in SILENT_SCOPES {
                if !wanted.iter().any(|s| s == scope) {
                    wanted.push(scope.to_owned());
                }
            }
        }
        #[cfg(not(feature = "persistent-cache"))]
        let _ = wanted;
    }

    /// `in_memory`, else the cached refresh token of this credential's account; nothing once the
    /// account was signed out (here or elsewhere: see [`SilentSignIn::may_renew`]), until the
    /// person signs in again.
    pub(crate) fn refresh_token(&self, in_memory: Option<RefreshToken>) -> Option<RenewWith> {
        #[cfg(feature = "persistent-cache")]
        if self.silent.as_ref().is_some_and(|s| !s.may_renew()) {
            return None;
        }
        if let Some(refresh) = in_memory {
            return Some((refresh, None));
        }
        #[cfg(feature = "persistent-cache")]
        if let Some(cached) = self.silent.as_ref().and_then(SilentSignIn::refresh_token) {
            return Some((
                RefreshToken::new(cached.refresh_token),
                Some(cached.home_account_id),
            ));
        }
        None
    }

    /// A renewal with the cached token of `account` failed with `error`: forget the token if
    /// Entra called it dead (expired, revoked).
    pub(crate) fn refused(&self, account: Option<String>, error: &CredentialError) {
        #[cfg(feature = "persistent-cache")]
        if let (Some(silent), Some(account)) = (&self.silent, account) {
            if error
                .entra_error()
                .is_some_and(|entra| is_dead_grant(&entra.codes))
            {
                silent.refused(&account);
            }
        }
        #[cfg(not(feature = "persistent-cache"))]
        let _ = (account, error);
    }

    /// Writes what a sign-in or renewal returned (`asked`: the scopes requested, kept when the
    /// response does not list the granted ones).
    pub(crate) fn keep(&self, response: &EntraTokenResponse, asked: &[Scope]) {
        #[cfg(feature = "persistent-cache")]
        if let (Some(silent), Some(refresh)) = (&self.silent, response.refresh_token()) {
            let scopes = response.scopes().map_or(asked, Vec::as_slice);
            silent.save(&Issued {
                refresh_token: refresh.secret(),
                client_info: response.extra_fields().client_info.as_deref(),
                id_token: response.extra_fields().id_token.as_deref(),
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
            });
        }
        #[cfg(not(feature = "persistent-cache"))]
        let _ = (response, asked);
    }

    /// The cached account the credential is signed in as.
    #[cfg(feature = "persistent-cache")]
    pub(crate) fn account(&self) -> Option<Account> {
        self.silent.as_ref()?.account()
    }

    /// Removes the credential's account from the cache; see
    /// [`SilentSignIn::sign_out`].
    #[cfg(feature = "persistent-cache")]
    pub(crate) fn sign_out(&self) -> Result<bool, PersistentCacheError> {
        match &self.silent {
            Some(silent) => silent.sign_out(),
            None => Ok(false),
        }
    }
}
