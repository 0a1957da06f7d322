//! JSON batching: `POST /beta/$batch`, each item answered by the same pipeline as a request of
//! its own ([`pipeline::answer`]), with no code per operation.
//!
//! The body is `{"requests": [{"id", "method", "url", "headers"?, "body"?, "dependsOn"?}]}`
//! with at most [`MAX_ITEMS`] items; the answer is `200 {"responses": [{"id", "status",
//! "headers", "body"?}]}`, in the order the items completed. What Graph refuses as a whole is a
//! 400 in Graph's error shape: a body that is not such an object, more than 20 items, an item
//! without a string `id`, `method` or `url`, an id used twice, a `dependsOn` naming no item of
//! the batch, or dependencies in a cycle.
//!
//! Items run one at a time, an item after the items it depends on and otherwise in the order
//! given. Each item is a request of its own: its URL is relative to the version root
//! (`/users/{id}` or `users/{id}`, query included), it carries its own headers plus the batch's
//! `Authorization` (and the batch's `x-ms-throttle-priority` when it names none), and meets
//! faults, authentication, throttling (charged its own resource units), authorization and
//! validation like any request, and is logged on its own (also when it did not run), before the
//! batch itself. An item with a `body` must say `Content-Type` in its headers (else that item
//! answers 400); a JSON body is sent as JSON, a string body with another content type as the
//! string's bytes. An item whose dependency answered anything but 2xx answers `424 Failed
//! Dependency` in Graph's error shape without running. An item's failure never fails its
//! siblings; a fault that drops the connection drops the batch's.
//!
//! With throttling on, the batch's own answer carries the sum of its items'
//! `x-ms-resource-unit` and the highest `x-ms-throttle-limit-percentage` among them; the batch
//! itself costs nothing, is not throttled and meets no faults (it is no operation of the spec).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode, header, request::Parts};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::faults::DropConnection;
use crate::log::RecordedRequest;
use crate::pipeline::{self, Shared};
use crate::response::{Ctx, graph_error, with_ids};
use crate::throttle::decimal;

/// The most requests one batch may hold, as Graph allows.
pub(crate) const MAX_ITEMS: usize = 20;

/// The methods an item may use.
const METHODS: [&str; 5] = ["GET", "POST", "PATCH", "PUT", "DELETE"];

/// One item as the batch gave it.
#[derive(Debug)]
struct Item {
    id: String,
    method: String,
    url: String,
    headers: Map<String, Value>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

/// Answers `POST /beta/$batch` (`parts` and `body` are the batch's, `ctx` its context).
pub(crate) async fn serve(shared: &Shared, parts: &Parts, body: &[u8], ctx: &Ctx) -> Response {
    let mut response = serve_items(shared, parts, body, ctx).await;
    // With throttling on, every Graph answer says what it cost: a batch none of whose items ran
    // cost nothing.
    if shared.throttle.is_some() && !response.headers().contains_key("x-ms-resource-unit") {
        response
            .headers_mut()
            .insert("x-ms-resource-unit", HeaderValue::from_static("0"));
    }
    response
}

async fn serve_items(shared: &Shared, parts: &Parts, body: &[u8], ctx: &Ctx) -> Response {
    let items = match read(body) {
        Ok(items) => items,
        Err(message) => {
            return graph_error(StatusCode::BAD_REQUEST, "BadRequest", message, None, ctx);
        }
    };
    let order = match order(&items) {
        Ok(order) => order,
        Err(message) => {
            return graph_error(StatusCode::BAD_REQUEST, "BadRequest", message, None, ctx);
        }
    };
    let mut statuses: Vec<Option<u16>> = vec![None; items.len()];
    let mut responses = Vec::with_capacity(items.len());
    let mut resource_units = None::<f64>;
    let mut share = None::<f64>;
    for index in order {
        let item = &items[index];
        let failed = item.depends_on.iter().find(|dep| {
            items
                .iter()
                .position(|other| &other.id == *dep)
                .and_then(|i| statuses[i])
                .is_none_or(|status| !(200..300).contains(&status))
        });
        let response = match failed {
            Some(dep) => {
                let item_ctx = pipeline::context(shared, &HeaderMap::new());
                let response = graph_error(
                    StatusCode::FAILED_DEPENDENCY,
                    "FailedDependency",
                    format!("The request depends on request '{dep}' of the batch, which failed."),
                    None,
                    &item_ctx,
                );
                pipeline::log(shared, record_of(item), &response);
                response
            }
            None => run(shared, parts, item).await,
        };
        if response.extensions().get::<DropConnection>().is_some() {
            return response;
        }
        statuses[index] = Some(response.status().as_u16());
        let headers = response.headers();
        if let Some(ru) = number(headers, "x-ms-resource-unit") {
            resource_units = Some(resource_units.unwrap_or(0.0) + ru);
        }
        if let Some(s) = number(headers, "x-ms-throttle-limit-percentage") {
            share = Some(share.map_or(s, |old: f64| old.max(s)));
        }
        responses.push(answer_of(&item.id, response).await);
    }
    let mut response = Response::new(Body::from(json!({ "responses": responses }).to_string()));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in [
        ("x-ms-resource-unit", resource_units),
        ("x-ms-throttle-limit-percentage", share),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&decimal(v)).ok()) {
            headers.insert(name, value);
        }
    }
    with_ids(response, ctx)
}

