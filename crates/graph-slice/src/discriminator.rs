//! Pruning discriminator mappings: a mapping entry never pulls a schema into the slice, and an
//! entry naming a schema the slice does not keep is removed (Graph's `microsoft.graph.entity`
//! maps ~2,500 derived types).

use std::collections::BTreeSet;

use graph_spec::refs::component_ref;
use serde_json::Value;

/// Removes discriminator mapping entries whose schema is not kept; returns
/// how many were removed.
pub(crate) fn prune_mappings(v: &mut Value, kept_schemas: &BTreeSet<&str>) -> usize {
    let mut pruned = 0;
    match v {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "discriminator" {
                    if let Some(mapping) = child.get_mut("mapping").and_then(Value::as_object_mut) {
                        let before = mapping.len();
                        mapping.retain(|_, target| {
                            mapping_target(target)
                                .is_some_and(|n| kept_schemas.contains(n.as_str()))
                        });
                        pruned += before - mapping.len();
                    }
                } else if key != "example" {
                    pruned += prune_mappings(child, kept_schemas);
                }
            }
        }
        Value::Array(items) => {
            for child in items {
                pruned += prune_mappings(child, kept_schemas);
            }
        }
        _ => {}
    }
    pruned
}

/// The schema a mapping entry names: a `#/components/schemas/…` reference or a bare schema
/// name (legal in a mapping); `None` for anything else.
fn mapping_target(target: &Value) -> Option<String> {
    let text = target.as_str()?;
    match component_ref(text) {
        Some(r) if r.kind == "schemas" => Some(r.name),
        Some(_) => None,
        None if !text.contains('/') && !text.starts_with('#') => Some(text.to_owned()),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mapping_targets_are_schema_refs_or_bare_names() {
        assert_eq!(
            mapping_target(&json!("#/components/schemas/a~1b")).as_deref(),
            Some("a/b")
        );
        assert_eq!(
            mapping_target(&json!("#/components/schemas/a/properties/x")).as_deref(),
            Some("a")
        );
        assert_eq!(
            mapping_target(&json!("bare.name")).as_deref(),
            Some("bare.name")
        );
        for other in [
            json!("#/components/responses/a"),
            json!("#/components/schemas/"),
            json!("other.yaml#/a"),
            json!(3),
        ] {
            assert_eq!(mapping_target(&other), None, "{other}");
        }
    }

    #[test]
    fn entries_naming_unkept_schemas_are_pruned_outside_examples() {
        let mut v = json!({
            "discriminator": {"mapping": {
                "#k": "#/components/schemas/k",
                "#u": "#/components/schemas/u",
                "#r": "#/components/responses/k",
            }},
            "example": {"discriminator": {"mapping": {"#u": "#/components/schemas/u"}}},
            "allOf": [{"discriminator": {"mapping": {"#u": "u", "#k": "k"}}}],
        });
        let kept = BTreeSet::from(["k"]);
        assert_eq!(prune_mappings(&mut v, &kept), 3);
        assert_eq!(
            v["discriminator"]["mapping"],
            json!({"#k": "#/components/schemas/k"})
        );
        assert_eq!(
            v["allOf"][0]["discriminator"]["mapping"],
            json!({"#k": "k"})
        );
        assert_eq!(
            v["example"]["discriminator"]["mapping"]["#u"],
            "#/components/schemas/u"
        );
    }
}
