//! [`Request`] and the send pipeline.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::SystemTime;

use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
    USER_AGENT, WWW_AUTHENTICATE,
};
use tracing::Instrument;

use crate::client::Client;
use crate::auth::{CredentialError, TokenRequest};
use crate::decode::Decoder;
use crate::error::{Error, ServiceError, excerpt, parse_graph_error};
use crate::operation::{HttpMethod, OperationMeta};
use crate::path::{RequestPath, encode_query_name, encode_query_value};
use crate::retry::{RetryPolicy, is_retryable_status, parse_retry_after};

const CLIENT_REQUEST_ID: &str = "client-request-id";
const RETRY_ATTEMPT: &str = "retry-attempt";
const APPLICATION_JSON: &str = "application/json";
/// How much of an undecodable body [`Error::Decode`] keeps.
const BODY_EXCERPT_CHARS: usize = 512;

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
    client: Client,
    operation: &'static OperationMeta,
    path: RequestPath,
    decoder: Decoder<T>,
    body: Option<Vec<u8>>,
    headers: HeaderMap,
    query: Vec<(String, String)>,
    retry_policy: Option<RetryPolicy>,
    client_request_id: Option<HeaderValue>,
    error: Option<Error>,
    /// A validated absolute URL (a next link) used instead of the path and query.
    url: Option<reqwest::Url>,
    /// The method sent: the operation's, except for next pages, which are always a GET.
    method: HttpMethod,
}

