//! Applying an overlay (see [`Overlay`]) to the slice being cut, as named passes run in a
//! fixed order, one per overlay member:
//!
//! 1. [`paths::add_path_items`] (`paths`): local extension path items;
//! 2. [`derive::derive_operations`] (`derive`): local extension operations copied from
//!    upstream ones;
//! 3. [`components::add_components`] (`components`): what those operations need;
//! 4. [`components::add_tags`] (`tags`): tag declarations;
//! 5. [`extensions::extend_schemas`] (`schemas`): vendor extensions merged into schemas;
//! 6. [`extensions::extend_operations`] (`operations`): vendor extensions merged into
//!    operations of the slice.
//!
//! Every error names the overlay and the JSON pointer inside it.

mod components;
mod context;
mod derive;
mod extensions;
mod paths;

use graph_spec::SpecError;

use crate::draft::Draft;
use crate::request::Overlay;
use context::Context;

/// The members an overlay may have (besides `x-…`).
const MEMBERS: &[&str] = &[
    "description",
    "paths",
    "derive",
    "components",
    "tags",
    "operations",
    "schemas",
];

/// Applies one overlay to the slice being cut: every pass whose member the overlay has.
pub(crate) fn apply(overlay: &Overlay, draft: &mut Draft<'_>) -> Result<(), SpecError> {
    let cx = Context::new(&overlay.name);
    let doc = overlay
        .doc
        .as_object()
        .ok_or_else(|| cx.err("", "must be a mapping"))?;
    check_members(&cx, doc.keys())?;
    if let Some(v) = doc.get("paths") {
        paths::add_path_items(&cx, v, draft)?;
    }
    if let Some(v) = doc.get("derive") {
        derive::derive_operations(&cx, v, draft)?;
    }
    if let Some(v) = doc.get("components") {
        components::add_components(&cx, v, draft)?;
    }
    if let Some(v) = doc.get("tags") {
        components::add_tags(&cx, v, draft)?;
    }
    if let Some(v) = doc.get("schemas") {
        extensions::extend_schemas(&cx, v, draft)?;
    }
    if let Some(v) = doc.get("operations") {
        extensions::extend_operations(&cx, v, draft)?;
    }
    Ok(())
}

/// An overlay has only [`MEMBERS`] and `x-…` members.
fn check_members<'k>(
    cx: &Context<'_>,
    keys: impl Iterator<Item = &'k String>,
) -> Result<(), SpecError> {
    for key in keys {
        if !MEMBERS.contains(&key.as_str()) && !key.starts_with("x-") {
            return Err(cx.err(
                &format!("/{key}"),
                format!(
                    "unknown member `{key}` (expected description, paths, derive, components, tags, operations, schemas)"
                ),
            ));
        }
    }
    Ok(())
}
