//! [`DeviceCodeCredential`]: delegated sign-in with Entra ID's device authorization grant, for
//! command-line and admin tools (limited mode, for one, accepts only a signed-in administrator).
//!
//! The protocol is the `oauth2` crate's, driven through this crate's reqwest client (no second
//! HTTP stack): request a device code, hand the person the message, poll the token endpoint at
//! the interval Entra gives (`authorization_pending` keeps polling, `slow_down` adds 5 s,
//! `authorization_declined` and `expired_token` end the sign-in), then renew silently with the
//! refresh token that `offline_access` brings. A [`TokenCache`] in front reuses the token and
//! lets one sign-in run at a time.
//!
//! With a persistent cache (feature `persistent-cache`,
//! [`DeviceCodeCredentialBuilder::persistent_cache`]) the sign-in lasts across runs: the
//! credential first renews with the refresh token the cache holds for its app, authority and
//! account, and prompts only when there is none or Entra refuses it (a token Entra calls
//! expired or revoked is forgotten; one refused for a new scope's consent or MFA is kept);
//! every new refresh token is written back. It then also asks for `openid profile` and Entra's
//! `client_info`, which say who signed in.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use oauth2::{
    ClientId, DeviceAuthorizationResponse, DeviceAuthorizationUrl, EndpointNotSet, EndpointSet,
    ExtraDeviceAuthorizationFields, Scope, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::authority::{Authority, qualify, resource_of};
use super::entra_token::EntraClient;
use super::oauth_http::Http;
use super::persistence::Persistence;
#[cfg(feature = "persistent-cache")]
use super::persistent::{Account, PersistentCacheError, PersistentTokenCache};
use super::renewal::Renewal;
use super::{AccessToken, Credential, CredentialError, TokenCache, TokenFuture, TokenRequest};
use crate::cloud::Cloud;

/// What to show the person who signs in: Entra's `message` says it all ("To sign in, use a web
/// browser to open the page `https://microsoft.com/devicelogin` and enter the code … to
/// authenticate."). The device code itself is a secret and is not here.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceCodePrompt {
    /// The sentence to show.
    pub message: String,
    /// The code to type at the verification page.
    pub user_code: String,
    /// Where to type it.
    pub verification_uri: String,
    /// How long the code is valid.
    pub expires_in: Duration,
}

type PromptFn = dyn Fn(&DeviceCodePrompt) + Send + Sync;

/// Entra's extra member of the device authorization response.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct EntraDeviceFields {
    #[serde(default)]
    message: Option<String>,
}

impl ExtraDeviceAuthorizationFields for EntraDeviceFields {}

type OAuthClient =
    EntraClient<EndpointNotSet, EndpointSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The sign-in itself, behind the cache.
struct Flow {
    client: OAuthClient,
    scopes: Vec<String>,
    prompt: Arc<PromptFn>,
    /// The refresh token, renewal and the persistent cache.
    renewal: Renewal,
}

impl fmt::Debug for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodeFlow")
            .field("scopes", &self.scopes)
            .field("renewal", &self.renewal)
            .finish_non_exhaustive()
    }
}

impl Flow {
    fn scopes_for(&self, request: &TokenRequest) -> Vec<Scope> {
        let resource = resource_of(&request.scopes);
        let mut wanted: Vec<String> = if self.scopes.is_empty() {
            request.scopes.clone()
        } else {
            self.scopes.iter().map(|s| qualify(s, resource)).collect()
        };
        self.renewal.persistence.add_scopes(&mut wanted);
        wanted.into_iter().map(Scope::new).collect()
    }

    async fn sign_in(&self, request: &TokenRequest) -> Result<AccessToken, CredentialError> {
        self.renewal.http.reset();
        let scopes = self.scopes_for(request);
        let mut start = self
            .client
            .exchange_device_code()
            .add_scopes(scopes.clone());
        if let Some(claims) = &request.claims {
            start = start.add_extra_param("claims", claims.clone());
        }
        let details: DeviceAuthorizationResponse<EntraDeviceFields> = start
            .request_async(&self.renewal.http)
            .await
            .map_err(|e| self.renewal.failure("starting the device-code sign-in", e))?;
        let verification_uri = details.verification_uri().to_string();
        let user_code = details.user_code().secret().clone();
        let message = details.extra_fields().message.clone().unwrap_or_else(|| {
            format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate.")
        });
        (self.prompt)(&DeviceCodePrompt {
            message,
            user_code,
            verification_uri,
            expires_in: details.expires_in(),
        });
        self.renewal.http.reset();
        let mut poll = self.client.exchange_device_access_token(&details);
        if let Some(claims) = &request.claims {
            poll = poll.add_extra_param("claims", claims.clone());
        }
        if self.renewal.persistence.active() {
            poll = poll.add_extra_param("client_info", "1");
        }
        let response = poll
            .request_async(&self.renewal.http, tokio::time::sleep, None)
            .await
            .map_err(|e| {
                self.renewal
                    .failure("waiting for the device-code sign-in", e)
            })?;
        Ok(self.renewal.keep(&response, &scopes))
    }

