//! Collections: list (with the query options and `@odata.nextLink` paging), create, `$count`.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::{Call, Owner, Place, broken, project};
use crate::odata::context;
use crate::odata::query::{self, DEFAULT_PAGE_SIZE};
use crate::odata::rules::is_of_type;
use crate::response::{graph_error, json_response, text_response};
use crate::store::Store;

/// Applies the cast, `$filter`, `$search` and `$orderby` to a collection's members.
fn narrow(
    call: &Call<'_>,
    mut items: Vec<Value>,
    cast: Option<&str>,
) -> Result<Vec<Value>, Response> {
    let q = call.query;
    for option in &call.op.rules.consistency_level_for {
        let used = match option.to_ascii_lowercase().as_str() {
            "$search" => q.search.is_some(),
            "$count" => {
                q.count
                    || call
                        .route
                        .steps
                        .last()
                        .is_some_and(|s| matches!(s, crate::odata::shapes::Step::Count))
            }
            other => q.raw.iter().any(|(n, _)| n.eq_ignore_ascii_case(other)),
        };
        let eventual = call
            .headers
            .get("consistencylevel")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
        if used && !eventual {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                format!(
                    "The query option '{option}' is an advanced query: it needs the request header 'ConsistencyLevel: eventual'."
                ),
                None,
                call.ctx,
            ));
        }
    }
    if let Some(cast) = cast {
        items.retain(|e| is_of_type(&call.model.hierarchy, e, cast));
    }
    if let Some(filter) = &q.filter {
        items.retain(|e| filter.matches(e));
    }
    if let Some(search) = &q.search {
        let (property, term) = search
            .split_once(':')
            .unwrap_or(("displayName", search.as_str()));
        let term = term.to_lowercase();
        items.retain(|e| {
            e.get(property)
                .and_then(Value::as_str)
                .is_some_and(|v| v.to_lowercase().contains(&term))
        });
    }
    if !q.orderby.is_empty() {
        items.sort_by(|a, b| {
            for (property, descending) in &q.orderby {
                let order = compare(a.get(property), b.get(property));
                let order = if *descending { order.reverse() } else { order };
                if order != std::cmp::Ordering::Equal {
                    return order;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    Ok(items)
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Some(Value::String(a)), Some(Value::String(b))) => a.to_lowercase().cmp(&b.to_lowercase()),
        (Some(Value::Number(a)), Some(Value::Number(b))) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b))
            .unwrap_or(Ordering::Equal),
        (Some(Value::Bool(a)), Some(Value::Bool(b))) => a.cmp(b),
        (None | Some(Value::Null), Some(v)) if !v.is_null() => Ordering::Less,
        (Some(v), None | Some(Value::Null)) if !v.is_null() => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// One page of a collection: `{"@odata.context", "@odata.count"?, "value", "@odata.nextLink"?}`.
pub(super) fn list(
    call: &Call<'_>,
    items: Vec<Value>,
    name: &str,
    _type_name: Option<&str>,
    cast: Option<&str>,
) -> Response {
    let items = match narrow(call, items, cast) {
        Ok(items) => items,
        Err(response) => return response,
    };
    let q = call.query;
    let total = items.len();
    let offset = q.skiptoken.unwrap_or(q.skip);
    let size = q.top.unwrap_or(DEFAULT_PAGE_SIZE);
    let end = offset.saturating_add(size).min(total);
    let select = q.select.as_deref();
    let page: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(end.saturating_sub(offset))
        .map(|e| project(e, select))
        .collect();
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(context::collection(&call.ctx.base_url, name, select)),
    );
    if q.count {
        body.insert("@odata.count".into(), Value::from(total));
    }
    body.insert("value".into(), Value::Array(page));
    if end < total {
        body.insert(
            "@odata.nextLink".into(),
            Value::String(next_link(call, end)),
        );
    }
    json_response(StatusCode::OK, Value::Object(body), call.ctx)
}

/// The absolute URL of the page that starts at `offset`: the request's own path and options,
/// with an opaque `$skiptoken` in place of `$skip`.
fn next_link(call: &Call<'_>, offset: usize) -> String {
    let mut link = format!("{}{}?", call.ctx.origin(), call.raw_path);
    for (name, value) in call.query.carried() {
        link.push_str(&query::encode(name));
        link.push('=');
        link.push_str(&query::encode(value));
        link.push('&');
    }
    link.push_str("$skiptoken=");
    link.push_str(&query::encode(&query::skiptoken(offset)));
    link
}

/// A new entity from the body: its type's defaults, the body (less `id`), a new id and its
/// `@odata.type`, checked against the overlay rules.
fn new_entity(call: &Call<'_>, store: &Store, type_name: Option<&str>) -> Result<Value, Response> {
    let type_name = call.body_type(type_name);
    let mut object = type_name
        .as_deref()
        .map(|t| call.model.defaults(t))
        .unwrap_or_default();
    for (k, v) in call.body_object() {
        if k != "id" && k != "@odata.type" {
            object.insert(k, v);
        }
    }
    object.insert("id".into(), Value::String(uuid::Uuid::new_v4().to_string()));
    if let Some(t) = &type_name {
        object.insert("@odata.type".into(), Value::String(call.odata_type(t)));
        call.model
            .check_rules(t, &object, store)
            .map_err(|rule| broken(rule, call.ctx))?;
    }
    Ok(Value::Object(object))
}

/// The answer to a create: the spec's status (201 by default) with the entity, or 204.
fn created(call: &Call<'_>, entity: Value, context_name: &str) -> Response {
    let status = call.status(StatusCode::CREATED);
    if status == StatusCode::NO_CONTENT {
        return crate::response::no_content(call.ctx);
    }
    let context = context::entity(&call.ctx.base_url, context_name, None);
    json_response(status, super::with_context(entity, context), call.ctx)
}

/// `POST` to a collection: a new entity with a new id, its type's defaults and `@odata.type`.
pub(super) fn create(
    call: &Call<'_>,
    store: &mut Store,
    set: &str,
    type_name: Option<&str>,
) -> Response {
    let entity = match new_entity(call, store, type_name) {
        Ok(entity) => entity,
        Err(response) => return response,
    };
    if store.insert(set, entity.clone()).is_err() {
        return call.not_implemented("the new entity could not be stored");
    }
    created(call, entity, set)
}

/// `POST` to a collection-valued navigation (`/applications/{id}/extensionProperties`): a new
/// entity, as for an entity set, stored in the set named after the navigation's type
/// (`extensionProperties`; the property's name when the type is unknown) and linked from the
/// owner, so that it is listed, counted and reachable at `…/{navigation}/{new id}`.
pub(super) fn create_in_navigation(
    call: &Call<'_>,
    store: &mut Store,
    owner: &Owner,
    property: &str,
    type_name: Option<&str>,
) -> Response {
    let entity = match new_entity(call, store, type_name) {
        Ok(entity) => entity,
        Err(response) => return response,
    };
    let set = type_name.map_or_else(|| property.to_owned(), context::set_of_type);
    let id = super::entity_id(&entity, "");
    if store.insert(&set, entity.clone()).is_err() {
        return call.not_implemented("the new entity could not be stored");
    }
    store.link(&owner.set, &owner.id, property, &id);
    let quoted = owner.id.replace('\'', "''");
    created(
        call,
        entity,
        &format!("{}('{quoted}')/{property}", owner.set),
    )
}

/// `$count`: the number of members after the cast, `$filter` and `$search`, as text.
pub(super) fn count(call: &Call<'_>, store: &Store, collection: &Place) -> Response {
    let (items, cast): (Vec<Value>, Option<&str>) = match collection {
        Place::Set { set, cast, .. } => (store.entities(set).cloned().collect(), cast.as_deref()),
        Place::Nav {
            owner,
            property,
            cast,
            ..
        } => (
            store
                .links(&owner.set, &owner.id, property)
                .into_iter()
                .filter_map(|id| store.find(id).map(|(_, e)| e.clone()))
                .collect(),
            cast.as_deref(),
        ),
        _ => return call.not_implemented("$count of something that is not a collection"),
    };
    match narrow(call, items, cast) {
        Ok(items) => text_response(items.len().to_string(), call.ctx),
        Err(response) => response,
    }
}