impl<T> fmt::Debug for Request<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("operation_id", &self.operation.operation_id)
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
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .field("retry_policy", &self.retry_policy)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<T> Request<T> {
    pub(crate) fn new(
        client: Client,
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
        }
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
        }
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(Error::InvalidInput { message });
        }
    }

    /// The operation this request calls.
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
            Ok(bytes) => self.body = Some(bytes),
            Err(e) => self.fail(format!("could not serialize the request body: {e}")),
        }
        self
    }

    /// Sets a non-JSON request body (e.g. `application/octet-stream` media for a `$value`
    /// upload) and its `Content-Type`.
    #[must_use]
    pub fn bytes_body(mut self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Some(bytes.into());
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

    /// Sends the request (with retries) and decodes the response.
    pub async fn send(self) -> Result<T, Error> {
        let prepared = self.prepare()?;
        let span = tracing::debug_span!(
            "graph.request",
            operation_id = prepared.operation.operation_id,
            method = prepared.method.as_str(),
            url_template = prepared.operation.path_template,
            client_request_id = prepared.client_request_id_text.as_str(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        prepared.run(span.clone()).instrument(span).await
    }

    /// Everything that can fail without network activity.
    fn prepare(self) -> Result<Prepared<T>, Error> {
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
        if let (Some(cloud), Some(available)) = (inner.cloud.national(), operation.national_clouds)
        {
            if !available.contains(&cloud) {
                return Err(Error::NotAvailableInCloud {
                    operation_id: operation.operation_id,
                    cloud,
                    available,
                });
            }
        }
        let url = match url {
            Some(url) => url,
            None => {
                let mut url = inner.service_root.clone();
                url.push_str(&path.render()?);
                for (i, (name, value)) in query.iter().enumerate() {
                    url.push(if i == 0 { '?' } else { '&' });
                    url.push_str(name);
                    url.push('=');
                    url.push_str(value);
                }
                reqwest::Url::parse(&url).map_err(|e| Error::InvalidInput {
                    message: format!(
                        "could not build the request URL for {}: {e}",
                        operation.operation_id
                    ),
                })?
            }
        };
        let client_request_id = client_request_id.unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .unwrap_or(HeaderValue::from_static(""))
        });
        let client_request_id_text = client_request_id.to_str().unwrap_or_default().to_owned();
        Ok(Prepared {
            retry_policy: retry_policy.unwrap_or(inner.retry_policy),
            client,
            http,
            operation,
            url,
            decoder,
            body,
            headers,
            client_request_id,
            client_request_id_text,
            method,
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
    client: Client,
    operation: &'static OperationMeta,
    decoder: Decoder<T>,
    headers: HeaderMap,
    retry_policy: Option<RetryPolicy>,
}

impl<T> Replay<T> {
    /// A request for `link` (a next link), after checking that it points at the client's
    /// service root: same scheme, host and port, no credentials. Nothing is sent otherwise.
    pub(crate) fn request(&self, link: &str) -> Result<Request<T>, Error> {
        let url = crate::paging::check_next_link(&self.client, self.operation.operation_id, link)?;
        let mut request = Request::new(self.client.clone(), self.operation, RequestPath::new(), self.decoder);
        request.headers = self.headers.clone();
        request.retry_policy = self.retry_policy;
        request.url = Some(url);
        // A next link is read with GET, whatever started the collection (a POST action can be
        // pageable).
        request.method = HttpMethod::Get;
        Ok(request)
    }
}

/// A validated request, ready to go.
struct Prepared<T> {
    client: Client,
    http: reqwest::Client,
    operation: &'static OperationMeta,
    url: reqwest::Url,
    decoder: Decoder<T>,
    body: Option<Vec<u8>>,
    headers: HeaderMap,
    retry_policy: RetryPolicy,
    client_request_id: HeaderValue,
    client_request_id_text: String,
    method: HttpMethod,
}

impl<T> Prepared<T> {
    fn transport(&self, e: reqwest::Error) -> Error {
        let operation_id = self.operation.operation_id;
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

    fn headers_for(&self, token: &str, retries: u32) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(APPLICATION_JSON));
        headers.insert(USER_AGENT, self.client.inner.user_agent.clone());
        if self.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(APPLICATION_JSON));
        }
        for name in self.headers.keys() {
            headers.remove(name);
        }
        for (name, value) in &self.headers {
            headers.append(name.clone(), value.clone());
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
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            Error::Credential(CredentialError::new(
                "the access token contains characters that are not allowed in an HTTP header",
            ))
        })?;
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);
        Ok(headers)
    }

    /// The retry loop; `span` is the request's span (instrumenting this future), passed in so
    /// that fields are recorded on it whatever the subscriber tracks as current.
    async fn run(self, span: tracing::Span) -> Result<T, Error> {
        let operation_id = self.operation.operation_id;
        let inner = &self.client.inner;
        let policy = self.retry_policy;
        let mut token_request = TokenRequest {
            scopes: vec![inner.token_scope.clone()],
            claims: None,
        };
        let mut token = inner
            .credential
            .token(&token_request)
            .await
            .map_err(Error::Credential)?;
        let mut retries: u32 = 0;
        let mut attempt: u32 = 0;
        let mut claims_retried = false;
        // Statuses of the attempts that got a response and were retried.
        let mut earlier_attempts: Vec<u16> = Vec::new();

        loop {
            attempt += 1;
            span.record("attempt", attempt);
            let mut builder = self
                .http
                .request(self.method.to_reqwest(), self.url.clone())
                .headers(self.headers_for(token.secret(), retries)?);
            if let Some(timeout) = inner.timeout {
                builder = builder.timeout(timeout);
            }
            if let Some(body) = &self.body {
                builder = builder.body(body.clone());
            }

            let response = match builder.send().await {
                Ok(response) => response,
                Err(e) if e.is_connect() && !e.is_timeout() && retries < policy.max_retries => {
                    retries += 1;
                    let delay = policy.backoff(retries);
                    tracing::debug!(
                        retry = retries,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "connection failed; retrying"
                    );
                    tokio::time::sleep(delay).await;
                    continue;
                }
                Err(e) => return Err(self.transport(e)),
            };

            let status = response.status();
            span.record("status", status.as_u16());
            if status.is_success() {
                let body = response.bytes().await.map_err(|e| self.transport(e))?;
                tracing::debug!(status = status.as_u16(), "request succeeded");
                if self.method != HttpMethod::Get && earlier_attempts.contains(&504) {
                    tracing::warn!(
                        attempt,
                        "succeeded after an earlier attempt timed out at the gateway; \
                         that attempt may also have been applied"
                    );
                }
                return (self.decoder)(&body).map_err(|e| Error::Decode {
                    operation_id,
                    status: status.as_u16(),
                    message: e.message().to_owned(),
                    body_excerpt: excerpt(&String::from_utf8_lossy(&body), BODY_EXCERPT_CHARS),
                });
            }

            let headers = response.headers().clone();
            if status.as_u16() == 401 && !claims_retried {
                if let Some(claims) = claims_challenge(&headers) {
                    claims_retried = true;
                    earlier_attempts.push(status.as_u16());
                    drop(response);
                    tracing::debug!("claims challenge received; retrying with a new token");
                    token_request.claims = Some(claims);
                    token = inner
                        .credential
                        .token(&token_request)
                        .await
                        .map_err(Error::Credential)?;
                    continue;
                }
            }

            let retry_after = headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            let retry_this = is_retryable_status(status.as_u16())
                && !(status.as_u16() == 504
                    && self.method == HttpMethod::Post
                    && !policy.retry_post_after_gateway_timeout);
            if retry_this && retries < policy.max_retries {
                if let Some(delay) = policy.delay(retries + 1, retry_after) {
                    retries += 1;
                    earlier_attempts.push(status.as_u16());
                    // Read the rest of the body so the connection can be reused.
                    let _ = response.bytes().await;
                    tracing::debug!(
                        status = status.as_u16(),
                        retry = retries,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "retrying"
                    );
                    tokio::time::sleep(delay).await;
                    continue;
                }
                tracing::debug!(
                    status = status.as_u16(),
                    "Retry-After exceeds the policy's max_delay; not retrying"
                );
            }

            let body = response.bytes().await.unwrap_or_default();
            tracing::debug!(status = status.as_u16(), "request failed");
            return Err(Error::Service(Box::new(ServiceError {
                status: status.as_u16(),
                operation_id,
                error: parse_graph_error(&body),
                headers,
                raw_body: String::from_utf8_lossy(&body).into_owned(),
                retry_after,
                client_request_id: self.client_request_id_text.clone(),
                required_permissions: self.operation.permissions,
                method: self.method,
                attempts: attempt,
                earlier_attempts,
            })));
        }
    }
}

