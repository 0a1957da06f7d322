//! One object: an entity of a set, or a singleton stored by path. Read, merge (`PATCH`:
//! absent members keep their value, `null` clears), replace (`PUT`), delete or reset.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::{Call, broken, project, with_context};
use crate::odata::context;
use crate::response::{bad_request, json_response, no_content, not_found};
use crate::store::Store;

/// The object's answer to a read or a write: 204 when the spec says so, else the object.
fn respond(call: &Call<'_>, object: Value, context: String, default: StatusCode) -> Response {
    let status = call.status(default);
    if status == StatusCode::NO_CONTENT || (call.op.method != "GET" && !call.op.success_has_content)
    {
        return no_content(call.ctx);
    }
    let select = call.query.select.as_deref();
    json_response(
        status,
        with_context(project(object, select), context),
        call.ctx,
    )
}

/// Merges the body into `current`: absent members keep their value, `null` clears, `id` may
/// only repeat the stored one.
fn merge(call: &Call<'_>, current: &Map<String, Value>) -> Result<Map<String, Value>, Response> {
    let mut merged = current.clone();
    for (k, v) in call.body_object() {
        match k.as_str() {
            "@odata.type" => {}
            "id" => {
                if let Some(existing) = current.get("id") {
                    if existing != &v {
                        return Err(bad_request(
                            "The property 'id' is read-only and cannot be changed.",
                            call.ctx,
                        ));
                    }
                }
            }
            _ => {
                merged.insert(k, v);
            }
        }
    }
    Ok(merged)
}

pub(super) fn get_entity(
    call: &Call<'_>,
    store: &Store,
    set: &str,
    id: &str,
    context_name: &str,
) -> Response {
    let Some(entity) = store.entity(set, id) else {
        return not_found(id, call.ctx);
    };
    let select = call.query.select.as_deref();
    respond(
        call,
        entity.clone(),
        context::entity(&call.ctx.base_url, context_name, select),
        StatusCode::OK,
    )
}

pub(super) fn patch_entity(
    call: &Call<'_>,
    store: &mut Store,
    set: &str,
    id: &str,
    type_name: Option<&str>,
) -> Response {
    let Some(current) = store.entity(set, id).and_then(Value::as_object) else {
        return not_found(id, call.ctx);
    };
    let merged = match merge(call, current) {
        Ok(merged) => merged,
        Err(response) => return response,
    };
    if let Some(t) = type_name {
        if let Err(rule) = call.model.check_rules(t, &merged, store) {
            return broken(rule, call.ctx);
        }
    }
    let merged = Value::Object(merged);
    if let Some(slot) = store.entity_mut(set, id) {
        *slot = merged.clone();
    }
    respond(
        call,
        merged,
        context::entity(&call.ctx.base_url, set, None),
        StatusCode::OK,
    )
}

pub(super) fn delete_entity(call: &Call<'_>, store: &mut Store, set: &str, id: &str) -> Response {
    if store.remove(set, id).is_none() {
        return not_found(id, call.ctx);
    }
    crate::response::empty(call.status(StatusCode::NO_CONTENT), call.ctx)
}

/// A singleton as it starts: its type's defaults and `@odata.type`.
fn initial(call: &Call<'_>, type_name: Option<&str>) -> Map<String, Value> {
    let mut object = Map::new();
    if let Some(t) = type_name {
        object.insert("@odata.type".into(), Value::String(call.odata_type(t)));
        object.extend(call.model.defaults(t));
    }
    object
}

pub(super) fn get_single(
    call: &Call<'_>,
    store: &mut Store,
    key: &str,
    type_name: Option<&str>,
) -> Response {
    let object = store
        .singleton_or_insert(key, || Value::Object(initial(call, type_name)))
        .clone();
    let select = call.query.select.as_deref();
    respond(
        call,
        object,
        context::entity(&call.ctx.base_url, key, select),
        StatusCode::OK,
    )
}

pub(super) fn patch_single(
    call: &Call<'_>,
    store: &mut Store,
    key: &str,
    type_name: Option<&str>,
) -> Response {
    let current = store
        .singleton(key)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(|| initial(call, type_name));
    let merged = match merge(call, &current) {
        Ok(merged) => merged,
        Err(response) => return response,
    };
    write_single(call, store, key, type_name, merged)
}

pub(super) fn put_single(
    call: &Call<'_>,
    store: &mut Store,
    key: &str,
    type_name: Option<&str>,
) -> Response {
    let mut replaced = initial(call, type_name);
    match merge(call, &replaced) {
        Ok(merged) => replaced = merged,
        Err(response) => return response,
    }
    write_single(call, store, key, type_name, replaced)
}

fn write_single(
    call: &Call<'_>,
    store: &mut Store,
    key: &str,
    type_name: Option<&str>,
    object: Map<String, Value>,
) -> Response {
    if let Some(t) = type_name {
        if let Err(rule) = call.model.check_rules(t, &object, store) {
            return broken(rule, call.ctx);
        }
    }
    let object = Value::Object(object);
    store.set_singleton(key, object.clone());
    respond(
        call,
        object,
        context::entity(&call.ctx.base_url, key, None),
        StatusCode::OK,
    )
}

pub(super) fn reset_single(call: &Call<'_>, store: &mut Store, key: &str) -> Response {
    store.reset_singleton(key);
    crate::response::empty(call.status(StatusCode::NO_CONTENT), call.ctx)
}
