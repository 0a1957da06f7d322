//! [`CoreClient`] and [`ClientBuilder`].

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::auth::{Credential, TokenRequest};
use crate::cloud::Cloud;
use crate::error::Error;
use crate::path::encode_param;
use crate::retry::RetryPolicy;
use crate::throttle::{Throttle, ThrottleGovernor, ThrottleState};

use crate::defaults::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, USER_AGENT};

/// A Microsoft Graph beta client: service root, credential, HTTP client and policies.
///
/// Cloning is cheap (an `Arc`); clones share the connection pool.
///
/// ```no_run
/// use graph_core::{CoreClient, Cloud, StaticToken};
///
/// let client = CoreClient::builder(StaticToken::new("token"))
///     .cloud(Cloud::UsGovL4)
///     .build()?;
/// assert_eq!(client.service_root(), "https://graph.microsoft.us/beta");
/// # Ok::<(), graph_core::Error>(())
/// ```
#[derive(Clone)]
pub struct CoreClient {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    pub(crate) cloud: Cloud,
    pub(crate) service_root: String,
    /// What every request asks the credential for (claims are added after a challenge).
    pub(crate) token_request: TokenRequest,
    pub(crate) credential: Arc<dyn Credential>,
    /// The `Authorization` header of the last token seen, reused while the credential hands
    /// out the same token.
    pub(crate) authorization: std::sync::Mutex<Option<(Arc<str>, HeaderValue)>>,
    /// The HTTP client, or the message of the error that prevented building it (returned
    /// by every send of a client made with the infallible [`CoreClient::new`]).
    pub(crate) http: Result<reqwest::Client, String>,
    pub(crate) retry_policy: RetryPolicy,
    /// The timeout of each attempt (`None`: the caller's HTTP client's own).
    pub(crate) timeout: Option<Duration>,
    /// Whether each request carries [`timeout`](Self::timeout) itself: only for a caller's
    /// HTTP client. The client built here has it as its own, so the request need not set it
    /// (which costs reqwest an allocation per attempt).
    pub(crate) timeout_per_request: bool,
    pub(crate) user_agent: HeaderValue,
    /// The throttle governor every clone and task shares.
    pub(crate) throttle: Throttle,
}

impl CoreClient {
    /// A client for the global cloud (`https://graph.microsoft.com/beta`) with default
    /// settings.
    ///
    /// This never fails: if the HTTP client cannot be built (for example because no TLS
    /// crypto provider is available), the error is kept and returned by every request.
    /// Use [`CoreClient::builder`] to see such errors at construction time.
    pub fn new(credential: impl Credential + 'static) -> Self {
        let builder = ClientBuilder::<CoreClient>::new(credential);
        // Only an HTTP client failure is possible here (the global cloud and the default
        // user agent are valid); it is kept inside the client.
        let (inner, _problem) = builder.assemble();
        CoreClient {
            inner: Arc::new(inner),
        }
    }

    /// A builder for a client with non-default settings.
    pub fn builder(credential: impl Credential + 'static) -> ClientBuilder {
        ClientBuilder::new(credential)
    }

    /// The cloud this client talks to.
    pub fn cloud(&self) -> &Cloud {
        &self.inner.cloud
    }

    /// The service root without trailing slash, e.g. `https://graph.microsoft.com/beta`.
    pub fn service_root(&self) -> &str {
        &self.inner.service_root
    }

    /// The full URL of an entity, `{service_root}/{entity_set}/{id}`, with `id` validated
    /// and encoded like a path parameter. Use it for `@odata.id` references, which Graph
    /// requires as full URLs (a bare id is rejected).
    ///
    /// ```
    /// # use graph_core::{CoreClient, StaticToken};
    /// let client = CoreClient::new(StaticToken::new("token"));
    /// assert_eq!(
    ///     client.entity_url("directoryObjects", "0000-1111").unwrap(),
    ///     "https://graph.microsoft.com/beta/directoryObjects/0000-1111"
    /// );
    /// ```
    pub fn entity_url(&self, entity_set: &'static str, id: &str) -> Result<String, Error> {
        let id = encode_param("id", id)?;
        let entity_set = entity_set.trim_matches('/');
        Ok(format!("{}/{entity_set}/{id}", self.inner.service_root))
    }

    /// A snapshot of the throttle governor shared by this client's clones: per class (reads,
    /// writes) the hold, the pacing, the latest limit percentage, the requests waiting and the
    /// 429s met (see [`throttle`](crate::throttle)).
    pub fn throttle_state(&self) -> ThrottleState {
        self.inner.throttle.state()
    }

    /// Checks a next link (`@odata.nextLink` you stored, say) the way paging does before
    /// following one: an absolute URL with the service root's scheme, host and port and no
    /// credentials. Nothing is sent.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidNextLink`] saying what is wrong with it.
    pub fn check_next_link(&self, link: &str) -> Result<reqwest::Url, Error> {
        crate::url::check_next_link(self.service_root(), "(next link check)", link)
    }
}

impl fmt::Debug for CoreClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoreClient")
            .field("cloud", &self.inner.cloud)
            .field("service_root", &self.inner.service_root)
            .field("retry_policy", &self.inner.retry_policy)
            .field("timeout", &self.inner.timeout)
            .field("throttle", &self.inner.throttle)
            .finish_non_exhaustive()
    }
}

