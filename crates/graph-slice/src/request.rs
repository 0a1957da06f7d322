//! What to cut ([`Request`], with its [`Overlay`]s) and what came out ([`Sliced`]).

use serde_json::{Map, Value};

use crate::summary::Summary;

/// A parsed overlay file.
///
/// ```yaml
/// description: free text
/// paths:        # whole path items: local extension operations
///   /some/path:
///     post: {…, x-graph-rs-local-extension: {derivedFrom: …, reason: …}}
/// components:   # what those operations need that upstream lacks
///   schemas: {…}
/// tags: [{name: …}]
/// operations:   # vendor extensions merged into operations of the slice
///   "PATCH /some/other/path":   # or an operationId
///     x-graph-rs-permissions: {…}
/// ```
///
/// Every operation an overlay adds must carry `x-graph-rs-local-extension`
/// and must not exist upstream. Overlay components must not shadow an
/// upstream component with different content; they are always kept.
/// `operations` may only set `x-…` members; a member already present is
/// replaced.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// Name used in errors and the provenance record (usually its path).
    pub name: String,
    /// The document.
    pub doc: Value,
}

/// What to cut.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Operation selectors.
    pub keep: Vec<String>,
    /// Overlays, applied in order.
    pub overlays: Vec<Overlay>,
    /// Members that replace upstream `info` members.
    pub info: Map<String, Value>,
    /// Recorded as `info.x-graph-rs-slice` when given.
    pub provenance: Option<Value>,
    /// Component schemas kept whatever references them.
    pub schemas: Vec<String>,
    /// Leave out properties marked `x-ms-navigationProperty: true` before closing over refs.
    pub drop_navigation_properties: bool,
}

/// A slice and what went into it.
#[derive(Debug, Clone)]
pub struct Sliced {
    /// The slice document.
    pub doc: Value,
    /// What was kept and dropped.
    pub summary: Summary,
}
