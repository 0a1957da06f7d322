//! Slices as YAML text, and YAML text as JSON values.

use serde_json::{Map, Value};

use graph_spec::SpecError;

/// Parses YAML (or JSON) into a JSON value; `name` is used in errors.
pub fn parse_yaml(text: &str, name: &str) -> Result<Value, SpecError> {
    graph_spec::load::parse_value(text)
        .map_err(|e| SpecError::new(e.pointer, format!("{name}: {}", e.message)))
}

/// Renders a slice as YAML, after `header` (comment lines, may be empty).
///
/// Block layout is written here (two-space indents, sequences indented
/// under their key, `{}`/`[]` for empty collections, as Microsoft's files
/// and the hand-written slice look); every scalar and key is quoted by
/// `serde_yaml_ng`, so it reads back as the same JSON value. Strings with
/// line breaks are written JSON-style in double quotes.
pub fn render(doc: &Value, header: &str) -> Result<String, SpecError> {
    let mut out = String::from(header);
    match doc {
        Value::Object(map) if !map.is_empty() => render_map(map, 0, &mut out)?,
        Value::Array(items) if !items.is_empty() => render_seq(items, 0, &mut out)?,
        other => {
            out.push_str(&scalar(other)?);
            out.push('\n');
        }
    }
    Ok(out)
}

fn scalar(v: &Value) -> Result<String, SpecError> {
    match v {
        Value::Object(m) if m.is_empty() => Ok("{}".into()),
        Value::Array(a) if a.is_empty() => Ok("[]".into()),
        Value::String(s) if s.contains(['\n', '\r']) => serde_json::to_string(s)
            .map_err(|e| SpecError::new("", format!("cannot render a string: {e}"))),
        _ => {
            let text = serde_yaml_ng::to_string(v)
                .map_err(|e| SpecError::new("", format!("cannot render YAML: {e}")))?;
            let text = text.strip_suffix('\n').unwrap_or(&text);
            if text.contains('\n') {
                // Never expected for a one-line scalar; stay correct anyway.
                return serde_json::to_string(v)
                    .map_err(|e| SpecError::new("", format!("cannot render: {e}")));
            }
            Ok(text.to_owned())
        }
    }
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn render_map(map: &Map<String, Value>, indent: usize, out: &mut String) -> Result<(), SpecError> {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&scalar(&Value::String(key.clone()))?);
        out.push(':');
        render_value(value, indent + 2, out)?;
    }
    Ok(())
}

/// After `key:` or `-`: a scalar on the same line, or a block below.
fn render_value(value: &Value, indent: usize, out: &mut String) -> Result<(), SpecError> {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            render_map(m, indent, out)
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            render_seq(a, indent, out)
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other)?);
            out.push('\n');
            Ok(())
        }
    }
}

fn render_seq(items: &[Value], indent: usize, out: &mut String) -> Result<(), SpecError> {
    for item in items {
        if is_block(item) {
            // Render the item two columns in, then put the dash on its first line.
            let mut inner = String::new();
            match item {
                Value::Object(m) => render_map(m, indent + 2, &mut inner)?,
                Value::Array(a) => render_seq(a, indent + 2, &mut inner)?,
                _ => {}
            }
            out.push_str(&" ".repeat(indent));
            out.push_str("- ");
            out.push_str(&inner[indent + 2..]);
        } else {
            out.push_str(&" ".repeat(indent));
            out.push_str("- ");
            out.push_str(&scalar(item)?);
            out.push('\n');
        }
    }
    Ok(())
}
