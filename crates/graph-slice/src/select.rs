//! Operation selectors (`METHOD /path` or an operationId) and finding what they name.

use std::fmt;

use serde_json::{Map, Value};

use graph_spec::SpecError;

/// Operation methods of a path item, in OpenAPI's order.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Whether a path-item member is an operation.
pub(crate) fn is_method(key: &str) -> bool {
    METHODS.contains(&key)
}

/// One operation selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `METHOD /path` (method lowercased).
    MethodPath(String, String),
    /// An operationId.
    OperationId(String),
}

impl Selector {
    /// Parses `METHOD /path` (any case) or an operationId.
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SpecError::new("", "empty operation selector"));
        }
        if let Some((method, path)) = text.split_once(char::is_whitespace) {
            let method = method.to_ascii_lowercase();
            let path = path.trim();
            if !METHODS.contains(&method.as_str()) {
                return Err(SpecError::new(
                    "",
                    format!(
                        "selector `{text}`: `{method}` is not an HTTP method (expected `METHOD /path` or an operationId)"
                    ),
                ));
            }
            if !path.starts_with('/') {
                return Err(SpecError::new(
                    "",
                    format!("selector `{text}`: the path must start with `/`"),
                ));
            }
            return Ok(Selector::MethodPath(method, path.to_owned()));
        }
        Ok(Selector::OperationId(text.to_owned()))
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::MethodPath(m, p) => write!(f, "{} {p}", m.to_ascii_uppercase()),
            Selector::OperationId(id) => f.write_str(id),
        }
    }
}

/// `METHOD /path (operationId)`, for summaries and errors.
pub(crate) fn op_label(method: &str, path: &str, op: &Value) -> String {
    let id = op
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or("no operationId");
    format!("{} {path} ({id})", method.to_ascii_uppercase())
}

/// `(path, method)` of every operation `sel` names in `paths`.
pub(crate) fn matches(paths: &Map<String, Value>, sel: &Selector) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match sel {
        Selector::MethodPath(m, p) => {
            if paths
                .get(p)
                .and_then(|item| item.get(m))
                .is_some_and(Value::is_object)
            {
                out.push((p.clone(), m.clone()));
            }
        }
        Selector::OperationId(id) => {
            for (path, item) in paths {
                for m in METHODS {
                    if item
                        .get(*m)
                        .and_then(|op| op.get("operationId"))
                        .and_then(Value::as_str)
                        == Some(id.as_str())
                    {
                        out.push((path.clone(), (*m).to_owned()));
                    }
                }
            }
        }
    }
    out
}

/// Shape of a path template for "did you mean": parameter names erased.
fn path_shape(path: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in path.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    out.push_str("{}");
                }
            }
            '}' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            _ => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

/// The error for a selector that matches nothing in `paths` (`context` names them), with a
/// hint: the methods the path has, or paths of the same shape.
pub(crate) fn no_match_error(
    paths: &Map<String, Value>,
    sel: &Selector,
    context: &str,
) -> SpecError {
    let mut hint = String::new();
    if let Selector::MethodPath(_, p) = sel {
        if let Some(item) = paths.get(p) {
            let have: Vec<String> = METHODS
                .iter()
                .filter(|x| item.get(**x).is_some())
                .map(|x| x.to_ascii_uppercase())
                .collect();
            hint = format!(
                "; the path exists with {}",
                if have.is_empty() {
                    "no operations".to_owned()
                } else {
                    have.join(", ")
                }
            );
        } else {
            let shape = path_shape(p);
            let similar: Vec<&String> = paths
                .keys()
                .filter(|k| path_shape(k) == shape)
                .take(3)
                .collect();
            if !similar.is_empty() {
                let list: Vec<String> = similar.iter().map(|s| format!("`{s}`")).collect();
                hint = format!("; did you mean {}?", list.join(" or "));
            }
        }
    }
    SpecError::new(
        "",
        format!("selector `{sel}` matches no operation in {context}{hint}"),
    )
}
