//! `specs/slice.yaml`: what the committed slice is cut from, and running it.

use std::path::Path;

use serde_json::{Map, Value};

use crate::{Overlay, Request, Summary, parse_yaml, render, slice};
use graph_spec::SpecError;

/// The committed slice configuration, relative to the workspace root.
pub const CONFIG: &str = "specs/slice.yaml";

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
    /// Further upstream files cut into the same slice. Their paths join the first input's;
    /// a component the first input (or an earlier one) already has is kept from there.
    #[serde(default)]
    pub inputs: Vec<Input>,
    /// Component schemas kept whatever references them (derived types of a polymorphic base,
    /// which nothing else names).
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Committed excerpts of files that live outside the repository, and how each is cut.
    #[serde(default)]
    pub excerpts: Vec<Excerpt>,
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

/// Reads and checks `specs/slice.yaml` (or another config file).
pub fn load_config(path: &Path) -> Result<Config, SpecError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SpecError::new("", format!("cannot read {}: {e}", path.display())))?;
    let value = parse_yaml(&text, &path.display().to_string())?;
    let config: Config = serde_json::from_value(value).map_err(|e| {
        SpecError::new(
            "",
            format!("{} is not a valid slice config: {e}", path.display()),
        )
    })?;
    if config.keep.is_empty() {
        return Err(SpecError::new(
            "/keep",
            format!("{}: `keep` lists no operation", path.display()),
        ));
    }
    Ok(config)
}

/// A further input of the slice.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The OpenAPI file (relative to the workspace root).
    pub from: String,
    /// Where it comes from.
    pub upstream: Option<Upstream>,
    /// Operation selectors into it.
    pub keep: Vec<String>,
}

/// A committed excerpt of an upstream file that is too big, or not ours, to commit whole:
/// `cargo xtask slice` cuts it when the source is present (checking its sha256), and the
/// slice is then cut from the excerpt, so a fresh clone reproduces the slice without it.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Excerpt {
    /// Where the excerpt is written (relative to the workspace root).
    pub out: String,
    /// The source file (relative to the workspace root; may lie outside it).
    pub from: String,
    /// The source's expected sha256.
    pub sha256: String,
    /// Where the source comes from.
    pub upstream: Upstream,
    /// Operation selectors.
    pub keep: Vec<String>,
    /// Schemas kept whatever references them.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Leave out properties marked `x-ms-navigationProperty: true`, so the closure holds the
    /// structural properties only.
    #[serde(default)]
    pub drop_navigation_properties: bool,
}

/// What happened to one excerpt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExcerptOutcome {
    /// Cut from its source: the text to write at `out`.
    Cut {
        /// Output path.
        out: String,
        /// The YAML text.
        text: String,
        /// What was kept and dropped.
        summary: String,
    },
    /// The source is not on this machine; the committed excerpt is used as it is.
    SourceAbsent {
        /// Output path.
        out: String,
        /// The missing source.
        from: String,
    },
}

