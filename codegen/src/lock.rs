//! `specs/graph-beta.lock.json`, the spec lock: the sha256 of the spec, what was generated from
//! it (with each file's sha256), and the slicer's provenance as the spec records it. Written by
//! `cargo xtask codegen`; [`mismatch`] tells when the spec was edited without regenerating.
//!
//! Every reader and writer of the lock goes through this module.

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{GeneratedFile, SpecError};

/// The lock file, relative to the workspace root.
pub const LOCK: &str = "specs/graph-beta.lock.json";

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The sha256 the lock records for spec text (line endings normalized first, so a checkout
/// that converts them hashes like a plain one).
pub fn spec_sha256(spec_text: &str) -> String {
    sha256_hex(graph_spec::load::normalize_newlines(spec_text).as_bytes())
}

/// One generated file as the lock records it.
#[derive(Debug, Clone, Copy)]
pub enum Recorded<'a> {
    /// A wholly generated file: its whole text is hashed.
    Whole {
        /// Path relative to the workspace root.
        path: &'a str,
        /// The file's text.
        contents: &'a str,
    },
    /// A manifest that is handwritten but for its area features: only those lines are hashed,
    /// so editing its dependencies does not make the lock stale.
    AreaFeatures {
        /// Path relative to the workspace root.
        path: &'a str,
        /// The generator-owned lines, markers included.
        section: &'a str,
    },
}

impl Recorded<'_> {
    fn to_json(self) -> Value {
        match self {
            Recorded::AreaFeatures { path, section } => serde_json::json!({
                "path": path,
                "section": "area features",
                "sha256": sha256_hex(section.as_bytes()),
            }),
            Recorded::Whole { path, contents } => serde_json::json!({
                "path": path,
                "sha256": sha256_hex(contents.as_bytes()),
            }),
        }
    }
}

/// The lock for the spec at `spec` (relative to the workspace root, with text `spec_text`) and
/// the files generated from it (`operations` and `models` as the generator counted them).
pub fn render(
    spec: &str,
    spec_text: &str,
    operations: usize,
    models: usize,
    files: &[Recorded<'_>],
) -> Result<GeneratedFile, SpecError> {
    let mut lock = serde_json::json!({
        "spec": spec,
        "sha256": spec_sha256(spec_text),
        "generator": format!("codegen {}", env!("CARGO_PKG_VERSION")),
        "operations": operations,
        "models": models,
        "files": files.iter().map(|f| f.to_json()).collect::<Vec<_>>(),
    });
    // Upstream provenance as the slicer recorded it in the spec (upstream
    // repository/path/commit/date, the input file and its sha256, overlays):
    // read from the spec itself so the lock depends on nothing else.
    let spec_value = graph_spec::load::parse_value(spec_text).unwrap_or_default();
    if let (Some(p), Some(map)) = (
        graph_spec::extensions::slice_provenance(&spec_value),
        lock.as_object_mut(),
    ) {
        map.insert("slice".to_owned(), p.clone());
    }
    let mut lock_text = serde_json::to_string_pretty(&lock)
        .map_err(|e| SpecError::new("", format!("cannot render {LOCK}: {e}")))?;
    lock_text.push('\n');
    Ok(GeneratedFile {
        path: LOCK.to_owned(),
        contents: lock_text,
    })
}

/// The spec sha256 a lock's text records (`None` when it is not a lock).
pub fn recorded_sha256(lock_text: &str) -> Option<String> {
    serde_json::from_str::<Value>(lock_text)
        .ok()?
        .get("sha256")?
        .as_str()
        .map(str::to_owned)
}

/// When the committed lock records another hash for the spec at `spec` (relative to `root`)
/// than the spec has (a spec edited without `cargo xtask codegen`), says so in words.
pub fn mismatch(root: &Path, spec: &str) -> Option<String> {
    let spec_bytes = std::fs::read(root.join(spec)).ok()?;
    let Ok(lock) = std::fs::read_to_string(root.join(LOCK)) else {
        return Some(format!("{LOCK} is missing; run `cargo xtask codegen`"));
    };
    let recorded = recorded_sha256(&lock).unwrap_or_default();
    let actual = spec_sha256(&String::from_utf8_lossy(&spec_bytes));
    (recorded != actual).then(|| {
        format!(
            "{spec} was edited without regenerating: its sha256 is {actual} but {LOCK} records {}; \
             run `cargo xtask codegen` and commit the result",
            if recorded.is_empty() {
                "none"
            } else {
                &recorded
            }
        )
    })
}
