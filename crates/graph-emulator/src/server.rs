//! The HTTP side: the accept loop, the request pipeline (log → route → faults → auth → body
//! validation → behaviour) and Graph-shaped responses.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::Response;
use base64::Engine as _;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower_service::Service as _;

use crate::auth::{self, AuthMode};
use crate::faults::{Fault, Faults};
use crate::log::RecordedRequest;
use crate::ops;
use crate::spec::{Operation, RouteMatch, Spec};
use crate::state::State;

/// The largest request body read.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// How long a graceful shutdown waits for open requests before cutting connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The `Content-Type` Graph puts on JSON success responses.
const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) spec: Spec,
    pub(crate) state: Mutex<State>,
    pub(crate) faults: Faults,
    pub(crate) log: Mutex<Vec<RecordedRequest>>,
    pub(crate) auth: AuthMode,
    /// `http://127.0.0.1:PORT/beta`.
    pub(crate) base_url: String,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Marks a response that must not be sent: the connection is closed instead.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for ConnectionDropped {}

/// Serves connections until `shutdown` flips (or its sender goes away), then finishes open
/// requests for up to [`SHUTDOWN_GRACE`] and cuts what is left. Every connection task lives in a
/// [`JoinSet`] owned by this future, so aborting it ends them all.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let router = Router::new().fallback(handle).with_state(shared);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = stopped(&mut shutdown) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else {
                    // Typically out of file descriptors: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                connections.spawn(serve_connection(stream, router.clone(), shutdown.clone()));
            }
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.shutdown().await;
    }
}

/// Resolves once shutdown is asked for (or the emulator handle is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let mut router = router.clone();
        async move {
            let response = match router.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<DropConnection>().is_some() {
                return Err(ConnectionDropped);
            }
            Ok::<_, ConnectionDropped>(response)
        }
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stopped(&mut shutdown) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Per-request facts the responses need.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) request_id: String,
    pub(crate) client_request_id: String,
    pub(crate) base_url: String,
    pub(crate) wrap_in_value: bool,
}

async fn handle(AxumState(shared): AxumState<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY).await;
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = parts
        .headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| request_id.clone(), str::to_owned);
    let mut ctx = Ctx {
        request_id,
        client_request_id,
        base_url: shared.base_url.clone(),
        wrap_in_value: false,
    };
    let mut record = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.as_ref().map(|b| b.to_vec()).unwrap_or_default(),
        operation_id: None,
        status: None,
    };
    let response = match body {
        Ok(_) => {
            process(
                &shared,
                &parts,
                &record.body,
                &mut ctx,
                &mut record.operation_id,
            )
            .await
        }
        Err(_) => graph_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BadRequest",
            format!(
                "The request body is larger than the emulator's limit of {MAX_BODY} bytes, or could not be read."
            ),
            None,
            &ctx,
        ),
    };
    if response.extensions().get::<DropConnection>().is_none() {
        record.status = Some(response.status().as_u16());
    }
    lock(&shared.log).push(record);
    response
}

async fn process(
    shared: &Shared,
    parts: &Parts,
    body: &[u8],
    ctx: &mut Ctx,
    operation_id: &mut Option<String>,
) -> Response {
    let path = parts.uri.path();
    let segments: Vec<String> = path
        .strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let (version, rest) = match segments.split_first() {
        Some((version, rest)) => (version.as_str(), rest),
        None => ("", &[][..]),
    };
    let route = (version == "beta").then(|| shared.spec.route(parts.method.as_str(), rest));

    if let Some(RouteMatch::Found(op, _)) = &route {
        operation_id.clone_from(&op.operation_id);
        let applied = shared.faults.take(op);
        if !applied.latency.is_zero() {
            tokio::time::sleep(applied.latency).await;
        }
        ctx.wrap_in_value = applied.wrap_in_value;
        if let Some(fault) = applied.terminal {
            return fault_response(&fault, ctx);
        }
        if let Some(retry_after_secs) = applied.timeout_after_applying {
            // Whatever the service answered is lost behind the gateway's 504.
            let _served = serve_routed(shared, parts, body, ctx, version, route).await;
            return fault_response(&Fault::GatewayTimeout { retry_after_secs }, ctx);
        }
    }
    serve_routed(shared, parts, body, ctx, version, route).await
}

