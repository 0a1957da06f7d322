//! [`AzureIdentityCredential`]: Microsoft's own credentials (`azure_identity` 1.x, any
//! `azure_core::credentials::TokenCredential`) as a [`Credential`].
//!
//! [`AzureIdentityOptions`] gives an azure credential the client's cloud (its sign-in host:
//! `login.microsoftonline.us` for the US Government clouds, `login.chinacloudapi.cn` for China)
//! and sends its token requests through this crate's reqwest client — so turning the feature on
//! adds no aws-lc, OpenSSL or second reqwest — keeping the error bodies for Entra's diagnostics.
//! The scope is whatever the client asks for: `{graph root}/.default`.
//!
//! `azure_identity` credentials cannot take claims: a continuous-access-evaluation challenge
//! ends in a [`CredentialErrorKind::ClaimsChallengeUnsupported`] error, not a loop.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
use azure_core::http::{
    AsyncRawResponse, Body, ClientOptions, ExponentialRetryOptions, HttpClient, Method, Request,
    RetryOptions, StatusCode, Transport,
};

use super::error_bodies::ErrorBodies;
use super::{
    AccessToken, Credential, CredentialError, CredentialErrorKind, EntraError, TokenFuture,
    TokenRequest,
};
use crate::cloud::Cloud;

/// Our reqwest client as azure_core's transport, keeping error bodies.
#[derive(Clone)]
struct AzureTransport {
    client: reqwest::Client,
    errors: ErrorBodies,
}

impl fmt::Debug for AzureTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AzureTransport")
    }
}

#[async_trait::async_trait]
impl HttpClient for AzureTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        use azure_core::error::{Error, ErrorKind};
        let method = match request.method() {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
            Method::Head => reqwest::Method::HEAD,
            other => {
                return Err(Error::with_message(
                    ErrorKind::Other,
                    format!("unsupported method {other:?}"),
                ));
            }
        };
        let mut builder = self.client.request(method, request.url().as_str());
        for (name, value) in request.headers().iter() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder = match request.body() {
            Body::Bytes(bytes) => builder.body(bytes.clone()),
            #[allow(unreachable_patterns)]
            _ => {
                return Err(Error::with_message(
                    ErrorKind::Other,
                    "streamed bodies are not sent by this transport",
                ));
            }
        };
        let response = builder.send().await.map_err(|e| {
            let kind = if e.is_connect() {
                ErrorKind::Connection
            } else {
                ErrorKind::Io
            };
            Error::with_error(kind, e, "the token request failed")
        })?;
        let status = response.status().as_u16();
        let mut headers = Headers::new();
        for (name, value) in response.headers() {
            if let Ok(value) = value.to_str() {
                headers.insert(
                    HeaderName::from(name.as_str().to_owned()),
                    HeaderValue::from(value.to_owned()),
                );
            }
        }
        let body = response.bytes().await.map_err(|e| {
            Error::with_error(ErrorKind::Io, e, "reading the token response failed")
        })?;
        if !(200..300).contains(&status) {
            self.errors.record(&body);
        }
        Ok(AsyncRawResponse::from_bytes(
            StatusCode::from(status),
            headers,
            body,
        ))
    }
}

/// What an azure credential needs to work like the SDK's own: the client's cloud, this crate's
/// HTTP client, and a place for Entra's error bodies.
///
/// ```no_run
/// use graph_core::{AzureIdentityOptions, CoreClient, Cloud};
///
/// # fn run() -> Result<(), graph_core::CredentialError> {
/// let credential = AzureIdentityOptions::new(&Cloud::UsGovL4)
///     .client_secret("tenant-id", "client-id", std::env::var("AZURE_CLIENT_SECRET").unwrap_or_default())?;
/// let client = CoreClient::builder(credential).cloud(Cloud::UsGovL4).build();
/// # let _ = client; Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AzureIdentityOptions {
    cloud: Cloud,
    authority_host: Option<String>,
    http: Option<reqwest::Client>,
    errors: ErrorBodies,
}

impl fmt::Debug for AzureIdentityOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureIdentityOptions")
            .field("cloud", &self.cloud)
            .field("authority_host", &self.authority_host)
            .field("custom_http_client", &self.http.is_some())
            .finish()
    }
}

impl AzureIdentityOptions {
    /// Signs in where `cloud` signs in.
    pub fn new(cloud: &Cloud) -> Self {
        Self {
            cloud: cloud.clone(),
            authority_host: None,
            http: None,
            errors: ErrorBodies::default(),
        }
    }

    /// Signs in at this host instead (required for a custom cloud). `azure_identity` refuses
    /// anything but `https://`.
    #[must_use]
    pub fn authority_host(mut self, host: impl Into<String>) -> Self {
        self.authority_host = Some(host.into());
        self
    }

