//! Passes `schemas` and `operations`: vendor extensions (`x-…` members only) merged into
//! component schemas and into operations of the slice; a member already there is replaced.

use graph_spec::{Pointer, SpecError};
use serde_json::Value;

use super::context::Context;
use crate::draft::Draft;
use crate::pool;
use crate::select::{Selector, matches, no_match_error, op_label};

/// Merges the overlay's `schemas` members into the pool's component schemas. Each schema so
/// extended must end up kept (checked when the slice is assembled).
pub(super) fn extend_schemas(
    cx: &Context<'_>,
    schemas: &Value,
    draft: &mut Draft<'_>,
) -> Result<(), SpecError> {
    let schemas = cx.mapping(schemas, "/schemas", "`schemas` must be a mapping")?;
    for (schema_name, members) in schemas {
        let at = Pointer::root().push("schemas").push(schema_name);
        let members = cx.vendor_members(members, &at)?;
        let Some(Value::Object(schema)) = pool::get_mut(&mut draft.pool, "schemas", schema_name)
        else {
            return Err(cx.err(
                at.as_str(),
                format!("no component schema `{schema_name}` to extend"),
            ));
        };
        for (k, v) in members {
            schema.insert(k.clone(), v.clone());
        }
        let names: Vec<&str> = members.keys().map(String::as_str).collect();
        draft
            .summary
            .extended_schemas
            .push(format!("{schema_name}: {}", names.join(", ")));
        draft.extended_schemas.insert(schema_name.clone());
    }
    Ok(())
}

/// Merges the overlay's `operations` members into every operation of the slice each selector
/// names; a selector that matches nothing in the slice is an error.
pub(super) fn extend_operations(
    cx: &Context<'_>,
    ops: &Value,
    draft: &mut Draft<'_>,
) -> Result<(), SpecError> {
    let ops = cx.mapping(ops, "/operations", "`operations` must be a mapping")?;
    for (selector, members) in ops {
        let at = Pointer::root().push("operations").push(selector);
        let sel = Selector::parse(selector).map_err(|e| cx.err(at.as_str(), e.message))?;
        let members = cx.vendor_members(members, &at)?;
        let found = matches(&draft.paths, &sel);
        if found.is_empty() {
            let e = no_match_error(&draft.paths, &sel, "the slice");
            return Err(cx.err(at.as_str(), e.message));
        }
        for (path, method) in found {
            let Some(Value::Object(op)) = draft
                .paths
                .get_mut(&path)
                .and_then(|item| item.get_mut(&method))
            else {
                continue;
            };
            for (k, v) in members {
                op.insert(k.clone(), v.clone());
            }
            let label = op_label(&method, &path, &Value::Object(op.clone()));
            let names: Vec<&str> = members.keys().map(String::as_str).collect();
            draft
                .summary
                .extended_operations
                .push(format!("{label}: {}", names.join(", ")));
        }
    }
    Ok(())
}
