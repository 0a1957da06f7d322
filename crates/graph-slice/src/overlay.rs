//! Overlays: local extension operations, the components they need, and vendor extensions
//! merged into operations of the slice.

use serde_json::{Map, Value};

use crate::draft::Draft;
use crate::pool;
use crate::request::Overlay;
use crate::select::{Selector, is_method, matches, no_match_error, op_label};
use graph_spec::{Pointer, SpecError};

/// Applies one overlay to the slice being cut.
pub(crate) fn apply(overlay: &Overlay, draft: &mut Draft<'_>) -> Result<(), SpecError> {
    let Draft {
        upstream_paths,
        paths,
        pool,
        tag_decls,
        roots,
        extended_schemas,
        summary,
    } = draft;
    let upstream_paths: &Map<String, Value> = upstream_paths;
    let name = &overlay.name;
    let err = |pointer: &str, message: String| {
        SpecError::new(pointer, format!("overlay {name}: {message}"))
    };
    let doc = overlay
        .doc
        .as_object()
        .ok_or_else(|| err("", "must be a mapping".to_owned()))?;
    for key in doc.keys() {
        if ![
            "description",
            "paths",
            "derive",
            "components",
            "tags",
            "operations",
            "schemas",
        ]
        .contains(&key.as_str())
            && !key.starts_with("x-")
        {
            return Err(err(
                &format!("/{key}"),
                format!(
                    "unknown member `{key}` (expected description, paths, derive, components, tags, operations, schemas)"
                ),
            ));
        }
    }

    // (a) Local extension path items.
    if let Some(new_paths) = doc.get("paths") {
        let new_paths = new_paths
            .as_object()
            .ok_or_else(|| err("/paths", "`paths` must be a mapping".to_owned()))?;
        for (path, item) in new_paths {
            let at = Pointer::root().push("paths").push(path);
            let item = item
                .as_object()
                .ok_or_else(|| err(at.as_str(), "a path item must be a mapping".to_owned()))?;
            let target = paths
                .entry(path.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(target) = target else {
                return Err(err(at.as_str(), "path item is not a mapping".to_owned()));
            };
            for (key, value) in item {
                let key_at = at.push(key);
                if is_method(key) {
                    if value.get("x-graph-rs-local-extension").is_none() {
                        return Err(err(
                            key_at.as_str(),
                            "an operation added by an overlay must carry `x-graph-rs-local-extension`".to_owned(),
                        ));
                    }
                    if upstream_paths.get(path).and_then(|i| i.get(key)).is_some() {
                        return Err(err(
                            key_at.as_str(),
                            format!(
                                "{} {path} exists upstream: select it with `keep` instead",
                                key.to_ascii_uppercase()
                            ),
                        ));
                    }
                    if target.contains_key(key) {
                        return Err(err(
                            key_at.as_str(),
                            "operation already in the slice".to_owned(),
                        ));
                    }
                    summary.overlay_operations.push(op_label(key, path, value));
                } else if target.get(key).is_some_and(|existing| existing != value) {
                    return Err(err(
                        key_at.as_str(),
                        format!("`{key}` differs from the path item already in the slice"),
                    ));
                }
                target.insert(key.clone(), value.clone());
            }
        }
    }

    // (a') Local extension operations derived from upstream ones.
    if let Some(derive) = doc.get("derive") {
        let derive = derive
            .as_object()
            .ok_or_else(|| err("/derive", "`derive` must be a mapping".to_owned()))?;
        for (target_text, spec) in derive {
            let at = Pointer::root().push("derive").push(target_text);
            let Selector::MethodPath(method, path) =
                Selector::parse(target_text).map_err(|e| err(at.as_str(), e.message))?
            else {
                return Err(err(
                    at.as_str(),
                    "the key must be `METHOD /path` of the operation to add".to_owned(),
                ));
            };
            let spec = spec
                .as_object()
                .ok_or_else(|| err(at.as_str(), "must be a mapping".to_owned()))?;
            if let Some(bad) = spec
                .keys()
                .find(|k| !["from", "set", "reason"].contains(&k.as_str()))
            {
                return Err(err(
                    at.push(bad).as_str(),
                    format!("unknown member `{bad}` (expected from, set, reason)"),
                ));
            }
            let from_text = spec.get("from").and_then(Value::as_str).ok_or_else(|| {
                err(
                    at.as_str(),
                    "`from` (the upstream `METHOD /path`) is required".to_owned(),
                )
            })?;
            let Selector::MethodPath(from_method, from_path) =
                Selector::parse(from_text).map_err(|e| err(at.push("from").as_str(), e.message))?
            else {
                return Err(err(
                    at.push("from").as_str(),
                    "`from` must be `METHOD /path`".to_owned(),
                ));
            };
            let source_item = upstream_paths
                .get(&from_path)
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    err(
                        at.push("from").as_str(),
                        format!("`{from_path}` is not an upstream path"),
                    )
                })?;
            let source = source_item
                .get(&from_method)
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    err(
                        at.push("from").as_str(),
                        format!("upstream has no {from_text}"),
                    )
                })?;
            if upstream_paths
                .get(&path)
                .and_then(|i| i.get(&method))
                .is_some()
            {
                return Err(err(
                    at.as_str(),
                    format!("{target_text} exists upstream: select it with `keep` instead"),
                ));
            }
            let mut op = source.clone();
            if let Some(set) = spec.get("set") {
                let set = set.as_object().ok_or_else(|| {
                    err(
                        at.push("set").as_str(),
                        "`set` must be a mapping".to_owned(),
                    )
                })?;
                for (k, v) in set {
                    if k == "x-graph-rs-local-extension" {
                        return Err(err(
                            at.push("set").push(k).as_str(),
                            "the local-extension marker is written by the slicer".to_owned(),
                        ));
                    }
                    op.insert(k.clone(), v.clone());
                }
            }
            let label = op_label(&from_method, &from_path, &Value::Object(source.clone()));
            let mut marker = Map::new();
            marker.insert("derivedFrom".into(), Value::String(label.clone()));
            if let Some(reason) = spec.get("reason") {
                let reason = reason.as_str().ok_or_else(|| {
                    err(
                        at.push("reason").as_str(),
                        "`reason` must be text".to_owned(),
                    )
                })?;
                marker.insert("reason".into(), Value::String(reason.to_owned()));
            }
            op.insert("x-graph-rs-local-extension".into(), Value::Object(marker));
            let target = paths
                .entry(path.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(target) = target else {
                return Err(err(at.as_str(), "path item is not a mapping".to_owned()));
            };
            if target.contains_key(&method) {
                return Err(err(
                    at.as_str(),
                    "operation already in the slice".to_owned(),
                ));
            }
            for (key, value) in source_item {
                if !is_method(key) && !target.contains_key(key) {
                    target.insert(key.clone(), value.clone());
                }
            }
            let op = Value::Object(op);
            summary
                .derived_operations
                .push(format!("{} from {label}", op_label(&method, &path, &op)));
            target.insert(method.clone(), op);
        }
    }

    // Extra components: kept, and their refs closed over.
    if let Some(components) = doc.get("components") {
        let components = components
            .as_object()
            .ok_or_else(|| err("/components", "`components` must be a mapping".to_owned()))?;
        for (kind, entries) in components {
            let at = Pointer::root().push("components").push(kind);
            let entries = entries.as_object().ok_or_else(|| {
                err(
                    at.as_str(),
                    "a components section must be a mapping".to_owned(),
                )
            })?;
            let section = pool::section_mut(pool, kind);
            for (entry_name, value) in entries {
                match section.iter().find(|(n, _)| n == entry_name) {
                    Some((_, existing)) if existing != value => {
                        return Err(err(
                            at.push(entry_name).as_str(),
                            "differs from the upstream component of the same name (overlays may add components, not change them)".to_owned(),
                        ));
                    }
                    Some(_) => {}
                    None => section.push((entry_name.clone(), value.clone())),
                }
                roots.insert((kind.clone(), entry_name.clone()));
            }
        }
    }

    // Tag declarations.
    if let Some(tags) = doc.get("tags") {
        let tags = tags
            .as_array()
            .ok_or_else(|| err("/tags", "`tags` must be a list".to_owned()))?;
        for (i, tag) in tags.iter().enumerate() {
            let Some(tag_name) = tag.get("name").and_then(Value::as_str) else {
                return Err(err(
                    &format!("/tags/{i}"),
                    "a tag needs a `name`".to_owned(),
                ));
            };
            if !tag_decls
                .iter()
                .any(|t| t.get("name").and_then(Value::as_str) == Some(tag_name))
            {
                tag_decls.push(tag.clone());
            }
        }
    }

    // (b') Vendor extensions merged into schemas.
    if let Some(schemas) = doc.get("schemas") {
        let schemas = schemas
            .as_object()
            .ok_or_else(|| err("/schemas", "`schemas` must be a mapping".to_owned()))?;
        for (schema_name, members) in schemas {
            let at = Pointer::root().push("schemas").push(schema_name);
            let members = members
                .as_object()
                .ok_or_else(|| err(at.as_str(), "must be a mapping of `x-…` members".to_owned()))?;
            if let Some(bad) = members.keys().find(|k| !k.starts_with("x-")) {
                return Err(err(
                    at.push(bad).as_str(),
                    format!("only vendor extensions (`x-…`) may be merged, not `{bad}`"),
                ));
            }
            let Some(Value::Object(schema)) = pool::get_mut(pool, "schemas", schema_name) else {
                return Err(err(
                    at.as_str(),
                    format!("no component schema `{schema_name}` to extend"),
                ));
            };
            for (k, v) in members {
                schema.insert(k.clone(), v.clone());
            }
            let names: Vec<&str> = members.keys().map(String::as_str).collect();
            summary
                .extended_schemas
                .push(format!("{schema_name}: {}", names.join(", ")));
            extended_schemas.insert(schema_name.clone());
        }
    }

    // (b) Vendor extensions merged into operations of the slice.
    if let Some(ops) = doc.get("operations") {
        let ops = ops
            .as_object()
            .ok_or_else(|| err("/operations", "`operations` must be a mapping".to_owned()))?;
        for (selector, members) in ops {
            let at = Pointer::root().push("operations").push(selector);
            let sel = Selector::parse(selector).map_err(|e| err(at.as_str(), e.message))?;
            let members = members
                .as_object()
                .ok_or_else(|| err(at.as_str(), "must be a mapping of `x-…` members".to_owned()))?;
            if let Some(bad) = members.keys().find(|k| !k.starts_with("x-")) {
                return Err(err(
                    at.push(bad).as_str(),
                    format!("only vendor extensions (`x-…`) may be merged, not `{bad}`"),
                ));
            }
            let found = matches(paths, &sel);
            if found.is_empty() {
                let e = no_match_error(paths, &sel, "the slice");
                return Err(err(at.as_str(), e.message));
            }
            for (path, method) in found {
                let Some(Value::Object(op)) =
                    paths.get_mut(&path).and_then(|item| item.get_mut(&method))
                else {
                    continue;
                };
                for (k, v) in members {
                    op.insert(k.clone(), v.clone());
                }
                let label = op_label(&method, &path, &Value::Object(op.clone()));
                let names: Vec<&str> = members.keys().map(String::as_str).collect();
                summary
                    .extended_operations
                    .push(format!("{label}: {}", names.join(", ")));
            }
        }
    }
    Ok(())
}