    /// Sends the token requests through this client (a proxy, a test CA); default: a new one
    /// with rustls.
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// `azure_core` client options with this cloud's authority, this crate's HTTP client and a
    /// short retry policy (3 retries, at most 10 s): for building any `azure_identity`
    /// credential, then [`wrap`](Self::wrap) it.
    ///
    /// # Errors
    ///
    /// A custom cloud without an authority host, or no TLS provider for the default client.
    pub fn client_options(&self) -> Result<ClientOptions, CredentialError> {
        let http = super::http::sign_in_client(self.http.clone())?;
        let cloud = match (self.authority_host.as_deref(), self.cloud.national()) {
            (Some(host), _) => {
                let mut custom = CustomConfiguration::default();
                custom.authority_host = host.to_owned();
                CloudConfiguration::Custom(custom)
            }
            (None, Some(crate::NationalCloud::Global)) => CloudConfiguration::AzurePublic,
            (None, Some(crate::NationalCloud::UsGovL4 | crate::NationalCloud::UsGovL5Dod)) => {
                CloudConfiguration::AzureGovernment
            }
            (None, Some(crate::NationalCloud::China)) => CloudConfiguration::AzureChina,
            (None, None) => {
                return Err(CredentialError::new(
                    "a custom cloud has no known sign-in host: set AzureIdentityOptions::authority_host",
                ));
            }
        };
        let retry = ExponentialRetryOptions {
            max_retries: 3,
            max_total_elapsed: azure_core::time::Duration::seconds(10),
            ..ExponentialRetryOptions::default()
        };
        Ok(ClientOptions {
            transport: Some(Transport::new(Arc::new(AzureTransport {
                client: http,
                errors: self.errors.clone(),
            }))),
            cloud: Some(Arc::new(cloud)),
            retry: RetryOptions::exponential(retry),
            ..ClientOptions::default()
        })
    }

    /// Wraps an azure credential, built with [`client_options`](Self::client_options) (its
    /// failures then carry Entra's diagnostics) or any other way.
    pub fn wrap(
        &self,
        credential: Arc<dyn TokenCredential>,
        what: impl Into<String>,
    ) -> AzureIdentityCredential {
        AzureIdentityCredential {
            inner: credential,
            errors: Some(self.errors.clone()),
            what: what.into(),
        }
    }

    /// `azure_identity`'s `ClientSecretCredential` for `client_id` of `tenant`.
    ///
    /// # Errors
    ///
    /// What `azure_identity` refuses (an empty id or secret, a non-HTTPS authority), and what
    /// [`client_options`](Self::client_options) refuses.
    pub fn client_secret(
        &self,
        tenant: &str,
        client_id: &str,
        secret: impl Into<String>,
    ) -> Result<AzureIdentityCredential, CredentialError> {
        let options = azure_identity::ClientSecretCredentialOptions {
            client_options: self.client_options()?,
        };
        let credential = azure_identity::ClientSecretCredential::new(
            tenant,
            client_id.to_owned(),
            Secret::new(secret.into()),
            Some(options),
        )
        .map_err(|e| {
            CredentialError::new(format!(
                "ClientSecretCredential for client {client_id}: {e}"
            ))
        })?;
        Ok(self.wrap(
            credential,
            format!("ClientSecretCredential for client {client_id}"),
        ))
    }
}

/// Any `azure_core` `TokenCredential` as a [`Credential`]; see the [`auth`](crate::auth) module.
pub struct AzureIdentityCredential {
    inner: Arc<dyn TokenCredential>,
    errors: Option<ErrorBodies>,
    what: String,
}

impl AzureIdentityCredential {
    /// Wraps a credential built without [`AzureIdentityOptions`] (its failures carry what
    /// `azure_identity` says, without trace and correlation ids).
    pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
        Self {
            inner: credential,
            errors: None,
            what: "azure_identity credential".to_owned(),
        }
    }

    fn failure(&self, error: &azure_core::Error) -> CredentialError {
        let message = format!("{} could not get a token", self.what);
        if let Some(entra) = self.errors.as_ref().and_then(ErrorBodies::entra) {
            return CredentialError::entra(message, entra);
        }
        // azure_identity's message carries Entra's description ("AADSTS7000215: …") but not the ids.
        let text = error.to_string();
        let codes: Vec<u32> = text
            .split("AADSTS")
            .skip(1)
            .filter_map(|rest| {
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .ok()
            })
            .collect();
        if codes.is_empty() {
            let kind = match error.kind() {
                azure_core::error::ErrorKind::Io | azure_core::error::ErrorKind::Connection => {
                    CredentialErrorKind::Transport
                }
                _ => CredentialErrorKind::Other,
            };
            return CredentialError::of_kind(kind, format!("{message}: {text}"));
        }
        let entra = EntraError {
            error: "azure_identity".to_owned(),
            description: Some(text),
            codes,
            ..EntraError::default()
        };
        CredentialError::entra(message, entra)
    }
}

impl fmt::Debug for AzureIdentityCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureIdentityCredential")
            .field("credential", &self.what)
            .finish_non_exhaustive()
    }
}

impl Credential for AzureIdentityCredential {
    fn token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        Box::pin(async move {
            if request.claims.is_some() {
                return Err(CredentialError::of_kind(
                    CredentialErrorKind::ClaimsChallengeUnsupported,
                    format!(
                        "Graph asked for a token with extra claims (a continuous access evaluation challenge, e.g. after a \
                         password reset or a revoked session), and {} cannot request claims; sign in again or use a credential \
                         that can (DeviceCodeCredential)",
                        self.what
                    ),
                ));
            }
            let scopes: Vec<&str> = request.scopes.iter().map(String::as_str).collect();
            if let Some(errors) = &self.errors {
                errors.clear();
            }
            let token = self
                .inner
                .get_token(&scopes, Some(TokenRequestOptions::default()))
                .await
                .map_err(|e| self.failure(&e))?;
            Ok(AccessToken::new(token.token.secret().to_owned())
                .with_expires_on(SystemTime::from(token.expires_on)))
        })
    }
}