/// Finds a CAE claims challenge (`claims="<base64>"`) in the `WWW-Authenticate` headers and
/// returns the decoded JSON text.
pub(crate) fn claims_challenge(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| auth_param(v, "claims"))
        .and_then(|encoded| decode_base64(&encoded))
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|s| !s.trim().is_empty())
}

/// The value of the auth-param `name` (quoted or token form) in a `WWW-Authenticate` value.
fn auth_param(header: &str, name: &str) -> Option<String> {
    let lower = header.to_ascii_lowercase();
    let needle = format!("{}=", name.to_ascii_lowercase());
    let mut from = 0;
    while let Some(pos) = lower[from..].find(&needle) {
        let start = from + pos;
        from = start + needle.len();
        let at_boundary =
            lower[..start].trim_end().is_empty() || lower[..start].ends_with([' ', ',', '\t']);
        if !at_boundary {
            continue;
        }
        let rest = header[from..].trim_start();
        return Some(if let Some(quoted) = rest.strip_prefix('"') {
            quoted.split('"').next().unwrap_or_default().to_owned()
        } else {
            rest.split([',', ' ', '\t'])
                .next()
                .unwrap_or_default()
                .to_owned()
        });
    }
    None
}

/// Decodes standard or URL-safe base64, with or without padding.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVsbG8").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVsbA==").unwrap(), b"hell");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(
            decode_base64("-_-_").unwrap(),
            decode_base64("+/+/").unwrap()
        );
        assert!(decode_base64("a").is_none());
        assert!(decode_base64("a$bc").is_none());
    }

    #[test]
    fn claims_from_header() {
        let json = r#"{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}"#;
        let encoded = "eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwidmFsdWUiOiIxNjA0MTA2NjUxIn19fQ==";
        let mut headers = HeaderMap::new();
        headers.append(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"x\""),
        );
        let value = format!(
            "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", \
             error=\"insufficient_claims\", claims=\"{encoded}\""
        );
        headers.append(WWW_AUTHENTICATE, HeaderValue::from_str(&value).unwrap());
        assert_eq!(claims_challenge(&headers).as_deref(), Some(json));

        let mut plain = HeaderMap::new();
        plain.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\", xclaims=\"e30=\""),
        );
        assert_eq!(claims_challenge(&plain), None);
        assert_eq!(
            auth_param("Bearer Claims=abc, x=1", "claims").as_deref(),
            Some("abc")
        );
    }
}
