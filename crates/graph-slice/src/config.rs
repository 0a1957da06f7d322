//! `specs/slice.yaml`: what the committed slice is cut from (inputs, excerpts, overlays), read
//! and checked.

use std::path::Path;

use graph_spec::SpecError;
use serde_json::{Map, Value};

use crate::render::parse_yaml;

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
