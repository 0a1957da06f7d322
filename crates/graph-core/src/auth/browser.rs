//! [`BrowserCredential`]: delegated sign-in in the system browser (authorization code with PKCE
//! and a loopback redirect), renewed silently by refresh token.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, RedirectUrl, Scope, TokenUrl,
};

use super::authority::{Authority, qualify, resource_of};
use super::entra_token::EntraClient;
use super::loopback::Loopback;
use super::oauth_http::Http;
use super::persistence::Persistence;
#[cfg(feature = "persistent-cache")]
use super::persistent::{Account, PersistentCacheError, PersistentTokenCache};
use super::renewal::Renewal;
use super::{
    AccessToken, Credential, CredentialError, CredentialErrorKind, TokenCache, TokenFuture,
    TokenRequest,
};
use crate::cloud::Cloud;

/// How long a sign-in waits for the browser by default.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The OpenID Connect scopes every browser sign-in asks for (the `id_token` carries the nonce).
const OPENID_SCOPES: &[&str] = &["openid", "profile"];

/// What the opener is handed: the authorization URL. It returns an error if it could not show
/// the page.
type OpenFn = dyn Fn(&str) -> std::io::Result<()> + Send + Sync;

/// An `oauth2` client with the authorization and token endpoints set, whose token responses keep
/// Entra's `id_token` and `client_info`.
type OAuthClient =
    EntraClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Opens `url` in the system browser, and shows it on stderr: where no browser can be started
/// (a server, a container) the person opens it elsewhere, and the sign-in waits for them.
fn system_browser(url: &str) -> std::io::Result<()> {
    match open::that_detached(url) {
        Ok(()) => eprintln!(
            "Sign in in the browser window that just opened (or open this page yourself: {url})"
        ),
        Err(e) => eprintln!(
            "Could not open a browser ({e}). To sign in, open this page in a web browser: {url}"
        ),
    }
    Ok(())
}

/// The sign-in itself, behind the cache.
struct Flow {
    client: OAuthClient,
    scopes: Vec<String>,
    offline_access: bool,
    open: Arc<OpenFn>,
    timeout: Duration,
    prompt: Option<String>,
    login_hint: Option<String>,
    /// The refresh token, renewal and the persistent cache.
    renewal: Renewal,
}

impl fmt::Debug for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrowserFlow")
            .field("scopes", &self.scopes)
            .field("timeout", &self.timeout)
            .field("renewal", &self.renewal)
            .finish_non_exhaustive()
    }
}

impl Flow {
    /// The scopes of a request: the configured ones (qualified with the resource asked for) or
    /// the request's own, plus `openid profile` and `offline_access`.
    fn scopes_for(&self, request: &TokenRequest) -> Vec<Scope> {
        let resource = resource_of(&request.scopes);
        let mut wanted: Vec<String> = if self.scopes.is_empty() {
            request.scopes.clone()
        } else {
            self.scopes.iter().map(|s| qualify(s, resource)).collect()
        };
        let extra = OPENID_SCOPES
            .iter()
            .copied()
            .chain(self.offline_access.then_some("offline_access"));
        for scope in extra {
            if !wanted.iter().any(|s| s == scope) {
                wanted.push(scope.to_owned());
            }
        }
        self.renewal.persistence.add_scopes(&mut wanted);
        wanted.into_iter().map(Scope::new).collect()
    }

    async fn sign_in(&self, request: &TokenRequest) -> Result<AccessToken, CredentialError> {
        let loopback = Loopback::bind().await?;
        let redirect = RedirectUrl::new(loopback.redirect_uri()).map_err(|e| {
            CredentialError::new(format!("the loopback redirect URI is not a URL: {e}"))
        })?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = CsrfToken::new_random();
        let scopes = self.scopes_for(request);
        let mut authorize = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.clone())
            .set_pkce_challenge(challenge)
            .set_redirect_uri(Cow::Borrowed(&redirect))
            .add_extra_param("nonce", nonce.secret().clone())
            .add_extra_param("response_mode", "query");
        if let Some(prompt) = &self.prompt {
            authorize = authorize.add_extra_param("prompt", prompt.clone());
        }
        if let Some(hint) = &self.login_hint {
            authorize = authorize.add_extra_param("login_hint", hint.clone());
        }
        if let Some(claims) = &request.claims {
            authorize = authorize.add_extra_param("claims", claims.clone());
        }
        let (url, state) = authorize.url();
        (self.open)(url.as_str()).map_err(|e| {
            CredentialError::of_kind(
                CredentialErrorKind::Other,
                format!("could not open the browser for the sign-in: {e}"),
            )
            .caused_by(e)
        })?;
        let code = loopback.wait(state.secret(), self.timeout).await?;
        self.renewal.http.reset();
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier)
            .set_redirect_uri(Cow::Borrowed(&redirect))
            .add_extra_param("client_info", "1")
            .request_async(&self.renewal.http)
            .await
            .map_err(|e| {
                self.renewal
                    .failure("redeeming the browser sign-in's code", e)
            })?;
        super::id_token::check(
            response.extra_fields().id_token.as_deref(),
            nonce.secret(),
            &self.renewal.client_id,
        )?;
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

