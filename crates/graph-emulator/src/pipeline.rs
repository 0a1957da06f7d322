//! The request pipeline, for one request: route → faults → authenticate → route errors →
//! throttle → authorize → query options → body → hook or generic behaviour. [`answer`] runs it
//! for a request received over HTTP ([`crate::handler`]) and for an item of a `$batch`
//! ([`crate::batch`]) alike. Requests to the identity provider (`/{tenant}/oauth2/v2.0/…`,
//! discovery, `/devicelogin`) go to [`Identity`](crate::Identity) instead, after faults for the
//! token and device-code endpoints.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::auth::{self, AuthMode};
use crate::faults::{DropConnection, Fault, Faults};
use crate::hooks::{HookRequest, HookResponse, Hooks};
use crate::identity::{self, Identity, IdentityRequest};
use crate::log::RecordedRequest;
use crate::odata::behaviour::{self, Call};
use crate::odata::query::Query;
use crate::odata::shapes::{Bound, Step};
use crate::odata::validate::{Purpose, Validator};
use crate::odata::{Model, Route, RouteMatch, RouteOperation};
use crate::response::{Ctx, empty, graph_error, json_response};
use crate::store::Store;
use crate::sync::lock;
use crate::throttle::{self, Ask, Throttler};

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) model: Model,
    pub(crate) store: Arc<Mutex<Store>>,
    pub(crate) identity: Identity,
    pub(crate) faults: Faults,
    pub(crate) log: Mutex<Vec<RecordedRequest>>,
    /// Whether requests are appended to `log`.
    pub(crate) keep_log: bool,
    pub(crate) connections: Arc<crate::connections::ConnectionStats>,
    pub(crate) auth: AuthMode,
    pub(crate) hooks: Hooks,
    /// `http://127.0.0.1:PORT` (`https://…` with TLS).
    pub(crate) origin: String,
    /// `{origin}/beta`.
    pub(crate) base_url: String,
    /// The throttling model, when on.
    pub(crate) throttle: Option<Throttler>,
}

/// Per-request facts for the answer to a request with these headers: a new `request-id`, and
/// the caller's `client-request-id` (or the request id).
pub(crate) fn context(shared: &Shared, headers: &HeaderMap) -> Ctx {
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| request_id.clone(), str::to_owned);
    Ctx {
        request_id,
        client_request_id,
        base_url: shared.base_url.clone(),
        wrap_in_value: false,
    }
}

/// Appends a request to the log with the status of its answer (none for a dropped connection).
pub(crate) fn log(shared: &Shared, mut record: RecordedRequest, response: &Response) {
    if response.extensions().get::<DropConnection>().is_none() {
        record.status = Some(response.status().as_u16());
    }
    if shared.keep_log {
        lock(&shared.log).push(record);
    }
}

/// Answers one request (method, URI and headers in `parts`), whether it came over HTTP or in a
/// `$batch`; sets `operation_id` to what it was routed to.
pub(crate) async fn answer(
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
    if let Some((tenant, endpoint)) = identity::route(&segments) {
        *operation_id = Some(endpoint.log_name().to_owned());
        if endpoint.takes_faults() {
            let applied = shared
                .faults
                .take_named(|key| key == endpoint.log_name(), false);
            if !applied.latency.is_zero() {
                tokio::time::sleep(applied.latency).await;
            }
            if let Some(fault) = applied.terminal {
                return crate::faults::respond(&fault, ctx);
            }
        }
        return shared.identity.handle(&IdentityRequest {
            endpoint,
            tenant,
            method: &parts.method,
            headers: &parts.headers,
            query: parts.uri.query(),
            body,
            origin: &shared.origin,
            request_id: &ctx.request_id,
        });
    }
    let (version, rest) = match segments.split_first() {
        Some((version, rest)) => (version.as_str(), rest),
        None => ("", &[][..]),
    };
    // `/beta//servicePrincipals/…` (a base URL ending in `/` joined with a path starting with
    // one, as Microsoft's SDKs do by default) is served like `/beta/servicePrincipals/…`, as
    // Graph serves it. Only the empty segments right after the version go: an empty segment
    // further on stands where a key or a name should be (`/servicePrincipals//owners`), and
    // is refused as a segment no template takes.
    let rest = &rest[rest.iter().take_while(|s| s.is_empty()).count()..];
    let mut response = answer_graph(shared, parts, body, ctx, operation_id, version, rest).await;
    // With throttling on, every Graph answer says what the request costs, charged or not.
    let uncharged = !response.headers().contains_key("x-ms-resource-unit");
    if let (Some(throttler), true) = (&shared.throttle, uncharged) {
        let query = parts.uri.query().map(crate::odata::query::pairs);
        let charge = throttler.cost(
            parts.method.as_str(),
            rest,
            query.as_deref().unwrap_or_default(),
        );
        throttle::add_headers(&mut response, &charge);
    }
    response
}

/// [`answer`] for a request to Graph's API: `version` is the first segment, `rest` the others.
async fn answer_graph(
    shared: &Shared,
    parts: &Parts,
    body: &[u8],
    ctx: &mut Ctx,
    operation_id: &mut Option<String>,
    version: &str,
    rest: &[String],
) -> Response {
    let route =
        (version == crate::API_VERSION).then(|| shared.model.route(parts.method.as_str(), rest));

    if let Some(RouteMatch::Found(_, op, _)) = &route {
        operation_id.clone_from(&op.operation_id);
        let applied = shared.faults.take(op);
        if !applied.latency.is_zero() {
            tokio::time::sleep(applied.latency).await;
        }
        ctx.wrap_in_value = applied.wrap_in_value;
        if let Some(fault) = applied.terminal {
            return crate::faults::respond(&fault, ctx);
        }
        if let Some(retry_after_secs) = applied.timeout_after_applying {
            // Whatever the service answered is lost behind the gateway's 504.
            let _served = serve_routed(shared, parts, body, ctx, (version, rest), route);
            return crate::faults::respond(&Fault::GatewayTimeout { retry_after_secs }, ctx);
        }
    }
    serve_routed(shared, parts, body, ctx, (version, rest), route)
}

