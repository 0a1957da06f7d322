//! Pass `derive`: local extension operations copied from upstream ones, with members replaced
//! (`set`) and the local-extension marker written by the slicer.
//!
//! ```yaml
//! derive:
//!   "GET /some/cast/path":
//!     from: "GET /some/path"
//!     set: {operationId: …}
//!     reason: free text
//! ```

use graph_spec::{Pointer, SpecError};
use serde_json::{Map, Value};

use super::context::Context;
use crate::draft::Draft;
use crate::select::{Selector, is_method, op_label};

/// The marker every operation an overlay adds carries.
const MARKER: &str = "x-graph-rs-local-extension";

/// One `derive` entry, parsed.
struct Rule<'v> {
    /// Where the entry is.
    at: Pointer,
    /// The operation to add, as written (the entry's key).
    target_text: &'v str,
    /// The operation to add.
    method: String,
    /// Its path.
    path: String,
    /// The upstream operation's `METHOD /path`, as written.
    from_text: &'v str,
    /// The upstream operation's method.
    from_method: String,
    /// Its path.
    from_path: String,
    /// The entry's members.
    spec: &'v Map<String, Value>,
}

/// The upstream operation a rule copies.
struct Source<'u> {
    /// Its path item.
    item: &'u Map<String, Value>,
    /// The operation.
    op: &'u Map<String, Value>,
}

/// Adds every operation the overlay derives from an upstream one.
pub(super) fn derive_operations(
    cx: &Context<'_>,
    derive: &Value,
    draft: &mut Draft<'_>,
) -> Result<(), SpecError> {
    let derive = cx.mapping(derive, "/derive", "`derive` must be a mapping")?;
    for (target_text, spec) in derive {
        let rule = parse_rule(cx, target_text, spec)?;
        derive_one(cx, &rule, draft)?;
    }
    Ok(())
}

/// `METHOD /path` or an error at `at` (`what` says which key must be one).
fn method_path(
    cx: &Context<'_>,
    text: &str,
    at: &Pointer,
    what: &str,
) -> Result<(String, String), SpecError> {
    match Selector::parse(text).map_err(|e| cx.err(at.as_str(), e.message))? {
        Selector::MethodPath(method, path) => Ok((method, path)),
        Selector::OperationId(_) => Err(cx.err(at.as_str(), what)),
    }
}

/// Parses the entry `target_text: spec`.
fn parse_rule<'v>(
    cx: &Context<'_>,
    target_text: &'v str,
    spec: &'v Value,
) -> Result<Rule<'v>, SpecError> {
    let at = Pointer::root().push("derive").push(target_text);
    let (method, path) = method_path(
        cx,
        target_text,
        &at,
        "the key must be `METHOD /path` of the operation to add",
    )?;
    let spec = cx.mapping(spec, at.as_str(), "must be a mapping")?;
    if let Some(bad) = spec
        .keys()
        .find(|k| !["from", "set", "reason"].contains(&k.as_str()))
    {
        return Err(cx.err(
            at.push(bad).as_str(),
            format!("unknown member `{bad}` (expected from, set, reason)"),
        ));
    }
    let from_text = spec.get("from").and_then(Value::as_str).ok_or_else(|| {
        cx.err(
            at.as_str(),
            "`from` (the upstream `METHOD /path`) is required",
        )
    })?;
    let from_at = at.push("from");
    let (from_method, from_path) =
        method_path(cx, from_text, &from_at, "`from` must be `METHOD /path`")?;
    Ok(Rule {
        at,
        target_text,
        method,
        path,
        from_text,
        from_method,
        from_path,
        spec,
    })
}

/// Adds the operation `rule` derives: its source must exist upstream, the operation itself
/// must not, and the slice must not have it yet. Path-level members of the source's path item
/// join the target's where it lacks them.
fn derive_one(cx: &Context<'_>, rule: &Rule<'_>, draft: &mut Draft<'_>) -> Result<(), SpecError> {
    let Source {
        item: source_item,
        op: source,
    } = upstream_source(cx, rule, draft.upstream_paths)?;
    let label = op_label(
        &rule.from_method,
        &rule.from_path,
        &Value::Object(source.clone()),
    );
    let op = Value::Object(derived_operation(cx, rule, source, &label)?);
    let target = draft
        .paths
        .entry(rule.path.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(target) = target else {
        return Err(cx.err(rule.at.as_str(), "path item is not a mapping"));
    };
    if target.contains_key(&rule.method) {
        return Err(cx.err(rule.at.as_str(), "operation already in the slice"));
    }
    for (key, value) in source_item {
        if !is_method(key) && !target.contains_key(key) {
            target.insert(key.clone(), value.clone());
        }
    }
    draft.summary.derived_operations.push(format!(
        "{} from {label}",
        op_label(&rule.method, &rule.path, &op)
    ));
    target.insert(rule.method.clone(), op);
    Ok(())
}

/// The upstream path item and operation `rule` copies; the operation it adds must not exist
/// upstream.
fn upstream_source<'u>(
    cx: &Context<'_>,
    rule: &Rule<'_>,
    upstream_paths: &'u Map<String, Value>,
) -> Result<Source<'u>, SpecError> {
    let from_at = rule.at.push("from");
    let source_item = upstream_paths
        .get(&rule.from_path)
        .and_then(Value::as_object)
        .ok_or_else(|| {
            cx.err(
                from_at.as_str(),
                format!("`{}` is not an upstream path", rule.from_path),
            )
        })?;
    let source = source_item
        .get(&rule.from_method)
        .and_then(Value::as_object)
        .ok_or_else(|| {
            cx.err(
                from_at.as_str(),
                format!("upstream has no {}", rule.from_text),
            )
        })?;
    if upstream_paths
        .get(&rule.path)
        .and_then(|i| i.get(&rule.method))
        .is_some()
    {
        return Err(cx.err(
            rule.at.as_str(),
            format!(
                "{} exists upstream: select it with `keep` instead",
                rule.target_text
            ),
        ));
    }
    Ok(Source {
        item: source_item,
        op: source,
    })
}

/// The upstream operation `source` with `set` applied and the marker (`derivedFrom: label`,
/// and the rule's `reason`) written.
fn derived_operation(
    cx: &Context<'_>,
    rule: &Rule<'_>,
    source: &Map<String, Value>,
    label: &str,
) -> Result<Map<String, Value>, SpecError> {
    let mut op = source.clone();
    if let Some(set) = rule.spec.get("set") {
        let set_at = rule.at.push("set");
        let set = cx.mapping(set, set_at.as_str(), "`set` must be a mapping")?;
        for (k, v) in set {
            if k == MARKER {
                return Err(cx.err(
                    set_at.push(k).as_str(),
                    "the local-extension marker is written by the slicer",
                ));
            }
            op.insert(k.clone(), v.clone());
        }
    }
    let mut marker = Map::new();
    marker.insert("derivedFrom".into(), Value::String(label.to_owned()));
    if let Some(reason) = rule.spec.get("reason") {
        let reason = reason
            .as_str()
            .ok_or_else(|| cx.err(rule.at.push("reason").as_str(), "`reason` must be text"))?;
        marker.insert("reason".into(), Value::String(reason.to_owned()));
    }
    op.insert(MARKER.into(), Value::Object(marker));
    Ok(op)
}
