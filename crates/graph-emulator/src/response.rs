//! Graph-shaped responses: errors with `innerError`, JSON and text bodies, and the
//! `request-id` / `client-request-id` headers every response carries.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

/// The `Content-Type` Graph puts on JSON success responses.
const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// Per-request facts the responses need.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) request_id: String,
    pub(crate) client_request_id: String,
    /// `http://127.0.0.1:PORT/beta`.
    pub(crate) base_url: String,
    /// Wrap a JSON success body as `{"value": …}` (a fault asks for it).
    pub(crate) wrap_in_value: bool,
}

impl Ctx {
    /// `http://127.0.0.1:PORT`: the base URL without its version segment.
    pub(crate) fn origin(&self) -> &str {
        self.base_url
            .rsplit_once('/')
            .map_or(self.base_url.as_str(), |(origin, _)| origin)
    }
}

/// Adds `request-id` and `client-request-id`.
pub(crate) fn with_ids(mut response: Response, ctx: &Ctx) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert("request-id", value);
    }
    if let Ok(value) = HeaderValue::from_str(&ctx.client_request_id) {
        headers.insert("client-request-id", value);
    }
    response
}

/// A Graph error: `{"error": {"code", "message", "target"?, "innerError": {"date",
/// "request-id", "client-request-id"}}}`.
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

/// 404 `Request_ResourceNotFound`, as Graph words it for a directory object.
pub(crate) fn not_found(id: &str, ctx: &Ctx) -> Response {
    graph_error(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
        None,
        ctx,
    )
}

/// 400 `Request_BadRequest`.
pub(crate) fn bad_request(message: impl Into<String>, ctx: &Ctx) -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        message,
        None,
        ctx,
    )
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

/// A `text/plain` success response (`$count`).
pub(crate) fn text_response(body: String, ctx: &Ctx) -> Response {
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    with_ids(response, ctx)
}

/// A success without a body (`204 No Content`, or any status).
pub(crate) fn empty(status: StatusCode, ctx: &Ctx) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    with_ids(response, ctx)
}

/// `204 No Content`.
pub(crate) fn no_content(ctx: &Ctx) -> Response {
    empty(StatusCode::NO_CONTENT, ctx)
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn now_iso8601() -> String {
    iso8601(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
}

/// `YYYY-MM-DDThh:mm:ssZ` for seconds since the Unix epoch.
pub(crate) fn iso8601(secs: u64) -> String {
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