/// Authenticates, authorizes, validates and executes a request; `route` is `None` for a version
/// other than `beta`.
fn serve_routed(
    shared: &Shared,
    parts: &Parts,
    body: &[u8],
    ctx: &Ctx,
    (version, rest): (&str, &[String]),
    route: Option<RouteMatch<'_>>,
) -> Response {
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = match auth::authenticate(authorization, shared.auth, &shared.origin) {
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

    let (route, op, params) = match route {
        None => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!(
                    "Invalid version: {version}. The graph-emulator serves only '{}'.",
                    crate::API_VERSION
                ),
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
        Some(RouteMatch::Found(route, op, params)) => (route, op, params),
    };

    let Some(throttler) = &shared.throttle else {
        return execute(shared, parts, body, ctx, (&caller, route, op, &params));
    };
    // Charged before it runs: a request over a limit has no effect.
    let (app, tenant) = auth::app_and_tenant(authorization, throttle::OPAQUE_TOKEN_APP_ID);
    let query = parts.uri.query().map(crate::odata::query::pairs);
    let (charge, refusal) = throttler.charge(&Ask {
        app: &app,
        tenant: &tenant,
        method: parts.method.as_str(),
        path: rest,
        query: query.as_deref().unwrap_or_default(),
        low_priority: parts
            .headers
            .get("x-ms-throttle-priority")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("low")),
    });
    let mut response = match refusal {
        Some(refusal) => throttle::too_many_requests(&refusal, ctx),
        None => execute(shared, parts, body, ctx, (&caller, route, op, &params)),
    };
    throttle::add_headers(&mut response, &charge);
    response
}

/// Authorizes, validates and executes a routed request.
fn execute(
    shared: &Shared,
    parts: &Parts,
    body: &[u8],
    ctx: &Ctx,
    (caller, route, op, params): (&auth::Caller, &Route, &RouteOperation, &Bound),
) -> Response {
    if !auth::authorized(caller, op.permissions.as_ref()) {
        return graph_error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            None,
            ctx,
        );
    }

    let query = match Query::parse(parts.uri.query(), &op.query_options) {
        Ok(query) => query,
        Err(e) => return graph_error(StatusCode::BAD_REQUEST, e.code, e.message, None, ctx),
    };
    let json_body = match read_body(&shared.model, route, op, body, parts, ctx) {
        Ok(json_body) => json_body,
        Err(response) => return response,
    };

    let mut store = lock(&shared.store);
    if let Some(hook) = shared.hooks.get(op.operation_id.as_deref()) {
        let request = HookRequest {
            operation_id: op.operation_id.as_deref().unwrap_or_default(),
            method: op.method,
            path_params: params,
            query: &query.raw,
            body: json_body.as_ref(),
        };
        return match hook(&request, &mut store) {
            HookResponse::Json(status, value) => json_response(
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                value,
                ctx,
            ),
            HookResponse::Empty(status) => empty(
                StatusCode::from_u16(status).unwrap_or(StatusCode::NO_CONTENT),
                ctx,
            ),
            HookResponse::Error {
                status,
                code,
                message,
            } => graph_error(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                &code,
                message,
                None,
                ctx,
            ),
        };
    }
    let call = Call {
        model: &shared.model,
        route,
        op,
        params,
        query: &query,
        headers: &parts.headers,
        body: json_body.as_ref(),
        raw_path: parts.uri.path(),
        ctx,
    };
    behaviour::serve(&call, &mut store)
}

/// Parses and validates the body an operation declares.
fn read_body(
    model: &Model,
    route: &Route,
    op: &RouteOperation,
    body: &[u8],
    parts: &Parts,
    ctx: &Ctx,
) -> Result<Option<Value>, Response> {
    let Some(declared) = &op.body else {
        return Ok(None);
    };
    let bad = |message: String, target: Option<String>| {
        graph_error(StatusCode::BAD_REQUEST, "BadRequest", message, target, ctx)
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
        return Err(graph_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BadRequest",
            "Unsupported Media Type: the request body must be application/json.",
            None,
            ctx,
        ));
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        bad(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."
                .into(),
            None,
        )
    })?;
    let mut value = value;
    if let Some(schema) = &declared.schema {
        let creates = op.method == "PUT"
            || (op.method == "POST" && route.steps.last().is_some_and(Step::is_collection));
        let validator = Validator {
            doc: &model.doc,
            hierarchy: &model.hierarchy,
            purpose: if creates {
                Purpose::Create
            } else {
                Purpose::Update
            },
        };
        validator
            .validate(schema.into(), &value)
            .map_err(|v| bad(v.message, (!v.target.is_empty()).then_some(v.target)))?;
        let declared = validator.declared_properties(schema.into());
        crate::odata::validate::strip_ignored_annotations(&mut value, &declared);
    } else {
        crate::odata::validate::strip_ignored_annotations(&mut value, &["@odata.id".to_owned()]);
    }
    Ok(Some(value))
}