/// Runs one item through the pipeline and logs it.
async fn run(shared: &Shared, batch: &Parts, item: &Item) -> Response {
    let (parts, body) = match request_of(batch, item) {
        Ok(request) => request,
        Err(message) => {
            let ctx = pipeline::context(shared, &HeaderMap::new());
            let response = graph_error(StatusCode::BAD_REQUEST, "BadRequest", message, None, &ctx);
            pipeline::log(shared, record_of(item), &response);
            return response;
        }
    };
    let mut ctx = pipeline::context(shared, &parts.headers);
    let mut record = RecordedRequest::of(&parts, &body);
    let response =
        pipeline::answer(shared, &parts, &body, &mut ctx, &mut record.operation_id).await;
    pipeline::log(shared, record, &response);
    response
}

/// The log entry of an item that did not run (its dependency failed, or it is malformed): as the
/// batch gave it.
fn record_of(item: &Item) -> RecordedRequest {
    let relative = item.url.trim_start_matches('/');
    let (path, query) = match relative.split_once('?') {
        Some((path, query)) => (path, Some(query.to_owned())),
        None => (relative, None),
    };
    RecordedRequest {
        method: item.method.clone(),
        path: format!("/{}/{path}", crate::API_VERSION),
        query,
        headers: item
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.to_ascii_lowercase(),
                    value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned),
                )
            })
            .collect(),
        body: item
            .body
            .as_ref()
            .map(|b| b.to_string().into_bytes())
            .unwrap_or_default(),
        operation_id: None,
        status: None,
    }
}

/// The request an item stands for: method, URI under the version root, headers (the item's,
/// the batch's `Authorization`, and its `x-ms-throttle-priority` unless the item has one), body.
fn request_of(batch: &Parts, item: &Item) -> Result<(Parts, Vec<u8>), String> {
    let bad_url = || {
        format!(
            "Invalid request URL '{}' in request '{}': it must be relative to the version root, such as /users/{{id}}.",
            item.url, item.id
        )
    };
    let relative = item.url.trim_start_matches('/');
    if item.url.contains("://") || relative.is_empty() {
        return Err(bad_url());
    }
    let mut builder = Request::builder()
        .method(item.method.as_str())
        .uri(format!("/{}/{relative}", crate::API_VERSION));
    let mut content_type = None;
    for (name, value) in &item.headers {
        let Some(value) = value.as_str() else {
            return Err(format!(
                "The header '{name}' of request '{}' must be a string.",
                item.id
            ));
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return Err(format!(
                "The header '{name}' of request '{}' is not a valid HTTP header.",
                item.id
            ));
        };
        if name == header::CONTENT_TYPE {
            content_type = Some(value.to_str().unwrap_or_default().to_ascii_lowercase());
        }
        if name != header::AUTHORIZATION {
            builder = builder.header(name, value);
        }
    }
    if let Some(authorization) = batch.headers.get(header::AUTHORIZATION) {
        builder = builder.header(header::AUTHORIZATION, authorization);
    }
    let own_priority = item
        .headers
        .keys()
        .any(|k| k.eq_ignore_ascii_case("x-ms-throttle-priority"));
    match batch.headers.get("x-ms-throttle-priority") {
        Some(priority) if !own_priority => {
            builder = builder.header("x-ms-throttle-priority", priority);
        }
        _ => {}
    }
    let body = match (&item.body, content_type) {
        (None, _) => Vec::new(),
        (Some(_), None) => {
            return Err(format!(
                "Request '{}' has a body but no Content-Type header; a JSON body needs 'Content-Type: application/json'.",
                item.id
            ));
        }
        (Some(Value::String(text)), Some(kind)) if !kind.contains("json") => {
            text.as_bytes().to_vec()
        }
        (Some(value), Some(_)) => value.to_string().into_bytes(),
    };
    let (parts, ()) = builder.body(()).map_err(|_| bad_url())?.into_parts();
    Ok((parts, body))
}