/// Authenticates, authorizes, validates and executes a request; `route` is `None` for a version
/// other than `beta`.
async fn serve_routed(
    shared: &Shared,
    parts: &Parts,
    body: &[u8],
    ctx: &mut Ctx,
    version: &str,
    route: Option<RouteMatch<'_>>,
) -> Response {
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = match auth::authenticate(authorization, shared.auth) {
        Ok(caller) => caller,
        Err(auth::Unauthenticated(message)) => {
            let mut response = graph_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                message,
                None,
                ctx,
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
                ),
            );
            return response;
        }
    };

    let (op, params) = match route {
        None => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("Invalid version: {version}. The graph-emulator serves only 'beta'."),
                None,
                ctx,
            );
        }
        Some(RouteMatch::NotFound(segment)) => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("Resource not found for the segment '{segment}'."),
                None,
                ctx,
            );
        }
        Some(RouteMatch::MethodNotAllowed(allowed)) => {
            let mut response = graph_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "Request_BadRequest",
                format!(
                    "The HTTP method '{}' is not supported by this resource in the graph-emulator's spec; allowed: {}.",
                    parts.method,
                    allowed.join(", ")
                ),
                None,
                ctx,
            );
            if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
                response.headers_mut().insert(header::ALLOW, value);
            }
            return response;
        }
        Some(RouteMatch::Found(op, params)) => (op, params),
    };

    if !auth::authorized(&caller, op.permissions.as_ref()) {
        return graph_error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            None,
            ctx,
        );
    }

    let json_body = match read_body(shared, op, body, parts) {
        Ok(json_body) => json_body,
        Err(response) => return response(ctx),
    };

    match op.operation_id.as_deref() {
        Some(ops::ADD_AGENT_IDENTITY_OWNER) => {
            ops::add_agent_identity_owner(shared, &params, json_body.as_ref(), ctx)
        }
        Some(ops::UPDATE_LIMITED_MODE) => ops::update_limited_mode(shared, json_body.as_ref(), ctx),
        other => graph_error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            format!(
                "The graph-emulator has no behaviour for operation '{}' ({} {}).",
                other.unwrap_or("(no operationId)"),
                op.method,
                op.template
            ),
            None,
            ctx,
        ),
    }
}

type ErrorBuilder = Box<dyn FnOnce(&Ctx) -> Response>;

/// Parses and validates the body an operation declares.
fn read_body(
    shared: &Shared,
    op: &Operation,
    body: &[u8],
    parts: &Parts,
) -> Result<Option<Value>, ErrorBuilder> {
    let Some(declared) = &op.body else {
        return Ok(None);
    };
    let bad = |message: String, target: Option<String>| -> ErrorBuilder {
        Box::new(move |ctx: &Ctx| {
            graph_error(StatusCode::BAD_REQUEST, "BadRequest", message, target, ctx)
        })
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return if declared.required {
            Err(bad("Empty Payload. JSON content expected.".into(), None))
        } else {
            Ok(None)
        };
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.is_empty() && !content_type.to_ascii_lowercase().contains("json") {
        return Err(Box::new(move |ctx: &Ctx| {
            graph_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "BadRequest",
                "Unsupported Media Type: the request body must be application/json.",
                None,
                ctx,
            )
        }));
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        bad(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."
                .into(),
            None,
        )
    })?;
    if let Some(schema) = &declared.schema {
        let create = matches!(op.method.as_str(), "POST" | "PUT");
        shared
            .spec
            .validate(schema, &value, create)
            .map_err(|v| bad(v.message, (!v.target.is_empty()).then_some(v.target)))?;
    }
    Ok(Some(value))
}

