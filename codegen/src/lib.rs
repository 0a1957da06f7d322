//! The graph-beta-rs code generator.
//!
//! `spec text → load (openapiv3) → lower (IR) → emit (quote/syn) → prettyplease`.
//! The same spec always gives the same bytes: every collection the emitters
//! walk is ordered (spec order or `BTreeMap`), and names are assigned in a
//! fixed order.
//!
//! [`generate`] is pure (text in, files out); [`workspace`] knows where the
//! files go, writes them, and checks committed output for drift.

pub mod emit;
pub mod error;
pub mod ir;
pub mod load;
pub mod lock;
pub mod lower;
pub mod naming;
pub mod scratch;
pub mod spec_diff;
pub mod workspace;

pub use emit::GeneratedFile;
pub use error::SpecError;

/// How strict generation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strictness {
    /// Any diagnostic (a skipped operation, a union lowered to a JSON
    /// value, …) fails generation: for the committed slice.
    #[default]
    Strict,
    /// Diagnostics are reported and generation goes on: for surveying
    /// large upstream files.
    Lenient,
}

/// The result of a generation run.
#[derive(Debug, Clone)]
pub struct Output {
    /// Files to write, sorted by path.
    pub files: Vec<GeneratedFile>,
    /// What was skipped or approximated, with JSON pointers.
    pub diagnostics: Vec<ir::Diagnostic>,
    /// Number of operations generated.
    pub operations: usize,
    /// Number of model types generated.
    pub models: usize,
    /// API areas (one Cargo feature each), sorted.
    pub areas: Vec<String>,
}

/// Where the two generated crates live, relative to the workspace root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The models crate (its `src/` is generated).
    pub models_dir: String,
    /// The request-builders crate (its `src/` is generated). It must see
    /// the models crate under the name `graph_models`.
    pub requests_dir: String,
    /// The request-builders crate's Rust name, for the examples in its docs (`graph_requests`).
    pub requests_crate: String,
}

impl Default for Layout {
    /// This workspace's crates.
    fn default() -> Self {
        Self {
            models_dir: "crates/graph-models".to_owned(),
            requests_dir: "crates/graph-requests".to_owned(),
            requests_crate: "graph_requests".to_owned(),
        }
    }
}

/// Generates both crates' sources from spec text into the default
/// [`Layout`]. `spec_path` is only used for the header of each file.
pub fn generate(
    spec_text: &str,
    spec_path: &str,
    strictness: Strictness,
) -> Result<Output, SpecError> {
    generate_into(spec_text, spec_path, strictness, &Layout::default())
}

/// [`generate`] into any layout.
pub fn generate_into(
    spec_text: &str,
    spec_path: &str,
    strictness: Strictness,
    layout: &Layout,
) -> Result<Output, SpecError> {
    let api = lower_spec(spec_text)?;
    if strictness == Strictness::Strict {
        if let Some(d) = api.diagnostics.first() {
            return Err(SpecError::new(d.pointer.clone(), d.message.clone()));
        }
    }
    generate_from_ir(&api, spec_path, layout)
}

/// Parses and lowers spec text to the IR.
pub fn lower_spec(spec_text: &str) -> Result<ir::Api, SpecError> {
    let doc = load::parse(spec_text)?;
    lower::lower(&doc)
}

/// Emits files for an already lowered API.
pub fn generate_from_ir(
    api: &ir::Api,
    spec_path: &str,
    layout: &Layout,
) -> Result<Output, SpecError> {
    let areas = emit::areas::compute(api);
    let mut files = emit::models::emit(api, &areas, &layout.models_dir, spec_path)?;
    files.extend(emit::requests::emit(api, &areas, layout, spec_path)?);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Output {
        files,
        diagnostics: api.diagnostics.clone(),
        operations: api.operations.len(),
        models: api.models.len(),
        areas: areas.names.into_iter().collect(),
    })
}
