//! The slice while it is being cut: what the selection, the overlays and the closure read and
//! change.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::closure::Key;
use crate::pool::Pool;
use crate::summary::Summary;

/// The slice being cut.
#[derive(Debug)]
pub(crate) struct Draft<'u> {
    /// The upstream `paths` (never changed).
    pub(crate) upstream_paths: &'u Map<String, Value>,
    /// The slice's path items so far.
    pub(crate) paths: Map<String, Value>,
    /// Every component the slice may keep.
    pub(crate) pool: Pool,
    /// Tag declarations, upstream then overlays'.
    pub(crate) tag_decls: Vec<Value>,
    /// Components kept whatever references them.
    pub(crate) roots: BTreeSet<Key>,
    /// Schemas an overlay merged extensions into (each must end up kept).
    pub(crate) extended_schemas: BTreeSet<String>,
    /// What was done so far.
    pub(crate) summary: Summary,
}
