//! The generic store the emulator serves: entity sets of JSON objects, links per (entity,
//! navigation property), and singletons per path. It knows nothing about any particular
//! resource; the OData behaviours read and write it, and tests inspect it.
//!
//! * An **entity set** (`users`, `servicePrincipals`, or any collection a spec declares) holds
//!   JSON objects, each with a string `id` and an `@odata.type`, in insertion order. Ids are
//!   matched case-insensitively (Graph's ids are GUIDs) and kept as given.
//! * A **link** records that an entity's navigation property (`owners`) points at other
//!   entities, by id, in the order added; the targets may live in any set.
//! * A **singleton** is one JSON object per path (`copilot/admin/settings/limitedMode`).

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};

/// One navigation property's targets: lower-cased id → id as stored.
type Targets = IndexMap<String, String>;

/// Entity sets of JSON objects (each with an `id` and an `@odata.type`, ids matched
/// case-insensitively), links per (entity, navigation property) in the order added, and
/// singletons per path (`copilot/admin/settings/limitedMode`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Store {
    sets: BTreeMap<String, IndexMap<String, Value>>,
    links: BTreeMap<LinkKey, Targets>,
    singletons: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LinkKey {
    set: String,
    id: String,
    property: String,
}

fn key(id: &str) -> String {
    id.to_lowercase()
}

fn link_key(set: &str, id: &str, property: &str) -> LinkKey {
    LinkKey {
        set: set.to_owned(),
        id: key(id),
        property: property.to_owned(),
    }
}

