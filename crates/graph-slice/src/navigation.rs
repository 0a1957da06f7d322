//! Leaving out navigation properties (`drop_navigation_properties`), so a closure over `$ref`
//! holds the structural properties only instead of half of Graph.

use std::collections::{BTreeMap, BTreeSet};

use graph_spec::refs::schema_ref_name;
use serde_json::Value;

/// Removes the navigation properties of every schema in a `schemas` section; returns how many.
pub(crate) fn drop_from_schemas(section: &mut [(String, Value)]) -> usize {
    let entities = entity_types(section);
    let mut dropped = 0;
    for (name, schema) in section.iter_mut() {
        let is_entity = entities.contains(name.as_str());
        dropped += drop_navigation_properties(schema, is_entity, &entities);
    }
    dropped
}

/// The schemas that are OData entity types: `microsoft.graph.entity` and every schema whose
/// `allOf` base chain reaches it. In OData only navigation properties can hold entities.
fn entity_types(schemas: &[(String, Value)]) -> BTreeSet<String> {
    const ROOT: &str = "microsoft.graph.entity";
    let base_of = |schema: &Value| -> Option<String> {
        schema
            .get("allOf")?
            .as_array()?
            .iter()
            .find_map(|m| schema_ref_name(m.get("$ref")?.as_str()?))
    };
    let bases: BTreeMap<&str, Option<String>> = schemas
        .iter()
        .map(|(n, v)| (n.as_str(), base_of(v)))
        .collect();
    let mut out = BTreeSet::new();
    for (name, _) in schemas {
        let mut current = name.as_str();
        for _ in 0..64 {
            if current == ROOT {
                out.insert(name.clone());
                break;
            }
            match bases.get(current).and_then(|b| b.as_deref()) {
                Some(base) => current = base,
                None => break,
            }
        }
    }
    out
}

/// The schema a property refers to: `$ref`, array `items.$ref`, or the one `$ref` of an
/// `anyOf`/`oneOf` nullable shape.
fn property_target(property: &Value) -> Option<String> {
    let reference = |v: &Value| schema_ref_name(v.get("$ref")?.as_str()?);
    if let Some(r) = reference(property) {
        return Some(r);
    }
    if let Some(items) = property.get("items") {
        return property_target(items);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(members) = property.get(key).and_then(Value::as_array) {
            let refs: Vec<String> = members.iter().filter_map(reference).collect();
            if refs.len() == 1 {
                return refs.into_iter().next();
            }
        }
    }
    None
}

/// Removes navigation properties from a schema (its own `properties` and those of inline
/// `allOf` members): those marked `x-ms-navigationProperty: true`, and, in an entity type,
/// those whose type is an entity type (the PowerShell flavour writes single-valued ones as a
/// bare `$ref`, which cannot carry the marker; a complex type such as a collection response
/// holds entities structurally). Returns how many.
fn drop_navigation_properties(
    schema: &mut Value,
    is_entity: bool,
    entity_types: &BTreeSet<String>,
) -> usize {
    let mut dropped = 0;
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        let before = props.len();
        props.retain(|_, p| {
            let marked = p.get("x-ms-navigationProperty").and_then(Value::as_bool) == Some(true);
            let entity_valued =
                is_entity && property_target(p).is_some_and(|t| entity_types.contains(&t));
            !(marked || entity_valued)
        });
        dropped += before - props.len();
    }
    if let Some(members) = schema.get_mut("allOf").and_then(Value::as_array_mut) {
        for member in members {
            dropped += drop_navigation_properties(member, is_entity, entity_types);
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(base: Option<&str>, properties: Value) -> Value {
        match base {
            Some(b) => json!({"allOf": [
                {"$ref": format!("#/components/schemas/{b}")},
                {"type": "object", "properties": properties},
            ]}),
            None => json!({"type": "object", "properties": properties}),
        }
    }

    #[test]
    fn marked_and_entity_valued_properties_of_entities_are_dropped() {
        let mut section = vec![
            (
                "microsoft.graph.entity".to_owned(),
                schema(None, json!({"id": {"type": "string"}})),
            ),
            (
                "microsoft.graph.user".to_owned(),
                schema(
                    Some("microsoft.graph.entity"),
                    json!({
                        "name": {"type": "string"},
                        "manager": {"$ref": "#/components/schemas/microsoft.graph.user"},
                        "owners": {"type": "array", "items": {"$ref": "#/components/schemas/microsoft.graph.user"}},
                        "marked": {"type": "string", "x-ms-navigationProperty": true},
                        "address": {"$ref": "#/components/schemas/microsoft.graph.address"},
                    }),
                ),
            ),
            (
                "microsoft.graph.userCollectionResponse".to_owned(),
                schema(
                    None,
                    json!({"value": {"type": "array", "items": {"$ref": "#/components/schemas/microsoft.graph.user"}}}),
                ),
            ),
        ];
        assert_eq!(drop_from_schemas(&mut section), 3);
        let user_props = &section[1].1["allOf"][1]["properties"];
        let kept: Vec<&String> = user_props.as_object().unwrap().keys().collect();
        assert_eq!(kept, ["name", "address"]);
        // A complex type holds entities structurally: untouched.
        assert!(section[2].1["properties"].get("value").is_some());
    }
}
