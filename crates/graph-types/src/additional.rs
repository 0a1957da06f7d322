//! The bag of JSON members a model does not declare.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// `true` when `key` names an OData instance annotation rather than a
/// property: `@odata.context`, `@odata.etag`, `owners@odata.nextLink`, ….
///
/// Declared members such as `@odata.type` or `@odata.id` are fields of the
/// generated models and never reach this check.
pub fn is_instance_annotation(key: &str) -> bool {
    key.contains('@')
}

/// Every JSON member of an object that its model does not declare.
///
/// Generated models flatten this into themselves. On the way in it keeps
/// everything; on the way out it writes the unknown *properties* back (so an
/// open type round-trips) but never the server's instance annotations, which
/// are read-only: after GET → change → PATCH, `@odata.context` is not sent.
///
/// ```
/// use graph_types::AdditionalProperties;
/// let mut extra = AdditionalProperties::default();
/// extra.insert("color", "blue".into());
/// extra.insert("@odata.context", "https://graph/$metadata#x".into());
/// assert_eq!(extra.annotation("@odata.context").unwrap(), "https://graph/$metadata#x");
/// assert_eq!(serde_json::to_string(&extra).unwrap(), r#"{"color":"blue"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdditionalProperties {
    members: BTreeMap<String, Value>,
}

impl AdditionalProperties {
    /// An empty bag.
    pub fn new() -> Self {
        Self::default()
    }

    /// `true` when nothing was kept.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Number of members kept, annotations included.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// The value of an undeclared member or annotation.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.members.get(key)
    }

    /// Adds or replaces an undeclared property. Keys that look like instance
    /// annotations are kept too, but will not be serialized.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        self.members.insert(key.into(), value)
    }

    /// Removes a member.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.members.remove(key)
    }

    /// A server instance annotation such as `@odata.context` or `@odata.etag`.
    pub fn annotation(&self, key: &str) -> Option<&Value> {
        self.members.get(key).filter(|_| is_instance_annotation(key))
    }

    /// All instance annotations received (read-only; never sent back).
    pub fn annotations(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.members
            .iter()
            .filter(|(k, _)| is_instance_annotation(k))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// All undeclared properties (annotations excluded); these are sent back.
    pub fn properties(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.members
            .iter()
            .filter(|(k, _)| !is_instance_annotation(k))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Drops every instance annotation.
    pub fn clear_annotations(&mut self) {
        self.members.retain(|k, _| !is_instance_annotation(k));
    }
}

impl Serialize for AdditionalProperties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (k, v) in self.properties() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for AdditionalProperties {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self {
            members: BTreeMap::deserialize(deserializer)?,
        })
    }
}

impl FromIterator<(String, Value)> for AdditionalProperties {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Self {
            members: iter.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Default, Serialize, Deserialize)]
    struct Model {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(flatten)]
        extra: AdditionalProperties,
    }

    #[test]
    fn unknown_properties_round_trip_but_annotations_do_not() {
        let json = r#"{"@odata.context":"ctx","name":"a","future":{"x":1},"owners@odata.nextLink":"n"}"#;
        let m: Model = serde_json::from_str(json).unwrap();
        assert_eq!(m.name.as_deref(), Some("a"));
        assert_eq!(m.extra.annotation("@odata.context").unwrap(), "ctx");
        assert_eq!(m.extra.annotations().count(), 2);
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"name":"a","future":{"x":1}}"#
        );
    }

    #[test]
    fn annotation_lookup_ignores_plain_properties() {
        let mut bag = AdditionalProperties::new();
        bag.insert("plain", Value::Bool(true));
        assert!(bag.annotation("plain").is_none());
        assert_eq!(bag.properties().count(), 1);
        bag.insert("@odata.etag", Value::from("W/1"));
        bag.clear_annotations();
        assert_eq!(bag.len(), 1);
    }
}
