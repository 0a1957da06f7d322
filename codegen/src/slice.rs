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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{CodegenError, Pointer};

/// The committed slice configuration, relative to the workspace root.
pub const CONFIG: &str = "specs/slice.yaml";

/// The member of `info` where a slice records how it was made.
pub const PROVENANCE_KEY: &str = "x-graph-rs-slice";

/// Operation methods of a path item, in OpenAPI's order.
pub const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Where the upstream input comes from (recorded in the slice and the lock).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// GitHub `owner/name`.
    pub repository: String,
    /// Path of the file in that repository.
    pub path: String,
    /// Commit the content corresponds to.
    pub commit: String,
    /// Date of that commit (`YYYY-MM-DD`).
    pub date: String,
    /// Free text: how the input file relates to the upstream file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `specs/slice.yaml`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The upstream OpenAPI file to cut from (relative to the workspace root).
    pub from: String,
    /// Operation selectors: `METHOD /path` or an operationId.
    pub keep: Vec<String>,
    /// Overlay files, applied in order (relative to the workspace root).
    #[serde(default)]
    pub overlays: Vec<String>,
    /// Where the slice is written (relative to the workspace root).
    pub out: String,
    /// Where `from` comes from.
    pub upstream: Option<Upstream>,
    /// Members that replace the upstream `info` members of the same name.
    #[serde(default)]
    pub info: Map<String, Value>,
}

/// One operation selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `METHOD /path` (method lowercased).
    MethodPath(String, String),
    /// An operationId.
    OperationId(String),
}

impl Selector {
    /// Parses `METHOD /path` (any case) or an operationId.
    pub fn parse(text: &str) -> Result<Self, CodegenError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CodegenError::new("", "empty operation selector"));
        }
        if let Some((method, path)) = text.split_once(char::is_whitespace) {
            let method = method.to_ascii_lowercase();
            let path = path.trim();
            if !METHODS.contains(&method.as_str()) {
                return Err(CodegenError::new(
                    "",
                    format!("selector `{text}`: `{method}` is not an HTTP method (expected `METHOD /path` or an operationId)"),
                ));
            }
            if !path.starts_with('/') {
                return Err(CodegenError::new("", format!("selector `{text}`: the path must start with `/`")));
            }
            return Ok(Selector::MethodPath(method, path.to_owned()));
        }
        Ok(Selector::OperationId(text.to_owned()))
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::MethodPath(m, p) => write!(f, "{} {p}", m.to_ascii_uppercase()),
            Selector::OperationId(id) => f.write_str(id),
        }
    }
}

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
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "kept {} of {} upstream operation(s):", self.kept_operations.len(), self.upstream_operations)?;
        for op in &self.kept_operations {
            writeln!(f, "  {op}")?;
        }
        if !self.overlay_operations.is_empty() {
            writeln!(f, "added {} local extension operation(s) from overlays:", self.overlay_operations.len())?;
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
        writeln!(f, "schemas: {} kept, {} upstream dropped", self.schemas_kept, self.schemas_dropped)?;
        let others: Vec<String> = self.other_components.iter().map(|(k, n)| format!("{k} {n}")).collect();
        if !others.is_empty() {
            writeln!(f, "other components kept: {}", others.join(", "))?;
        }
        writeln!(f, "discriminator mapping entries pruned: {}", self.discriminator_entries_pruned)?;
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

/// Parses YAML (or JSON) into a JSON value; `name` is used in errors.
pub fn parse_yaml(text: &str, name: &str) -> Result<Value, CodegenError> {
    graph_spec::load::parse_value(text).map_err(|e| CodegenError::new(e.pointer, format!("{name}: {}", e.message)))
}

/// Renders a slice as YAML, after `header` (comment lines, may be empty).
///
/// Block layout is written here (two-space indents, sequences indented
/// under their key, `{}`/`[]` for empty collections, as Microsoft's files
/// and the hand-written slice look); every scalar and key is quoted by
/// `serde_yaml_ng`, so it reads back as the same JSON value. Strings with
/// line breaks are written JSON-style in double quotes.
pub fn render(doc: &Value, header: &str) -> Result<String, CodegenError> {
    let mut out = String::from(header);
    match doc {
        Value::Object(map) if !map.is_empty() => render_map(map, 0, &mut out)?,
        Value::Array(items) if !items.is_empty() => render_seq(items, 0, &mut out)?,
        other => {
            out.push_str(&scalar(other)?);
            out.push('\n');
        }
    }
    Ok(out)
}

fn scalar(v: &Value) -> Result<String, CodegenError> {
    match v {
        Value::Object(m) if m.is_empty() => Ok("{}".into()),
        Value::Array(a) if a.is_empty() => Ok("[]".into()),
        Value::String(s) if s.contains(['\n', '\r']) => {
            serde_json::to_string(s).map_err(|e| CodegenError::new("", format!("cannot render a string: {e}")))
        }
        _ => {
            let text = serde_yaml_ng::to_string(v).map_err(|e| CodegenError::new("", format!("cannot render YAML: {e}")))?;
            let text = text.strip_suffix('\n').unwrap_or(&text);
            if text.contains('\n') {
                // Never expected for a one-line scalar; stay correct anyway.
                return serde_json::to_string(v).map_err(|e| CodegenError::new("", format!("cannot render: {e}")));
            }
            Ok(text.to_owned())
        }
    }
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn render_map(map: &Map<String, Value>, indent: usize, out: &mut String) -> Result<(), CodegenError> {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&scalar(&Value::String(key.clone()))?);
        out.push(':');
        render_value(value, indent + 2, out)?;
    }
    Ok(())
}

