//! Reference collection and closure: every component the kept paths reach through `$ref`,
//! transitively. A dangling, external or non-component reference is an error naming the JSON
//! pointer where it was written.

use std::collections::BTreeSet;

use graph_spec::refs::component_ref;
use graph_spec::{Pointer, SpecError};
use serde_json::{Map, Value};

use crate::pool::{self, Pool};

/// A component: `(kind, name)`.
pub(crate) type Key = (String, String);

/// Every string `$ref` under `v` with its JSON pointer. Discriminator
/// mappings hold plain strings, not `$ref` members, so they are not
/// followed; `example` values are data, not schema, and are skipped.
fn collect_refs(v: &Value, at: &Pointer, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == "$ref" {
                    if let Value::String(r) = child {
                        out.push((r.clone(), at.push(k).as_str().to_owned()));
                    }
                } else if k != "example" {
                    collect_refs(child, &at.push(k), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_refs(child, &at.push(&i.to_string()), out);
            }
        }
        _ => {}
    }
}

/// The component `reference` (written at `site`) names, checked against the pool: it must be
/// a local reference into `#/components/…`, and the component (and any node below it that the
/// reference names) must exist.
fn resolve(pool: &Pool, reference: &str, site: &str) -> Result<Key, SpecError> {
    let Some(target) = component_ref(reference) else {
        let what = if reference.starts_with('#') {
            "a local $ref outside #/components"
        } else {
            "an external $ref"
        };
        return Err(SpecError::new(
            site,
            format!("`{reference}` is {what}; a slice must be self-contained"),
        ));
    };
    let Some(component) = pool::get(pool, &target.kind, &target.name) else {
        return Err(SpecError::new(
            site,
            format!("dangling $ref `{reference}`: no such component"),
        ));
    };
    if !target.below.is_empty() && component.pointer(&target.below).is_none() {
        return Err(SpecError::new(
            site,
            format!("dangling $ref `{reference}`: no such node"),
        ));
    }
    Ok((target.kind, target.name))
}

/// The components to keep: `roots`, and every component `paths` or a kept component
/// references, transitively.
pub(crate) fn close(
    paths: &Map<String, Value>,
    pool: &Pool,
    roots: &BTreeSet<Key>,
) -> Result<BTreeSet<Key>, SpecError> {
    let mut ref_sites = Vec::new();
    collect_refs(
        &Value::Object(paths.clone()),
        &Pointer::root().push("paths"),
        &mut ref_sites,
    );
    let mut kept: BTreeSet<Key> = BTreeSet::new();
    let mut work: Vec<Key> = Vec::new();
    for key in roots {
        if kept.insert(key.clone()) {
            work.push(key.clone());
        }
    }
    loop {
        for (reference, site) in ref_sites.drain(..) {
            let key = resolve(pool, &reference, &site)?;
            if kept.insert(key.clone()) {
                work.push(key);
            }
        }
        let Some((kind, name)) = work.pop() else {
            break;
        };
        if let Some(v) = pool::get(pool, &kind, &name) {
            let at = Pointer::root().push("components").push(&kind).push(&name);
            collect_refs(v, &at, &mut ref_sites);
        }
    }
    Ok(kept)
}
