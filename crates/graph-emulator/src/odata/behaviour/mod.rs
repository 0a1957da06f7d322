//! The generic behaviour of each (shape, method), as Graph does it.
//!
//! A request is first *resolved*: its route's steps are walked against the store (a key must
//! name an entity, a cast must fit the entity's type, a key under a navigation must be linked),
//! which gives the [`Place`] it addresses. The method then decides what happens there:
//!
//! | place | GET | POST | PATCH | PUT | DELETE |
//! | --- | --- | --- | --- | --- | --- |
//! | collection (entity set, navigation) | list, paged | create (set) | | | |
//! | entity (by key or alternate key, also under a navigation) | read | | merge | | delete |
//! | singleton (and single-valued containment) | read | | merge | replace | reset |
//! | single-valued reference navigation (`…/manager`) | the entity, 404 when unset | | | | |
//! | `$ref` of a collection navigation | list references | add a reference | | | remove the one `$id` names |
//! | `$ref` of one linked entity | | | | | remove the reference |
//! | `$ref` of a single-valued navigation | `{"@odata.id"}`, 404 when unset | | | set | clear, 404 when unset |
//! | `$count` | count (text) | | | | |
//!
//! Creating through a collection navigation (`POST /applications/{id}/extensionProperties`)
//! stores the new entity in the set named after the navigation's type and links it from the
//! owner, so it is listed, counted and reachable at `…/{navigation}/{new id}` (and by an
//! alternate key, `…/federatedIdentityCredentials(name='…')`, which matches the named property
//! among the owner's members). A reference URL (`@odata.id` of a `$ref` body, `$id` of a
//! `DELETE …/$ref`) may name the target in any entity set or path the spec serves, absolute on
//! Graph's hosts or the emulator's origin, or relative (see [`refs`]).
//!
//! Status codes come from the operation's success responses; anything else (an action or a
//! function without a hook, a media stream) is a 501 naming the operation.

mod collection;
mod object;
mod refs;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

use super::query::Query;
use super::rules::is_of_type;
use super::shapes::{Bound, Step};
use super::{Model, Route, RouteOperation};
use crate::response::{Ctx, graph_error, not_found};
use crate::store::Store;

/// Everything a behaviour needs about one request.
pub(crate) struct Call<'a> {
    pub(crate) model: &'a Model,
    pub(crate) route: &'a Route,
    pub(crate) op: &'a RouteOperation,
    pub(crate) params: &'a Bound,
    pub(crate) query: &'a Query,
    pub(crate) headers: &'a HeaderMap,
    /// The validated JSON body, if the operation takes one.
    pub(crate) body: Option<&'a Value>,
    /// The path as received (still percent-encoded), for next links.
    pub(crate) raw_path: &'a str,
    pub(crate) ctx: &'a Ctx,
}

/// An entity that owns a navigation property.
#[derive(Debug, Clone)]
pub(crate) struct Owner {
    pub(crate) set: String,
    pub(crate) id: String,
}

/// What a request addresses, once resolved against the store.
#[derive(Debug, Clone)]
pub(crate) enum Place {
    /// An entity set (or a collection contained in a singleton), with a cast if any.
    Set {
        set: String,
        type_name: Option<String>,
        cast: Option<String>,
    },
    /// One entity of a set.
    Entity {
        set: String,
        id: String,
        type_name: Option<String>,
    },
    /// A collection navigation property of an entity.
    Nav {
        owner: Owner,
        property: String,
        type_name: Option<String>,
        cast: Option<String>,
    },
    /// One entity reached through a collection navigation (it is linked).
    Linked {
        owner: Owner,
        property: String,
        set: String,
        id: String,
        type_name: Option<String>,
    },
    /// A single-valued navigation that refers to an entity living elsewhere (one that the spec
    /// also addresses with `/$ref`, such as `manager`): stored as a link with at most one
    /// target.
    LinkedSingle {
        owner: Owner,
        property: String,
        type_name: Option<String>,
    },
    /// The reference of a single-valued navigation (`…/manager/$ref`).
    SingleRef {
        owner: Owner,
        property: String,
        type_name: Option<String>,
    },
    /// A singleton or a single-valued containment path, stored by path.
    Single {
        key: String,
        type_name: Option<String>,
    },
    /// The references of a collection navigation.
    Refs {
        owner: Owner,
        property: String,
        type_name: Option<String>,
    },
    /// The reference to one linked entity.
    LinkRef {
        owner: Owner,
        property: String,
        target: String,
    },
    /// `$count` of a collection.
    Count(Box<Place>),
    /// An action, a function or a media stream: nothing generic to do.
    Unserved { what: String },
}