/// An item's answer: `{"id", "status", "headers", "body"?}`, the body as JSON when it is JSON,
/// else as text (or base64 when it is not UTF-8).
async fn answer_of(id: &str, response: Response) -> Value {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let mut headers = Map::new();
    for (name, value) in &parts.headers {
        if let Ok(value) = value.to_str() {
            headers
                .entry(header_name(name.as_str()))
                .or_insert_with(|| Value::String(value.to_owned()));
        }
    }
    let mut answer = json!({
        "id": id,
        "status": parts.status.as_u16(),
        "headers": headers,
    });
    if !bytes.is_empty() {
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            Value::String(match std::str::from_utf8(&bytes) {
                Ok(text) => text.to_owned(),
                Err(_) => {
                    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes)
                }
            })
        });
        answer["body"] = body;
    }
    answer
}

/// A header name as Graph spells it in a batch answer: the standard ones capitalised
/// (`Retry-After`, `Content-Type`, `OData-Version`), its own (`x-ms-…`, `request-id`,
/// `client-request-id`) in lower case. JSON keys are case-sensitive: clients should still
/// compare them ignoring case, as Graph is not consistent.
fn header_name(name: &str) -> String {
    if name.starts_with("x-ms-") || name.ends_with("request-id") {
        return name.to_owned();
    }
    if name == "odata-version" {
        return "OData-Version".to_owned();
    }
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Reads and checks the batch's body.
fn read(body: &[u8]) -> Result<Vec<Item>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.".to_owned()
    })?;
    let Some(requests) = value.get("requests").and_then(Value::as_array) else {
        return Err("Invalid batch payload format: expected {\"requests\": [...]}.".to_owned());
    };
    if requests.len() > MAX_ITEMS {
        return Err(format!(
            "The batch holds {} requests; the limit is {MAX_ITEMS}.",
            requests.len()
        ));
    }
    let mut items: Vec<Item> = Vec::with_capacity(requests.len());
    for (index, request) in requests.iter().enumerate() {
        let field = |name: &str| {
            request
                .get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.trim().is_empty())
                .map(str::to_owned)
                .ok_or_else(|| {
                    format!("Request {index} of the batch has no '{name}' (a non-empty string).")
                })
        };
        let id = field("id")?;
        let method = field("method")?.to_ascii_uppercase();
        let url = field("url")?;
        if !METHODS.contains(&method.as_str()) {
            return Err(format!(
                "Request '{id}' has the method '{method}'; a batch request uses one of {}.",
                METHODS.join(", ")
            ));
        }
        if items.iter().any(|item| item.id == id) {
            return Err(format!(
                "The request id '{id}' is used more than once in the batch."
            ));
        }
        let headers = match request.get("headers") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(headers)) => headers.clone(),
            Some(_) => return Err(format!("The headers of request '{id}' must be an object.")),
        };
        let depends_on = match request.get("dependsOn") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|dep| {
                    dep.as_str().map(str::to_owned).ok_or_else(|| {
                        format!("The dependsOn of request '{id}' must list request ids (strings).")
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(format!("The dependsOn of request '{id}' must be an array.")),
        };
        items.push(Item {
            id,
            method,
            url,
            headers,
            body: request.get("body").filter(|b| !b.is_null()).cloned(),
            depends_on,
        });
    }
    if let Some((item, dep)) = items.iter().find_map(|item| {
        item.depends_on
            .iter()
            .find(|dep| !items.iter().any(|other| &other.id == *dep))
            .map(|dep| (item, dep))
    }) {
        return Err(format!(
            "Request '{}' depends on '{dep}', which is not a request of the batch.",
            item.id
        ));
    }
    Ok(items)
}

