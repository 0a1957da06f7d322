//! `oauth2`'s HTTP client over this crate's reqwest client ([`Http`]), shared by the Entra ID
//! credentials that drive the `oauth2` crate (device code, browser): it keeps error bodies for
//! Entra's diagnostics and gives up after a few transport failures in a row; and what a failed
//! token exchange means, as a [`CredentialError`].

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse, RequestTokenError, TokenResponse};

use super::error_bodies::ErrorBodies;
use super::{AccessToken, CredentialError, CredentialErrorKind};

/// How many transport failures in a row end a sign-in (instead of polling until the code
/// expires, which is what the `oauth2` crate would do).
const MAX_TRANSPORT_FAILURES: usize = 3;

/// Our reqwest client as `oauth2`'s HTTP client: it keeps error bodies (for Entra's
/// diagnostics) and gives up after a few transport failures in a row.
#[derive(Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    errors: ErrorBodies,
    transport: Arc<Mutex<(usize, Option<String>)>>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum HttpError {
    #[error("{0}")]
    Reqwest(#[from] reqwest::Error),
    #[error("{0}")]
    Http(#[from] http::Error),
}

impl Http {
    /// `oauth2`'s HTTP client over `client`.
    pub(crate) fn new(client: reqwest::Client) -> Self {
        Self {
            client,
            errors: ErrorBodies::default(),
            transport: Arc::default(),
        }
    }

    pub(crate) fn transport_failure(&self) -> Option<String> {
        self.transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .1
            .clone()
    }

    /// Forgets the last exchange's failures (before a new one).
    pub(crate) fn reset(&self) {
        *self
            .transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = (0, None);
        self.errors.clear();
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let outcome = async {
            let response = self.client.execute(request).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?.to_vec();
            Ok::<_, reqwest::Error>((status, headers, body))
        }
        .await;
        match outcome {
            Ok((status, headers, body)) => {
                *self
                    .transport
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = (0, None);
                if !status.is_success() {
                    self.errors.record(&body);
                }
                let mut builder = http::Response::builder().status(status);
                for (name, value) in &headers {
                    builder = builder.header(name, value);
                }
                Ok(builder.body(body)?)
            }
            Err(e) => {
                let mut transport = self
                    .transport
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                transport.0 += 1;
                transport.1 = Some(e.to_string());
                if transport.0 >= MAX_TRANSPORT_FAILURES {
                    // A non-JSON answer ends `oauth2`'s polling at once; the recorded failure
                    // says what really happened.
                    return Ok(http::Response::builder().status(599).body(Vec::new())?);
                }
                Err(HttpError::Reqwest(e))
            }
        }
    }
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// The access token of a token response, with its expiry.
pub(crate) fn access_token<T: TokenResponse>(response: &T) -> AccessToken {
    let mut token = AccessToken::new(response.access_token().secret().clone());
    if let Some(lifetime) = response.expires_in() {
        token = token.with_expires_on(SystemTime::now() + lifetime);
    }
    token
}

/// What went wrong in a token exchange, in words, with Entra's diagnostics.
pub(crate) fn token_failure<RE: std::error::Error, T: oauth2::ErrorResponse + 'static>(
    http: &Http,
    client_id: &str,
    doing: &str,
    error: RequestTokenError<RE, T>,
) -> CredentialError {
    let unreachable = |cause: String| {
        CredentialError::of_kind(
            CredentialErrorKind::Transport,
            format!("{doing}: the token endpoint could not be reached ({cause})"),
        )
    };
    match error {
        RequestTokenError::Request(e) => unreachable(e.to_string()),
        RequestTokenError::ServerResponse(e) => match http.errors.entra() {
            Some(entra) => {
                CredentialError::entra(format!("{doing} for client {}", client_id), entra)
            }
            None => CredentialError::of_kind(CredentialErrorKind::Entra, format!("{doing}: {e}")),
        },
        RequestTokenError::Parse(_, _) | RequestTokenError::Other(_) => {
            match http.transport_failure() {
                Some(transport) => unreachable(transport),
                None => match http.errors.entra() {
                    Some(entra) => {
                        CredentialError::entra(format!("{doing} for client {}", client_id), entra)
                    }
                    None => CredentialError::of_kind(
                        CredentialErrorKind::Transport,
                        format!(
                            "{doing}: the token endpoint answered something that is not a token response"
                        ),
                    ),
                },
            }
        }
    }
}
