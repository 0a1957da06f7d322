//! Passes `components` and `tags`: what the overlay's operations need that upstream lacks.

use graph_spec::{Pointer, SpecError};
use serde_json::Value;

use super::context::Context;
use crate::draft::Draft;
use crate::pool;

/// Adds the overlay's components to the pool and keeps them (their refs are closed over
/// later). A component upstream has too must be the same.
pub(super) fn add_components(
    cx: &Context<'_>,
    components: &Value,
    draft: &mut Draft<'_>,
) -> Result<(), SpecError> {
    let components = cx.mapping(components, "/components", "`components` must be a mapping")?;
    for (kind, entries) in components {
        let at = Pointer::root().push("components").push(kind);
        let entries = cx.mapping(
            entries,
            at.as_str(),
            "a components section must be a mapping",
        )?;
        let section = pool::section_mut(&mut draft.pool, kind);
        for (entry_name, value) in entries {
            match section.iter().find(|(n, _)| n == entry_name) {
                Some((_, existing)) if existing != value => {
                    return Err(cx.err(
                        at.push(entry_name).as_str(),
                        "differs from the upstream component of the same name (overlays may add components, not change them)",
                    ));
                }
                Some(_) => {}
                None => section.push((entry_name.clone(), value.clone())),
            }
            draft.roots.insert((kind.clone(), entry_name.clone()));
        }
    }
    Ok(())
}

/// Adds the overlay's tag declarations whose name is not declared yet.
pub(super) fn add_tags(
    cx: &Context<'_>,
    tags: &Value,
    draft: &mut Draft<'_>,
) -> Result<(), SpecError> {
    let tags = tags
        .as_array()
        .ok_or_else(|| cx.err("/tags", "`tags` must be a list"))?;
    for (i, tag) in tags.iter().enumerate() {
        let Some(tag_name) = tag.get("name").and_then(Value::as_str) else {
            return Err(cx.err(&format!("/tags/{i}"), "a tag needs a `name`"));
        };
        if !draft
            .tag_decls
            .iter()
            .any(|t| t.get("name").and_then(Value::as_str) == Some(tag_name))
        {
            draft.tag_decls.push(tag.clone());
        }
    }
    Ok(())
}
