//! The send loop: one logical request, attempt after attempt, until [`retry::decide`] says it is
//! done. Each attempt: a token (cached `Authorization` header while the credential hands out the
//! same token), headers, the reqwest call, then the outcome — success, a status, a transport
//! failure — goes to the decision; this loop only carries it out.

use std::time::SystemTime;

use bytes::Bytes;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT,
};
use tracing::Instrument;

use crate::auth::challenge::claims_challenge;
use crate::auth::{AccessToken, CredentialError, TokenRequest};
use crate::client::CoreClient;
use crate::decode::Decoder;
use crate::error::{Error, GraphError, ServiceError, excerpt};
use crate::operation::{HttpMethod, OperationMeta};
use crate::response::ResponseInfo;
use crate::retry::{self, Decision, History, Outcome, RetryPolicy};
use crate::throttle::ThrottleClass;

pub(crate) const CLIENT_REQUEST_ID: &str = "client-request-id";
pub(crate) const RETRY_ATTEMPT: &str = "retry-attempt";
const APPLICATION_JSON: &str = "application/json";
/// How much of an undecodable body [`Error::Decode`] keeps.
const BODY_EXCERPT_CHARS: usize = 512;

/// A fresh `client-request-id`: a random UUID.
pub(crate) fn new_client_request_id() -> HeaderValue {
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(""))
}

/// What a send returns besides the decoded value: nothing ([`Plain`], the plain `send` and
/// `.await`, which copy no headers), or the answer's metadata ([`WithInfo`]).
pub(crate) trait Keep<T>: Send + 'static {
    /// What a success keeps of the answer, read before its body.
    type Kept: Send;
    /// What the send returns.
    type Output: Send;
    fn keep(headers: &HeaderMap) -> Self::Kept;
    fn finish(value: T, status: u16, kept: Self::Kept) -> Self::Output;
}

/// The value alone.
pub(crate) struct Plain;

impl<T: Send> Keep<T> for Plain {
    type Kept = ();
    type Output = T;
    fn keep(_: &HeaderMap) {}
    fn finish(value: T, _: u16, (): ()) -> T {
        value
    }
}

/// The value and a [`ResponseInfo`].
pub(crate) struct WithInfo;

impl<T: Send> Keep<T> for WithInfo {
    type Kept = HeaderMap;
    type Output = (T, ResponseInfo);
    fn keep(headers: &HeaderMap) -> HeaderMap {
        headers.clone()
    }
    fn finish(value: T, status: u16, headers: HeaderMap) -> (T, ResponseInfo) {
        (value, ResponseInfo::new(status, headers))
    }
}

/// A validated request, ready to go.
pub(crate) struct Prepared<T> {
    pub(crate) client: CoreClient,
    pub(crate) http: reqwest::Client,
    pub(crate) operation: &'static OperationMeta,
    pub(crate) url: reqwest::Url,
    pub(crate) decoder: Decoder<T>,
    pub(crate) body: Option<Bytes>,
    /// The caller's headers.
    pub(crate) headers: HeaderMap,
    pub(crate) retry_policy: RetryPolicy,
    pub(crate) client_request_id: HeaderValue,
    pub(crate) method: HttpMethod,
    /// The method's throttle class.
    pub(crate) class: ThrottleClass,
    /// A raw call's path template, which names it in place of the operation.
    pub(crate) raw_template: Option<&'static str>,
}

/// How one attempt ended.
enum Attempt<K> {
    /// A 2xx answer, read in full, and what the send keeps of it.
    Success { status: u16, body: Bytes, kept: K },
    /// A 2xx answer whose body could not be read (not retried).
    SuccessBodyFailed(reqwest::Error),
    /// Anything else: for the retry decision.
    Failed(Failure),
}

/// An attempt that did not succeed.
enum Failure {
    /// A non-2xx answer, read in full.
    Answered(Answer),
    /// No answer: the connection failed or timed out.
    Transport(reqwest::Error),
}

/// What the send loop does after an attempt.
enum AfterAttempt<T> {
    /// Return this.
    Done(Result<T, Error>),
    /// Wait, then try again.
    Wait(std::time::Duration),
    /// Get a token for these claims (a CAE challenge), then try again.
    Reauthenticate(String),
}

