//! Spec text (YAML or JSON) → `openapiv3::OpenAPI`.

use crate::error::CodegenError;

/// Parses an OpenAPI 3.0.x document from YAML (JSON is valid YAML too).
///
/// Syntax errors name the line and column; shape errors name the serde path.
/// OpenAPI 3.1 documents are refused: Microsoft publishes 3.0.x only and the
/// generator's nullable handling is the 3.0 one.
pub fn parse(spec_text: &str) -> Result<openapiv3::OpenAPI, CodegenError> {
    let value: serde_json::Value = serde_yaml_ng::from_str(spec_text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
            .unwrap_or_default();
        CodegenError::new("", format!("spec is not valid YAML/JSON{at}: {e}"))
    })?;
    let version = value
        .get("openapi")
        .and_then(|v| v.as_str())
        .ok_or_else(|| CodegenError::new("/openapi", "missing `openapi` version field"))?;
    if !version.starts_with("3.0.") {
        return Err(CodegenError::new(
            "/openapi",
            format!("OpenAPI {version} is not supported; expected 3.0.x"),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| CodegenError::new("", format!("spec is not a valid OpenAPI 3.0 document: {e}")))
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
    }
}
