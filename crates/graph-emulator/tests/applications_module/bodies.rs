//! Minimal valid bodies, built from a component schema: its required properties (never
//! `@odata.type`, which upstream marks required but Graph does not need), the properties an
//! alternate key reads, and one writable property to `PATCH` later.

use serde_json::{Map, Value, json};

/// The properties of a schema and of its `allOf` ancestors, with the names it requires.
#[derive(Debug, Default)]
pub struct Properties {
    /// `(name, schema)`, ancestors first.
    pub all: Vec<(String, Value)>,
    pub required: Vec<String>,
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => &doc["components"]["schemas"][name],
        None => schema,
    }
}

/// Collects the properties of `name` (through `allOf` and `$ref`).
pub fn properties(doc: &Value, name: &str) -> Properties {
    let mut out = Properties::default();
    collect(doc, &doc["components"]["schemas"][name], &mut out, 0);
    out
}

fn collect(doc: &Value, schema: &Value, out: &mut Properties, depth: usize) {
    if depth > 32 {
        return;
    }
    let schema = resolve(doc, schema);
    for member in schema["allOf"].as_array().into_iter().flatten() {
        collect(doc, member, out, depth + 1);
    }
    if let Some(props) = schema["properties"].as_object() {
        for (name, p) in props {
            out.all.retain(|(n, _)| n != name);
            out.all.push((name.clone(), p.clone()));
        }
    }
    for r in schema["required"].as_array().into_iter().flatten() {
        if let Some(r) = r.as_str() {
            out.required.push(r.to_owned());
        }
    }
}

/// A value of the property's type.
pub fn sample(doc: &Value, schema: &Value, unique: &str) -> Value {
    let schema = resolve(doc, schema);
    if let Some(values) = schema["enum"].as_array() {
        if let Some(v) = values.iter().find(|v| !v.is_null()) {
            return v.clone();
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(first) = schema[key]
            .as_array()
            .and_then(|m| m.iter().find(|m| !is_null_only(m)))
        {
            return sample(doc, first, unique);
        }
    }
    if let Some(first) = schema["allOf"].as_array().and_then(|m| m.first()) {
        if schema["allOf"].as_array().is_some_and(|m| m.len() == 1) {
            return sample(doc, first, unique);
        }
    }
    match schema["type"].as_str() {
        Some("string") => match schema["format"].as_str() {
            Some("date-time") => json!("2026-01-01T00:00:00Z"),
            Some("date") => json!("2026-01-01"),
            Some("time") => json!("08:00:00"),
            Some("duration") => json!("PT1H"),
            Some("uuid") => json!("00000000-0000-0000-0000-000000000001"),
            Some("base64url" | "byte") => json!("AA"),
            _ => json!(unique),
        },
        Some("integer") => json!(1),
        Some("number") => json!(1),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        _ => json!({}),
    }
}

fn is_null_only(schema: &Value) -> bool {
    schema["enum"]
        .as_array()
        .is_some_and(|v| v.iter().all(Value::is_null))
        || schema.as_object().is_some_and(|o| {
            o.get("nullable") == Some(&Value::Bool(true)) && !o.contains_key("$ref")
        })
}

/// A property to change with `PATCH`: its name and two distinct values.
#[derive(Debug, Clone)]
pub struct Patchable {
    pub name: String,
    pub first: Value,
    pub second: Value,
}

fn is_plain_string(p: &Value) -> bool {
    p["type"] == "string"
        && p.get("format").is_none()
        && p.get("enum").is_none()
        && p.get("pattern").is_none()
}

fn is_writable(name: &str, p: &Value) -> bool {
    name != "id" && !name.starts_with('@') && p["readOnly"] != Value::Bool(true)
}

/// `displayName` if the type has it as a plain writable string; else the first such string
/// property; else the first writable boolean.
pub fn patchable(props: &Properties, avoid: &[String], unique: &str) -> Option<Patchable> {
    let candidates = || {
        props
            .all
            .iter()
            .filter(|(n, p)| is_writable(n, p) && !avoid.contains(n))
    };
    let string = candidates()
        .find(|(n, p)| n == "displayName" && is_plain_string(p))
        .or_else(|| candidates().find(|(_, p)| is_plain_string(p)));
    if let Some((name, _)) = string {
        return Some(Patchable {
            name: name.clone(),
            first: json!(format!("{unique} first")),
            second: json!(format!("{unique} patched")),
        });
    }
    candidates()
        .find(|(_, p)| p["type"] == "boolean")
        .map(|(name, _)| Patchable {
            name: name.clone(),
            first: json!(false),
            second: json!(true),
        })
}

/// The create body: required properties, alternate-key properties, the patchable one.
pub fn create_body(
    doc: &Value,
    props: &Properties,
    alternate_key_properties: &[String],
    patch: Option<&Patchable>,
    unique: &str,
) -> Map<String, Value> {
    let mut body = Map::new();
    for name in &props.required {
        if name == "@odata.type" {
            continue;
        }
        if let Some((_, p)) = props.all.iter().find(|(n, _)| n == name) {
            body.insert(name.clone(), sample(doc, p, unique));
        }
    }
    for name in alternate_key_properties {
        if let Some((_, p)) = props.all.iter().find(|(n, _)| n == name) {
            body.insert(name.clone(), sample(doc, p, &format!("{unique}-{name}")));
        }
    }
    if let Some(p) = patch {
        body.insert(p.name.clone(), p.first.clone());
    }
    body
}
