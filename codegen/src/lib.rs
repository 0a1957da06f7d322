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
pub mod lower;
pub mod naming;
pub mod workspace;

pub use emit::GeneratedFile;
pub use error::CodegenError;

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
}

/// Generates both crates' sources from spec text. `spec_path` is only
/// used for the header of each file.
pub fn generate(spec_text: &str, spec_path: &str, strictness: Strictness) -> Result<Output, CodegenError> {
    let doc = load::parse(spec_text)?;
    let api = lower::lower(&doc)?;
    if strictness == Strictness::Strict {
        if let Some(d) = api.diagnostics.first() {
            return Err(CodegenError::new(d.pointer.clone(), d.message.clone()));
        }
    }
    generate_from_ir(&api, spec_path)
}

/// Emits files for an already lowered API.
pub fn generate_from_ir(api: &ir::Api, spec_path: &str) -> Result<Output, CodegenError> {
    let mut files = emit::models::emit(api, spec_path)?;
    files.extend(emit::requests::emit(api, spec_path)?);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Output {
        files,
        diagnostics: api.diagnostics.clone(),
        operations: api.operations.len(),
        models: api.models.len(),
    })
}
