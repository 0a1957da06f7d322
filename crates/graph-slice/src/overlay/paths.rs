//! Pass `paths`: whole path items with local extension operations.

use graph_spec::{Pointer, SpecError};
use serde_json::{Map, Value};

use super::context::Context;
use crate::draft::Draft;
use crate::select::{is_method, op_label};

/// Adds the overlay's path items to the slice. Each operation must carry
/// `x-graph-rs-local-extension`, must not exist upstream and must not be in the slice yet; a
/// path-level member must agree with the one already in the slice.
pub(super) fn add_path_items(
    cx: &Context<'_>,
    new_paths: &Value,
    draft: &mut Draft<'_>,
) -> Result<(), SpecError> {
    let new_paths = cx.mapping(new_paths, "/paths", "`paths` must be a mapping")?;
    for (path, item) in new_paths {
        let at = Pointer::root().push("paths").push(path);
        let item = cx.mapping(item, at.as_str(), "a path item must be a mapping")?;
        let upstream_item = draft.upstream_paths.get(path);
        let target = draft
            .paths
            .entry(path.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(target) = target else {
            return Err(cx.err(at.as_str(), "path item is not a mapping"));
        };
        for (key, value) in item {
            let key_at = at.push(key);
            if is_method(key) {
                check_new_operation(cx, &key_at, path, key, value, upstream_item, target)?;
                draft
                    .summary
                    .overlay_operations
                    .push(op_label(key, path, value));
            } else if target.get(key).is_some_and(|existing| existing != value) {
                return Err(cx.err(
                    key_at.as_str(),
                    format!("`{key}` differs from the path item already in the slice"),
                ));
            }
            target.insert(key.clone(), value.clone());
        }
    }
    Ok(())
}

/// An operation an overlay adds (`method` of `path`, at `at`) is marked, new upstream, and not
/// in the slice's path item `target` yet.
fn check_new_operation(
    cx: &Context<'_>,
    at: &Pointer,
    path: &str,
    method: &str,
    op: &Value,
    upstream_item: Option<&Value>,
    target: &Map<String, Value>,
) -> Result<(), SpecError> {
    if op.get("x-graph-rs-local-extension").is_none() {
        return Err(cx.err(
            at.as_str(),
            "an operation added by an overlay must carry `x-graph-rs-local-extension`",
        ));
    }
    if upstream_item.and_then(|i| i.get(method)).is_some() {
        return Err(cx.err(
            at.as_str(),
            format!(
                "{} {path} exists upstream: select it with `keep` instead",
                method.to_ascii_uppercase()
            ),
        ));
    }
    if target.contains_key(method) {
        return Err(cx.err(at.as_str(), "operation already in the slice"));
    }
    Ok(())
}
