//! What changes for Rust users between two specs: `cargo xtask spec-diff`.
//!
//! Both specs are lowered to the IR (leniently: diagnostics are ignored,
//! skipped operations simply do not exist) and the IRs are compared, since
//! the IR is what the generated Rust is made of. Each change is marked
//! [`Impact::Breaking`] or [`Impact::Additive`] by these rules:
//!
//! * **Removing anything** (operation, model, field, parameter, enum
//!   member, national cloud) is breaking: code naming it stops compiling
//!   or stops working.
//! * **Retyping anything** is breaking: a field, parameter, alias, request
//!   body or success type with another Rust type; a model changing kind
//!   (struct ↔ enum ↔ alias); a field changing between `Option<T>` and
//!   `Nullable<T>` (`nullable` added or removed) or gaining or losing a
//!   `Box`; a Rust name changing while the JSON name stays; a different
//!   `@odata.type` value; a changed operationId (it names the operation's
//!   `static` metadata) or an operation moving to another method or path.
//! * **Adding a field** to a struct is additive: every generated field is
//!   an `Option` or a `Nullable` and every struct derives `Default`, so
//!   code that builds structs with `..Default::default()` (the supported
//!   way) keeps compiling. A struct literal naming every field would not;
//!   that style is not supported.
//! * **Adding an enum member** is additive: every generated enum has a
//!   catch-all variant for unknown members, so matches already need a
//!   wildcard arm.
//! * **Adding a model or an operation** is additive.
//! * **Parameters**: adding an optional query or header parameter is
//!   additive (a new setter) unless the operation had no optional
//!   parameter before: then the builder method returns a request wrapper
//!   instead of `graph_core::Request<T>`, which is breaking. Adding a
//!   required parameter, or changing whether one is required, changes the
//!   builder method's arguments: breaking.
//! * **Decoding**: success starting to accept the `{"value": …}` wrapper is
//!   additive; ceasing to is breaking.
//! * **Request builders**: a builder type, an accessor method or a request wrapper renamed for the
//!   same path is breaking (code names them).
//! * **Documentation-only changes** that are still visible in generated
//!   docs or metadata (`required` on a field, `readOnly`, whether a body
//!   is required, permissions, a national cloud added) are additive.
//!   Descriptions and summaries are not reported.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::error::SpecError;
use crate::ir::{
    Api, EnumModel, Field, Model, ModelKind, Operation, Param, PolymorphicModel, StructModel,
    Success,
};

/// Whether a change can break code written against the old crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// Code written against the old spec may stop compiling or working.
    Breaking,
    /// Existing code keeps working.
    Additive,
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Impact::Breaking => "breaking",
            Impact::Additive => "additive",
        })
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Breaking or additive.
    pub impact: Impact,
    /// What changed: `operation PATCH /path (id)`, `model Name`.
    pub subject: String,
    /// How, in words.
    pub change: String,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.change)
    }
}

/// All changes, in a stable order (operations by path and method, then
/// models by name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The changes.
    pub entries: Vec<Entry>,
    /// Diagnostics the old spec lowered with (ignored for the diff).
    pub old_diagnostics: usize,
    /// Diagnostics the new spec lowered with.
    pub new_diagnostics: usize,
}

impl Report {
    /// `true` when any entry is breaking.
    pub fn has_breaking(&self) -> bool {
        self.entries.iter().any(|e| e.impact == Impact::Breaking)
    }