impl Call<'_> {
    fn param(&self, name: &str) -> &str {
        self.params.get(name).map_or("", String::as_str)
    }

    /// A status from the spec's success responses, or `default`.
    pub(crate) fn status(&self, default: StatusCode) -> StatusCode {
        self.op
            .success_status
            .and_then(|c| StatusCode::from_u16(c).ok())
            .unwrap_or(default)
    }

    /// 501: the engine has no behaviour for this.
    pub(crate) fn not_implemented(&self, what: &str) -> Response {
        graph_error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            format!(
                "The graph-emulator has no behaviour for operation '{}' ({} {}): {what}. Register a hook for it (EmulatorBuilder::hook).",
                self.op
                    .operation_id
                    .as_deref()
                    .unwrap_or("(no operationId)"),
                self.op.method,
                self.op.template
            ),
            None,
            self.ctx,
        )
    }

    /// The `@odata.type` of a schema (`#microsoft.graph.user`).
    pub(crate) fn odata_type(&self, type_name: &str) -> String {
        self.model
            .hierarchy
            .odata_type(type_name)
            .map_or_else(|| format!("#{type_name}"), str::to_owned)
    }

    /// The schema the body's `@odata.type` names, else `fallback`.
    pub(crate) fn body_type(&self, fallback: Option<&str>) -> Option<String> {
        let sent = self
            .body
            .and_then(|b| b.get("@odata.type"))
            .and_then(Value::as_str);
        match sent {
            Some(t) => Some(
                self.model
                    .hierarchy
                    .schema_for_odata_type(t)
                    .map_or_else(|| t.trim_start_matches('#').to_owned(), str::to_owned),
            ),
            None => fallback.map(str::to_owned),
        }
    }

    /// The body as an object (validation made sure it is one where a schema says so).
    pub(crate) fn body_object(&self) -> Map<String, Value> {
        self.body
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    }

    /// The first of `candidates` whose properties equal the alternate key's values (strings
    /// compared case-insensitively, as Graph compares its keys).
    fn by_alternate_key<'v>(
        &self,
        params: &[String],
        mut candidates: impl Iterator<Item = &'v Value>,
    ) -> Option<&'v Value> {
        candidates.find(|e| {
            params.iter().all(|p| {
                let wanted = self.param(p);
                match e.get(p.as_str()) {
                    Some(Value::String(a)) => a.eq_ignore_ascii_case(wanted),
                    Some(other @ (Value::Number(_) | Value::Bool(_))) => {
                        serde_json::from_str::<Value>(wanted).ok().as_ref() == Some(other)
                    }
                    _ => false,
                }
            })
        })
    }

    /// The entity a key segment names by a `keyAlso` property of the set's type (a user by
    /// `userPrincipalName`, compared as Graph does, without regard to case).
    fn by_key_also<'v>(
        &self,
        type_name: Option<&str>,
        value: &str,
        mut candidates: impl Iterator<Item = &'v Value>,
    ) -> Option<&'v Value> {
        let properties = self.model.key_also(type_name?);
        if properties.is_empty() {
            return None;
        }
        candidates.find(|e| {
            properties.iter().any(|p| {
                e.get(*p)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.eq_ignore_ascii_case(value))
            })
        })
    }

    /// 404 naming the alternate key's values.
    fn alternate_key_missing(&self, params: &[String]) -> Response {
        let values: Vec<&str> = params.iter().map(|p| self.param(p)).collect();
        not_found(&values.join(","), self.ctx)
    }

    /// Walks the route's steps against the store.
    fn resolve(&self, store: &Store) -> Result<Place, Response> {
        let hierarchy = &self.model.hierarchy;
        let mut place: Option<Place> = None;
        for step in &self.route.steps {
            let next = match (place.take(), step) {
                (None, Step::EntitySet { name, type_name }) => Place::Set {
                    set: name.clone(),
                    type_name: type_name.clone(),
                    cast: None,
                },
                (None, Step::Singleton { name }) => Place::Single {
                    key: name.clone(),
                    type_name: None,
                },
                (Some(Place::Set { set, type_name, .. }), Step::Key { param }) => {
                    let id = self.param(param);
                    let entity = store
                        .entity(&set, id)
                        .or_else(|| {
                            self.by_key_also(type_name.as_deref(), id, store.entities(&set))
                        })
                        .ok_or_else(|| not_found(id, self.ctx))?;
                    Place::Entity {
                        id: entity_id(entity, id),
                        type_name: entity_type(hierarchy, entity).or(type_name),
                        set,
                    }
                }
                (Some(Place::Set { set, type_name, .. }), Step::AlternateKey { params }) => {
                    let entity = self
                        .by_alternate_key(params, store.entities(&set))
                        .ok_or_else(|| self.alternate_key_missing(params))?;
                    Place::Entity {
                        id: entity_id(entity, ""),
                        type_name: entity_type(hierarchy, entity).or(type_name),
                        set,
                    }
                }
                (
                    Some(Place::Nav {
                        owner,
                        property,
                        type_name,
                        ..
                    }),
                    Step::AlternateKey { params },
                ) => {
                    let mut members = store
                        .links(&owner.set, &owner.id, &property)
                        .into_iter()
                        .filter_map(|id| store.find(id));
                    let (set, entity) = members
                        .find(|(_, e)| self.by_alternate_key(params, std::iter::once(*e)).is_some())
                        .ok_or_else(|| self.alternate_key_missing(params))?;
                    Place::Linked {
                        set: set.to_owned(),
                        id: entity_id(entity, ""),
                        type_name: entity_type(hierarchy, entity).or(type_name),
                        owner,
                        property,
                    }
                }
                (
                    Some(Place::Nav {
                        owner,
                        property,
                        type_name,
                        ..
                    }),
                    Step::Key { param },
                ) => {
                    let id = self.param(param);
                    if !store.is_linked(&owner.set, &owner.id, &property, id) {
                        return Err(not_found(id, self.ctx));
                    }
                    let (set, entity) = store.find(id).ok_or_else(|| not_found(id, self.ctx))?;
                    Place::Linked {
                        set: set.to_owned(),
                        id: entity_id(entity, id),
                        type_name: entity_type(hierarchy, entity).or(type_name),
                        owner,
                        property,
                    }
                }
                (Some(Place::Entity { set, id, .. }), Step::Cast { type_name }) => {
                    let fits = store
                        .entity(&set, &id)
                        .is_some_and(|e| is_of_type(hierarchy, e, type_name));
                    if !fits {
                        return Err(not_found(&id, self.ctx));
                    }
                    Place::Entity {
                        set,
                        id,
                        type_name: Some(type_name.clone()),
                    }
                }
                (
                    Some(Place::Linked {
                        owner,
                        property,
                        set,
                        id,
                        ..
                    }),
                    Step::Cast { type_name },
                ) => {
                    let fits = store
                        .entity(&set, &id)
                        .is_some_and(|e| is_of_type(hierarchy, e, type_name));
                    if !fits {
                        return Err(not_found(&id, self.ctx));
                    }
                    Place::Linked {
                        owner,
                        property,
                        set,
                        id,
                        type_name: Some(type_name.clone()),
                    }
                }
                (Some(Place::Set { set, type_name, .. }), Step::Cast { type_name: cast }) => {
                    Place::Set {
                        set,
                        type_name,
                        cast: Some(cast.clone()),
                    }
                }
                (
                    Some(Place::Nav {
                        owner,
                        property,
                        type_name,
                        ..
                    }),
                    Step::Cast { type_name: cast },
                ) => Place::Nav {
                    owner,
                    property,
                    type_name,
                    cast: Some(cast.clone()),
                },
                (Some(single @ Place::Single { .. }), Step::Cast { .. }) => single,
                (
                    Some(Place::Entity { set, id, .. } | Place::Linked { set, id, .. }),
                    Step::Nav {
                        property,
                        collection,
                        type_name,
                        linked,
                    },
                ) => {
                    if *linked {
                        Place::LinkedSingle {
                            owner: Owner { set, id },
                            property: property.clone(),
                            type_name: type_name.clone(),
                        }
                    } else if *collection {
                        Place::Nav {
                            owner: Owner { set, id },
                            property: property.clone(),
                            type_name: type_name.clone(),
                            cast: None,
                        }
                    } else {
                        Place::Single {
                            key: format!("{set}/{}/{property}", id.to_lowercase()),
                            type_name: None,
                        }
                    }
                }
                (
                    Some(Place::Single { key, .. }),
                    Step::Nav {
                        property,
                        collection,
                        type_name,
                        ..
                    },
                ) => {
                    if *collection {
                        Place::Set {
                            set: format!("{key}/{property}"),
                            type_name: type_name.clone(),
                            cast: None,
                        }
                    } else {
                        Place::Single {
                            key: format!("{key}/{property}"),
                            type_name: None,
                        }
                    }
                }
                (
                    Some(Place::Nav {
                        owner,
                        property,
                        type_name,
                        ..
                    }),
                    Step::Ref,
                ) => Place::Refs {
                    owner,
                    property,
                    type_name,
                },
                (
                    Some(Place::Linked {
                        owner,
                        property,
                        id,
                        ..
                    }),
                    Step::Ref,
                ) => Place::LinkRef {
                    owner,
                    property,
                    target: id,
                },
                (
                    Some(Place::LinkedSingle {
                        owner,
                        property,
                        type_name,
                    }),
                    Step::Ref,
                ) => Place::SingleRef {
                    owner,
                    property,
                    type_name,
                },
                (Some(collection @ (Place::Set { .. } | Place::Nav { .. })), Step::Count) => {
                    Place::Count(Box::new(collection))
                }
                (_, Step::Operation { segment }) => Place::Unserved {
                    what: format!("'{segment}' is an action or a function"),
                },
                (_, Step::Value) => Place::Unserved {
                    what: "media streams ($value) are not stored".to_owned(),
                },
                (_, other) => Place::Unserved {
                    what: format!(
                        "the step {other:?} of {} is not one the engine serves",
                        self.route.template
                    ),
                },
            };
            place = Some(next);
        }
        let place = place.unwrap_or(Place::Unserved {
            what: "the service root".to_owned(),
        });
        Ok(match place {
            Place::Single { key, .. } => Place::Single {
                key,
                type_name: self.route.resource_type.clone(),
            },
            other => other,
        })
    }
}