/// Delegated sign-in in the system browser, as Entra ID does it for public clients (desktop
/// apps, CLIs): authorization code with PKCE and a loopback redirect.
///
/// A sign-in listens on `127.0.0.1` (a free port; the redirect URI is `http://localhost:{port}`),
/// hands the authorization URL to the opener (by default the system browser, with the URL on
/// stderr in case none can be started; or [`open_with`](BrowserCredentialBuilder::open_with)),
/// and waits for the browser to come back
/// with `?code=…&state=…`. The `state` must be the one sent
/// ([`CredentialErrorKind::StateMismatch`] otherwise); a declined consent is [`CredentialErrorKind::SignInDeclined`] with Entra's
/// diagnostics; no answer within the [timeout](BrowserCredentialBuilder::timeout) is
/// [`CredentialErrorKind::SignInExpired`]. The browser is shown a short page ("you can close
/// this window") and the listener closes. The code is exchanged with its PKCE verifier (`S256`)
/// through the `oauth2` crate over this crate's reqwest client, the `id_token` must carry the
/// `nonce` sent ([`CredentialErrorKind::NonceMismatch`] otherwise), and the refresh token that
/// `offline_access` brings renews the sign-in silently afterwards. A [`TokenCache`] in front
/// reuses the token and lets one sign-in run at a time.
///
/// ```no_run
/// use graph_core::{BrowserCredential, CoreClient};
///
/// # fn run() -> Result<(), graph_core::Error> {
/// let credential = BrowserCredential::builder("contoso.onmicrosoft.com", "11111111-2222-3333-4444-555555555555")
///     .scopes(["CopilotSettings-LimitedMode.ReadWrite"])
///     .build()
///     .map_err(graph_core::Error::Credential)?;
/// let client = CoreClient::new(credential);
/// # let _ = client; Ok(())
/// # }
/// ```
pub struct BrowserCredential {
    cache: TokenCache<Flow>,
}

impl BrowserCredential {
    /// A builder for the public client `client_id` of `tenant` (a tenant id, a domain,
    /// `organizations` or `common`). The app registration needs the *Mobile and desktop
    /// applications* platform with the redirect URI `http://localhost`.
    pub fn builder(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
    ) -> BrowserCredentialBuilder {
        BrowserCredentialBuilder {
            tenant: tenant.into(),
            client_id: client_id.into(),
            cloud: Cloud::Global,
            authority_host: None,
            scopes: Vec::new(),
            offline_access: true,
            open: Arc::new(system_browser),
            timeout: DEFAULT_TIMEOUT,
            prompt: None,
            login_hint: None,
            http: None,
            #[cfg(feature = "persistent-cache")]
            persistent: None,
            #[cfg(feature = "persistent-cache")]
            account: None,
        }
    }
}

impl Credential for BrowserCredential {
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        self.cache.token(request)
    }

    fn token_now(&self, request: &TokenRequest) -> Option<AccessToken> {
        self.cache.token_now(request)
    }
}

impl BrowserCredential {
    /// The account this credential signed in as, as its persistent cache records it (`None`
    /// before the first token, or without a persistent cache).
    #[cfg(feature = "persistent-cache")]
    pub fn account(&self) -> Option<Account> {
        self.cache.inner().renewal.persistence.account()
    }

    /// Signs out: forgets the tokens this credential holds and removes its account from the
    /// persistent cache, so the next token request opens the browser. Returns whether the
    /// persistent cache held the account.
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

impl fmt::Debug for BrowserCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrowserCredential")
            .field("cache", &self.cache)
            .finish()
    }
}

/// Configures a [`BrowserCredential`].
#[must_use]
pub struct BrowserCredentialBuilder {
    tenant: String,
    client_id: String,
    cloud: Cloud,
    authority_host: Option<String>,
    scopes: Vec<String>,
    offline_access: bool,
    open: Arc<OpenFn>,
    timeout: Duration,
    prompt: Option<String>,
    login_hint: Option<String>,
    http: Option<reqwest::Client>,
    #[cfg(feature = "persistent-cache")]
    persistent: Option<PersistentTokenCache>,
    #[cfg(feature = "persistent-cache")]
    account: Option<String>,
}