/// After `key:` or `-`: a scalar on the same line, or a block below.
fn render_value(value: &Value, indent: usize, out: &mut String) -> Result<(), CodegenError> {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            render_map(m, indent, out)
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            render_seq(a, indent, out)
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other)?);
            out.push('\n');
            Ok(())
        }
    }
}

fn render_seq(items: &[Value], indent: usize, out: &mut String) -> Result<(), CodegenError> {
    for item in items {
        if is_block(item) {
            // Render the item two columns in, then put the dash on its first line.
            let mut inner = String::new();
            match item {
                Value::Object(m) => render_map(m, indent + 2, &mut inner)?,
                Value::Array(a) => render_seq(a, indent + 2, &mut inner)?,
                _ => {}
            }
            out.push_str(&" ".repeat(indent));
            out.push_str("- ");
            out.push_str(&inner[indent + 2..]);
        } else {
            out.push_str(&" ".repeat(indent));
            out.push_str("- ");
            out.push_str(&scalar(item)?);
            out.push('\n');
        }
    }
    Ok(())
}

/// Reads and checks `specs/slice.yaml` (or another config file).
pub fn load_config(path: &Path) -> Result<Config, CodegenError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CodegenError::new("", format!("cannot read {}: {e}", path.display())))?;
    let value = parse_yaml(&text, &path.display().to_string())?;
    let config: Config = serde_json::from_value(value)
        .map_err(|e| CodegenError::new("", format!("{} is not a valid slice config: {e}", path.display())))?;
    if config.keep.is_empty() {
        return Err(CodegenError::new("/keep", format!("{}: `keep` lists no operation", path.display())));
    }
    Ok(config)
}

/// The result of slicing from a config file: the text to write and where.
#[derive(Debug, Clone)]
pub struct ConfigOutput {
    /// Output path, relative to the workspace root.
    pub out: String,
    /// The YAML text.
    pub text: String,
    /// What was kept and dropped.
    pub summary: Summary,
    /// Seconds spent reading and parsing the inputs.
    pub parse_seconds: f64,
    /// Seconds spent slicing and rendering.
    pub slice_seconds: f64,
}