/// Cuts every excerpt whose source is present. A source whose sha256 differs from the
/// recorded one is an error (the record would lie).
pub fn run_excerpts(root: &Path) -> Result<Vec<ExcerptOutcome>, SpecError> {
    let config = load_config(&root.join(CONFIG))?;
    let mut outcomes = Vec::new();
    for excerpt in &config.excerpts {
        let source = root.join(&excerpt.from);
        let Ok(bytes) = std::fs::read(&source) else {
            outcomes.push(ExcerptOutcome::SourceAbsent {
                out: excerpt.out.clone(),
                from: excerpt.from.clone(),
            });
            continue;
        };
        let actual = crate::sha256_hex(&bytes);
        if actual != excerpt.sha256 {
            return Err(SpecError::new(
                "",
                format!(
                    "{}: sha256 is {actual}, but {CONFIG} records {} for it",
                    excerpt.from, excerpt.sha256
                ),
            ));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| SpecError::new("", format!("{} is not UTF-8", excerpt.from)))?;
        let input = parse_yaml(&text, &excerpt.from)?;
        let upstream = serde_json::to_value(&excerpt.upstream)
            .map_err(|e| SpecError::new("", e.to_string()))?;
        let request = Request {
            keep: excerpt.keep.clone(),
            schemas: excerpt.schemas.clone(),
            drop_navigation_properties: excerpt.drop_navigation_properties,
            provenance: Some(serde_json::json!({
                "generatedBy": format!("cargo xtask slice ({CONFIG}, excerpts)"),
                "upstream": upstream,
                "input": {"path": excerpt.from, "sha256": excerpt.sha256},
                "keep": excerpt.keep,
                "schemas": excerpt.schemas,
                "dropNavigationProperties": excerpt.drop_navigation_properties,
            })),
            ..Request::default()
        };
        let sliced = slice(&input, &request)?;
        let header = format!(
            "# @generated by `cargo xtask slice` from {}: an excerpt cut by {CONFIG} (`excerpts`).\n\
             # Not a hand transcription: every member is upstream's, byte for byte in meaning.\n\
             # Re-cut with `cargo xtask slice` where the source file is present. See specs/PROVENANCE.md.\n",
            excerpt.from
        );
        outcomes.push(ExcerptOutcome::Cut {
            out: excerpt.out.clone(),
            text: render(&sliced.doc, &header)?,
            summary: sliced.summary.to_string(),
        });
    }
    Ok(outcomes)
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

fn read_text(root: &Path, rel: &str) -> Result<String, SpecError> {
    std::fs::read_to_string(root.join(rel))
        .map(|text| graph_spec::load::normalize_newlines(&text))
        .map_err(|e| SpecError::new("", format!("cannot read {rel}: {e}")))
}

/// Slices as `specs/slice.yaml` (at `root`) says; paths in it are relative
/// to `root`. Pure apart from reading files: nothing is written.
pub fn run_config(root: &Path) -> Result<ConfigOutput, SpecError> {
    let config = load_config(&root.join(CONFIG))?;
    let started = std::time::Instant::now();
    let input_text = read_text(root, &config.from)?;
    let mut inputs = vec![parse_yaml(&input_text, &config.from)?];
    let mut input_records = Vec::new();
    let mut keep = config.keep.clone();
    for extra in &config.inputs {
        let text = read_text(root, &extra.from)?;
        input_records.push(serde_json::json!({
            "path": extra.from,
            "sha256": crate::sha256_hex(text.as_bytes()),
            "upstream": extra.upstream,
            "keep": extra.keep,
        }));
        inputs.push(parse_yaml(&text, &extra.from)?);
        keep.extend(extra.keep.iter().cloned());
    }
    let (input, shadowed) = crate::merge_inputs(&inputs)?;
    let mut overlays = Vec::new();
    let mut overlay_records = Vec::new();
    for rel in &config.overlays {
        let text = read_text(root, rel)?;
        overlay_records.push(serde_json::json!({
            "path": rel,
            "sha256": crate::sha256_hex(text.as_bytes()),
        }));
        overlays.push(Overlay {
            name: rel.clone(),
            doc: parse_yaml(&text, rel)?,
        });
    }
    let parse_seconds = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let mut provenance = Map::new();
    provenance.insert(
        "generatedBy".into(),
        Value::from(format!("cargo xtask slice ({CONFIG})")),
    );
    if let Some(up) = &config.upstream {
        let up =
            serde_json::to_value(up).map_err(|e| SpecError::new("/upstream", e.to_string()))?;
        provenance.insert("upstream".into(), up);
    }
    provenance.insert(
        "input".into(),
        serde_json::json!({
            "path": config.from,
            "sha256": crate::sha256_hex(input_text.as_bytes()),
        }),
    );
    provenance.insert("keep".into(), Value::from(config.keep.clone()));
    if !input_records.is_empty() {
        provenance.insert("inputs".into(), Value::Array(input_records));
    }
    if !config.schemas.is_empty() {
        provenance.insert("schemas".into(), Value::from(config.schemas.clone()));
    }
    provenance.insert("overlays".into(), Value::Array(overlay_records));
    let request = Request {
        keep,
        schemas: config.schemas.clone(),
        overlays,
        info: config.info.clone(),
        provenance: Some(Value::Object(provenance)),
        ..Request::default()
    };
    let mut sliced = slice(&input, &request)?;
    sliced.summary.shadowed_components = shadowed;
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