    async fn token(&self, request: &TokenRequest) -> Result<AccessToken, CredentialError> {
        self.renewal
            .token(request, self.scopes_for(request), || self.sign_in(request))
            .await
    }
}

impl Credential for Flow {
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        Box::pin(Flow::token(self, request))
    }
}

/// Delegated sign-in by device code, renewed silently by refresh token (and, with a persistent
/// cache, across runs); see the [`auth`](crate::auth) module.
///
/// ```no_run
/// use graph_core::{CoreClient, DeviceCodeCredential};
///
/// # fn run() -> Result<(), graph_core::Error> {
/// let credential = DeviceCodeCredential::builder("contoso.onmicrosoft.com", "11111111-2222-3333-4444-555555555555")
///     .scopes(["CopilotSettings-LimitedMode.ReadWrite"])
///     .on_prompt(|prompt| eprintln!("{}", prompt.message))
///     .build()
///     .map_err(graph_core::Error::Credential)?;
/// let client = CoreClient::new(credential);
/// # let _ = client; Ok(())
/// # }
/// ```
pub struct DeviceCodeCredential {
    cache: TokenCache<Flow>,
}

impl DeviceCodeCredential {
    /// A builder for the public client `client_id` of `tenant` (a tenant id, a domain, or
    /// `organizations`).
    pub fn builder(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
    ) -> DeviceCodeCredentialBuilder {
        DeviceCodeCredentialBuilder {
            tenant: tenant.into(),
            client_id: client_id.into(),
            cloud: Cloud::Global,
            authority_host: None,
            scopes: Vec::new(),
            offline_access: true,
            prompt: Arc::new(|prompt| eprintln!("{}", prompt.message)),
            http: None,
            #[cfg(feature = "persistent-cache")]
            persistent: None,
            #[cfg(feature = "persistent-cache")]
            account: None,
        }
    }
}

impl Credential for DeviceCodeCredential {
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        self.cache.token(request)
    }

    fn token_now(&self, request: &TokenRequest) -> Option<AccessToken> {
        self.cache.token_now(request)
    }
}

impl DeviceCodeCredential {
    /// The account this credential signed in as, as its persistent cache records it (`None`
    /// before the first token, or without a persistent cache).
    #[cfg(feature = "persistent-cache")]
    pub fn account(&self) -> Option<Account> {
        self.cache.inner().renewal.persistence.account()
    }

    /// Signs out: forgets the tokens this credential holds and removes its account from the
    /// persistent cache, so the next token request prompts. Returns whether the persistent cache
    /// held the account.
    ///
    /// # Errors
    ///
    /// The persistent cache could not be written (the in-memory tokens are forgotten anyway).
    #[cfg(feature = "persistent-cache")]
    pub fn sign_out(&self) -> Result<bool, PersistentCacheError> {
        let flow = self.cache.inner();
        flow.renewal.forget();
        self.cache.clear();
        flow.renewal.persistence.sign_out()
    }
}

impl fmt::Debug for DeviceCodeCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodeCredential")
            .field("cache", &self.cache)
            .finish()
    }
}

/// Configures a [`DeviceCodeCredential`].
#[must_use]
pub struct DeviceCodeCredentialBuilder {
    tenant: String,
    client_id: String,
    cloud: Cloud,
    authority_host: Option<String>,
    scopes: Vec<String>,
    offline_access: bool,
    prompt: Arc<PromptFn>,
    http: Option<reqwest::Client>,
    #[cfg(feature = "persistent-cache")]
    persistent: Option<PersistentTokenCache>,
    #[cfg(feature = "persistent-cache")]
    account: Option<String>,
}

impl fmt::Debug for DeviceCodeCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("DeviceCodeCredentialBuilder");
        f.field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("cloud", &self.cloud)
            .field("authority_host", &self.authority_host)
            .field("scopes", &self.scopes)
            .field("offline_access", &self.offline_access);
        #[cfg(feature = "persistent-cache")]
        f.field("persistent_cache", &self.persistent)
            .field("account", &self.account);
        f.finish_non_exhaustive()
    }
}