impl fmt::Debug for BrowserCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("BrowserCredentialBuilder");
        f.field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("cloud", &self.cloud)
            .field("authority_host", &self.authority_host)
            .field("scopes", &self.scopes)
            .field("offline_access", &self.offline_access)
            .field("timeout", &self.timeout)
            .field("prompt", &self.prompt)
            .field("login_hint", &self.login_hint);
        #[cfg(feature = "persistent-cache")]
        f.field("persistent_cache", &self.persistent)
            .field("account", &self.account);
        f.finish_non_exhaustive()
    }
}

impl BrowserCredentialBuilder {
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
    /// asked for. `openid profile` are always added (the `id_token` carries the nonce).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Whether to ask for `offline_access` (default `true`): a refresh token, so the sign-in
    /// is renewed silently instead of opening the browser again.
    pub fn offline_access(mut self, offline_access: bool) -> Self {
        self.offline_access = offline_access;
        self
    }

    /// Shows the authorization URL with this instead of the system browser (an embedded web
    /// view, a URL printed for another machine, a test driving the page). It returns an error
    /// if it could not; the sign-in then fails at once.
    pub fn open_with(
        mut self,
        open: impl Fn(&str) -> std::io::Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.open = Arc::new(open);
        self
    }

    /// How long a sign-in waits for the browser to come back (default 5 minutes).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Entra's `prompt`: `select_account`, `login`, `consent` (default: none sent).
    pub fn prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt = Some(prompt.into());
        self
    }

    /// Entra's `login_hint`: the user (principal name) to preselect.
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }

    /// Sends the token requests through this client (for a proxy, or a local identity
    /// provider's certificate); default: a new one with rustls.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Keeps the sign-in across runs in `cache`: the credential renews silently with the refresh
    /// token the cache holds for this app, authority and tenant before opening the browser, and
    /// writes every new refresh token back (see [`PersistentTokenCache`]). Adds
    /// `offline_access` to the scopes.
    #[cfg(feature = "persistent-cache")]
    pub fn persistent_cache(mut self, cache: PersistentTokenCache) -> Self {
        self.persistent = Some(cache);
        self
    }

    /// Among several cached accounts of this app, the one to sign in as silently: a username
    /// (`ada@contoso.com`) or a home account id. Default: the most recently used. When the
    /// browser must open and no [`login_hint`](Self::login_hint) is set, a username here is
    /// sent as the `login_hint`.
    #[cfg(feature = "persistent-cache")]
    pub fn account(mut self, username_or_home_account_id: impl Into<String>) -> Self {
        self.account = Some(username_or_home_account_id.into());
        self
    }

    /// Checks the settings and builds the credential (nothing is sent, and no browser opened,
    /// until a token is needed).
    ///
    /// # Errors
    ///
    /// A [`CredentialError`] for an authority that is not HTTPS (except loopback), a custom
    /// cloud without an authority host, an empty client id, or no TLS provider.
    pub fn build(self) -> Result<BrowserCredential, CredentialError> {
        if self.client_id.trim().is_empty() {
            return Err(CredentialError::new(
                "the browser credential needs a client id",
            ));
        }
        let authority = Authority::new(self.authority_host.as_deref(), &self.cloud, &self.tenant)?;
        let token_url = TokenUrl::new(authority.endpoint("token"))
            .map_err(|e| CredentialError::new(format!("the token endpoint is not a URL: {e}")))?;
        let client = oauth2::Client::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(AuthUrl::new(authority.endpoint("authorize")).map_err(|e| {
                CredentialError::new(format!("the authorize endpoint is not a URL: {e}"))
            })?)
            .set_token_uri(token_url.clone());
        let http = super::http::sign_in_client(self.http)?;
        #[cfg(feature = "persistent-cache")]
        let login_hint = self.login_hint.or_else(|| {
            self.account
                .as_ref()
                .filter(|account| account.contains('@'))
                .cloned()
        });
        #[cfg(not(feature = "persistent-cache"))]
        let login_hint = self.login_hint;
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
        Ok(BrowserCredential {
            cache: TokenCache::new(Flow {
                client,
                scopes: self.scopes,
                offline_access: self.offline_access,
                open: self.open,
                timeout: self.timeout,
                prompt: self.prompt,
                login_hint,
                renewal: Renewal::new(
                    token_url,
                    Http::new(http),
                    self.client_id,
                    persistence,
                    "browser",
                ),
            }),
        })
    }
}
