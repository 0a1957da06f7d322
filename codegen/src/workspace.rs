//! Where generated files live in this workspace: writing them, and checking
//! that what is committed matches what the spec generates.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::{GeneratedFile, SpecError, Strictness};

use crate::Layout;
use crate::lock::{self, Recorded};

/// The slice, relative to the workspace root.
pub const SPEC: &str = "specs/graph-beta.yaml";
/// The generator's kitchen-sink fixture: every supported construct.
pub const SNAPSHOT_SPEC: &str = "codegen/tests/fixtures/kitchen-sink.yaml";
/// What generating the fixture reports (skips and approximations).
pub const SNAPSHOT_DIAGNOSTICS: &str = "codegen/snapshot/DIAGNOSTICS.txt";
/// Directories whose `.rs` files are all generated.
pub const GENERATED_DIRS: &[&str] = &[
    "crates/graph-models/src",
    "crates/graph-requests/src",
    "codegen/snapshot/models/src",
    "codegen/snapshot/requests/src",
];

fn snapshot_layout() -> Layout {
    Layout {
        models_dir: "codegen/snapshot/models".to_owned(),
        requests_dir: "codegen/snapshot/requests".to_owned(),
        requests_crate: "snapshot_requests".to_owned(),
    }
}

/// Opening marker of the `[features]` lines the generator owns in a manifest.
pub const AREAS_BEGIN: &str =
    "# @generated-areas-begin: written by `cargo xtask codegen`, one feature per API area";
/// Closing marker.
pub const AREAS_END: &str = "# @generated-areas-end";

/// The manifest at `rel` with the lines between the area markers replaced
/// by the features for `areas` (forwarded to `forward/…` when given).
fn manifest_with_areas(
    root: &Path,
    rel: &str,
    areas: &[String],
    forward: Option<&str>,
) -> Result<GeneratedFile, SpecError> {
    let text = read(root, rel)?;
    let (Some(begin), Some(end)) = (text.find(AREAS_BEGIN), text.find(AREAS_END)) else {
        return Err(SpecError::new(
            "",
            format!("{rel} lacks the `{AREAS_BEGIN}` … `{AREAS_END}` lines under [features]"),
        ));
    };
    if end < begin {
        return Err(SpecError::new(
            "",
            format!("{rel}: area markers are out of order"),
        ));
    }
    let names = areas.iter().cloned().collect();
    let mut contents = String::with_capacity(text.len());
    contents.push_str(&text[..begin]);
    contents.push_str(AREAS_BEGIN);
    contents.push('\n');
    contents.push_str(&crate::emit::areas::manifest_lines(&names, forward));
    contents.push_str(&text[end..]);
    Ok(GeneratedFile {
        path: rel.to_owned(),
        contents,
    })
}

/// The generator-owned lines of a manifest, markers included (`None` for other files).
fn areas_section(text: &str) -> Option<&str> {
    let begin = text.find(AREAS_BEGIN)?;
    let end = text[begin..].find(AREAS_END)? + begin + AREAS_END.len();
    Some(&text[begin..end])
}

fn read(root: &Path, rel: &str) -> Result<String, SpecError> {
    fs::read_to_string(root.join(rel))
        .map(|text| normalize_newlines(&text))
        .map_err(|e| SpecError::new("", format!("cannot read {rel}: {e}")))
}

pub use graph_spec::load::normalize_newlines;