/// The stored id of an entity (falls back to the id asked for).
fn entity_id(entity: &Value, asked: &str) -> String {
    entity
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or(asked)
        .to_owned()
}

/// The schema an entity's `@odata.type` names.
fn entity_type(hierarchy: &graph_spec::hierarchy::Hierarchy, entity: &Value) -> Option<String> {
    let t = entity.get("@odata.type")?.as_str()?;
    Some(
        hierarchy
            .schema_for_odata_type(t)
            .map_or_else(|| t.trim_start_matches('#').to_owned(), str::to_owned),
    )
}

/// Serves a routed, authorized and validated request.
pub(crate) fn serve(call: &Call<'_>, store: &mut Store) -> Response {
    let place = match call.resolve(store) {
        Ok(place) => place,
        Err(response) => return response,
    };
    match (call.op.method, place) {
        (
            "GET",
            Place::Set {
                set,
                type_name,
                cast,
            },
        ) => {
            let items: Vec<Value> = store.entities(&set).cloned().collect();
            collection::list(call, items, &set, type_name.as_deref(), cast.as_deref())
        }
        ("POST", Place::Set { set, type_name, .. }) => {
            collection::create(call, store, &set, type_name.as_deref())
        }
        (
            "GET",
            Place::Nav {
                owner,
                property,
                type_name,
                cast,
            },
        ) => {
            let items: Vec<Value> = store
                .links(&owner.set, &owner.id, &property)
                .into_iter()
                .filter_map(|id| store.find(id).map(|(_, e)| e.clone()))
                .collect();
            let name = type_name
                .as_deref()
                .map_or_else(|| property.clone(), super::context::set_of_type);
            collection::list(call, items, &name, type_name.as_deref(), cast.as_deref())
        }
        (
            "POST",
            Place::Nav {
                owner,
                property,
                type_name,
                ..
            },
        ) => collection::create_in_navigation(call, store, &owner, &property, type_name.as_deref()),
        ("GET", Place::Count(inner)) => collection::count(call, store, &inner),
        ("GET", Place::Entity { set, id, .. }) => object::get_entity(call, store, &set, &id, &set),
        (
            "GET",
            Place::Linked {
                set, id, type_name, ..
            },
        ) => {
            let context = type_name
                .as_deref()
                .map_or_else(|| set.clone(), super::context::set_of_type);
            object::get_entity(call, store, &set, &id, &context)
        }
        (
            "PATCH",
            Place::Entity { set, id, type_name }
            | Place::Linked {
                set, id, type_name, ..
            },
        ) => object::patch_entity(call, store, &set, &id, type_name.as_deref()),
        // OData: DELETE on a member's URL, canonical or through a (containment) navigation,
        // deletes the entity; the store then drops every link to it.
        ("DELETE", Place::Entity { set, id, .. } | Place::Linked { set, id, .. }) => {
            object::delete_entity(call, store, &set, &id)
        }
        (
            "GET",
            Place::LinkedSingle {
                owner,
                property,
                type_name,
            },
        ) => refs::get_single_target(call, store, &owner, &property, type_name.as_deref()),
        (
            method,
            Place::SingleRef {
                owner,
                property,
                type_name,
            },
        ) => match method {
            "GET" => refs::get_single_ref(call, store, &owner, &property, type_name.as_deref()),
            "PUT" => refs::set_single(call, store, &owner, &property, type_name.as_deref()),
            "DELETE" => refs::clear_single(call, store, &owner, &property),
            other => call.not_implemented(&format!(
                "{other} on the reference of a single-valued navigation is not a generic behaviour"
            )),
        },
        ("GET", Place::Single { key, type_name }) => {
            object::get_single(call, store, &key, type_name.as_deref())
        }
        ("PATCH", Place::Single { key, type_name }) => {
            object::patch_single(call, store, &key, type_name.as_deref())
        }
        ("PUT", Place::Single { key, type_name }) => {
            object::put_single(call, store, &key, type_name.as_deref())
        }
        ("DELETE", Place::Single { key, .. }) => object::reset_single(call, store, &key),
        (
            "POST",
            Place::Refs {
                owner,
                property,
                type_name,
            },
        ) => refs::add(call, store, &owner, &property, type_name.as_deref()),
        (
            "GET",
            Place::Refs {
                owner,
                property,
                type_name,
            },
        ) => refs::list(call, store, &owner, &property, type_name.as_deref()),
        (
            "DELETE",
            Place::Refs {
                owner,
                property,
                type_name,
            },
        ) => refs::remove_by_url(call, store, &owner, &property, type_name.as_deref()),
        (
            "DELETE",
            Place::LinkRef {
                owner,
                property,
                target,
            },
        ) => refs::remove(call, store, &owner, &property, &target),
        (_, Place::Unserved { what }) => call.not_implemented(&what),
        (method, place) => call.not_implemented(&format!(
            "{method} on {} is not a generic behaviour",
            describe(&place)
        )),
    }
}

