//! Rust identifiers from spec names: case conversion, keyword escaping and
//! deterministic collision resolution.

use std::collections::BTreeSet;

use crate::ir::{HttpMethod, Segment};

/// Rust keywords (strict, reserved and 2018+) that cannot be used as plain
/// identifiers; they get a trailing underscore.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Type names generated code relies on from the prelude or its own support
/// crates; a schema of that name gets a `Model` suffix instead.
const RESERVED_TYPES: &[&str] = &[
    "Self",
    "Option",
    "Result",
    "String",
    "Vec",
    "Box",
    "Some",
    "None",
    "Ok",
    "Err",
    "Default",
    "Clone",
    "Debug",
    "PartialEq",
    "Serialize",
    "Deserialize",
    "Nullable",
    "AdditionalProperties",
    "FlexNumber",
    "BTreeMap",
    "Value",
    "Request",
    "Client",
    "Error",
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
    let mut ident = if joined.is_empty() {
        "field".to_owned()
    } else {
        joined
    };
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
    pascal(
        schema_name
            .strip_prefix("microsoft.graph.")
            .unwrap_or(schema_name),
    )
}

// ---------------------------------------------------------------------------
// URL segments: the one place that decides what a segment is called in Rust.

/// The readable word of a literal segment: `$ref` → `ref`,
/// `microsoft.graph.agentIdentity` → `agentIdentity`, `delta()` → `delta`.
pub fn segment_word(literal: &str) -> &str {
    let s = literal.trim_start_matches('$');
    let s = s.strip_suffix("()").unwrap_or(s);
    s.rsplit('.').next().filter(|w| !w.is_empty()).unwrap_or(s)
}

/// The head word of a templated segment: `applications(appId='{appId}')` → `applications`.
pub fn template_head(template: &str) -> &str {
    segment_word(template.split('(').next().unwrap_or(template))
}

/// How a segment reads inside a builder type name: `owners` → `Owners`, `{id}` → `Item`,
/// `applications(appId='{appId}')` → `ApplicationsWithAppId`.
pub fn segment_type_words(segment: &Segment) -> String {
    match segment {
        Segment::Literal(l) => pascal_words(segment_word(l)),
        Segment::Param(_) => "Item".to_owned(),
        Segment::Template { template, params } => {
            let params: Vec<String> = params.iter().map(|p| pascal_words(p)).collect();
            format!(
                "{}With{}",
                pascal_words(template_head(template)),
                params.join("And")
            )
        }
    }
}

/// The builder type of the node reached by `segments` (from the root).
pub fn builder_type(segments: &[Segment]) -> String {
    let words: String = segments.iter().map(segment_type_words).collect();
    format!("{words}RequestBuilder")
}

/// The accessor method that adds `segment`: `owners()`, `by_service_principal_id(id)`,
/// `applications_with_app_id(app_id)`.
pub fn segment_method(segment: &Segment) -> String {
    match segment {
        Segment::Literal(l) => snake(segment_word(l)),
        Segment::Param(p) => format!("by_{}", snake(p)),
        Segment::Template { template, params } => {
            let args: Vec<String> = params.iter().map(|p| snake(p)).collect();
            format!(
                "{}_with_{}",
                snake(template_head(template)),
                args.join("_and_")
            )
        }
    }
}

/// The module (file) of a top-level segment: `servicePrincipals` → `service_principals`.
pub fn segment_module(segment: &Segment) -> String {
    match segment {
        Segment::Literal(l) => snake(segment_word(l)),
        Segment::Param(p) => snake(p),
        Segment::Template { template, params } => snake(&format!(
            "{} with {}",
            template_head(template),
            params.join(" and ")
        )),
    }
}

/// Cargo feature names the generator never uses for an API area.
pub const RESERVED_FEATURES: &[&str] = &[
    "default",
    "all-areas",
    "rustls-ring",
    "rustls-aws-lc-rs",
    "unused-models",
];

/// The Cargo feature (API area) of a top-level segment: `servicePrincipals` →
/// `service-principals`; `applications(appId='{appId}')` → `applications`.
pub fn area_name(segment: &Segment) -> String {
    let word = match segment {
        Segment::Literal(l) => segment_word(l).to_owned(),
        Segment::Param(p) => p.clone(),
        Segment::Template { template, .. } => template_head(template).to_owned(),
    };
    let mut name = words(&word).join("-");
    if name.is_empty() {
        name = "root".to_owned();
    }
    if RESERVED_FEATURES.contains(&name.as_str()) {
        name.push_str("-api");
    }
    name
}

/// The request wrapper of an operation with optional parameters or pages:
/// `ServicePrincipalsItemAgentIdentityOwnersRequestBuilder` + GET →
/// `ServicePrincipalsItemAgentIdentityOwnersGetRequest`.
pub fn wrapper_type(builder: &str, method: HttpMethod) -> String {
    format!(
        "{}{}Request",
        builder.trim_end_matches("RequestBuilder"),
        pascal_words(method.lower())
    )
}

/// The enum that holds any of a polymorphic base's derived types: `DirectoryObject` →
/// `AnyDirectoryObject`.
pub fn polymorphic_type(base: &str) -> String {
    format!("Any{base}")
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
        assert_eq!(
            snake("microsoft.graph.agentIdentity"),
            "microsoft_graph_agent_identity"
        );
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
        assert_eq!(
            screaming("copilot.admin.settings.UpdateLimitedMode"),
            "COPILOT_ADMIN_SETTINGS_UPDATE_LIMITED_MODE"
        );
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
    fn segment_names_in_one_place() {
        let lit = Segment::Literal("microsoft.graph.agentIdentity".into());
        let param = Segment::Param("servicePrincipal-id".into());
        let template = Segment::Template {
            template: "applications(appId='{appId}')".into(),
            params: vec!["appId".into()],
        };
        assert_eq!(segment_type_words(&lit), "AgentIdentity");
        assert_eq!(segment_type_words(&param), "Item");
        assert_eq!(segment_type_words(&template), "ApplicationsWithAppId");
        assert_eq!(segment_method(&Segment::Literal("$ref".into())), "ref_");
        assert_eq!(segment_method(&param), "by_service_principal_id");
        assert_eq!(segment_method(&template), "applications_with_app_id");
        assert_eq!(
            segment_module(&Segment::Literal("servicePrincipals".into())),
            "service_principals"
        );
        assert_eq!(
            area_name(&Segment::Literal("servicePrincipals".into())),
            "service-principals"
        );
        assert_eq!(area_name(&template), "applications");
        assert_eq!(
            area_name(&Segment::Literal("default".into())),
            "default-api"
        );
        assert_eq!(
            builder_type(&[Segment::Literal("copilot".into()), param]),
            "CopilotItemRequestBuilder"
        );
        assert_eq!(
            wrapper_type("OwnersRequestBuilder", HttpMethod::Get),
            "OwnersGetRequest"
        );
        assert_eq!(polymorphic_type("DirectoryObject"), "AnyDirectoryObject");
    }

    #[test]
    fn schema_names() {
        assert_eq!(
            schema_short_name("microsoft.graph.ODataErrors.MainError"),
            "MainError"
        );
        assert_eq!(
            schema_qualified_name("microsoft.graph.security.alert"),
            "SecurityAlert"
        );
        assert_eq!(schema_short_name("ReferenceCreate"), "ReferenceCreate");
    }
}
