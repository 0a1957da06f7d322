//! Rust identifiers from spec names: case conversion, keyword escaping and
//! deterministic collision resolution.

use std::collections::BTreeSet;

/// Rust keywords (strict, reserved and 2018+) that cannot be used as plain
/// identifiers; they get a trailing underscore.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in",
    "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Type names generated code relies on from the prelude or its own support
/// crates; a schema of that name gets a `Model` suffix instead.
const RESERVED_TYPES: &[&str] = &[
    "Self", "Option", "Result", "String", "Vec", "Box", "Some", "None", "Ok", "Err", "Default",
    "Clone", "Debug", "PartialEq", "Serialize", "Deserialize", "Nullable", "AdditionalProperties",
    "FlexNumber", "BTreeMap", "Value", "Request", "Client", "Error",
];

/// Splits a spec name into lowercase words: at non-alphanumeric characters,
/// at lower→upper changes (`groupId`) and before the last capital of an
/// acronym run (`ODataError` → `o`, `data`, `error`).
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_numeric() || (prev.is_uppercase() && next_is_lower) {
                words.push(std::mem::take(&mut current));
            }
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Keeps only characters valid in a Rust identifier (ASCII after folding):
/// non-ASCII letters are spelled out as `u{hex}` so names stay unique.
fn asciify(word: &str) -> String {
    let mut out = String::new();
    for c in word.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            out.push_str(&format!("u{:x}", c as u32));
        }
    }
    out
}

/// `snake_case`, keyword-escaped, never empty, never starting with a digit.
pub fn snake(name: &str) -> String {
    let joined = words(name)
        .iter()
        .map(|w| asciify(w))
        .collect::<Vec<_>>()
        .join("_");
    let mut ident = if joined.is_empty() { "field".to_owned() } else { joined };
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        ident.insert_str(0, "n_");
    }
    if KEYWORDS.contains(&ident.as_str()) {
        ident.push('_');
    }
    ident
}

/// `PascalCase`, never empty, never starting with a digit, never a name the
/// generated code needs from elsewhere.
pub fn pascal(name: &str) -> String {
    let mut ident = pascal_words(name);
    if RESERVED_TYPES.contains(&ident.as_str()) {
        ident.push_str("Model");
    }
    ident
}

/// `PascalCase` without the reserved-name check: for pieces of longer
/// names (`ODataError` + `Error`).
pub fn pascal_words(name: &str) -> String {
    let mut ident: String = words(name)
        .iter()
        .map(|w| {
            let w = asciify(w);
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect();
    if ident.is_empty() {
        ident = "Unnamed".to_owned();
    }
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        ident.insert(0, 'N');
    }
    ident
}

/// `SCREAMING_SNAKE_CASE` for statics.
pub fn screaming(name: &str) -> String {
    let s = snake(name);
    s.trim_end_matches('_').to_ascii_uppercase()
}

/// Hands out names unique within one scope, first come first served: a
/// taken name gets `_2`, `_3`, … (or `2`, `3` for types) in request order,
/// which is deterministic because callers walk the spec in a fixed order.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    /// An empty scope.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks names as used without handing them out.
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_owned());
    }

    /// `true` when `name` is already handed out or reserved.
    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    /// A unique snake-case identifier (`x`, then `x_2`, …).
    pub fn unique_snake(&mut self, base: String) -> String {
        self.unique(base, "_")
    }

    /// A unique type identifier (`X`, then `X2`, …).
    pub fn unique_type(&mut self, base: String) -> String {
        self.unique(base, "")
    }

    fn unique(&mut self, base: String, sep: &str) -> String {
        if self.taken.insert(base.clone()) {
            return base;
        }
        let stem = base.trim_end_matches('_');
        (2..)
            .map(|n| format!("{stem}{sep}{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .unwrap_or(base)
    }
}

/// The short name of a schema: the part after its last dot
/// (`microsoft.graph.ODataErrors.MainError` → `MainError`).
pub fn schema_short_name(schema_name: &str) -> &str {
    schema_name.rsplit('.').next().unwrap_or(schema_name)
}

/// The longer, namespace-qualified name used when short names collide:
/// the name without the `microsoft.graph.` prefix, PascalCased
/// (`microsoft.graph.security.alert` → `SecurityAlert`).
pub fn schema_qualified_name(schema_name: &str) -> String {
    pascal(schema_name.strip_prefix("microsoft.graph.").unwrap_or(schema_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_handles_graph_names() {
        assert_eq!(snake("@odata.type"), "odata_type");
        assert_eq!(snake("@odata.id"), "odata_id");
        assert_eq!(snake("request-id"), "request_id");
        assert_eq!(snake("isEnabledForGroup"), "is_enabled_for_group");
        assert_eq!(snake("ODataError"), "o_data_error");
        assert_eq!(snake("$ref"), "ref_");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("$"), "field");
        assert_eq!(snake("2fa"), "n_2fa");
        assert_eq!(snake("If-Match"), "if_match");
        assert_eq!(snake("microsoft.graph.agentIdentity"), "microsoft_graph_agent_identity");
        assert_eq!(snake("naïve"), "nauefve");
    }

    #[test]
    fn pascal_handles_graph_names() {
        assert_eq!(pascal("copilotAdminLimitedMode"), "CopilotAdminLimitedMode");
        assert_eq!(pascal("ODataError"), "ODataError");
        assert_eq!(pascal("unknownFutureValue"), "UnknownFutureValue");
        assert_eq!(pascal("Result"), "ResultModel");
        assert_eq!(pascal("3d"), "N3d");
        assert_eq!(pascal(""), "Unnamed");
        assert_eq!(screaming("copilot.admin.settings.UpdateLimitedMode"), "COPILOT_ADMIN_SETTINGS_UPDATE_LIMITED_MODE");
    }

    #[test]
    fn scope_resolves_collisions_deterministically() {
        let mut s = Scope::new();
        assert_eq!(s.unique_snake("odata_type".into()), "odata_type");
        assert_eq!(s.unique_snake("odata_type".into()), "odata_type_2");
        assert_eq!(s.unique_snake("odata_type".into()), "odata_type_3");
        let mut t = Scope::new();
        assert_eq!(t.unique_type("Alert".into()), "Alert");
        assert_eq!(t.unique_type("Alert".into()), "Alert2");
        let mut k = Scope::new();
        assert_eq!(k.unique_snake("ref_".into()), "ref_");
        assert_eq!(k.unique_snake("ref_".into()), "ref_2");
    }

    #[test]
    fn schema_names() {
        assert_eq!(schema_short_name("microsoft.graph.ODataErrors.MainError"), "MainError");
        assert_eq!(schema_qualified_name("microsoft.graph.security.alert"), "SecurityAlert");
        assert_eq!(schema_short_name("ReferenceCreate"), "ReferenceCreate");
    }
}
