//! [`Request`]: one call of an operation, configured by builder methods; `send` validates it
//! ([`Request::prepare`]) and hands it to the send loop ([`crate::send`]).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use bytes::Bytes;
use futures_util::future::Either;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use crate::client::CoreClient;
use crate::decode::Decoder;
use crate::error::Error;
use crate::operation::{HttpMethod, OperationMeta};
use crate::path::{RequestPath, encode_query_name, encode_query_value};
use crate::response::ResponseInfo;
use crate::retry::RetryPolicy;
use crate::send::{CLIENT_REQUEST_ID, Plain, Prepared, RETRY_ATTEMPT, WithInfo};
use crate::throttle::{THROTTLE_PRIORITY, ThrottleClass, ThrottlePriority};

impl CoreClient {
    /// Starts a request for `operation`. Nothing is validated or sent until
    /// [`Request::send`] (or `.await`).
    pub fn request<T>(
        &self,
        operation: &'static OperationMeta,
        path: RequestPath,
        decoder: Decoder<T>,
    ) -> Request<T> {
        Request::new(self.clone(), operation, path, decoder)
    }
}

/// One call of an operation, configured with builder methods and sent with
/// [`send`](Request::send) or `.await`.
///
/// Builder methods never fail: a problem (unserializable body, invalid header) is stored and
/// returned by `send` before anything goes over the network.
///
/// The pipeline, per logical request:
/// 1. stored errors, path parameter validation and the national-cloud check (nothing is sent
///    if any fails);
/// 2. a token from the client's credential for the cloud's `/.default` scope;
/// 3. headers `Authorization`, `Accept: application/json`, `Content-Type: application/json`
///    (with a body), `User-Agent`, `client-request-id` (one UUID for all attempts) and
///    `Retry-Attempt: n` on the n-th retry, plus the caller's headers;
/// 4. retries as described in [`RetryPolicy`], and one retry with a fresh token after a CAE
///    claims challenge (401 with `WWW-Authenticate: ... claims="..."`);
/// 5. 2xx bodies go to the decoder; everything else becomes [`Error::Service`].
///
/// Each logical request runs in a `graph.request` tracing span (fields `operation_id`,
/// `method`, `url_template`, `client_request_id`, `attempt`, `status`). Tokens, bodies and
/// concrete URLs are never logged.
pub struct Request<T> {
    client: CoreClient,
    operation: &'static OperationMeta,
    path: RequestPath,
    decoder: Decoder<T>,
    body: Option<Bytes>,
    headers: HeaderMap,
    query: Vec<(String, String)>,
    retry_policy: Option<RetryPolicy>,
    client_request_id: Option<HeaderValue>,
    error: Option<Error>,
    /// A validated absolute URL (a next link) used instead of the path and query.
    url: Option<reqwest::Url>,
    /// The method sent: the operation's, except for next pages, which are always a GET.
    method: HttpMethod,
    /// A raw call's path template ([`CoreClient::raw`]), which names it in errors and tracing in
    /// place of the operation's.
    raw_template: Option<&'static str>,
}

