//! Reading the JSON shapes of an OpenAPI document: a member that must be a mapping is one, or
//! the error names its pointer.

use serde_json::{Map, Value};

use graph_spec::SpecError;

/// `v` as a mapping, or an error at `at` saying `what` must be one.
pub(crate) fn object<'v>(
    v: &'v Value,
    at: &str,
    what: &str,
) -> Result<&'v Map<String, Value>, SpecError> {
    v.as_object()
        .ok_or_else(|| SpecError::new(at, format!("{what} must be a mapping")))
}

/// The top-level member `key` of `doc` as a mapping (`empty` when absent), or an error.
pub(crate) fn member<'d>(
    doc: &'d Map<String, Value>,
    key: &str,
    empty: &'d Map<String, Value>,
) -> Result<&'d Map<String, Value>, SpecError> {
    match doc.get(key) {
        Some(v) => object(v, &format!("/{key}"), &format!("`{key}`")),
        None => Ok(empty),
    }
}
