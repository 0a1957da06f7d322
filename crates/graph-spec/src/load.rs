//! Spec text (YAML or JSON) → `openapiv3::OpenAPI`.

use openapiv3::OpenAPI;
use serde_json::Value;

use crate::error::SpecError;

/// Parses YAML or JSON text into a JSON value tree, keeping member order. Syntax errors name
/// the line and column. Mapping keys that are not strings (`200:` without quotes, `true:`)
/// become their string form, as a JSON reader would see them.
pub fn parse_value(text: &str) -> Result<Value, SpecError> {
    serde_yaml_ng::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
            .unwrap_or_default();
        SpecError::new("", format!("spec is not valid YAML/JSON{at}: {e}"))
    })
}

/// `\r\n` → `\n`: a checkout that converts line endings (Git's `core.autocrlf` on Windows)
/// reads, hashes and compares like a plain one.
pub fn normalize_newlines(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text.to_owned()
    }
}

/// Parses an OpenAPI 3.0.x document from YAML (JSON is valid YAML too).
///
/// OpenAPI 3.1 documents are refused: Microsoft publishes 3.0.x only and the project's
/// nullable handling is the 3.0 one.
pub fn parse(text: &str) -> Result<OpenAPI, SpecError> {
    from_value(parse_value(text)?)
}

/// Checks the version of an already parsed document and reads it as OpenAPI 3.0.
pub fn from_value(value: Value) -> Result<OpenAPI, SpecError> {
    let version = value
        .get("openapi")
        .and_then(Value::as_str)
        .ok_or_else(|| SpecError::new("/openapi", "missing `openapi` version field"))?;
    if !version.starts_with("3.0.") {
        return Err(SpecError::new(
            "/openapi",
            format!("OpenAPI {version} is not supported; expected 3.0.x"),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| SpecError::new("", format!("spec is not a valid OpenAPI 3.0 document: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_yaml_is_an_error_with_a_location() {
        let err = parse("openapi: 3.0.1\ninfo: [unclosed").unwrap_err();
        assert!(err.message.contains("line"), "{err}");
    }

    #[test]
    fn openapi_31_is_refused() {
        let err = parse("openapi: 3.1.0\ninfo: {title: t, version: v}\npaths: {}").unwrap_err();
        assert_eq!(err.pointer, "/openapi");
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        assert!(parse("openapi: 3.0.1\ninfo: 7\npaths: {}").is_err());
        assert!(parse("[]").is_err());
        assert!(parse("").is_err());
        assert!(parse("openapi: 3").is_err());
    }

    #[test]
    fn numeric_keys_become_strings() {
        let v = parse_value("responses:\n  200: {description: ok}\n").unwrap();
        assert!(v["responses"].get("200").is_some());
    }
}