impl<T> fmt::Debug for Request<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("operation_id", &self.operation_id())
            .field("method", &self.method)
            .field("path", &self.path)
            .field(
                "query",
                &self
                    .query
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>(),
            )
            .field(
                "headers",
                &self
                    .headers
                    .keys()
                    .map(HeaderName::as_str)
                    .collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .field("retry_policy", &self.retry_policy)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<T> Request<T> {
    pub(crate) fn new(
        client: CoreClient,
        operation: &'static OperationMeta,
        path: RequestPath,
        decoder: Decoder<T>,
    ) -> Self {
        Self {
            client,
            operation,
            path,
            decoder,
            body: None,
            headers: HeaderMap::new(),
            query: Vec::new(),
            retry_policy: None,
            client_request_id: None,
            error: None,
            url: None,
            method: operation.method,
            raw_template: None,
        }
    }

    /// Names this request after a raw call's template (see [`CoreClient::raw`]).
    pub(crate) fn raw(mut self, template: &'static str) -> Self {
        self.raw_template = Some(template);
        self
    }

    /// What errors and tracing call this request: the operation id, or a raw call's template.
    pub(crate) fn operation_id(&self) -> &'static str {
        self.raw_template.unwrap_or(self.operation.operation_id)
    }

    /// What a follow-up request (the next page) repeats of this one: the operation, the
    /// decoder, the caller's headers and the retry policy — not the path, the query, the body
    /// or the `client-request-id`.
    pub(crate) fn replay(&self) -> Replay<T> {
        Replay {
            client: self.client.clone(),
            operation: self.operation,
            decoder: self.decoder,
            headers: self.headers.clone(),
            retry_policy: self.retry_policy,
            raw_template: self.raw_template,
        }
    }

    /// The decoder of the answer (for a batch item, which is decoded when read).
    pub(crate) fn decoder(&self) -> Decoder<T> {
        self.decoder
    }

    /// This request, failing with `error` when sent (unless a builder method stored one first).
    pub(crate) fn with_error(mut self, error: Error) -> Self {
        self.error.get_or_insert(error);
        self
    }

    /// The error a builder method stored, if any (taken: `send` would return it).
    pub(crate) fn take_error(&mut self) -> Option<Error> {
        self.error.take()
    }

    pub(crate) fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(Error::InvalidInput { message });
        }
    }

    /// The operation this request calls. For a raw call ([`CoreClient::raw`]) it is a generic
    /// description (operation id `raw`, no documented permissions or cloud restrictions).
    pub fn operation(&self) -> &'static OperationMeta {
        self.operation
    }
}

