//! Generates any OpenAPI file into a throw-away two-crate workspace, for
//! proving the generator on real upstream files (`cargo xtask scale-proof`).
//!
//! The scratch workspace depends on this repository's `graph-core` and
//! `graph-types` by path and reuses its `Cargo.lock`, so `cargo check` there
//! resolves exactly the dependency versions the SDK uses.

use std::fs;
use std::path::Path;

use crate::{Layout, Output, SpecError, Strictness};

/// Generates `spec_path` (lenient: skipped constructs are reported, not
/// fatal) into `out/models` and `out/requests`, with manifests, and returns
/// the generator's output (files, diagnostics, counts).
pub fn generate_scratch(root: &Path, spec_path: &Path, out: &Path) -> Result<Output, SpecError> {
    let io = |what: &str, e: std::io::Error| SpecError::new("", format!("{what}: {e}"));
    let text = fs::read_to_string(spec_path)
        .map_err(|e| io(&format!("cannot read {}", spec_path.display()), e))?;
    let layout = Layout {
        models_dir: "models".to_owned(),
        requests_dir: "requests".to_owned(),
        requests_crate: "scratch_requests".to_owned(),
    };
    let label = spec_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let output = crate::generate_into(&text, &label, Strictness::Lenient, &layout)?;
    if out.exists() {
        fs::remove_dir_all(out).map_err(|e| io("cannot clear the scratch directory", e))?;
    }
    for f in &output.files {
        let target = out.join(&f.path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| io("cannot create a directory", e))?;
        }
        fs::write(&target, &f.contents).map_err(|e| io("cannot write a file", e))?;
    }
    let root = root
        .canonicalize()
        .map_err(|e| io("cannot resolve the workspace root", e))?;
    let dep = |name: &str| {
        format!(
            "{{ path = \"{}\" }}",
            root.join("crates").join(name).display()
        )
    };
    let names = output.areas.iter().cloned().collect();
    let model_features = crate::emit::areas::manifest_lines(&names, None);
    let request_features = crate::emit::areas::manifest_lines(&names, Some("graph_models"));
    let manifests = [
        (
            "Cargo.toml",
            "[workspace]\nresolver = \"3\"\nmembers = [\"models\", \"requests\"]\n".to_owned(),
        ),
        (
            "models/Cargo.toml",
            format!(
                "[package]\nname = \"scratch-models\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
                 [dependencies]\ngraph-types = {}\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\n\n\
                 [features]\ndefault = [\"all-areas\"]\n{model_features}",
                dep("graph-types")
            ),
        ),
        (
            "requests/Cargo.toml",
            format!(
                "[package]\nname = \"scratch-requests\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
                 [dependencies]\ngraph-core = {}\n\
                 graph_models = {{ package = \"scratch-models\", path = \"../models\", default-features = false }}\n\n\
                 [features]\ndefault = [\"all-areas\"]\n{request_features}",
                dep("graph-core")
            ),
        ),
    ];
    for (rel, contents) in manifests {
        fs::write(out.join(rel), contents).map_err(|e| io("cannot write a manifest", e))?;
    }
    fs::copy(root.join("Cargo.lock"), out.join("Cargo.lock"))
        .map_err(|e| io("cannot copy Cargo.lock", e))?;
    Ok(output)
}
