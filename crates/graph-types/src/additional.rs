//! The bag of JSON members a model does not declare.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// `true` when `key` names an OData annotation a server sends rather than a property:
/// `@odata.context`, `@odata.etag`, `owners@odata.nextLink`, …, but not the client-side
/// `manager@odata.bind`.
///
/// Used on the way in: such members of a deserialized object are kept as read-only
/// annotations. Declared members such as `@odata.type` or `@odata.id` are fields of
/// the generated models and never reach this check.
pub fn is_instance_annotation(key: &str) -> bool {
    key.contains('@') && !is_client_annotation(key)
}

/// `true` for the annotations only a client writes, which a server never sends:
/// `…@odata.bind` (binding a navigation property to existing entities by URL).
fn is_client_annotation(key: &str) -> bool {
    key.rsplit_once('@')
        .is_some_and(|(_, term)| term.eq_ignore_ascii_case("odata.bind"))
}

/// Every JSON member of an object that its model does not declare.
///
/// Generated models flatten this into themselves. It holds two kinds of member:
///
/// - **properties**: undeclared properties received (so an open type round-trips), and every
///   member the caller [`insert`](Self::insert)s, whatever its name. These are serialized, so a
///   client-side annotation such as `manager@odata.bind` is sent as written.
/// - **annotations**: the server's instance annotations received with the object
///   (`@odata.context`, `@odata.etag`, `owners@odata.nextLink`, …). They are readable but
///   never serialized: after GET → change → PATCH, `@odata.context` is not sent back.
///
/// ```
/// use graph_types::AdditionalProperties;
/// let received: AdditionalProperties =
///     serde_json::from_str(r#"{"@odata.context":"https://graph/$metadata#x","color":"blue"}"#).unwrap();
/// assert_eq!(received.annotation("@odata.context").unwrap(), "https://graph/$metadata#x");
/// assert_eq!(serde_json::to_string(&received).unwrap(), r#"{"color":"blue"}"#);
///
/// let mut sent = AdditionalProperties::new();
/// sent.insert("manager@odata.bind", "https://graph.microsoft.com/beta/users/1".into());
/// assert_eq!(
///     serde_json::to_string(&sent).unwrap(),
///     r#"{"manager@odata.bind":"https://graph.microsoft.com/beta/users/1"}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdditionalProperties {
    properties: BTreeMap<String, Value>,
    annotations: BTreeMap<String, Value>,
}

impl AdditionalProperties {
    /// An empty bag.
    pub fn new() -> Self {
        Self::default()
    }

    /// `true` when nothing was kept.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty() && self.annotations.is_empty()
    }

    /// Number of members kept, annotations included.
    pub fn len(&self) -> usize {
        self.properties.len() + self.annotations.len()
    }

    /// The value of an undeclared property or, failing that, of a received annotation.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.properties
            .get(key)
            .or_else(|| self.annotations.get(key))
    }

    /// Adds or replaces a member to send, whatever its name (`nickname`,
    /// `manager@odata.bind`, …). Returns the property it replaced.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        self.properties.insert(key.into(), value)
    }

    /// Keeps a member received with an object: an instance annotation apart (read-only),
    /// anything else as a property that is sent back.
    pub(crate) fn receive(&mut self, key: String, value: Value) {
        if is_instance_annotation(&key) {
            self.annotations.insert(key, value);
        } else {
            self.properties.insert(key, value);
        }
    }

    /// Removes a member: the property and the received annotation of that name, if both exist
    /// (the property's value is returned then).
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let annotation = self.annotations.remove(key);
        self.properties.remove(key).or(annotation)
    }

    /// A server instance annotation received with the object, such as `@odata.context`.
    pub fn annotation(&self, key: &str) -> Option<&Value> {
        self.annotations.get(key)
    }

    /// All instance annotations received (read-only; never sent back).
    pub fn annotations(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.annotations.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// All members that are sent: undeclared properties received and everything inserted.
    pub fn properties(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.properties.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Drops every received annotation.
    pub fn clear_annotations(&mut self) {
        self.annotations.clear();
    }
}

impl Serialize for AdditionalProperties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.properties.len()))?;
        for (k, v) in &self.properties {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for AdditionalProperties {
    /// Members whose name is an instance annotation are kept apart as read-only annotations.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (annotations, properties) = BTreeMap::<String, Value>::deserialize(deserializer)?
            .into_iter()
            .partition(|(k, _)| is_instance_annotation(k));
        Ok(Self {
            properties,
            annotations,
        })
    }
}

impl FromIterator<(String, Value)> for AdditionalProperties {
    /// Every pair becomes a property to send, as with [`insert`](Self::insert).
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Self {
            properties: iter.into_iter().collect(),
            annotations: BTreeMap::new(),
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
        let json =
            r#"{"@odata.context":"ctx","name":"a","future":{"x":1},"owners@odata.nextLink":"n"}"#;
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
        let mut bag: AdditionalProperties =
            serde_json::from_str(r#"{"@odata.etag":"W/1"}"#).unwrap();
        bag.insert("plain", Value::Bool(true));
        assert!(bag.annotation("plain").is_none());
        assert_eq!(bag.get("@odata.etag").unwrap(), "W/1");
        assert_eq!(bag.properties().count(), 1);
        assert_eq!(bag.len(), 2);
        bag.clear_annotations();
        assert_eq!(bag.len(), 1);
    }

    #[test]
    fn a_deserialized_bind_is_a_property_and_is_sent() {
        // A request body built from JSON (say, a template) keeps its binds.
        let m: Model = serde_json::from_str(
            r#"{"name":"a","members@odata.bind":["https://graph/beta/users/1"],"@odata.context":"ctx"}"#,
        )
        .unwrap();
        assert!(m.extra.annotation("members@odata.bind").is_none());
        assert_eq!(m.extra.annotations().count(), 1);
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"name":"a","members@odata.bind":["https://graph/beta/users/1"]}"#
        );
        assert!(!is_instance_annotation("manager@odata.bind"));
        assert!(!is_instance_annotation("manager@OData.Bind"));
        assert!(is_instance_annotation("owners@odata.nextLink"));
        assert!(is_instance_annotation("@odata.bind.other"));
    }

    #[test]
    fn remove_takes_a_name_out_of_both_kinds() {
        let mut bag: AdditionalProperties =
            serde_json::from_str(r#"{"@odata.etag":"W/1"}"#).unwrap();
        bag.insert("@odata.etag", Value::from("mine"));
        assert_eq!(bag.remove("@odata.etag").unwrap(), "mine");
        assert!(bag.is_empty());
    }

    #[test]
    fn inserted_annotations_are_sent_as_written() {
        // A client-side annotation is the caller's intent (binding a navigation property):
        // only annotations that came from the server are held back.
        let mut m: Model = serde_json::from_str(r#"{"@odata.context":"ctx","name":"a"}"#).unwrap();
        m.extra.insert(
            "manager@odata.bind",
            Value::from("https://graph/beta/users/1"),
        );
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"name":"a","manager@odata.bind":"https://graph/beta/users/1"}"#
        );
        assert!(m.extra.annotation("manager@odata.bind").is_none());
        assert_eq!(
            m.extra.get("manager@odata.bind").unwrap(),
            "https://graph/beta/users/1"
        );
        assert_eq!(m.extra.remove("@odata.context").unwrap(), "ctx");
        assert!(m.extra.annotations().next().is_none());
    }
}