fn describe(place: &Place) -> &'static str {
    match place {
        Place::Set { .. } => "a collection",
        Place::Entity { .. } => "an entity",
        Place::Nav { .. } => "a navigation collection",
        Place::Linked { .. } => "an entity reached through a navigation",
        Place::Single { .. } => "a singleton",
        Place::LinkedSingle { .. } => "a single-valued navigation",
        Place::SingleRef { .. } => "the reference of a single-valued navigation",
        Place::Refs { .. } => "the references of a navigation",
        Place::LinkRef { .. } => "one reference",
        Place::Count(_) => "a count",
        Place::Unserved { .. } => "an action",
    }
}

/// The response for a broken overlay rule.
pub(crate) fn broken(rule: super::rules::Broken, ctx: &Ctx) -> Response {
    match rule {
        super::rules::Broken::Required { property, message } => graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            message,
            Some(property),
            ctx,
        ),
        super::rules::Broken::Missing { id } => not_found(&id, ctx),
    }
}

/// An object as a response shows it: `$select` applied (keeping `@odata.type`).
pub(crate) fn project(mut value: Value, select: Option<&[String]>) -> Value {
    if let (Some(select), Some(map)) = (select, value.as_object_mut()) {
        map.retain(|k, _| k == "@odata.type" || select.iter().any(|s| s == k));
    }
    value
}

/// `value` with `@odata.context` first.
pub(crate) fn with_context(value: Value, context: String) -> Value {
    let mut out = Map::new();
    out.insert("@odata.context".into(), Value::String(context));
    if let Value::Object(map) = value {
        out.extend(map);
    }
    Value::Object(out)
}
