//! Merging several upstream inputs into one document to slice: the first input wins.

use serde_json::{Map, Value};

use graph_spec::SpecError;

use crate::select::is_method;
use crate::shape::object;

/// Merges several inputs into one document to slice: paths of later inputs join the first's
/// (the same operation in two inputs is an error), components and tags of later inputs are
/// added unless an earlier input has one of that name. Returns the document and the
/// components of later inputs so left out (`kind/name`).
pub fn merge_inputs(inputs: &[Value]) -> Result<(Value, Vec<String>), SpecError> {
    let Some((first, rest)) = inputs.split_first() else {
        return Err(SpecError::new("", "no input to slice"));
    };
    let mut merged = object(first, "", "the OpenAPI document")?.clone();
    let mut shadowed = Vec::new();
    for (i, input) in rest.iter().enumerate() {
        let doc = object(input, "", "the OpenAPI document")?;
        let at = format!("(input {})", i + 2);
        if let Some(paths) = doc.get("paths") {
            let paths = object(paths, &format!("{at}/paths"), "`paths`")?;
            merge_paths(&mut merged, paths, &at)?;
        }
        if let Some(components) = doc.get("components") {
            let components = object(components, &format!("{at}/components"), "`components`")?;
            merge_components(&mut merged, components, &at, &mut shadowed)?;
        }
        if let Some(Value::Array(tags)) = doc.get("tags") {
            merge_tags(&mut merged, tags);
        }
    }
    Ok((Value::Object(merged), shadowed))
}

/// Adds the path items of a later input (`at` names it): new operations and path-level
/// members join; an operation already merged is an error.
fn merge_paths(
    merged: &mut Map<String, Value>,
    paths: &Map<String, Value>,
    at: &str,
) -> Result<(), SpecError> {
    let target = merged
        .entry("paths")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(target) = target else {
        return Err(SpecError::new("/paths", "`paths` must be a mapping"));
    };
    for (path, item) in paths {
        let item = object(item, &format!("{at}/paths/{path}"), "a path item")?;
        let existing = target
            .entry(path.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(existing) = existing else {
            continue;
        };
        for (key, value) in item {
            match existing.get(key) {
                Some(_) if is_method(key) => {
                    return Err(SpecError::new(
                        "",
                        format!(
                            "{} {path} is in more than one input",
                            key.to_ascii_uppercase()
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    existing.insert(key.clone(), value.clone());
                }
            }
        }
    }
    Ok(())
}

/// Adds the components of a later input (`at` names it) that no earlier input has; one that
/// an earlier input has with other content is recorded in `shadowed`.
fn merge_components(
    merged: &mut Map<String, Value>,
    components: &Map<String, Value>,
    at: &str,
    shadowed: &mut Vec<String>,
) -> Result<(), SpecError> {
    let target = merged
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(target) = target else {
        return Err(SpecError::new(
            "/components",
            "`components` must be a mapping",
        ));
    };
    for (kind, entries) in components {
        let entries = object(
            entries,
            &format!("{at}/components/{kind}"),
            "a components section",
        )?;
        let section = target
            .entry(kind.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(section) = section else {
            continue;
        };
        for (name, value) in entries {
            match section.get(name) {
                Some(existing) if existing != value => shadowed.push(format!("{kind}/{name}")),
                Some(_) => {}
                None => {
                    section.insert(name.clone(), value.clone());
                }
            }
        }
    }
    Ok(())
}

/// Adds the tag declarations of a later input whose name no earlier input declares.
fn merge_tags(merged: &mut Map<String, Value>, tags: &[Value]) {
    let target = merged
        .entry("tags")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(target) = target {
        for tag in tags {
            let name = tag.get("name");
            if !target.iter().any(|t| t.get("name") == name) {
                target.push(tag.clone());
            }
        }
    }
}