impl<T: Send + 'static> Request<T> {
    /// Sets the JSON request body, serialized now. A serialization failure is returned by
    /// `send` as [`Error::InvalidInput`].
    #[must_use]
    pub fn json_body<B: serde::Serialize + ?Sized>(mut self, body: &B) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body = Some(Bytes::from(bytes)),
            Err(e) => self.fail(format!("could not serialize the request body: {e}")),
        }
        self
    }

    /// Sets a non-JSON request body (e.g. `application/octet-stream` media for a `$value`
    /// upload) and its `Content-Type`.
    #[must_use]
    pub fn bytes_body(mut self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Some(Bytes::from(bytes.into()));
        self.header(CONTENT_TYPE.as_str(), content_type)
    }

    /// Adds a request header (e.g. `If-Match`, `ConsistencyLevel`, `Prefer`). A header set
    /// here replaces a default one of the same name; adding the same name twice sends both.
    ///
    /// `client-request-id` sets the correlation id used for all attempts instead of a random
    /// one. `Authorization` (owned by the credential) and `Retry-Attempt` (owned by the retry
    /// loop) are refused, like invalid names or values, with [`Error::InvalidInput`] at send
    /// time. Header values never appear in errors or debug output.
    #[must_use]
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        let (name, value) = (name.as_ref(), value.as_ref());
        let Ok(header_name) = HeaderName::from_bytes(name.trim().as_bytes()) else {
            self.fail(format!("invalid header name {name:?}"));
            return self;
        };
        let Ok(mut header_value) = HeaderValue::from_str(value) else {
            self.fail(format!("invalid value for header `{header_name}`"));
            return self;
        };
        header_value.set_sensitive(true);
        if header_name == AUTHORIZATION || header_name.as_str() == RETRY_ATTEMPT {
            self.fail(format!(
                "the `{header_name}` header is managed by the client and cannot be set"
            ));
        } else if header_name.as_str() == CLIENT_REQUEST_ID {
            self.client_request_id = Some(header_value);
        } else {
            self.headers.append(header_name, header_value);
        }
        self
    }

    /// Adds a query parameter. `$` stays readable in names (`$select`, `$filter`); values are
    /// percent-encoded.
    #[must_use]
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        let value = value.into();
        self.query
            .push((encode_query_name(&name), encode_query_value(&value)));
        self
    }

    /// Adds a query parameter whose value is a comma-separated list (OpenAPI `explode:
    /// false`), e.g. `$select=id,displayName`. Each item is percent-encoded on its own, so a
    /// comma inside an item cannot split it.
    #[must_use]
    pub fn query_list<I, S>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let name = name.into();
        let value = values
            .into_iter()
            .map(|v| encode_query_value(&v.into()))
            .collect::<Vec<_>>()
            .join(",");
        self.query.push((encode_query_name(&name), value));
        self
    }

    /// Overrides the client's retry policy for this request.
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// Sends `x-ms-throttle-priority` with this request (replacing any set before): how Entra
    /// ranks it when the application nears its limits (see [`ThrottlePriority`]).
    #[must_use]
    pub fn throttle_priority(mut self, priority: ThrottlePriority) -> Self {
        self.headers.insert(
            HeaderName::from_static(THROTTLE_PRIORITY),
            HeaderValue::from_static(priority.as_str()),
        );
        self
    }

    /// Sends the request (with retries) and decodes the response.
    ///
    /// The request is validated here, before the future is first polled (an invalid one gives
    /// a future that is ready with the error); the future holds only what the send loop needs.
    pub fn send(self) -> impl Future<Output = Result<T, Error>> + Send + 'static {
        match self.prepare() {
            Ok(prepared) => Either::Right(prepared.run::<Plain>()),
            Err(e) => Either::Left(std::future::ready(Err(e))),
        }
    }

    /// Like [`send`](Self::send), and also returns the answer's status and headers
    /// ([`ResponseInfo`]: resource units, limit percentage, request ids). Only this method copies
    /// the headers; `send` and `.await` do not.
    pub fn send_with_response(
        self,
    ) -> impl Future<Output = Result<(T, ResponseInfo), Error>> + Send + 'static {
        match self.prepare() {
            Ok(prepared) => Either::Right(prepared.run::<WithInfo>()),
            Err(e) => Either::Left(std::future::ready(Err(e))),
        }
    }

    /// Everything that can fail without network activity: stored errors, the HTTP client, the
    /// national-cloud check, the path parameters and the URL. A batch item is prepared the same
    /// way ([`crate::batch`]).
    pub(crate) fn prepare(self) -> Result<Prepared<T>, Error> {
        let Request {
            client,
            operation,
            path,
            decoder,
            body,
            headers,
            query,
            retry_policy,
            client_request_id,
            error,
            url,
            method,
            raw_template,
        } = self;
        if let Some(e) = error {
            return Err(e);
        }
        let inner = &client.inner;
        let http = match &inner.http {
            Ok(http) => http.clone(),
            Err(message) => {
                return Err(Error::Config {
                    message: message.clone(),
                });
            }
        };
        let operation_id = raw_template.unwrap_or(operation.operation_id);
        if let (Some(cloud), Some(available)) = (inner.cloud.national(), operation.national_clouds)
        {
            if !available.contains(&cloud) {
                return Err(Error::NotAvailableInCloud {
                    operation_id,
                    cloud,
                    available,
                });
            }
        }
        let url = match url {
            Some(url) => url,
            None => crate::url::request_url(&inner.service_root, &path, &query, operation_id)?,
        };
        Ok(Prepared {
            retry_policy: retry_policy.unwrap_or(inner.retry_policy),
            client_request_id: client_request_id.unwrap_or_else(crate::send::new_client_request_id),
            client,
            http,
            operation,
            url,
            decoder,
            body,
            headers,
            class: ThrottleClass::of(method),
            method,
            raw_template,
        })
    }
}

impl<T: Send + 'static> IntoFuture for Request<T> {
    type Output = Result<T, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T, Error>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The parts of a request that its follow-ups (next pages) repeat.
pub(crate) struct Replay<T> {
    client: CoreClient,
    operation: &'static OperationMeta,
    decoder: Decoder<T>,
    headers: HeaderMap,
    retry_policy: Option<RetryPolicy>,
    raw_template: Option<&'static str>,
}

impl<T> Replay<T> {
    /// A request for `link` (a next link), after checking that it points at the client's
    /// service root: same scheme, host and port, no credentials. Nothing is sent otherwise.
    pub(crate) fn request(&self, link: &str) -> Result<Request<T>, Error> {
        let url = crate::url::check_next_link(
            self.client.service_root(),
            self.raw_template.unwrap_or(self.operation.operation_id),
            link,
        )?;
        let mut request = Request::new(
            self.client.clone(),
            self.operation,
            RequestPath::new(),
            self.decoder,
        );
        request.headers = self.headers.clone();
        request.retry_policy = self.retry_policy;
        request.raw_template = self.raw_template;
        request.url = Some(url);
        // A next link is read with GET, whatever started the collection (a POST action can be
        // pageable).
        request.method = HttpMethod::Get;
        Ok(request)
    }
}