/// Why an object cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Entities must be JSON objects with a non-empty string `id`.
    #[error("an entity of `{set}` must be a JSON object with a non-empty string `id`; got {value}")]
    NotAnEntity {
        /// The entity set.
        set: String,
        /// The value offered (truncated).
        value: String,
    },
}

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entity to `set`, or replaces the one with the same id (case-insensitively). The
    /// entity keeps its links when replaced.
    pub fn insert(&mut self, set: &str, entity: Value) -> Result<(), StoreError> {
        let id = match entity.get("id").and_then(Value::as_str) {
            Some(id) if entity.is_object() && !id.is_empty() => id.to_owned(),
            _ => {
                let mut text = entity.to_string();
                text.truncate(120);
                return Err(StoreError::NotAnEntity {
                    set: set.to_owned(),
                    value: text,
                });
            }
        };
        self.sets
            .entry(set.to_owned())
            .or_default()
            .insert(key(&id), entity);
        Ok(())
    }

    /// The entity of `set` with this id.
    pub fn entity(&self, set: &str, id: &str) -> Option<&Value> {
        self.sets.get(set)?.get(&key(id))
    }

    /// The entity of `set` with this id, to change in place.
    pub fn entity_mut(&mut self, set: &str, id: &str) -> Option<&mut Value> {
        self.sets.get_mut(set)?.get_mut(&key(id))
    }

    /// The entities of `set`, in insertion order.
    pub fn entities(&self, set: &str) -> impl Iterator<Item = &Value> {
        self.sets.get(set).into_iter().flat_map(IndexMap::values)
    }

    /// The names of every entity set that holds something.
    pub fn set_names(&self) -> impl Iterator<Item = &str> {
        self.sets
            .iter()
            .filter(|(_, s)| !s.is_empty())
            .map(|(n, _)| n.as_str())
    }

    /// The entity with this id in any set, with its set's name. Sets are searched in name order.
    pub fn find(&self, id: &str) -> Option<(&str, &Value)> {
        let k = key(id);
        self.sets
            .iter()
            .find_map(|(name, set)| set.get(&k).map(|e| (name.as_str(), e)))
    }

    /// Removes an entity, its own links and every link that points at it; returns it.
    pub fn remove(&mut self, set: &str, id: &str) -> Option<Value> {
        let k = key(id);
        let removed = self.sets.get_mut(set)?.shift_remove(&k)?;
        self.links.retain(|lk, _| !(lk.set == set && lk.id == k));
        for targets in self.links.values_mut() {
            targets.shift_remove(&k);
        }
        Some(removed)
    }

    /// The ids (as stored) an entity's navigation property points at, in the order added.
    pub fn links(&self, set: &str, id: &str, property: &str) -> Vec<&str> {
        self.links
            .get(&link_key(set, id, property))
            .map(|t| t.values().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Whether the navigation property points at `target`.
    pub fn is_linked(&self, set: &str, id: &str, property: &str, target: &str) -> bool {
        self.links
            .get(&link_key(set, id, property))
            .is_some_and(|t| t.contains_key(&key(target)))
    }

    /// Points the navigation property at `target` as well; `false` when it already did.
    pub fn link(&mut self, set: &str, id: &str, property: &str, target: &str) -> bool {
        let targets = self.links.entry(link_key(set, id, property)).or_default();
        if targets.contains_key(&key(target)) {
            return false;
        }
        targets.insert(key(target), target.to_owned());
        true
    }

    /// Removes `target` from the navigation property; `false` when it was not there.
    pub fn unlink(&mut self, set: &str, id: &str, property: &str, target: &str) -> bool {
        let lk = link_key(set, id, property);
        let Some(targets) = self.links.get_mut(&lk) else {
            return false;
        };
        let removed = targets.shift_remove(&key(target)).is_some();
        if targets.is_empty() {
            self.links.remove(&lk);
        }
        removed
    }

    /// The singleton at `path` (no leading `/`), if it was ever written or read.
    pub fn singleton(&self, path: &str) -> Option<&Value> {
        self.singletons.get(path)
    }

    /// The singleton at `path`, created from `initial` when absent.
    pub fn singleton_or_insert(
        &mut self,
        path: &str,
        initial: impl FnOnce() -> Value,
    ) -> &mut Value {
        self.singletons
            .entry(path.to_owned())
            .or_insert_with(initial)
    }

    /// Replaces the singleton at `path`.
    pub fn set_singleton(&mut self, path: &str, value: Value) {
        self.singletons.insert(path.to_owned(), value);
    }

    /// Forgets the singleton at `path` (it is created again from its defaults when next used).
    pub fn reset_singleton(&mut self, path: &str) -> Option<Value> {
        self.singletons.remove(path)
    }

    /// Every singleton, by path.
    pub fn singletons(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.singletons.iter().map(|(p, v)| (p.as_str(), v))
    }

    /// Every link, as `(set, entity id, property, target ids)`; entity ids are lower-cased.
    pub fn all_links(&self) -> impl Iterator<Item = (&str, &str, &str, Vec<&str>)> {
        self.links.iter().map(|(k, t)| {
            (
                k.set.as_str(),
                k.id.as_str(),
                k.property.as_str(),
                t.values().map(String::as_str).collect(),
            )
        })
    }

    /// Everything, as JSON: `{"entities": {set: [...]}, "links": [...], "singletons": {...}}`,
    /// the format [`Seed::from_json`](crate::Seed::from_json) reads.
    pub fn to_json(&self) -> Value {
        let mut entities = Map::new();
        for (name, set) in &self.sets {
            if !set.is_empty() {
                entities.insert(name.clone(), Value::Array(set.values().cloned().collect()));
            }
        }
        let links: Vec<Value> = self
            .links
            .iter()
            .map(|(k, t)| {
                let id = self
                    .entity(&k.set, &k.id)
                    .and_then(|e| e.get("id"))
                    .cloned()
                    .unwrap_or_else(|| Value::String(k.id.clone()));
                serde_json::json!({
                    "set": k.set,
                    "id": id,
                    "property": k.property,
                    "targets": t.values().collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::json!({
            "entities": entities,
            "links": links,
            "singletons": self.singletons.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Map<_, _>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entities_links_and_singletons() {
        let mut store = Store::new();
        store
            .insert(
                "users",
                json!({"id": "U1", "@odata.type": "#microsoft.graph.user"}),
            )
            .unwrap();
        store.insert("groups", json!({"id": "g1"})).unwrap();
        assert!(store.insert("users", json!({"no": "id"})).is_err());
        assert!(store.insert("users", json!("text")).is_err());
        assert_eq!(store.entity("users", "u1").unwrap()["id"], "U1");
        assert_eq!(store.find("G1").unwrap().0, "groups");
        assert!(store.link("servicePrincipals", "A1", "owners", "U1"));
        assert!(!store.link("servicePrincipals", "a1", "owners", "u1"));
        assert!(store.link("servicePrincipals", "a1", "owners", "g1"));
        assert_eq!(
            store.links("servicePrincipals", "A1", "owners"),
            ["U1", "g1"]
        );
        assert!(store.unlink("servicePrincipals", "a1", "owners", "G1"));
        assert!(!store.unlink("servicePrincipals", "a1", "owners", "G1"));
        store.remove("users", "u1").unwrap();
        assert!(store.links("servicePrincipals", "a1", "owners").is_empty());
        store.singleton_or_insert("a/b", || json!({"x": 1}));
        assert_eq!(store.singleton("a/b"), Some(&json!({"x": 1})));
        let dump = store.to_json();
        assert_eq!(dump["entities"]["groups"][0]["id"], "g1");
    }
}