    /// Entries with this impact.
    pub fn with(&self, impact: Impact) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.impact == impact)
    }

    /// Readable text, grouped by impact.
    pub fn render(&self, old_name: &str, new_name: &str) -> String {
        let breaking: Vec<&Entry> = self.with(Impact::Breaking).collect();
        let additive: Vec<&Entry> = self.with(Impact::Additive).collect();
        let mut out = format!(
            "spec-diff {old_name} -> {new_name}: {} breaking, {} additive\n",
            breaking.len(),
            additive.len()
        );
        if self.old_diagnostics + self.new_diagnostics > 0 {
            out.push_str(&format!(
                "(lowered leniently: {} diagnostic(s) in old, {} in new; skipped constructs are not compared)\n",
                self.old_diagnostics, self.new_diagnostics
            ));
        }
        for (title, entries) in [("Breaking", breaking), ("Additive", additive)] {
            if entries.is_empty() {
                continue;
            }
            out.push_str(&format!("\n{title}:\n"));
            for e in entries {
                out.push_str(&format!("  - {e}\n"));
            }
        }
        if self.entries.is_empty() {
            out.push_str("no changes visible in the generated Rust\n");
        }
        out
    }

    /// The report as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "breaking": self.with(Impact::Breaking).count(),
            "additive": self.with(Impact::Additive).count(),
            "entries": self.entries.iter().map(|e| serde_json::json!({
                "impact": e.impact.to_string(),
                "subject": e.subject,
                "change": e.change,
            })).collect::<Vec<_>>(),
        })
    }

    /// [`Report::to_json`], pretty-printed.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string_pretty(&self.to_json()).unwrap_or_default()
    }

    fn push(&mut self, impact: Impact, subject: &str, change: String) {
        self.entries.push(Entry {
            impact,
            subject: subject.to_owned(),
            change,
        });
    }
}

/// Lowers both spec texts and compares them.
pub fn diff_texts(old: &str, new: &str) -> Result<Report, SpecError> {
    let old_api = crate::lower_spec(old)
        .map_err(|e| SpecError::new(e.pointer, format!("old spec: {}", e.message)))?;
    let new_api = crate::lower_spec(new)
        .map_err(|e| SpecError::new(e.pointer, format!("new spec: {}", e.message)))?;
    Ok(diff(&old_api, &new_api))
}

/// Compares two lowered APIs.
pub fn diff(old: &Api, new: &Api) -> Report {
    let mut report = Report {
        old_diagnostics: old.diagnostics.len(),
        new_diagnostics: new.diagnostics.len(),
        ..Report::default()
    };
    diff_operations(old, new, &mut report);
    diff_builders(old, new, &mut report);
    diff_models(old, new, &mut report);
    report
}

/// Request builders by the path they stand for: renamed builders, renamed accessor methods and
/// changed request wrappers break code that names them.
fn diff_builders(old: &Api, new: &Api, report: &mut Report) {
    let index = |api: &Api| -> BTreeMap<String, (String, Option<String>)> {
        api.tree
            .descendants()
            .into_iter()
            .map(|n| {
                (
                    graph_spec::template::render(&n.segments),
                    (
                        n.builder.clone(),
                        n.accessor.as_ref().map(|a| a.method.clone()),
                    ),
                )
            })
            .collect()
    };
    let (old_nodes, new_nodes) = (index(old), index(new));
    for (path, (old_builder, old_method)) in &old_nodes {
        let Some((new_builder, new_method)) = new_nodes.get(path) else {
            continue;
        };
        let subject = format!("builder for {path}");
        if old_builder != new_builder {
            report.push(
                Impact::Breaking,
                &subject,
                format!("renamed from {old_builder} to {new_builder}"),
            );
        }
        if old_method != new_method {
            report.push(
                Impact::Breaking,
                &subject,
                format!(
                    "accessor method renamed from `{}` to `{}`",
                    old_method.as_deref().unwrap_or("-"),
                    new_method.as_deref().unwrap_or("-")
                ),
            );
        }
    }
    let wrappers = |api: &Api| -> BTreeMap<(crate::ir::HttpMethod, String), Option<String>> {
        api.operations
            .iter()
            .map(|op| ((op.method, op.path_template.clone()), op.wrapper.clone()))
            .collect()
    };
    let new_wrappers = wrappers(new);
    for (key, old_wrapper) in wrappers(old) {
        let (Some(a), Some(Some(b))) = (&old_wrapper, new_wrappers.get(&key)) else {
            continue;
        };
        if a != b {
            report.push(
                Impact::Breaking,
                &format!("operation {} {}", key.0.upper(), key.1),
                format!("request wrapper renamed from {a} to {b}"),
            );
        }
    }
}

