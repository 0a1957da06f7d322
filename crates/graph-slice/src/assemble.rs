//! Assembling the slice once the closure is known: the kept components (discriminator
//! mappings pruned), the tags in use, `info` with its overrides and provenance, all in
//! upstream member order.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use graph_spec::SpecError;
use graph_spec::extensions::SLICE_PROVENANCE;

use crate::closure::Key;
use crate::discriminator::prune_mappings;
use crate::draft::Draft;
use crate::pool::Pool;
use crate::request::{Request, Sliced};
use crate::select::METHODS;
use crate::shape::object;
use crate::summary::Summary;

/// The slice document: `doc`'s members in order, with the draft's paths, the `kept`
/// components and the tags in use.
pub(crate) fn document(
    doc: &Map<String, Value>,
    upstream_components: &Map<String, Value>,
    request: &Request,
    draft: Draft<'_>,
    kept: &BTreeSet<Key>,
) -> Result<Sliced, SpecError> {
    let Draft {
        mut paths,
        pool,
        tag_decls,
        extended_schemas,
        mut summary,
        ..
    } = draft;
    let kept_schemas: BTreeSet<&str> = kept
        .iter()
        .filter(|(k, _)| k == "schemas")
        .map(|(_, n)| n.as_str())
        .collect();
    if let Some(unkept) = extended_schemas
        .iter()
        .find(|n| !kept_schemas.contains(n.as_str()))
    {
        return Err(SpecError::new(
            "/schemas",
            format!("an overlay extends schema `{unkept}`, which the slice does not keep"),
        ));
    }
    let components = kept_components(&pool, kept, &kept_schemas, &mut summary);
    summary.schemas_dropped = dropped_schemas(upstream_components, &kept_schemas);
    for item in paths.values_mut() {
        summary.discriminator_entries_pruned += prune_mappings(item, &kept_schemas);
    }
    let tags = used_tags(&paths, tag_decls);
    summary.tags_kept = tags.len();
    let out = members(doc, request, paths, components, tags)?;
    Ok(Sliced {
        doc: Value::Object(out),
        summary,
    })
}

/// The kept components in pool order (all security schemes), discriminator mappings pruned;
/// counted in `summary`.
fn kept_components(
    pool: &Pool,
    kept: &BTreeSet<Key>,
    kept_schemas: &BTreeSet<&str>,
    summary: &mut Summary,
) -> Map<String, Value> {
    let mut components = Map::new();
    for (kind, entries) in pool {
        let mut section = Map::new();
        for (name, value) in entries {
            if kind == "securitySchemes" || kept.contains(&(kind.clone(), name.clone())) {
                let mut value = value.clone();
                summary.discriminator_entries_pruned += prune_mappings(&mut value, kept_schemas);
                section.insert(name.clone(), value);
            }
        }
        if section.is_empty() {
            continue;
        }
        if kind == "schemas" {
            summary.schemas_kept = section.len();
        } else {
            summary.other_components.insert(kind.clone(), section.len());
        }
        components.insert(kind.clone(), Value::Object(section));
    }
    components
}

/// How many upstream component schemas the slice leaves out.
fn dropped_schemas(upstream_components: &Map<String, Value>, kept: &BTreeSet<&str>) -> usize {
    upstream_components
        .get("schemas")
        .and_then(Value::as_object)
        .map_or(0, |schemas| {
            schemas
                .keys()
                .filter(|n| !kept.contains(n.as_str()))
                .count()
        })
}

/// The declared tags the kept operations use, in declaration order.
fn used_tags(paths: &Map<String, Value>, tag_decls: Vec<Value>) -> Vec<Value> {
    let mut used: BTreeSet<String> = BTreeSet::new();
    for item in paths.values() {
        for m in METHODS {
            if let Some(tags) = item
                .get(*m)
                .and_then(|op| op.get("tags"))
                .and_then(Value::as_array)
            {
                used.extend(tags.iter().filter_map(Value::as_str).map(str::to_owned));
            }
        }
    }
    tag_decls
        .into_iter()
        .filter(|t| {
            t.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| used.contains(n))
        })
        .collect()
}

/// `info` with the request's overrides and provenance.
fn info(value: &Value, request: &Request) -> Result<Value, SpecError> {
    let mut info = object(value, "/info", "`info`")?.clone();
    for (k, v) in &request.info {
        info.insert(k.clone(), v.clone());
    }
    if let Some(p) = &request.provenance {
        info.insert(SLICE_PROVENANCE.to_owned(), p.clone());
    }
    Ok(Value::Object(info))
}

/// The slice's top-level members in upstream order; `paths`, and non-empty `components` and
/// `tags`, are added at the end when upstream has none.
fn members(
    doc: &Map<String, Value>,
    request: &Request,
    mut paths: Map<String, Value>,
    mut components: Map<String, Value>,
    tags: Vec<Value>,
) -> Result<Map<String, Value>, SpecError> {
    let mut out = Map::new();
    let mut placed_tags = false;
    let mut placed_components = false;
    for (key, value) in doc {
        let value = match key.as_str() {
            "paths" => Value::Object(std::mem::take(&mut paths)),
            "components" => {
                placed_components = true;
                Value::Object(std::mem::take(&mut components))
            }
            "tags" => {
                placed_tags = true;
                Value::Array(tags.clone())
            }
            "info" => info(value, request)?,
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    if !out.contains_key("paths") {
        out.insert("paths".into(), Value::Object(paths));
    }
    if !placed_components && !components.is_empty() {
        out.insert("components".into(), Value::Object(components));
    }
    if !placed_tags && !tags.is_empty() {
        out.insert("tags".into(), Value::Array(tags));
    }
    Ok(out)
}
