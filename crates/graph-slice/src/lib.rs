//! Cuts a self-contained slice out of a (possibly huge) upstream OpenAPI
//! 3.0 description: `cargo xtask slice`.
//!
//! What a slice holds:
//!
//! * the selected operations: each path item keeps only the selected
//!   methods, plus its non-operation members (path-level `parameters`,
//!   `description`, `summary`, `servers`, `x-*`);
//! * the transitive closure of every `$ref` under `#/components/…`
//!   (schemas, responses, requestBodies, parameters, headers, …);
//! * discriminator `mapping` entries only when their target is in the
//!   closure anyway: a mapping entry never pulls a schema in, and entries
//!   naming a schema outside the closure are pruned (Graph's
//!   `microsoft.graph.entity` maps ~2,500 derived types);
//! * only the tags the kept operations use, in upstream order;
//! * every other top-level member (`openapi`, `info`, `servers`,
//!   `security`, …) and all `components/securitySchemes`, unchanged.
//!
//! Overlays (YAML files, applied in order, see [`Overlay`]) add local
//! extension path items and the components they need, and merge vendor
//! extensions into kept operations. Their refs are closed over too.
//!
//! The output is deterministic: maps keep upstream order (serde_json's
//! `preserve_order`), overlay additions come after upstream entries in
//! overlay order, and the YAML is written by `serde_yaml_ng`.
//!
//! Nothing here panics on bad input: a selector that matches nothing, a
//! dangling or external `$ref`, or a malformed overlay is an error that
//! names the selector, file or JSON pointer.

mod config;
mod overlay;
mod render;
mod select;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

use graph_spec::{Pointer, SpecError};

pub use config::{
    CONFIG, Config, ConfigOutput, Excerpt, ExcerptOutcome, Input, Upstream, load_config,
    run_config, run_excerpts,
};
pub use graph_spec::extensions::SLICE_PROVENANCE as PROVENANCE_KEY;
pub use render::{parse_yaml, render};
pub use select::Selector;

use overlay::apply_overlay;
use select::{matches, no_match_error, op_label};

/// Operation methods of a path item, in OpenAPI's order.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

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

/// A slice and what went into it.
#[derive(Debug, Clone)]
pub struct Sliced {
    /// The slice document.
    pub doc: Value,
    /// What was kept and dropped.
    pub summary: Summary,
}

// ---------------------------------------------------------------------------
// The slicer proper.

fn obj<'v>(v: &'v Value, at: &str, what: &str) -> Result<&'v Map<String, Value>, SpecError> {
    v.as_object()
        .ok_or_else(|| SpecError::new(at, format!("{what} must be a mapping")))
}

/// Every string `$ref` under `v` with its JSON pointer. Discriminator
/// mappings hold plain strings, not `$ref` members, so they are not
/// followed; `example` values are data, not schema, and are skipped.
fn collect_refs(v: &Value, at: &Pointer, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == "$ref" {
                    if let Value::String(r) = child {
                        out.push((r.clone(), at.push(k).as_str().to_owned()));
                    }
                } else if k != "example" {
                    collect_refs(child, &at.push(k), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_refs(child, &at.push(&i.to_string()), out);
            }
        }
        _ => {}
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// `#/components/<kind>/<name>[/…]` → `(kind, name)`.
fn component_of(reference: &str) -> Option<(String, String)> {
    let rest = reference.strip_prefix("#/components/")?;
    let mut parts = rest.split('/');
    let kind = unescape(parts.next()?);
    let name = unescape(parts.next()?);
    if kind.is_empty() || name.is_empty() {
        return None;
    }
    Some((kind, name))
}

/// Component pool: upstream components, then overlay additions.
pub(crate) type Pool = Vec<(String, Vec<(String, Value)>)>;

fn pool_get<'p>(pool: &'p Pool, kind: &str, name: &str) -> Option<&'p Value> {
    pool.iter()
        .find(|(k, _)| k == kind)
        .and_then(|(_, entries)| entries.iter().find(|(n, _)| n == name))
        .map(|(_, v)| v)
}

