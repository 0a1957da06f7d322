//! The component pool: every component the slice may keep, upstream ones first (in upstream
//! order), then those overlays add.

use serde_json::{Map, Value};

use graph_spec::{Pointer, SpecError};

use crate::navigation;
use crate::shape::object;
use crate::summary::Summary;

/// Components by kind (`schemas`, `parameters`, …), each section in order.
pub(crate) type Pool = Vec<(String, Vec<(String, Value)>)>;

/// The component `kind/name`, if the pool has it.
pub(crate) fn get<'p>(pool: &'p Pool, kind: &str, name: &str) -> Option<&'p Value> {
    pool.iter()
        .find(|(k, _)| k == kind)
        .and_then(|(_, entries)| entries.iter().find(|(n, _)| n == name))
        .map(|(_, v)| v)
}

/// The component `kind/name` to change, if the pool has it.
pub(crate) fn get_mut<'p>(pool: &'p mut Pool, kind: &str, name: &str) -> Option<&'p mut Value> {
    pool.iter_mut()
        .find(|(k, _)| k == kind)
        .and_then(|(_, entries)| entries.iter_mut().find(|(n, _)| n == name))
        .map(|(_, v)| v)
}

/// The section of `kind`, added (empty, last) when the pool has none.
pub(crate) fn section_mut<'p>(pool: &'p mut Pool, kind: &str) -> &'p mut Vec<(String, Value)> {
    let i = match pool.iter().position(|(k, _)| k == kind) {
        Some(i) => i,
        None => {
            pool.push((kind.to_owned(), Vec::new()));
            pool.len() - 1
        }
    };
    &mut pool[i].1
}

/// The pool of the upstream `components`; with `drop_navigation_properties`, schemas lose
/// their navigation properties first (counted in `summary`).
pub(crate) fn from_components(
    components: &Map<String, Value>,
    drop_navigation_properties: bool,
    summary: &mut Summary,
) -> Result<Pool, SpecError> {
    let mut pool: Pool = Vec::new();
    for (kind, entries) in components {
        let at = Pointer::root().push("components").push(kind);
        let entries = object(entries, at.as_str(), "a components section")?;
        let mut section: Vec<(String, Value)> = entries
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        if kind == "schemas" && drop_navigation_properties {
            summary.navigation_properties_dropped += navigation::drop_from_schemas(&mut section);
        }
        pool.push((kind.clone(), section));
    }
    Ok(pool)
}