impl DeviceCodeCredentialBuilder {
    /// Signs in where `cloud` signs in (`login.microsoftonline.us` for the US Government
    /// clouds, `login.chinacloudapi.cn` for China); default global.
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.cloud = cloud;
        self
    }

    /// Signs in at this host instead (`https://…`, or plain `http://` on this machine's
    /// loopback, such as the emulator's identity provider).
    pub fn authority_host(mut self, host: impl Into<String>) -> Self {
        self.authority_host = Some(host.into());
        self
    }

    /// The delegated permissions to ask for (`CopilotSettings-LimitedMode.ReadWrite`); bare
    /// names are qualified with the resource the client asks a token for. Without any, the
    /// client's own scope (`{graph root}/.default`: every permission consented for the app) is
    /// asked for.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Whether to ask for `offline_access` (default `true`): a refresh token, so the sign-in
    /// is renewed silently instead of prompting again.
    pub fn offline_access(mut self, offline_access: bool) -> Self {
        self.offline_access = offline_access;
        self
    }

    /// Called with the prompt when a sign-in starts (default: print the message to stderr).
    pub fn on_prompt(mut self, prompt: impl Fn(&DeviceCodePrompt) + Send + Sync + 'static) -> Self {
        self.prompt = Arc::new(prompt);
        self
    }

    /// Sends the token requests through this client (for a proxy, or a local identity
    /// provider's certificate); default: a new one with rustls.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Keeps the sign-in across runs in `cache`: the credential renews silently with the refresh
    /// token the cache holds for this app, authority and tenant before prompting, and writes
    /// every new refresh token back (see [`PersistentTokenCache`]). Adds `openid profile
    /// offline_access` to the scopes, as MSAL does, to learn who signed in.
    #[cfg(feature = "persistent-cache")]
    pub fn persistent_cache(mut self, cache: PersistentTokenCache) -> Self {
        self.persistent = Some(cache);
        self
    }

    /// Among several cached accounts of this app, the one to sign in as silently: a username
    /// (`ada@contoso.com`) or a home account id. Default: the most recently used.
    #[cfg(feature = "persistent-cache")]
    pub fn account(mut self, username_or_home_account_id: impl Into<String>) -> Self {
        self.account = Some(username_or_home_account_id.into());
        self
    }

    /// Checks the settings and builds the credential (nothing is sent until a token is needed).
    ///
    /// # Errors
    ///
    /// A [`CredentialError`] for an authority that is not HTTPS (except loopback), a custom
    /// cloud without an authority host, an empty client id, or no TLS provider.
    pub fn build(self) -> Result<DeviceCodeCredential, CredentialError> {
        if self.client_id.trim().is_empty() {
            return Err(CredentialError::new(
                "the device-code credential needs a client id",
            ));
        }
        let authority = Authority::new(self.authority_host.as_deref(), &self.cloud, &self.tenant)?;
        let token_url = TokenUrl::new(authority.endpoint("token"))
            .map_err(|e| CredentialError::new(format!("the token endpoint is not a URL: {e}")))?;
        let client = EntraClient::new(ClientId::new(self.client_id.clone()))
            .set_device_authorization_url(
                DeviceAuthorizationUrl::new(authority.endpoint("devicecode")).map_err(|e| {
                    CredentialError::new(format!("the devicecode endpoint is not a URL: {e}"))
                })?,
            )
            .set_token_uri(token_url.clone());
        let http = super::http::sign_in_client(self.http)?;
        let mut scopes = self.scopes;
        if self.offline_access
            && !scopes.is_empty()
            && !scopes.iter().any(|s| s == "offline_access")
        {
            scopes.push("offline_access".to_owned());
        }
        #[cfg(feature = "persistent-cache")]
        let persistence = Persistence::new(
            self.persistent,
            &authority.host,
            &authority.tenant,
            &self.client_id,
            self.account,
        );
        #[cfg(not(feature = "persistent-cache"))]
        let persistence = Persistence::default();
        Ok(DeviceCodeCredential {
            cache: TokenCache::new(Flow {
                client,
                scopes,
                prompt: self.prompt,
                renewal: Renewal::new(
                    token_url,
                    Http::new(http),
                    self.client_id,
                    persistence,
                    "device-code",
                ),
            }),
        })
    }
}