/// What an answered attempt left for the error, should the decision give up.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
    retry_after: Option<std::time::Duration>,
}

impl<T> Prepared<T> {
    pub(crate) fn client_request_id(&self) -> &str {
        self.client_request_id.to_str().unwrap_or_default()
    }

    /// The operation id, or a raw call's template: what errors and tracing call the request.
    fn operation_id(&self) -> &'static str {
        self.raw_template.unwrap_or(self.operation.operation_id)
    }

    /// The path template: the operation's, or a raw call's.
    fn path_template(&self) -> &'static str {
        self.raw_template.unwrap_or(self.operation.path_template)
    }

    fn transport(&self, e: reqwest::Error) -> Error {
        let operation_id = self.operation_id();
        if e.is_timeout() {
            Error::Timeout {
                operation_id,
                source: e,
            }
        } else {
            Error::Transport {
                operation_id,
                source: e,
            }
        }
    }

    /// `Bearer {token}`, reused while the credential returns the same token.
    fn authorization(&self, token: &AccessToken) -> Result<HeaderValue, Error> {
        let cache = &self.client.inner.authorization;
        let secret = token.shared_secret();
        if let Some((cached, value)) = &*cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            if std::sync::Arc::ptr_eq(cached, secret) || **cached == **secret {
                return Ok(value.clone());
            }
        }
        let mut value = HeaderValue::from_str(&format!("Bearer {secret}")).map_err(|_| {
            Error::Credential(CredentialError::new(
                "the access token contains characters that are not allowed in an HTTP header",
            ))
        })?;
        value.set_sensitive(true);
        *cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((std::sync::Arc::clone(secret), value.clone()));
        Ok(value)
    }

    /// The headers of an attempt: the defaults, the caller's (which replace a default of the
    /// same name), `client-request-id`, `Retry-Attempt` on a retry, and `Authorization`.
    fn headers_for(&self, authorization: HeaderValue, retries: u32) -> HeaderMap {
        // Room for the six defaults at most: a capacity of 6 is one table of 8 slots, where 8
        // would take 16 (twice the memory per attempt).
        let mut headers = HeaderMap::with_capacity(6 + self.headers.len());
        headers.insert(ACCEPT, HeaderValue::from_static(APPLICATION_JSON));
        headers.insert(USER_AGENT, self.client.inner.user_agent.clone());
        if self.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(APPLICATION_JSON));
        }
        if !self.headers.is_empty() {
            for name in self.headers.keys() {
                headers.remove(name);
            }
            for (name, value) in &self.headers {
                headers.append(name.clone(), value.clone());
            }
        }
        headers.insert(
            HeaderName::from_static(CLIENT_REQUEST_ID),
            self.client_request_id.clone(),
        );
        if retries > 0 {
            headers.insert(
                HeaderName::from_static(RETRY_ATTEMPT),
                HeaderValue::from(retries),
            );
        }
        headers.insert(AUTHORIZATION, authorization);
        headers
    }

    async fn token(&self, request: &TokenRequest) -> Result<AccessToken, Error> {
        let credential = &self.client.inner.credential;
        match credential.token_now(request) {
            Some(token) => Ok(token),
            None => credential.token(request).await.map_err(Error::Credential),
        }
    }

    /// The request, in its `graph.request` span: the span is made when the future is first
    /// polled (so its parent is the span current then), and skipped when no subscriber wants
    /// it.
    ///
    /// The future is kept small (every in-flight call holds it, and `.await` on a request
    /// boxes it): `self` is its only copy of the request, each attempt is a future of its own
    /// ([`Prepared::attempt`]), and what an attempt leaves is judged by a plain function
    /// ([`Prepared::conclude`]), so that what the answer, the Graph error and the outcome hold
    /// never lives across an await.
    #[allow(
        clippy::manual_async_fn,
        reason = "an `async fn` taking `self` keeps two copies of it (the argument and a local): 336 bytes more in every in-flight call"
    )]
    pub(crate) fn run<K: Keep<T>>(
        self,
    ) -> impl std::future::Future<Output = Result<K::Output, Error>> + Send
    where
        T: Send,
    {
        async move {
            let this = &self;
            let span = tracing::debug_span!(
                "graph.request",
                operation_id = this.operation_id(),
                method = this.method.as_str(),
                url_template = this.path_template(),
                client_request_id = this.client_request_id(),
                attempt = tracing::field::Empty,
                status = tracing::field::Empty,
            );
            if span.is_disabled() {
                // No subscriber wants it: skip the span's bookkeeping on every poll.
                this.attempts::<K>(None).await
            } else {
                this.attempts::<K>(Some(&span))
                    .instrument(span.clone())
                    .await
            }
        }
    }

    /// A token, then attempts until the decision is final. `span` is the request's span when a
    /// subscriber wants it (fields are recorded on it, whatever the subscriber tracks as
    /// current).
    async fn attempts<K: Keep<T>>(&self, span: Option<&tracing::Span>) -> Result<K::Output, Error>
    where
        T: Send,
    {
        let inner = &self.client.inner;
        let mut claims_request: Option<TokenRequest> = None;
        let mut token = self.token(&inner.token_request).await?;
        let mut history = History::default();
        loop {
            if let Some(span) = span {
                span.record("attempt", history.attempts + 1);
            }
            inner.throttle.admit(self.class).await;
            let attempt = self
                .attempt::<K>(self.authorization(&token)?, history.retries, span)
                .await;
            match self.conclude::<K>(attempt, &mut history) {
                AfterAttempt::Done(result) => return result,
                AfterAttempt::Wait(after) => tokio::time::sleep(after).await,
                AfterAttempt::Reauthenticate(claims) => {
                    tracing::debug!("claims challenge received; retrying with a new token");
                    let request = claims_request.insert(TokenRequest {
                        scopes: inner.token_request.scopes.clone(),
                        claims: Some(claims),
                    });
                    token = self.token(request).await?;
                }
            }
        }
    }

    /// The reqwest request of one attempt.
    fn http_request(&self, authorization: HeaderValue, retries: u32) -> reqwest::Request {
        let mut request = reqwest::Request::new(self.method.to_reqwest(), self.url.clone());
        *request.headers_mut() = self.headers_for(authorization, retries);
        if self.client.inner.timeout_per_request {
            *request.timeout_mut() = self.client.inner.timeout;
        }
        if let Some(body) = &self.body {
            *request.body_mut() = Some(reqwest::Body::from(body.clone()));
        }
        request
    }

    /// One attempt: send, and read the whole answer.
    async fn attempt<K: Keep<T>>(
        &self,
        authorization: HeaderValue,
        retries: u32,
        span: Option<&tracing::Span>,
    ) -> Attempt<K::Kept> {
        let response = match self
            .http
            .execute(self.http_request(authorization, retries))
            .await
        {
            Ok(response) => response,
            Err(e) => return Attempt::Failed(Failure::Transport(e)),
        };
        let status = response.status().as_u16();
        if let Some(span) = span {
            span.record("status", status);
        }
        self.client
            .inner
            .throttle
            .observe(self.class, status, response.headers());
        if (200..300).contains(&status) {
            let kept = K::keep(response.headers());
            return match response.bytes().await {
                Ok(body) => Attempt::Success { status, body, kept },
                Err(e) => Attempt::SuccessBodyFailed(e),
            };
        }
        let headers = response.headers().clone();
        // Read the whole body: for the error, and so the connection can be reused.
        let body = response.bytes().await.unwrap_or_default();
        let retry_after = retry::retry_after_from_headers(&headers, SystemTime::now());
        Attempt::Failed(Failure::Answered(Answer {
            status,
            headers,
            body,
            retry_after,
        }))
    }

    /// What follows an attempt, as [`retry::decide`] says: the result, a wait before the next
    /// attempt, or a new token for a claims challenge.
    fn conclude<K: Keep<T>>(
        &self,
        attempt: Attempt<K::Kept>,
        history: &mut History,
    ) -> AfterAttempt<K::Output> {
        let failure = match attempt {
            Attempt::Success { status, body, kept } => {
                let decision = retry::decide(
                    &self.retry_policy,
                    self.method,
                    self.operation.kind,
                    history,
                    &Outcome::Success,
                );
                if decision
                    == (Decision::Succeed {
                        after_gateway_timeout: true,
                    })
                {
                    tracing::warn!(
                        attempt = history.attempts + 1,
                        "succeeded after an earlier attempt timed out at the gateway; that attempt may also have been applied"
                    );
                }
                tracing::debug!(status, "request succeeded");
                return AfterAttempt::Done(
                    self.decode(status, &body)
                        .map(|value| K::finish(value, status, kept)),
                );
            }
            Attempt::SuccessBodyFailed(e) => return AfterAttempt::Done(Err(self.transport(e))),
            Attempt::Failed(failure) => failure,
        };
        let answer = match &failure {
            Failure::Answered(answer) => Some(answer),
            Failure::Transport(_) => None,
        };
        let outcome_status = answer.map(|a| a.status);
        let claims = answer
            .filter(|a| a.status == 401)
            .and_then(|a| claims_challenge(&a.headers));
        let graph_error = answer.and_then(|a| GraphError::from_body(&a.body));
        let outcome = match &failure {
            Failure::Answered(a) => Outcome::Status {
                status: a.status,
                retry_after: a.retry_after,
                claims: claims.as_deref(),
                error: graph_error.as_ref(),
            },
            Failure::Transport(e) if e.is_connect() && !e.is_timeout() => Outcome::ConnectFailed,
            Failure::Transport(_) => Outcome::TransportFailed,
        };
        let decision = retry::decide(
            &self.retry_policy,
            self.method,
            self.operation.kind,
            history,
            &outcome,
        );
        history.record(&outcome, &decision);
        match decision {
            Decision::Retry { after } => {
                tracing::debug!(
                    status = outcome_status,
                    retry = history.retries,
                    delay_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                    "retrying"
                );
                AfterAttempt::Wait(after)
            }
            Decision::RetryWithClaims(claims) => AfterAttempt::Reauthenticate(claims),
            Decision::AlreadyApplied { status } => {
                tracing::warn!(
                    status,
                    attempt = history.attempts,
                    earlier_attempts = ?history.earlier_statuses,
                    "an earlier attempt timed out at the gateway (504) but was applied: the service now reports \
                     the operation's own effect, so the request has reached the state asked for"
                );
                let kept = match &failure {
                    Failure::Answered(answer) => K::keep(&answer.headers),
                    Failure::Transport(_) => K::keep(&HeaderMap::new()),
                };
                AfterAttempt::Done(
                    self.decode(status, &[])
                        .map(|value| K::finish(value, status, kept)),
                )
            }
            Decision::Succeed { .. } | Decision::GiveUp(_) => {
                if let Decision::GiveUp(reason) = decision {
                    tracing::debug!(
                        status = outcome_status,
                        reason = reason.as_str(),
                        "not retrying"
                    );
                }
                let answer = match failure {
                    Failure::Transport(e) => return AfterAttempt::Done(Err(self.transport(e))),
                    Failure::Answered(answer) => answer,
                };
                tracing::debug!(status = answer.status, "request failed");
                let history = std::mem::take(history);
                AfterAttempt::Done(Err(self.service_error(answer, graph_error, history)))
            }
        }
    }

    fn decode(&self, status: u16, body: &[u8]) -> Result<T, Error> {
        (self.decoder)(body).map_err(|e| Error::Decode {
            operation_id: self.operation_id(),
            status,
            message: e.message().to_owned(),
            body_excerpt: excerpt(&String::from_utf8_lossy(body), BODY_EXCERPT_CHARS),
        })
    }

    fn service_error(
        &self,
        answer: Answer,
        error: Option<crate::GraphError>,
        history: History,
    ) -> Error {
        Error::Service(Box::new(ServiceError {
            status: answer.status,
            operation_id: self.operation_id(),
            error,
            headers: answer.headers,
            raw_body: String::from_utf8_lossy(&answer.body).into_owned(),
            retry_after: answer.retry_after,
            client_request_id: self.client_request_id().to_owned(),
            required_permissions: self.operation.permissions,
            method: self.method,
            attempts: history.attempts,
            earlier_attempts: history.earlier_statuses,
        }))
    }
}
