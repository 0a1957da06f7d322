//! The rules the spec cannot say, read from the overlay data the slice carries as
//! `x-graph-rs-rules` (see `specs/overlays/emulator-rules.yaml`): defaults of a type, properties
//! required when another has a value, properties that must name an existing object, properties
//! that address an entity in a key segment besides its id, and the types a reference may target.

use graph_spec::hierarchy::{Hierarchy, same_odata_type};
use serde_json::{Map, Value};

use super::Model;
use crate::store::Store;

/// A rule an object breaks, as the response should say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Broken {
    /// 400 `BadRequest`, naming the property.
    Required { property: String, message: String },
    /// 404 `Request_ResourceNotFound`: the id names nothing.
    Missing { id: String },
}

impl Model {
    /// The values a new object of `type_name` starts with: the `defaults` of the type and of its
    /// bases (the nearest wins).
    pub(crate) fn defaults(&self, type_name: &str) -> Map<String, Value> {
        let mut out = Map::new();
        for ancestor in self.hierarchy.ancestors(type_name).into_iter().rev() {
            if let Some(rules) = self.schema_rules.get(ancestor) {
                for (k, v) in &rules.defaults {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        out
    }

    /// The properties besides `id` that address an entity of `type_name` in a key segment
    /// (`keyAlso` of the type and its bases), e.g. a user's `userPrincipalName`.
    pub(crate) fn key_also(&self, type_name: &str) -> Vec<&str> {
        self.hierarchy
            .ancestors(type_name)
            .into_iter()
            .filter_map(|a| self.schema_rules.get(a))
            .flat_map(|r| r.key_also.iter().map(String::as_str))
            .collect()
    }

    /// Checks an object of `type_name` as it would be stored.
    pub(crate) fn check_rules(
        &self,
        type_name: &str,
        object: &Map<String, Value>,
        store: &Store,
    ) -> Result<(), Broken> {
        let ancestors = self.hierarchy.ancestors(type_name);
        let rules: Vec<_> = ancestors
            .iter()
            .filter_map(|a| self.schema_rules.get(*a))
            .collect();
        for rule in rules.iter().flat_map(|r| &r.required_when) {
            let triggered = object.get(&rule.when) == Some(&rule.equals);
            let missing = object.get(&rule.property).is_none_or(Value::is_null);
            if triggered && missing {
                return Err(Broken::Required {
                    property: rule.property.clone(),
                    message: rule.message.clone(),
                });
            }
        }
        for rule in rules.iter().flat_map(|r| &r.references) {
            let Some(id) = object.get(&rule.property).and_then(Value::as_str) else {
                continue;
            };
            let found = store
                .find(id)
                .is_some_and(|(_, e)| is_of_type(&self.hierarchy, e, &rule.type_name));
            if !found {
                return Err(Broken::Missing { id: id.to_owned() });
            }
        }
        Ok(())
    }
}

/// Whether a stored entity is a `type_name`: `Some(true)` when its `@odata.type` is that type or
/// derived from it, `Some(false)` when the hierarchy (or the names) say it is not, `None` when
/// the slice does not know its type well enough to say. An entity without `@odata.type` is of
/// every type.
pub(crate) fn type_fit(hierarchy: &Hierarchy, entity: &Value, type_name: &str) -> Option<bool> {
    let Some(actual) = entity.get("@odata.type").and_then(Value::as_str) else {
        return Some(true);
    };
    if same_odata_type(actual, type_name) {
        return Some(true);
    }
    match hierarchy.schema_for_odata_type(actual) {
        Some(schema) if hierarchy.get(type_name).is_some() => {
            Some(hierarchy.is_assignable(schema, type_name))
        }
        Some(_) => Some(false),
        None => None,
    }
}

/// Whether a stored entity is certainly a `type_name` (see [`type_fit`]).
pub(crate) fn is_of_type(hierarchy: &Hierarchy, entity: &Value, type_name: &str) -> bool {
    type_fit(hierarchy, entity, type_name) == Some(true)
}