fn read_text(root: &Path, rel: &str) -> Result<String, CodegenError> {
    std::fs::read_to_string(root.join(rel)).map_err(|e| CodegenError::new("", format!("cannot read {rel}: {e}")))
}

/// Slices as `specs/slice.yaml` (at `root`) says; paths in it are relative
/// to `root`. Pure apart from reading files: nothing is written.
pub fn run_config(root: &Path) -> Result<ConfigOutput, CodegenError> {
    let config = load_config(&root.join(CONFIG))?;
    let started = std::time::Instant::now();
    let input_text = read_text(root, &config.from)?;
    let input = parse_yaml(&input_text, &config.from)?;
    let mut overlays = Vec::new();
    let mut overlay_records = Vec::new();
    for rel in &config.overlays {
        let text = read_text(root, rel)?;
        overlay_records.push(serde_json::json!({
            "path": rel,
            "sha256": crate::workspace::sha256_hex(text.as_bytes()),
        }));
        overlays.push(Overlay {
            name: rel.clone(),
            doc: parse_yaml(&text, rel)?,
        });
    }
    let parse_seconds = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let mut provenance = Map::new();
    provenance.insert("generatedBy".into(), Value::from(format!("cargo xtask slice ({CONFIG})")));
    if let Some(up) = &config.upstream {
        let up = serde_json::to_value(up).map_err(|e| CodegenError::new("/upstream", e.to_string()))?;
        provenance.insert("upstream".into(), up);
    }
    provenance.insert(
        "input".into(),
        serde_json::json!({
            "path": config.from,
            "sha256": crate::workspace::sha256_hex(input_text.as_bytes()),
        }),
    );
    provenance.insert("keep".into(), Value::from(config.keep.clone()));
    provenance.insert("overlays".into(), Value::Array(overlay_records));
    let request = Request {
        keep: config.keep.clone(),
        overlays,
        info: config.info.clone(),
        provenance: Some(Value::Object(provenance)),
    };
    let sliced = slice(&input, &request)?;
    let header = format!(
        "# @generated by `cargo xtask slice` from {CONFIG}: do not edit by hand.\n\
         # Change {CONFIG}, specs/overlays/ or the upstream input, then run `cargo xtask slice`\n\
         # and `cargo xtask codegen`. See specs/PROVENANCE.md.\n"
    );
    let text = render(&sliced.doc, &header)?;
    Ok(ConfigOutput {
        out: config.out,
        text,
        summary: sliced.summary,
        parse_seconds,
        slice_seconds: started.elapsed().as_secs_f64(),
    })
}

/// The provenance a slice records in `info.x-graph-rs-slice`, if any.
pub fn provenance_of(spec: &Value) -> Option<&Value> {
    spec.get("info")?.get(PROVENANCE_KEY)
}

/// When the committed lock records another spec hash than the spec has (a
/// spec edited without `cargo xtask codegen`), says so in words.
pub fn lock_mismatch(root: &Path) -> Option<String> {
    use crate::workspace::{LOCK, SPEC};
    let spec = std::fs::read(root.join(SPEC)).ok()?;
    let Ok(lock) = std::fs::read_to_string(root.join(LOCK)) else {
        return Some(format!("{LOCK} is missing; run `cargo xtask codegen`"));
    };
    let recorded = serde_json::from_str::<Value>(&lock)
        .ok()
        .and_then(|v| v.get("sha256").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let actual = crate::workspace::sha256_hex(&spec);
    (recorded != actual).then(|| {
        format!(
            "{SPEC} was edited without regenerating: its sha256 is {actual} but {LOCK} records {}; \
             run `cargo xtask codegen` and commit the result",
            if recorded.is_empty() { "none" } else { &recorded }
        )
    })
}

// ---------------------------------------------------------------------------
// The slicer proper.

fn obj<'v>(v: &'v Value, at: &str, what: &str) -> Result<&'v Map<String, Value>, CodegenError> {
    v.as_object()
        .ok_or_else(|| CodegenError::new(at, format!("{what} must be a mapping")))
}