fn fault_response(fault: &Fault, ctx: &Ctx) -> Response {
    let with_retry_after = |mut response: Response, value: Option<String>| {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    };
    match fault {
        Fault::Throttle { retry_after_secs } => with_retry_after(
            graph_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests. Retry after the time given in the Retry-After header.",
                None,
                ctx,
            ),
            Some(retry_after_secs.to_string()),
        ),
        Fault::ThrottleUntil { retry_after_secs } => with_retry_after(
            graph_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests. Retry after the time given in the Retry-After header.",
                None,
                ctx,
            ),
            Some(httpdate::fmt_http_date(
                SystemTime::now() + Duration::from_secs(*retry_after_secs),
            )),
        ),
        Fault::ServiceUnavailable { retry_after_secs } => with_retry_after(
            graph_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceNotAvailable",
                "The service is temporarily unavailable. Please retry later.",
                None,
                ctx,
            ),
            retry_after_secs.map(|s| s.to_string()),
        ),
        Fault::GatewayTimeout { retry_after_secs } => with_retry_after(
            graph_error(
                StatusCode::GATEWAY_TIMEOUT,
                "GatewayTimeout",
                "The gateway did not receive a timely response from the service.",
                None,
                ctx,
            ),
            retry_after_secs.map(|s| s.to_string()),
        ),
        Fault::BadGatewayHtml => {
            let html = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>502 Bad Gateway</h1><p>The server returned an invalid or incomplete response.</p></body></html>\n";
            let mut response = Response::new(Body::from(html));
            *response.status_mut() = StatusCode::BAD_GATEWAY;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            with_ids(response, ctx)
        }
        Fault::EmptyBody { status } => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() =
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            with_ids(response, ctx)
        }
        Fault::Error {
            status,
            code,
            message,
        } => graph_error(
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message.clone(),
            None,
            ctx,
        ),
        Fault::ClaimsChallenge { claims } => {
            let mut response = graph_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp",
                None,
                ctx,
            );
            let encoded = base64::engine::general_purpose::STANDARD.encode(claims);
            let challenge = format!(
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\", error=\"insufficient_claims\", claims=\"{encoded}\""
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
            response
        }
        Fault::DropConnection => {
            let mut response = Response::new(Body::empty());
            response.extensions_mut().insert(DropConnection);
            response
        }
        // Not terminal: never chosen as the terminal fault.
        Fault::Latency(_) | Fault::WrapInValue | Fault::GatewayTimeoutAfterApplying { .. } => {
            no_content(ctx)
        }
    }
}

/// Adds `request-id` and `client-request-id`.
fn with_ids(mut response: Response, ctx: &Ctx) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert("request-id", value);
    }
    if let Ok(value) = HeaderValue::from_str(&ctx.client_request_id) {
        headers.insert("client-request-id", value);
    }
    response
}

/// A Graph error: `{"error": {"code", "message", "target"?, "innerError": {"date", "request-id",
/// "client-request-id"}}}`.
pub(crate) fn graph_error(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    target: Option<String>,
    ctx: &Ctx,
) -> Response {
    let mut error = json!({
        "code": code,
        "message": message.into(),
        "innerError": {
            "date": now_iso8601(),
            "request-id": ctx.request_id,
            "client-request-id": ctx.client_request_id,
        },
    });
    if let (Some(target), Some(map)) = (target, error.as_object_mut()) {
        map.insert("target".into(), Value::String(target));
    }
    let mut response = Response::new(Body::from(json!({ "error": error }).to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    with_ids(response, ctx)
}

/// A JSON success response; wrapped as `{"value": …}` when a fault asks for it.
pub(crate) fn json_response(status: StatusCode, body: Value, ctx: &Ctx) -> Response {
    let body = if ctx.wrap_in_value {
        let mut inner = body;
        if let Some(map) = inner.as_object_mut() {
            map.remove("@odata.context");
        }
        json!({ "value": inner })
    } else {
        body
    };
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON));
    headers.insert("odata-version", HeaderValue::from_static("4.0"));
    with_ids(response, ctx)
}

/// `204 No Content`.
pub(crate) fn no_content(ctx: &Ctx) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    with_ids(response, ctx)
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
fn now_iso8601() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    }
}