fn field_type(f: &Field) -> String {
    let inner = if f.boxed {
        format!("Box<{}>", f.ty.rust_name())
    } else {
        f.ty.rust_name()
    };
    if f.nullable {
        format!("Nullable<{inner}>")
    } else {
        format!("Option<{inner}>")
    }
}

fn op_subject(op: &Operation) -> String {
    format!(
        "operation {} {} ({})",
        op.method.upper(),
        op.path_template,
        op.id
    )
}

fn success_name(s: &Success) -> String {
    match s {
        Success::Empty => "()".into(),
        Success::Json { ty, .. } | Success::Text { ty } => ty.rust_name(),
        Success::Bytes { .. } => "Vec<u8>".into(),
        Success::Page { item, .. } => format!("Page<{}>", item.rust_name()),
    }
}

fn diff_operations(old: &Api, new: &Api, report: &mut Report) {
    let key = |op: &Operation| (op.method, op.path_template.clone());
    let new_by_key: BTreeMap<_, &Operation> =
        new.operations.iter().map(|op| (key(op), op)).collect();
    let old_keys: BTreeSet<_> = old.operations.iter().map(key).collect();
    let mut matched_new: BTreeSet<_> = BTreeSet::new();
    for o in &old.operations {
        if let Some(n) = new_by_key.get(&key(o)) {
            matched_new.insert(key(n));
            diff_operation(o, n, report);
            continue;
        }
        // Same operationId elsewhere: moved.
        let moved = new
            .operations
            .iter()
            .find(|n| n.id == o.id && !old_keys.contains(&key(n)));
        match moved {
            Some(n) => {
                matched_new.insert(key(n));
                report.push(
                    Impact::Breaking,
                    &op_subject(o),
                    format!(
                        "operation moved to {} {}",
                        n.method.upper(),
                        n.path_template
                    ),
                );
                diff_operation(o, n, report);
            }
            None => report.push(Impact::Breaking, &op_subject(o), "operation removed".into()),
        }
    }
    for n in &new.operations {
        if !matched_new.contains(&key(n)) {
            report.push(Impact::Additive, &op_subject(n), "operation added".into());
        }
    }
}

/// What changed in one operation (old `o`, new `n`).
fn diff_operation(o: &Operation, n: &Operation, report: &mut Report) {
    let subject = op_subject(n);
    let s = subject.as_str();
    if o.id != n.id {
        report.push(
            Impact::Breaking,
            s,
            format!("operationId changed from `{}` to `{}`", o.id, n.id),
        );
    }
    diff_body(o, n, s, report);
    diff_success(o, n, s, report);
    diff_path_params(o, n, s, report);
    diff_params(o, n, s, report);
    diff_clouds(o, n, s, report);
    if o.permissions != n.permissions {
        report.push(Impact::Additive, s, "documented permissions changed".into());
    }
}

/// The request body of an operation: added, removed, media type, type, requiredness.
fn diff_body(o: &Operation, n: &Operation, s: &str, report: &mut Report) {
    match (&o.body, &n.body) {
        (None, None) => {}
        (None, Some(b)) => report.push(
            Impact::Breaking,
            s,
            format!("request body added ({})", b.ty.rust_name()),
        ),
        (Some(b), None) => report.push(
            Impact::Breaking,
            s,
            format!("request body removed (was {})", b.ty.rust_name()),
        ),
        (Some(a), Some(b)) => {
            if a.raw_media != b.raw_media {
                let kind = |m: &Option<String>| {
                    m.as_ref()
                        .map_or("JSON".to_owned(), |m| format!("raw `{m}`"))
                };
                report.push(
                    Impact::Breaking,
                    s,
                    format!(
                        "request body changed from {} to {}",
                        kind(&a.raw_media),
                        kind(&b.raw_media)
                    ),
                );
            } else if a.ty != b.ty {
                report.push(
                    Impact::Breaking,
                    s,
                    format!(
                        "request body retyped from {} to {}",
                        a.ty.rust_name(),
                        b.ty.rust_name()
                    ),
                );
            }
            if a.required != b.required {
                report.push(
                    Impact::Additive,
                    s,
                    format!(
                        "request body {} (documentation only)",
                        if b.required {
                            "now required"
                        } else {
                            "now optional"
                        }
                    ),
                );
            }
        }
    }
}

