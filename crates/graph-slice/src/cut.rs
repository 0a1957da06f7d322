//! The cut itself: [`slice()`] selects the operations, builds the component pool, applies the
//! overlays, closes over `$ref` and assembles the slice.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use graph_spec::{Pointer, SpecError};

use crate::closure::{self, Key};
use crate::draft::Draft;
use crate::pool::{self, Pool};
use crate::request::{Request, Sliced};
use crate::select::{METHODS, Selector, is_method, matches, no_match_error, op_label};
use crate::shape::{member, object};
use crate::summary::Summary;
use crate::{assemble, overlay};

/// Cuts a slice out of `input` (an OpenAPI 3.0 document as JSON).
pub fn slice(input: &Value, request: &Request) -> Result<Sliced, SpecError> {
    let doc = object(input, "", "the OpenAPI document")?;
    check_version(doc)?;
    let empty = Map::new();
    let upstream_paths = member(doc, "paths", &empty)?;
    let mut summary = Summary {
        upstream_operations: count_operations(upstream_paths),
        ..Summary::default()
    };
    let paths = select_operations(upstream_paths, &request.keep, &mut summary)?;
    let upstream_components = member(doc, "components", &empty)?;
    let pool = pool::from_components(
        upstream_components,
        request.drop_navigation_properties,
        &mut summary,
    )?;
    let tag_decls = tag_declarations(doc)?;
    let roots = schema_roots(&pool, &request.schemas)?;
    let mut draft = Draft {
        upstream_paths,
        paths,
        pool,
        tag_decls,
        roots,
        extended_schemas: BTreeSet::new(),
        summary,
    };
    for o in &request.overlays {
        overlay::apply(o, &mut draft)?;
    }
    let kept = closure::close(&draft.paths, &draft.pool, &draft.roots)?;
    assemble::document(doc, upstream_components, request, draft, &kept)
}

/// Only OpenAPI 3.0.x is sliced.
fn check_version(doc: &Map<String, Value>) -> Result<(), SpecError> {
    match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => Ok(()),
        Some(v) => Err(SpecError::new(
            "/openapi",
            format!("OpenAPI {v} is not supported; expected 3.0.x"),
        )),
        None => Err(SpecError::new(
            "/openapi",
            "missing `openapi` version field",
        )),
    }
}

/// How many operations `paths` holds.
fn count_operations(paths: &Map<String, Value>) -> usize {
    paths
        .values()
        .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
        .sum()
}

/// The path items of the operations `keep` selects: each keeps only the selected methods, plus
/// its non-operation members. A selector that matches nothing is an error.
fn select_operations(
    upstream_paths: &Map<String, Value>,
    keep: &[String],
    summary: &mut Summary,
) -> Result<Map<String, Value>, SpecError> {
    let mut selected: BTreeSet<(String, String)> = BTreeSet::new();
    for text in keep {
        let sel = Selector::parse(text)?;
        let found = matches(upstream_paths, &sel);
        if found.is_empty() {
            return Err(no_match_error(upstream_paths, &sel, "the upstream file"));
        }
        selected.extend(found);
    }
    let mut paths = Map::new();
    for (path, item) in upstream_paths {
        if selected.iter().any(|(p, _)| p == path) {
            let kept = kept_path_item(path, item, &selected, summary)?;
            paths.insert(path.clone(), Value::Object(kept));
        }
    }
    Ok(paths)
}

/// One upstream path item with only its `selected` operations.
fn kept_path_item(
    path: &str,
    item: &Value,
    selected: &BTreeSet<(String, String)>,
    summary: &mut Summary,
) -> Result<Map<String, Value>, SpecError> {
    let at = Pointer::root().push("paths").push(path);
    let item = object(item, at.as_str(), "a path item")?;
    if item.contains_key("$ref") {
        return Err(SpecError::new(
            at.as_str(),
            "path item `$ref` is not supported",
        ));
    }
    let mut kept = Map::new();
    for (key, value) in item {
        if !is_method(key) {
            kept.insert(key.clone(), value.clone());
        } else if selected.contains(&(path.to_owned(), key.clone())) {
            summary.kept_operations.push(op_label(key, path, value));
            kept.insert(key.clone(), value.clone());
        }
    }
    Ok(kept)
}

/// The upstream tag declarations.
fn tag_declarations(doc: &Map<String, Value>) -> Result<Vec<Value>, SpecError> {
    match doc.get("tags") {
        Some(Value::Array(tags)) => Ok(tags.clone()),
        Some(_) => Err(SpecError::new("/tags", "`tags` must be a list")),
        None => Ok(Vec::new()),
    }
}

/// The schemas kept whatever references them; each must be in the pool.
fn schema_roots(pool: &Pool, schemas: &[String]) -> Result<BTreeSet<Key>, SpecError> {
    let mut roots = BTreeSet::new();
    for name in schemas {
        if pool::get(pool, "schemas", name).is_none() {
            return Err(SpecError::new(
                "/schemas",
                format!("schema `{name}` is not in the upstream file"),
            ));
        }
        roots.insert(("schemas".to_owned(), name.clone()));
    }
    Ok(roots)
}