/// The order to run the items in: each after its dependencies, otherwise as given.
fn order(items: &[Item]) -> Result<Vec<usize>, String> {
    let mut done = vec![false; items.len()];
    let mut order = Vec::with_capacity(items.len());
    while order.len() < items.len() {
        let ready = (0..items.len()).find(|&i| {
            !done[i]
                && items[i].depends_on.iter().all(|dep| {
                    items
                        .iter()
                        .position(|other| &other.id == dep)
                        .is_some_and(|j| done[j])
                })
        });
        let Some(next) = ready else {
            return Err("The dependsOn of the batch's requests form a cycle.".to_owned());
        };
        done[next] = true;
        order.push(next);
    }
    Ok(order)
}

fn number(headers: &HeaderMap, name: &str) -> Option<f64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn items(body: Value) -> Result<Vec<Item>, String> {
        read(body.to_string().as_bytes())
    }

    #[test]
    fn spells_header_names_as_graph_does() {
        assert_eq!(header_name("retry-after"), "Retry-After");
        assert_eq!(header_name("content-type"), "Content-Type");
        assert_eq!(header_name("odata-version"), "OData-Version");
        assert_eq!(header_name("x-ms-resource-unit"), "x-ms-resource-unit");
        assert_eq!(header_name("client-request-id"), "client-request-id");
        assert_eq!(header_name("location"), "Location");
    }

    #[test]
    fn orders_items_after_their_dependencies() {
        let batch = items(json!({"requests": [
            {"id": "1", "method": "GET", "url": "/a", "dependsOn": ["3"]},
            {"id": "2", "method": "GET", "url": "/b"},
            {"id": "3", "method": "get", "url": "c", "dependsOn": ["2"]},
        ]}))
        .unwrap();
        assert_eq!(order(&batch).unwrap(), [1, 2, 0]);
        assert_eq!(batch[2].method, "GET");
        let cycle = items(json!({"requests": [
            {"id": "1", "method": "GET", "url": "/a", "dependsOn": ["2"]},
            {"id": "2", "method": "GET", "url": "/b", "dependsOn": ["1"]},
        ]}))
        .unwrap();
        assert!(order(&cycle).is_err());
    }

    #[test]
    fn refuses_what_graph_refuses() {
        let item = |id: usize| json!({"id": id.to_string(), "method": "GET", "url": "/x"});
        assert!(items(json!({"requests": (0..20).map(item).collect::<Vec<_>>()})).is_ok());
        for bad in [
            json!({"requests": (0..21).map(item).collect::<Vec<_>>()}),
            json!({}),
            json!([]),
            json!({"requests": [{"method": "GET", "url": "/x"}]}),
            json!({"requests": [{"id": "1", "url": "/x"}]}),
            json!({"requests": [{"id": "1", "method": "GET"}]}),
            json!({"requests": [{"id": "1", "method": "HEAD", "url": "/x"}]}),
            json!({"requests": [{"id": 1, "method": "GET", "url": "/x"}]}),
            json!({"requests": [item(1), item(1)]}),
            json!({"requests": [{"id": "1", "method": "GET", "url": "/x", "dependsOn": ["9"]}]}),
            json!({"requests": [{"id": "1", "method": "GET", "url": "/x", "dependsOn": "2"}]}),
            json!({"requests": [{"id": "1", "method": "GET", "url": "/x", "headers": []}]}),
        ] {
            assert!(items(bad.clone()).is_err(), "{bad}");
        }
        assert!(read(b"not json").is_err());
    }
}