/// The success type of an operation, and whether it accepts a `{"value": …}` wrapper.
fn diff_success(o: &Operation, n: &Operation, s: &str, report: &mut Report) {
    match (&o.success, &n.success) {
        (
            Success::Json {
                ty: a,
                unwrap_value: ua,
            },
            Success::Json {
                ty: b,
                unwrap_value: ub,
            },
        ) if a == b && ua != ub => {
            let (impact, what) = if *ub {
                (
                    Impact::Additive,
                    "now also accepts a `{\"value\": …}`-wrapped success body",
                )
            } else {
                (
                    Impact::Breaking,
                    "no longer accepts a `{\"value\": …}`-wrapped success body",
                )
            };
            report.push(impact, s, what.into());
        }
        (a, b) if a != b => report.push(
            Impact::Breaking,
            s,
            format!(
                "success type changed from {} to {}",
                success_name(a),
                success_name(b)
            ),
        ),
        _ => {}
    }
}

/// Path parameters, by position.
fn diff_path_params(o: &Operation, n: &Operation, s: &str, report: &mut Report) {
    for (a, b) in o.path_params.iter().zip(&n.path_params) {
        if a.ty != b.ty || a.rust_name != b.rust_name {
            report.push(
                Impact::Breaking,
                s,
                format!(
                    "path parameter `{}` changed from `{}: {}` to `{}: {}`",
                    b.name,
                    a.rust_name,
                    a.ty.rust_name(),
                    b.rust_name,
                    b.ty.rust_name()
                ),
            );
        }
    }
}

/// Query and header parameters, by location and wire name.
fn diff_params(o: &Operation, n: &Operation, s: &str, report: &mut Report) {
    // Query and header parameters, by location and wire name.
    let pkey = |p: &Param| (p.location, p.name.clone());
    let old_params: BTreeMap<_, &Param> = o.params.iter().map(|p| (pkey(p), p)).collect();
    let new_params: BTreeMap<_, &Param> = n.params.iter().map(|p| (pkey(p), p)).collect();
    let had_optional = o.params.iter().any(|p| !p.required);
    let loc = |p: &Param| format!("{:?}", p.location).to_ascii_lowercase();
    for p in &o.params {
        match new_params.get(&pkey(p)) {
            None => report.push(
                Impact::Breaking,
                s,
                format!("{} parameter `{}` removed", loc(p), p.name),
            ),
            Some(q) => {
                if p.required != q.required {
                    report.push(
                        Impact::Breaking,
                        s,
                        format!(
                            "{} parameter `{}` {} (the builder method's arguments change)",
                            loc(q),
                            q.name,
                            if q.required {
                                "now required"
                            } else {
                                "now optional"
                            }
                        ),
                    );
                }
                if p.ty != q.ty || p.rust_name != q.rust_name {
                    report.push(
                        Impact::Breaking,
                        s,
                        format!(
                            "{} parameter `{}` changed from `{}: {}` to `{}: {}`",
                            loc(q),
                            q.name,
                            p.rust_name,
                            p.ty.rust_name(),
                            q.rust_name,
                            q.ty.rust_name()
                        ),
                    );
                }
            }
        }
    }
    for q in &n.params {
        if old_params.contains_key(&pkey(q)) {
            continue;
        }
        let what = format!(
            "{} parameter `{}` ({}) added",
            loc(q),
            q.name,
            q.ty.rust_name()
        );
        if q.required {
            report.push(Impact::Breaking, s, format!("required {what}"));
        } else if !had_optional {
            report.push(
                Impact::Breaking,
                s,
                format!("optional {what}: the first optional parameter makes the builder return a request wrapper"),
            );
        } else {
            report.push(Impact::Additive, s, format!("optional {what}"));
        }
    }
}