/// Configures a [`CoreClient`] (or a wrapper `C` that can be made from one).
pub struct ClientBuilder<C = CoreClient> {
    credential: Arc<dyn Credential>,
    cloud: Cloud,
    retry_policy: RetryPolicy,
    connect_timeout: Duration,
    timeout: Option<Duration>,
    user_agent_suffix: Option<String>,
    http_client: Option<reqwest::Client>,
    throttle_governor: ThrottleGovernor,
    _out: PhantomData<fn() -> C>,
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("cloud", &self.cloud)
            .field("retry_policy", &self.retry_policy)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("custom_http_client", &self.http_client.is_some())
            .field("throttle_governor", &self.throttle_governor)
            .finish_non_exhaustive()
    }
}

impl<C: From<CoreClient>> ClientBuilder<C> {
    /// A builder with defaults: global cloud, [`RetryPolicy::default`], 10 s connect timeout,
    /// 100 s request timeout.
    pub fn new(credential: impl Credential + 'static) -> Self {
        Self {
            credential: Arc::new(credential),
            cloud: Cloud::Global,
            retry_policy: RetryPolicy::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: None,
            user_agent_suffix: None,
            http_client: None,
            throttle_governor: ThrottleGovernor::default(),
            _out: PhantomData,
        }
    }

    /// Selects the cloud (default [`Cloud::Global`]).
    #[must_use]
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.cloud = cloud;
        self
    }

    /// Uses a custom service root including the version segment, e.g.
    /// `http://127.0.0.1:8080/beta`. Same as `.cloud(Cloud::Custom { .. })`.
    #[must_use]
    pub fn service_root(self, url: impl Into<String>) -> Self {
        self.cloud(Cloud::Custom {
            service_root: url.into(),
        })
    }

    /// The default retry policy of requests made by this client.
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
    }

    /// The TCP/TLS connect timeout (default 10 s). Ignored with [`http_client`](Self::http_client).
    #[must_use]
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// The timeout of each attempt as a whole, from sending to the end of the response body
    /// (default 100 s).
    #[must_use]
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }

    /// Text appended (after a space) to the `User-Agent` header, e.g. `my-app/1.2`.
    #[must_use]
    pub fn user_agent_suffix(mut self, s: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(s.into());
        self
    }

    /// Uses this reqwest client instead of building one. Its own settings (proxy, TLS,
    /// connect timeout) apply; the request timeout is only overridden if
    /// [`timeout`](Self::timeout) is set.
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The client-wide throttle governor (see [`throttle`](crate::throttle)): on by default;
    /// [`ThrottleGovernor::off`] turns it off.
    #[must_use]
    pub fn throttle_governor(mut self, governor: ThrottleGovernor) -> Self {
        self.throttle_governor = governor;
        self
    }

    /// Validates the settings and builds the client.
    ///
    /// Errors: [`Error::InvalidInput`] for a bad custom service root or user-agent suffix;
    /// [`Error::Config`] when no TLS crypto provider is available or the HTTP client cannot
    /// be built.
    pub fn build(self) -> Result<C, Error> {
        match self.assemble() {
            (inner, None) => Ok(C::from(CoreClient {
                inner: Arc::new(inner),
            })),
            (_, Some(e)) => Err(e),
        }
    }

    /// Builds the client state and the first problem found, if any. With a problem, the state
    /// is still usable: an HTTP client failure is kept as a message (for [`CoreClient::new`]).
    fn assemble(self) -> (ClientInner, Option<Error>) {
        let mut problem: Option<Error> = self
            .cloud
            .validate()
            .err()
            .map(|message| Error::InvalidInput { message });

        let mut user_agent = USER_AGENT.to_owned();
        if let Some(suffix) = self
            .user_agent_suffix
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            user_agent.push(' ');
            user_agent.push_str(suffix);
        }
        let user_agent = match HeaderValue::from_str(&user_agent) {
            Ok(v) => v,
            Err(_) => {
                problem.get_or_insert(Error::InvalidInput {
                    message: "the user agent suffix is not a valid header value".to_owned(),
                });
                HeaderValue::from_static(USER_AGENT)
            }
        };

        let timeout_per_request = self.http_client.is_some() && self.timeout.is_some();
        let (http, timeout) = match self.http_client {
            Some(client) => (Ok(client), self.timeout),
            None => {
                let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
                let http = crate::tls::ensure_crypto_provider()
                    .map_err(Error::from)
                    .and_then(|()| {
                        reqwest::Client::builder()
                            .connect_timeout(self.connect_timeout)
                            .timeout(timeout)
                            .build()
                            .map_err(|e| Error::Config {
                                message: format!("could not build the HTTP client: {e}"),
                            })
                    });
                (http, Some(timeout))
            }
        };
        let (http, http_problem) = match http {
            Ok(client) => (Ok(client), None),
            Err(e) => {
                let message = match &e {
                    Error::Config { message } => message.clone(),
                    other => other.to_string(),
                };
                (Err(message), Some(e))
            }
        };
        if let Some(e) = http_problem {
            problem.get_or_insert(e);
        }

        let inner = ClientInner {
            service_root: self.cloud.service_root(),
            token_request: TokenRequest {
                scopes: vec![self.cloud.token_scope()],
                claims: None,
            },
            authorization: std::sync::Mutex::new(None),
            cloud: self.cloud,
            credential: self.credential,
            http,
            retry_policy: self.retry_policy,
            timeout,
            timeout_per_request,
            user_agent,
            throttle: Throttle::new(self.throttle_governor),
        };
        (inner, problem)
    }
}