/// Index for fast lookups in big pools.
fn pool_index(pool: &Pool) -> BTreeMap<(String, String), usize> {
    let mut idx = BTreeMap::new();
    let mut n = 0;
    for (kind, entries) in pool {
        for (name, _) in entries {
            idx.insert((kind.clone(), name.clone()), n);
            n += 1;
        }
    }
    idx
}

/// Lowercase hex sha256 of an input, as the provenance records it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn is_method(key: &str) -> bool {
    METHODS.contains(&key)
}

/// Cuts a slice out of `input` (an OpenAPI 3.0 document as JSON).
pub fn slice(input: &Value, request: &Request) -> Result<Sliced, SpecError> {
    let doc = obj(input, "", "the OpenAPI document")?;
    match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => {}
        Some(v) => {
            return Err(SpecError::new(
                "/openapi",
                format!("OpenAPI {v} is not supported; expected 3.0.x"),
            ));
        }
        None => {
            return Err(SpecError::new(
                "/openapi",
                "missing `openapi` version field",
            ));
        }
    }
    let empty = Map::new();
    let upstream_paths = match doc.get("paths") {
        Some(p) => obj(p, "/paths", "`paths`")?,
        None => &empty,
    };
    let mut summary = Summary {
        upstream_operations: upstream_paths
            .values()
            .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
            .sum(),
        ..Summary::default()
    };

    // 1. Selected operations.
    let mut selected: BTreeSet<(String, String)> = BTreeSet::new();
    for text in &request.keep {
        let sel = Selector::parse(text)?;
        let found = matches(upstream_paths, &sel);
        if found.is_empty() {
            return Err(no_match_error(upstream_paths, &sel, "the upstream file"));
        }
        selected.extend(found);
    }
    let mut paths = Map::new();
    for (path, item) in upstream_paths {
        if !selected.iter().any(|(p, _)| p == path) {
            continue;
        }
        let at = Pointer::root().push("paths").push(path);
        let item = obj(item, at.as_str(), "a path item")?;
        if item.contains_key("$ref") {
            return Err(SpecError::new(
                at.as_str(),
                "path item `$ref` is not supported",
            ));
        }
        let mut kept = Map::new();
        for (key, value) in item {
            if is_method(key) {
                if selected.contains(&(path.clone(), key.clone())) {
                    summary.kept_operations.push(op_label(key, path, value));
                    kept.insert(key.clone(), value.clone());
                }
            } else {
                kept.insert(key.clone(), value.clone());
            }
        }
        paths.insert(path.clone(), Value::Object(kept));
    }

    // 2. The component pool, and the tag declarations.
    let upstream_components = match doc.get("components") {
        Some(c) => obj(c, "/components", "`components`")?,
        None => &empty,
    };
    let mut pool: Pool = Vec::new();
    for (kind, entries) in upstream_components {
        let at = Pointer::root().push("components").push(kind);
        let entries = obj(entries, at.as_str(), "a components section")?;
        let mut section: Vec<(String, Value)> = entries
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        if kind == "schemas" && request.drop_navigation_properties {
            let entities = entity_types(&section);
            for (name, schema) in &mut section {
                let is_entity = entities.contains(name.as_str());
                summary.navigation_properties_dropped +=
                    drop_navigation_properties(schema, is_entity, &entities);
            }
        }
        pool.push((kind.clone(), section));
    }
    let mut tag_decls: Vec<Value> = match doc.get("tags") {
        Some(Value::Array(tags)) => tags.clone(),
        Some(_) => return Err(SpecError::new("/tags", "`tags` must be a list")),
        None => Vec::new(),
    };
    // Components that are kept whatever references them.
    let mut roots: BTreeSet<(String, String)> = BTreeSet::new();
    let mut ref_sites: Vec<(String, String)> = Vec::new();

    for name in &request.schemas {
        if pool_get(&pool, "schemas", name).is_none() {
            return Err(SpecError::new(
                "/schemas",
                format!("schema `{name}` is not in the upstream file"),
            ));
        }
        roots.insert(("schemas".to_owned(), name.clone()));
    }

    // 3. Overlays.
    let mut extended_schemas = BTreeSet::new();
    for overlay in &request.overlays {
        apply_overlay(
            overlay,
            upstream_paths,
            &mut paths,
            &mut pool,
            &mut tag_decls,
            &mut roots,
            &mut extended_schemas,
            &mut summary,
        )?;
    }

    // 4. Closure over `$ref`.
    collect_refs(
        &Value::Object(paths.clone()),
        &Pointer::root().push("paths"),
        &mut ref_sites,
    );
    let index = pool_index(&pool);
    let mut kept: BTreeSet<(String, String)> = BTreeSet::new();
    let mut work: Vec<(String, String)> = Vec::new();
    for key in &roots {
        if kept.insert(key.clone()) {
            work.push(key.clone());
        }
    }
    loop {
        for (reference, site) in ref_sites.drain(..) {
            let Some(key) = component_of(&reference) else {
                let what = if reference.starts_with('#') {
                    "a local $ref outside #/components"
                } else {
                    "an external $ref"
                };
                return Err(SpecError::new(
                    site,
                    format!("`{reference}` is {what}; a slice must be self-contained"),
                ));
            };
            let Some(target) = pool_get(&pool, &key.0, &key.1) else {
                return Err(SpecError::new(
                    site,
                    format!("dangling $ref `{reference}`: no such component"),
                ));
            };
            // A ref deeper than the component must resolve too.
            let tail = &reference["#/components/".len()..];
            let deeper: String = tail.split('/').skip(2).map(|t| format!("/{t}")).collect();
            if !deeper.is_empty() && target.pointer(&deeper).is_none() {
                return Err(SpecError::new(
                    site,
                    format!("dangling $ref `{reference}`: no such node"),
                ));
            }
            if index.contains_key(&key) && kept.insert(key.clone()) {
                work.push(key);
            }
        }
        let Some((kind, name)) = work.pop() else {
            break;
        };
        if let Some(v) = pool_get(&pool, &kind, &name) {
            let at = Pointer::root().push("components").push(&kind).push(&name);
            collect_refs(v, &at, &mut ref_sites);
        }
    }

    // 5. Output components, in pool order; discriminator mappings pruned.
    let kept_schemas: BTreeSet<&str> = kept
        .iter()
        .filter(|(k, _)| k == "schemas")
        .map(|(_, n)| n.as_str())
        .collect();
    if let Some(unkept) = extended_schemas
        .iter()
        .find(|n| !kept_schemas.contains(n.as_str()))
    {
        return Err(SpecError::new(
            "/schemas",
            format!("an overlay extends schema `{unkept}`, which the slice does not keep"),
        ));
    }
    let mut components = Map::new();
    for (kind, entries) in &pool {
        let mut section = Map::new();
        for (name, value) in entries {
            if kind == "securitySchemes" || kept.contains(&(kind.clone(), name.clone())) {
                let mut value = value.clone();
                summary.discriminator_entries_pruned += prune_mappings(&mut value, &kept_schemas);
                section.insert(name.clone(), value);
            }
        }
        if section.is_empty() {
            continue;
        }
        if kind == "schemas" {
            summary.schemas_kept = section.len();
        } else {
            summary.other_components.insert(kind.clone(), section.len());
        }
        components.insert(kind.clone(), Value::Object(section));
    }
    summary.schemas_dropped = upstream_components
        .get("schemas")
        .and_then(Value::as_object)
        .map_or(0, |schemas| {
            schemas
                .keys()
                .filter(|n| !kept_schemas.contains(n.as_str()))
                .count()
        });
    for item in paths.values_mut() {
        summary.discriminator_entries_pruned += prune_mappings(item, &kept_schemas);
    }

    // 6. Tags in use.
    let mut used_tags: BTreeSet<String> = BTreeSet::new();
    for item in paths.values() {
        for m in METHODS {
            if let Some(tags) = item
                .get(*m)
                .and_then(|op| op.get("tags"))
                .and_then(Value::as_array)
            {
                used_tags.extend(tags.iter().filter_map(Value::as_str).map(str::to_owned));
            }
        }
    }
    let tags: Vec<Value> = tag_decls
        .into_iter()
        .filter(|t| {
            t.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| used_tags.contains(n))
        })
        .collect();
    summary.tags_kept = tags.len();

    // 7. Assemble in upstream member order.
    let mut out = Map::new();
    let mut placed_tags = false;
    let mut placed_components = false;
    for (key, value) in doc {
        match key.as_str() {
            "paths" => {
                out.insert(key.clone(), Value::Object(std::mem::take(&mut paths)));
            }
            "components" => {
                out.insert(key.clone(), Value::Object(std::mem::take(&mut components)));
                placed_components = true;
            }
            "tags" => {
                out.insert(key.clone(), Value::Array(tags.clone()));
                placed_tags = true;
            }
            "info" => {
                let mut info = obj(value, "/info", "`info`")?.clone();
                for (k, v) in &request.info {
                    info.insert(k.clone(), v.clone());
                }
                if let Some(p) = &request.provenance {
                    info.insert(PROVENANCE_KEY.to_owned(), p.clone());
                }
                out.insert(key.clone(), Value::Object(info));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if !out.contains_key("paths") {
        out.insert("paths".into(), Value::Object(paths));
    }
    if !placed_components && !components.is_empty() {
        out.insert("components".into(), Value::Object(components));
    }
    if !placed_tags && !tags.is_empty() {
        out.insert("tags".into(), Value::Array(tags));
    }
    Ok(Sliced {
        doc: Value::Object(out),
        summary,
    })
}

/// The schemas that are OData entity types: `microsoft.graph.entity` and every schema whose
/// `allOf` base chain reaches it. In OData only navigation properties can hold entities.
fn entity_types(schemas: &[(String, Value)]) -> BTreeSet<String> {
    const ROOT: &str = "microsoft.graph.entity";
    let base_of = |schema: &Value| -> Option<String> {
        schema.get("allOf")?.as_array()?.iter().find_map(|m| {
            m.get("$ref")?
                .as_str()?
                .strip_prefix("#/components/schemas/")
                .map(unescape)
        })
    };
    let bases: BTreeMap<&str, Option<String>> = schemas
        .iter()
        .map(|(n, v)| (n.as_str(), base_of(v)))
        .collect();
    let mut out = BTreeSet::new();
    for (name, _) in schemas {
        let mut current = name.as_str();
        for _ in 0..64 {
            if current == ROOT {
                out.insert(name.clone());
                break;
            }
            match bases.get(current).and_then(|b| b.as_deref()) {
                Some(base) => current = base,
                None => break,
            }
        }
    }
    out
}

/// The schema a property refers to: `$ref`, array `items.$ref`, or the one `$ref` of an
/// `anyOf`/`oneOf` nullable shape.
fn property_target(property: &Value) -> Option<String> {
    let reference = |v: &Value| {
        v.get("$ref")?
            .as_str()?
            .strip_prefix("#/components/schemas/")
            .map(unescape)
    };
    if let Some(r) = reference(property) {
        return Some(r);
    }
    if let Some(items) = property.get("items") {
        return property_target(items);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(members) = property.get(key).and_then(Value::as_array) {
            let refs: Vec<String> = members.iter().filter_map(reference).collect();
            if refs.len() == 1 {
                return refs.into_iter().next();
            }
        }
    }
    None
}

/// Removes navigation properties from a schema (its own `properties` and those of inline
/// `allOf` members): those marked `x-ms-navigationProperty: true`, and, in an entity type,
/// those whose type is an entity type (the PowerShell flavour writes single-valued ones as a
/// bare `$ref`, which cannot carry the marker; a complex type such as a collection response
/// holds entities structurally). Returns how many.
fn drop_navigation_properties(
    schema: &mut Value,
    is_entity: bool,
    entity_types: &BTreeSet<String>,
) -> usize {
    let mut dropped = 0;
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        let before = props.len();
        props.retain(|_, p| {
            let marked = p.get("x-ms-navigationProperty").and_then(Value::as_bool) == Some(true);
            let entity_valued =
                is_entity && property_target(p).is_some_and(|t| entity_types.contains(&t));
            !(marked || entity_valued)
        });
        dropped += before - props.len();
    }
    if let Some(members) = schema.get_mut("allOf").and_then(Value::as_array_mut) {
        for member in members {
            dropped += drop_navigation_properties(member, is_entity, entity_types);
        }
    }
    dropped
}

/// Merges several inputs into one document to slice: paths of later inputs join the first's
/// (the same operation in two inputs is an error), components and tags of later inputs are
/// added unless an earlier input has one of that name. Returns the document and the
/// components of later inputs so left out (`kind/name`).
pub fn merge_inputs(inputs: &[Value]) -> Result<(Value, Vec<String>), SpecError> {
    let Some((first, rest)) = inputs.split_first() else {
        return Err(SpecError::new("", "no input to slice"));
    };
    let mut merged = obj(first, "", "the OpenAPI document")?.clone();
    let mut shadowed = Vec::new();
    for (i, input) in rest.iter().enumerate() {
        let doc = obj(input, "", "the OpenAPI document")?;
        let at = format!("(input {})", i + 2);
        if let Some(paths) = doc.get("paths") {
            let paths = obj(paths, &format!("{at}/paths"), "`paths`")?;
            let target = merged
                .entry("paths")
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(target) = target else {
                return Err(SpecError::new("/paths", "`paths` must be a mapping"));
            };
            for (path, item) in paths {
                let item = obj(item, &format!("{at}/paths/{path}"), "a path item")?;
                let existing = target
                    .entry(path.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                let Value::Object(existing) = existing else {
                    continue;
                };
                for (key, value) in item {
                    match existing.get(key) {
                        Some(_) if is_method(key) => {
                            return Err(SpecError::new(
                                "",
                                format!(
                                    "{} {path} is in more than one input",
                                    key.to_ascii_uppercase()
                                ),
                            ));
                        }
                        Some(_) => {}
                        None => {
                            existing.insert(key.clone(), value.clone());
                        }
                    }
                }
            }
        }
        if let Some(components) = doc.get("components") {
            let components = obj(components, &format!("{at}/components"), "`components`")?;
            let target = merged
                .entry("components")
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(target) = target else {
                return Err(SpecError::new(
                    "/components",
                    "`components` must be a mapping",
                ));
            };
            for (kind, entries) in components {
                let entries = obj(
                    entries,
                    &format!("{at}/components/{kind}"),
                    "a components section",
                )?;
                let section = target
                    .entry(kind.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                let Value::Object(section) = section else {
                    continue;
                };
                for (name, value) in entries {
                    match section.get(name) {
                        Some(existing) if existing != value => {
                            shadowed.push(format!("{kind}/{name}"))
                        }
                        Some(_) => {}
                        None => {
                            section.insert(name.clone(), value.clone());
                        }
                    }
                }
            }
        }
        if let Some(Value::Array(tags)) = doc.get("tags") {
            let target = merged
                .entry("tags")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(target) = target {
                for tag in tags {
                    let name = tag.get("name");
                    if !target.iter().any(|t| t.get("name") == name) {
                        target.push(tag.clone());
                    }
                }
            }
        }
    }
    Ok((Value::Object(merged), shadowed))
}

/// Removes discriminator mapping entries whose schema is not kept; returns
/// how many were removed.
fn prune_mappings(v: &mut Value, kept_schemas: &BTreeSet<&str>) -> usize {
    let mut pruned = 0;
    match v {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "discriminator" {
                    if let Some(mapping) = child.get_mut("mapping").and_then(Value::as_object_mut) {
                        let before = mapping.len();
                        mapping.retain(|_, target| {
                            let name = match target.as_str() {
                                Some(t) => match t.strip_prefix("#/components/schemas/") {
                                    Some(rest) => unescape(rest.split('/').next().unwrap_or(rest)),
                                    // A bare schema name is legal in a mapping.
                                    None if !t.contains('/') && !t.starts_with('#') => t.to_owned(),
                                    None => return false,
                                },
                                None => return false,
                            };
                            kept_schemas.contains(name.as_str())
                        });
                        pruned += before - mapping.len();
                    }
                } else if key != "example" {
                    pruned += prune_mappings(child, kept_schemas);
                }
            }
        }
        Value::Array(items) => {
            for child in items {
                pruned += prune_mappings(child, kept_schemas);
            }
        }
        _ => {}
    }
    pruned
}