/// National clouds an operation is restricted to.
fn diff_clouds(o: &Operation, n: &Operation, s: &str, report: &mut Report) {
    // Clouds and permissions.
    let clouds = |op: &Operation| op.national_clouds.clone();
    match (clouds(o), clouds(n)) {
        (None, Some(c)) => report.push(
            Impact::Breaking,
            s,
            format!(
                "now restricted to national clouds {}",
                c.iter()
                    .map(|c| c.spec_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        (Some(_), None) => report.push(
            Impact::Additive,
            s,
            "no longer restricted to named national clouds".into(),
        ),
        (Some(a), Some(b)) => {
            for c in a.iter().filter(|c| !b.contains(c)) {
                report.push(Impact::Breaking, s, format!("national cloud `{c}` removed"));
            }
            for c in b.iter().filter(|c| !a.contains(c)) {
                report.push(Impact::Additive, s, format!("national cloud `{c}` added"));
            }
        }
        (None, None) => {}
    }
}

fn kind_name(m: &Model) -> &'static str {
    match m.kind {
        ModelKind::Struct(_) => "struct",
        ModelKind::Enum(_) => "enum",
        ModelKind::Alias(_) => "type alias",
        ModelKind::Polymorphic(_) => "polymorphic enum",
    }
}

fn diff_models(old: &Api, new: &Api, report: &mut Report) {
    let names: BTreeSet<&String> = old.models.keys().chain(new.models.keys()).collect();
    for name in names {
        let subject = format!("model {name}");
        match (old.models.get(name), new.models.get(name)) {
            (Some(o), Some(n)) => diff_model(&subject, o, n, report),
            (Some(o), None) => report.push(
                Impact::Breaking,
                &subject,
                format!("{} removed", kind_name(o)),
            ),
            (None, Some(n)) => report.push(
                Impact::Additive,
                &subject,
                format!("{} added", kind_name(n)),
            ),
            (None, None) => {}
        }
    }
}

fn diff_model(subject: &str, o: &Model, n: &Model, report: &mut Report) {
    match (&o.kind, &n.kind) {
        (ModelKind::Struct(a), ModelKind::Struct(b)) => diff_struct(subject, a, b, report),
        (ModelKind::Enum(a), ModelKind::Enum(b)) => diff_enum(subject, a, b, report),
        (ModelKind::Polymorphic(a), ModelKind::Polymorphic(b)) => {
            diff_polymorphic(subject, a, b, report)
        }
        (ModelKind::Alias(a), ModelKind::Alias(b)) => {
            if a != b {
                report.push(
                    Impact::Breaking,
                    subject,
                    format!(
                        "type alias retyped from {} to {}",
                        a.rust_name(),
                        b.rust_name()
                    ),
                );
            }
        }
        _ => report.push(
            Impact::Breaking,
            subject,
            format!("changed from a {} to a {}", kind_name(o), kind_name(n)),
        ),
    }
}

/// A struct's `@odata.type` and fields, by JSON name.
fn diff_struct(subject: &str, a: &StructModel, b: &StructModel, report: &mut Report) {
    if a.odata_type != b.odata_type {
        report.push(
            Impact::Breaking,
            subject,
            format!(
                "@odata.type changed from {:?} to {:?}",
                a.odata_type, b.odata_type
            ),
        );
    }
    let new_fields: BTreeMap<&str, &Field> =
        b.fields.iter().map(|f| (f.json_name.as_str(), f)).collect();
    let old_fields: BTreeSet<&str> = a.fields.iter().map(|f| f.json_name.as_str()).collect();
    for f in &a.fields {
        let Some(g) = new_fields.get(f.json_name.as_str()) else {
            report.push(
                Impact::Breaking,
                subject,
                format!(
                    "field `{}` ({}: {}) removed",
                    f.json_name,
                    f.rust_name,
                    field_type(f)
                ),
            );
            continue;
        };
        diff_field(subject, f, g, report);
    }
    for g in &b.fields {
        if !old_fields.contains(g.json_name.as_str()) {
            report.push(
                Impact::Additive,
                subject,
                format!(
                    "field `{}` ({}: {}) added",
                    g.json_name,
                    g.rust_name,
                    field_type(g)
                ),
            );
        }
    }
}

/// An enum's members, by value.
fn diff_enum(subject: &str, a: &EnumModel, b: &EnumModel, report: &mut Report) {
    for v in &a.variants {
        match b.variants.iter().find(|w| w.value == v.value) {
            None => report.push(
                Impact::Breaking,
                subject,
                format!("enum member `{}` ({}) removed", v.value, v.rust_name),
            ),
            Some(w) if w.rust_name != v.rust_name => report.push(
                Impact::Breaking,
                subject,
                format!(
                    "enum member `{}` renamed from {} to {}",
                    v.value, v.rust_name, w.rust_name
                ),
            ),
            Some(_) => {}
        }
    }
    for w in &b.variants {
        if !a.variants.iter().any(|v| v.value == w.value) {
            report.push(
                Impact::Additive,
                subject,
                format!("enum member `{}` ({}) added", w.value, w.rust_name),
            );
        }
    }
}

/// A polymorphic enum's variants (the enums are `#[non_exhaustive]`: a new derived type is
/// additive).
fn diff_polymorphic(
    subject: &str,
    a: &PolymorphicModel,
    b: &PolymorphicModel,
    report: &mut Report,
) {
    for v in &a.variants {
        if !b
            .variants
            .iter()
            .any(|w| w.rust_name == v.rust_name && w.model == v.model)
        {
            report.push(
                Impact::Breaking,
                subject,
                format!("variant {} ({}) removed", v.rust_name, v.odata_type),
            );
        }
    }
    for w in &b.variants {
        if !a.variants.iter().any(|v| v.rust_name == w.rust_name) {
            report.push(
                Impact::Additive,
                subject,
                format!("variant {} ({}) added", w.rust_name, w.odata_type),
            );
        }
    }
}

fn diff_field(subject: &str, f: &Field, g: &Field, report: &mut Report) {
    let name = &g.json_name;
    if f.rust_name != g.rust_name {
        report.push(
            Impact::Breaking,
            subject,
            format!(
                "field `{name}` renamed in Rust from {} to {}",
                f.rust_name, g.rust_name
            ),
        );
    }
    if f.ty != g.ty {
        report.push(
            Impact::Breaking,
            subject,
            format!(
                "field `{name}` retyped from {} to {}",
                field_type(f),
                field_type(g)
            ),
        );
    } else if f.nullable != g.nullable {
        report.push(
            Impact::Breaking,
            subject,
            format!(
                "field `{name}` {} (from {} to {})",
                if g.nullable {
                    "became nullable"
                } else {
                    "is no longer nullable"
                },
                field_type(f),
                field_type(g)
            ),
        );
    } else if f.boxed != g.boxed {
        report.push(
            Impact::Breaking,
            subject,
            format!(
                "field `{name}` changed from {} to {}",
                field_type(f),
                field_type(g)
            ),
        );
    }
    if f.required != g.required {
        report.push(
            Impact::Additive,
            subject,
            format!(
                "field `{name}` {} in the spec (documentation only: Graph returns partial objects)",
                if g.required {
                    "now listed as required"
                } else {
                    "no longer listed as required"
                }
            ),
        );
    }
    if f.read_only != g.read_only {
        report.push(
            Impact::Additive,
            subject,
            format!(
                "field `{name}` {} (documentation only)",
                if g.read_only {
                    "now read-only"
                } else {
                    "no longer read-only"
                }
            ),
        );
    }
}
