//! What a slice records about how it was made (`info.x-graph-rs-slice`): where each input
//! comes from and its sha256, the selectors, the overlays.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use graph_spec::SpecError;

use crate::config::{CONFIG, Config, Excerpt};

/// Lowercase hex sha256 of an input, as the provenance records it.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `{path, sha256}` of a file the slice is cut from.
pub(crate) fn file_record(path: &str, text: &str) -> Value {
    serde_json::json!({"path": path, "sha256": sha256_hex(text.as_bytes())})
}

/// The provenance of an excerpt (its source's recorded sha256 was checked before).
pub(crate) fn of_excerpt(excerpt: &Excerpt) -> Result<Value, SpecError> {
    let upstream =
        serde_json::to_value(&excerpt.upstream).map_err(|e| SpecError::new("", e.to_string()))?;
    Ok(serde_json::json!({
        "generatedBy": format!("cargo xtask slice ({CONFIG}, excerpts)"),
        "upstream": upstream,
        "input": {"path": excerpt.from, "sha256": excerpt.sha256},
        "keep": excerpt.keep,
        "schemas": excerpt.schemas,
        "dropNavigationProperties": excerpt.drop_navigation_properties,
    }))
}

/// The provenance of the committed slice: `input` is the record of `config.from`, `inputs`
/// and `overlays` those of the further inputs and the overlays.
pub(crate) fn of_config(
    config: &Config,
    input: Value,
    inputs: Vec<Value>,
    overlays: Vec<Value>,
) -> Result<Value, SpecError> {
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
    provenance.insert("input".into(), input);
    provenance.insert("keep".into(), Value::from(config.keep.clone()));
    if !inputs.is_empty() {
        provenance.insert("inputs".into(), Value::Array(inputs));
    }
    if !config.schemas.is_empty() {
        provenance.insert("schemas".into(), Value::from(config.schemas.clone()));
    }
    provenance.insert("overlays".into(), Value::Array(overlays));
    Ok(Value::Object(provenance))
}
