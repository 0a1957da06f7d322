//! [`Summary`]: what the slicer kept, added, merged and dropped, as counts and labels.

use std::collections::BTreeMap;
use std::fmt;

/// What the slicer did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Kept upstream operations: `METHOD /path (operationId)`.
    pub kept_operations: Vec<String>,
    /// Operations added by overlays.
    pub overlay_operations: Vec<String>,
    /// Operations an overlay merged extensions into, with the members.
    pub extended_operations: Vec<String>,
    /// Operations in the upstream file.
    pub upstream_operations: usize,
    /// Component schemas kept (upstream and overlay).
    pub schemas_kept: usize,
    /// Upstream component schemas left out.
    pub schemas_dropped: usize,
    /// Kept components other than schemas, by kind.
    pub other_components: BTreeMap<String, usize>,
    /// Discriminator mapping entries removed because their target is not kept.
    pub discriminator_entries_pruned: usize,
    /// Tags kept.
    pub tags_kept: usize,
    /// Navigation properties left out (`drop_navigation_properties`).
    pub navigation_properties_dropped: usize,
    /// Components of a later input left out because an earlier input has one of that name.
    pub shadowed_components: Vec<String>,
    /// Operations derived by overlays from upstream operations.
    pub derived_operations: Vec<String>,
    /// Schemas an overlay merged extensions into, with the members.
    pub extended_schemas: Vec<String>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "kept {} of {} upstream operation(s):",
            self.kept_operations.len(),
            self.upstream_operations
        )?;
        for op in &self.kept_operations {
            writeln!(f, "  {op}")?;
        }
        if !self.overlay_operations.is_empty() {
            writeln!(
                f,
                "added {} local extension operation(s) from overlays:",
                self.overlay_operations.len()
            )?;
            for op in &self.overlay_operations {
                writeln!(f, "  {op}")?;
            }
        }
        if !self.extended_operations.is_empty() {
            writeln!(f, "merged overlay extensions into:")?;
            for op in &self.extended_operations {
                writeln!(f, "  {op}")?;
            }
        }
        writeln!(
            f,
            "schemas: {} kept, {} upstream dropped",
            self.schemas_kept, self.schemas_dropped
        )?;
        let others: Vec<String> = self
            .other_components
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if !others.is_empty() {
            writeln!(f, "other components kept: {}", others.join(", "))?;
        }
        if !self.derived_operations.is_empty() {
            writeln!(
                f,
                "derived {} local extension operation(s) from upstream ones:",
                self.derived_operations.len()
            )?;
            for op in &self.derived_operations {
                writeln!(f, "  {op}")?;
            }
        }
        if !self.extended_schemas.is_empty() {
            writeln!(f, "merged overlay extensions into schemas:")?;
            for s in &self.extended_schemas {
                writeln!(f, "  {s}")?;
            }
        }
        if self.navigation_properties_dropped > 0 {
            writeln!(
                f,
                "navigation properties left out: {}",
                self.navigation_properties_dropped
            )?;
        }
        if !self.shadowed_components.is_empty() {
            writeln!(
                f,
                "components of later inputs shadowed by earlier ones: {}",
                self.shadowed_components.join(", ")
            )?;
        }
        writeln!(
            f,
            "discriminator mapping entries pruned: {}",
            self.discriminator_entries_pruned
        )?;
        write!(f, "tags kept: {}", self.tags_kept)
    }
}