/// The workspace root (the parent of `codegen/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Everything `cargo xtask codegen` writes: both crates' sources and the
/// lock from the slice (strict: any diagnostic is an error), and the
/// snapshot crates from the kitchen-sink fixture (lenient, with its
/// diagnostics written down).
pub fn plan(root: &Path) -> Result<Vec<GeneratedFile>, SpecError> {
    let mut files = plan_slice(root)?;
    let fixture = read(root, SNAPSHOT_SPEC)?;
    let snapshot = crate::generate_into(
        &fixture,
        SNAPSHOT_SPEC,
        Strictness::Lenient,
        &snapshot_layout(),
    )
    .map_err(|e| SpecError::new(e.pointer, format!("{SNAPSHOT_SPEC}: {}", e.message)))?;
    files.extend(snapshot.files);
    let snapshot_areas = &snapshot.areas;
    files.push(manifest_with_areas(
        root,
        "codegen/snapshot/models/Cargo.toml",
        snapshot_areas,
        None,
    )?);
    files.push(manifest_with_areas(
        root,
        "codegen/snapshot/requests/Cargo.toml",
        snapshot_areas,
        Some("graph_models"),
    )?);
    let mut report = format!(
        "# Diagnostics from generating {SNAPSHOT_SPEC} (written by `cargo xtask codegen`).\n\
         # Each line: JSON pointer, then what the generator did.\n"
    );
    for d in &snapshot.diagnostics {
        report.push_str(&format!("{}: {}\n", d.pointer, d.message));
    }
    files.push(GeneratedFile {
        path: SNAPSHOT_DIAGNOSTICS.to_owned(),
        contents: report,
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn plan_slice(root: &Path) -> Result<Vec<GeneratedFile>, SpecError> {
    let spec_text = read(root, SPEC)?;
    let output = crate::generate(&spec_text, SPEC, Strictness::Strict)?;
    let mut files = output.files;
    for (manifest, forward) in [
        ("crates/graph-models/Cargo.toml", None),
        ("crates/graph-requests/Cargo.toml", Some("graph-models")),
        ("crates/graph-beta/Cargo.toml", Some("graph-requests")),
    ] {
        files.push(manifest_with_areas(root, manifest, &output.areas, forward)?);
    }
    let recorded: Vec<Recorded<'_>> = files
        .iter()
        .map(|f| match areas_section(&f.contents) {
            Some(section) => Recorded::AreaFeatures {
                path: &f.path,
                section,
            },
            None => Recorded::Whole {
                path: &f.path,
                contents: &f.contents,
            },
        })
        .collect();
    let lock = lock::render(
        SPEC,
        &spec_text,
        output.operations,
        output.models,
        &recorded,
    )?;
    files.push(lock);
    Ok(files)
}

/// How a committed file differs from what the spec generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// Contents differ.
    Modified(String),
    /// Should exist and does not.
    Missing(String),
    /// Exists in a generated directory but is no longer generated.
    Extra(String),
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Modified(p) => write!(f, "stale:   {p}"),
            Drift::Missing(p) => write!(f, "missing: {p}"),
            Drift::Extra(p) => write!(f, "extra:   {p} (no longer generated)"),
        }
    }
}

fn existing_generated(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for dir in GENERATED_DIRS {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = fs::read_dir(&d) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    if let Ok(rel) = path.strip_prefix(root) {
                        out.push(rel.to_string_lossy().replace('\\', "/"));
                    }
                }
            }
        }
    }
    out.sort();
    out
}

/// Whether a file's bytes are `contents`, line endings aside.
fn same_text(bytes: &[u8], contents: &str) -> bool {
    bytes == contents.as_bytes()
        || std::str::from_utf8(bytes).is_ok_and(|text| normalize_newlines(text) == contents)
}

/// Compares `files` with the tree under `root`.
pub fn diff(root: &Path, files: &[GeneratedFile]) -> Vec<Drift> {
    let mut drift = Vec::new();
    for f in files {
        match fs::read(root.join(&f.path)) {
            Ok(bytes) if same_text(&bytes, &f.contents) => {}
            Ok(_) => drift.push(Drift::Modified(f.path.clone())),
            Err(_) => drift.push(Drift::Missing(f.path.clone())),
        }
    }
    for path in existing_generated(root) {
        if !files.iter().any(|f| f.path == path) {
            drift.push(Drift::Extra(path));
        }
    }
    drift
}

/// `cargo xtask codegen --check`: what is stale, if anything.
pub fn check(root: &Path) -> Result<Vec<Drift>, SpecError> {
    Ok(diff(root, &plan(root)?))
}

/// `cargo xtask codegen`: writes changed files, removes ones no longer
/// generated, and returns what changed.
pub fn write(root: &Path) -> Result<Vec<Drift>, SpecError> {
    let files = plan(root)?;
    let drift = diff(root, &files);
    for d in &drift {
        let io = |e: std::io::Error, p: &str| SpecError::new("", format!("cannot write {p}: {e}"));
        match d {
            Drift::Modified(p) | Drift::Missing(p) => {
                let Some(f) = files.iter().find(|f| &f.path == p) else {
                    continue;
                };
                let target = root.join(p);
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(|e| io(e, p))?;
                }
                fs::write(&target, &f.contents).map_err(|e| io(e, p))?;
            }
            Drift::Extra(p) => fs::remove_file(root.join(p)).map_err(|e| io(e, p))?,
        }
    }
    Ok(drift)
}