fn op_label(method: &str, path: &str, op: &Value) -> String {
    let id = op.get("operationId").and_then(Value::as_str).unwrap_or("no operationId");
    format!("{} {path} ({id})", method.to_ascii_uppercase())
}

/// `(path, method)` of every operation `sel` names in `paths`.
fn matches(paths: &Map<String, Value>, sel: &Selector) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match sel {
        Selector::MethodPath(m, p) => {
            if paths.get(p).and_then(|item| item.get(m)).is_some_and(Value::is_object) {
                out.push((p.clone(), m.clone()));
            }
        }
        Selector::OperationId(id) => {
            for (path, item) in paths {
                for m in METHODS {
                    if item.get(*m).and_then(|op| op.get("operationId")).and_then(Value::as_str) == Some(id.as_str()) {
                        out.push((path.clone(), (*m).to_owned()));
                    }
                }
            }
        }
    }
    out
}

/// Shape of a path template for "did you mean": parameter names erased.
fn path_shape(path: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in path.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    out.push_str("{}");
                }
            }
            '}' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            _ => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

fn no_match_error(paths: &Map<String, Value>, sel: &Selector, context: &str) -> CodegenError {
    let mut hint = String::new();
    if let Selector::MethodPath(_, p) = sel {
        if let Some(item) = paths.get(p) {
            let have: Vec<String> = METHODS
                .iter()
                .filter(|x| item.get(**x).is_some())
                .map(|x| x.to_ascii_uppercase())
                .collect();
            hint = format!("; the path exists with {}", if have.is_empty() { "no operations".to_owned() } else { have.join(", ") });
        } else {
            let shape = path_shape(p);
            let similar: Vec<&String> = paths.keys().filter(|k| path_shape(k) == shape).take(3).collect();
            if !similar.is_empty() {
                let list: Vec<String> = similar.iter().map(|s| format!("`{s}`")).collect();
                hint = format!("; did you mean {}?", list.join(" or "));
            }
        }
    }
    CodegenError::new("", format!("selector `{sel}` matches no operation in {context}{hint}"))
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
type Pool = Vec<(String, Vec<(String, Value)>)>;

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

fn is_method(key: &str) -> bool {
    METHODS.contains(&key)
}

/// Cuts a slice out of `input` (an OpenAPI 3.0 document as JSON).
pub fn slice(input: &Value, request: &Request) -> Result<Sliced, CodegenError> {
    let doc = obj(input, "", "the OpenAPI document")?;
    match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => {}
        Some(v) => return Err(CodegenError::new("/openapi", format!("OpenAPI {v} is not supported; expected 3.0.x"))),
        None => return Err(CodegenError::new("/openapi", "missing `openapi` version field")),
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
            return Err(CodegenError::new(at.as_str(), "path item `$ref` is not supported"));
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
        pool.push((kind.clone(), entries.iter().map(|(n, v)| (n.clone(), v.clone())).collect()));
    }
    let mut tag_decls: Vec<Value> = match doc.get("tags") {
        Some(Value::Array(tags)) => tags.clone(),
        Some(_) => return Err(CodegenError::new("/tags", "`tags` must be a list")),
        None => Vec::new(),
    };
    // Components that are kept whatever references them.
    let mut roots: BTreeSet<(String, String)> = BTreeSet::new();
    let mut ref_sites: Vec<(String, String)> = Vec::new();

    // 3. Overlays.
    for overlay in &request.overlays {
        apply_overlay(overlay, upstream_paths, &mut paths, &mut pool, &mut tag_decls, &mut roots, &mut summary)?;
    }

    // 4. Closure over `$ref`.
    collect_refs(&Value::Object(paths.clone()), &Pointer::root().push("paths"), &mut ref_sites);
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
                let what = if reference.starts_with('#') { "a local $ref outside #/components" } else { "an external $ref" };
                return Err(CodegenError::new(site, format!("`{reference}` is {what}; a slice must be self-contained")));
            };
            let Some(target) = pool_get(&pool, &key.0, &key.1) else {
                return Err(CodegenError::new(site, format!("dangling $ref `{reference}`: no such component")));
            };
            // A ref deeper than the component must resolve too.
            let tail = &reference["#/components/".len()..];
            let deeper: String = tail.split('/').skip(2).map(|t| format!("/{t}")).collect();
            if !deeper.is_empty() && target.pointer(&deeper).is_none() {
                return Err(CodegenError::new(site, format!("dangling $ref `{reference}`: no such node")));
            }
            if index.contains_key(&key) && kept.insert(key.clone()) {
                work.push(key);
            }
        }
        let Some((kind, name)) = work.pop() else { break };
        if let Some(v) = pool_get(&pool, &kind, &name) {
            let at = Pointer::root().push("components").push(&kind).push(&name);
            collect_refs(v, &at, &mut ref_sites);
        }
    }

    // 5. Output components, in pool order; discriminator mappings pruned.
    let kept_schemas: BTreeSet<&str> = kept.iter().filter(|(k, _)| k == "schemas").map(|(_, n)| n.as_str()).collect();
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
        .map_or(0, |schemas| schemas.keys().filter(|n| !kept_schemas.contains(n.as_str())).count());
    for item in paths.values_mut() {
        summary.discriminator_entries_pruned += prune_mappings(item, &kept_schemas);
    }

    // 6. Tags in use.
    let mut used_tags: BTreeSet<String> = BTreeSet::new();
    for item in paths.values() {
        for m in METHODS {
            if let Some(tags) = item.get(*m).and_then(|op| op.get("tags")).and_then(Value::as_array) {
                used_tags.extend(tags.iter().filter_map(Value::as_str).map(str::to_owned));
            }
        }
    }
    let tags: Vec<Value> = tag_decls
        .into_iter()
        .filter(|t| t.get("name").and_then(Value::as_str).is_some_and(|n| used_tags.contains(n)))
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

#[allow(clippy::too_many_arguments)]
fn apply_overlay(
    overlay: &Overlay,
    upstream_paths: &Map<String, Value>,
    paths: &mut Map<String, Value>,
    pool: &mut Pool,
    tag_decls: &mut Vec<Value>,
    roots: &mut BTreeSet<(String, String)>,
    summary: &mut Summary,
) -> Result<(), CodegenError> {
    let name = &overlay.name;
    let err = |pointer: &str, message: String| CodegenError::new(pointer, format!("overlay {name}: {message}"));
    let doc = overlay
        .doc
        .as_object()
        .ok_or_else(|| err("", "must be a mapping".to_owned()))?;
    for key in doc.keys() {
        if !["description", "paths", "components", "tags", "operations"].contains(&key.as_str()) && !key.starts_with("x-") {
            return Err(err(&format!("/{key}"), format!("unknown member `{key}` (expected description, paths, components, tags, operations)")));
        }
    }

    // (a) Local extension path items.
    if let Some(new_paths) = doc.get("paths") {
        let new_paths = new_paths.as_object().ok_or_else(|| err("/paths", "`paths` must be a mapping".to_owned()))?;
        for (path, item) in new_paths {
            let at = Pointer::root().push("paths").push(path);
            let item = item
                .as_object()
                .ok_or_else(|| err(at.as_str(), "a path item must be a mapping".to_owned()))?;
            let target = paths.entry(path.clone()).or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(target) = target else {
                return Err(err(at.as_str(), "path item is not a mapping".to_owned()));
            };
            for (key, value) in item {
                let key_at = at.push(key);
                if is_method(key) {
                    if value.get("x-graph-rs-local-extension").is_none() {
                        return Err(err(
                            key_at.as_str(),
                            "an operation added by an overlay must carry `x-graph-rs-local-extension`".to_owned(),
                        ));
                    }
                    if upstream_paths.get(path).and_then(|i| i.get(key)).is_some() {
                        return Err(err(
                            key_at.as_str(),
                            format!("{} {path} exists upstream: select it with `keep` instead", key.to_ascii_uppercase()),
                        ));
                    }
                    if target.contains_key(key) {
                        return Err(err(key_at.as_str(), "operation already in the slice".to_owned()));
                    }
                    summary.overlay_operations.push(op_label(key, path, value));
                } else if target.get(key).is_some_and(|existing| existing != value) {
                    return Err(err(key_at.as_str(), format!("`{key}` differs from the path item already in the slice")));
                }
                target.insert(key.clone(), value.clone());
            }
        }
    }

    // Extra components: kept, and their refs closed over.
    if let Some(components) = doc.get("components") {
        let components = components
            .as_object()
            .ok_or_else(|| err("/components", "`components` must be a mapping".to_owned()))?;
        for (kind, entries) in components {
            let at = Pointer::root().push("components").push(kind);
            let entries = entries
                .as_object()
                .ok_or_else(|| err(at.as_str(), "a components section must be a mapping".to_owned()))?;
            let section = match pool.iter().position(|(k, _)| k == kind) {
                Some(i) => &mut pool[i].1,
                None => {
                    pool.push((kind.clone(), Vec::new()));
                    let last = pool.len() - 1;
                    &mut pool[last].1
                }
            };
            for (entry_name, value) in entries {
                match section.iter().find(|(n, _)| n == entry_name) {
                    Some((_, existing)) if existing != value => {
                        return Err(err(
                            at.push(entry_name).as_str(),
                            "differs from the upstream component of the same name (overlays may add components, not change them)".to_owned(),
                        ));
                    }
                    Some(_) => {}
                    None => section.push((entry_name.clone(), value.clone())),
                }
                roots.insert((kind.clone(), entry_name.clone()));
            }
        }
    }

    // Tag declarations.
    if let Some(tags) = doc.get("tags") {
        let tags = tags.as_array().ok_or_else(|| err("/tags", "`tags` must be a list".to_owned()))?;
        for (i, tag) in tags.iter().enumerate() {
            let Some(tag_name) = tag.get("name").and_then(Value::as_str) else {
                return Err(err(&format!("/tags/{i}"), "a tag needs a `name`".to_owned()));
            };
            if !tag_decls.iter().any(|t| t.get("name").and_then(Value::as_str) == Some(tag_name)) {
                tag_decls.push(tag.clone());
            }
        }
    }

    // (b) Vendor extensions merged into operations of the slice.
    if let Some(ops) = doc.get("operations") {
        let ops = ops
            .as_object()
            .ok_or_else(|| err("/operations", "`operations` must be a mapping".to_owned()))?;
        for (selector, members) in ops {
            let at = Pointer::root().push("operations").push(selector);
            let sel = Selector::parse(selector).map_err(|e| err(at.as_str(), e.message))?;
            let members = members
                .as_object()
                .ok_or_else(|| err(at.as_str(), "must be a mapping of `x-…` members".to_owned()))?;
            if let Some(bad) = members.keys().find(|k| !k.starts_with("x-")) {
                return Err(err(at.push(bad).as_str(), format!("only vendor extensions (`x-…`) may be merged, not `{bad}`")));
            }
            let found = matches(paths, &sel);
            if found.is_empty() {
                let e = no_match_error(paths, &sel, "the slice");
                return Err(err(at.as_str(), e.message));
            }
            for (path, method) in found {
                let Some(Value::Object(op)) = paths.get_mut(&path).and_then(|item| item.get_mut(&method)) else {
                    continue;
                };
                for (k, v) in members {
                    op.insert(k.clone(), v.clone());
                }
                let label = op_label(&method, &path, &Value::Object(op.clone()));
                let names: Vec<&str> = members.keys().map(String::as_str).collect();
                summary.extended_operations.push(format!("{label}: {}", names.join(", ")));
            }
        }
    }
    Ok(())
}
