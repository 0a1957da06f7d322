//! Path templates: `/servicePrincipals/{servicePrincipal-id}/microsoft.graph.agentIdentity/owners/$ref`,
//! with parameters as whole segments or inside one (`applications(appId='{appId}')`).
//!
//! [`parse_path`] splits a template into [`Segment`]s; [`Segment::matches`] tells whether a
//! concrete, percent-decoded request segment fits one and extracts the parameter values.

use crate::error::{Pointer, SpecError};

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// Sent verbatim (`servicePrincipals`, `$ref`, `microsoft.graph.agentIdentity`).
    Literal(String),
    /// A whole segment that is one parameter (`{servicePrincipal-id}`).
    Param(String),
    /// Literal text with parameters inside: alternate keys such as
    /// `applications(appId='{appId}')`, or function arguments.
    Template {
        /// The segment as written in the spec.
        template: String,
        /// Parameter names in order of appearance.
        params: Vec<String>,
    },
}

/// The namespace prefix of Graph's type-cast and bound-operation segments.
pub const GRAPH_NAMESPACE: &str = "microsoft.graph.";
/// Graph's short alias of [`GRAPH_NAMESPACE`] (`graph.agentIdentity`).
pub const GRAPH_ALIAS: &str = "graph.";

/// Splits a path template into segments. A segment is a literal, exactly one `{parameter}`, or
/// literal text with `{parameters}` inside. Empty segments (`//`), dot segments and malformed
/// braces are errors at `at`.
pub fn parse_path(path: &str, at: &Pointer) -> Result<Vec<Segment>, SpecError> {
    if !path.starts_with('/') {
        return Err(at.error("path does not start with `/`"));
    }
    let mut segments = Vec::new();
    for raw in path.split('/').skip(1) {
        if raw.is_empty() {
            if path == "/" {
                break;
            }
            return Err(at.error("empty path segment (`//`)"));
        }
        if let Some(name) = raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            if name.is_empty() || name.contains(['{', '}']) {
                return Err(at.error(format!("malformed path parameter segment `{raw}`")));
            }
            segments.push(Segment::Param(name.to_owned()));
        } else if raw.contains(['{', '}']) {
            segments.push(parse_template(raw, at)?);
        } else if raw == "." || raw == ".." {
            return Err(at.error(format!("dot segment `{raw}` in path")));
        } else {
            segments.push(Segment::Literal(raw.to_owned()));
        }
    }
    Ok(segments)
}

/// A segment with parameters inside literal text: `name(key='{key}')`.
fn parse_template(raw: &str, at: &Pointer) -> Result<Segment, SpecError> {
    let mut params = Vec::new();
    let mut rest = raw;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| at.error(format!("unclosed `{{` in path segment `{raw}`")))?;
        let name = &after[..close];
        if name.is_empty() || name.contains('{') {
            return Err(at.error(format!("malformed parameter in path segment `{raw}`")));
        }
        params.push(name.to_owned());
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(at.error(format!("unmatched `}}` in path segment `{raw}`")));
    }
    Ok(Segment::Template {
        template: raw.to_owned(),
        params,
    })
}

/// The parameter names of a template's segments, in order.
pub fn path_params(segments: &[Segment]) -> Vec<&str> {
    segments
        .iter()
        .flat_map(|s| match s {
            Segment::Literal(_) => Vec::new(),
            Segment::Param(p) => vec![p.as_str()],
            Segment::Template { params, .. } => params.iter().map(String::as_str).collect(),
        })
        .collect()
}

/// The template text of segments, `/a/{b}/c(d='{d}')`.
pub fn render(segments: &[Segment]) -> String {
    let mut s = String::new();
    for seg in segments {
        s.push('/');
        match seg {
            Segment::Literal(l) => s.push_str(l),
            Segment::Param(p) => {
                s.push('{');
                s.push_str(p);
                s.push('}');
            }
            Segment::Template { template, .. } => s.push_str(template),
        }
    }
    s
}

/// The type a cast segment names without namespace: `microsoft.graph.agentIdentity` (or
/// Graph's alias `graph.agentIdentity`) → `agentIdentity`. `None` for other segments.
pub fn cast_type(literal: &str) -> Option<&str> {
    let rest = strip_prefix_ignore_case(literal, GRAPH_NAMESPACE)
        .or_else(|| strip_prefix_ignore_case(literal, GRAPH_ALIAS))?;
    (!rest.is_empty() && !rest.contains(['(', ')', '.'])).then_some(rest)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Literal segments match case-insensitively, and a `microsoft.graph.X` literal also matches
/// Graph's short alias `graph.X`.
pub fn literal_matches(literal: &str, actual: &str) -> bool {
    if literal.eq_ignore_ascii_case(actual) {
        return true;
    }
    match (
        strip_prefix_ignore_case(literal, GRAPH_NAMESPACE),
        strip_prefix_ignore_case(actual, GRAPH_ALIAS),
    ) {
        (Some(a), Some(b)) => !a.is_empty() && a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

impl Segment {
    /// Whether the concrete (percent-decoded) segment `actual` fits this template segment; the
    /// parameter values it binds, in order. A parameter never binds an empty value. Inside a
    /// templated segment, a value written as an OData string literal (`'o''neil'`) is unquoted
    /// when the template quotes it (`appId='{appId}'`).
    pub fn matches(&self, actual: &str) -> Option<Vec<(String, String)>> {
        match self {
            Segment::Literal(l) => literal_matches(l, actual).then(Vec::new),
            Segment::Param(p) => (!actual.is_empty()).then(|| vec![(p.clone(), actual.to_owned())]),
            Segment::Template { template, params } => match_template(template, params, actual),
        }
    }
}

fn match_template(
    template: &str,
    params: &[String],
    actual: &str,
) -> Option<Vec<(String, String)>> {
    // Split the template into literal pieces around the `{name}` holes.
    let mut pieces = Vec::with_capacity(params.len() + 1);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        pieces.push(&rest[..open]);
        let close = rest[open..].find('}')? + open;
        rest = &rest[close + 1..];
    }
    pieces.push(rest);
    if pieces.len() != params.len() + 1 {
        return None;
    }
    let lower = actual.to_ascii_lowercase();
    let first = pieces[0].to_ascii_lowercase();
    if !lower.starts_with(&first) {
        return None;
    }
    let mut pos = first.len();
    let mut bound = Vec::with_capacity(params.len());
    for (i, name) in params.iter().enumerate() {
        let next = pieces[i + 1].to_ascii_lowercase();
        let last = i + 1 == params.len();
        let quoted = pieces[i].ends_with('\'') && pieces[i + 1].starts_with('\'');
        let end = if quoted {
            // A quoted value ends at a quote that is not doubled.
            let bytes = actual.as_bytes();
            let mut j = pos;
            loop {
                let k = actual.get(j..)?.find('\'')? + j;
                if bytes.get(k + 1) == Some(&b'\'') {
                    j = k + 2;
                    continue;
                }
                break k;
            }
        } else if last {
            if !lower.ends_with(&next) || lower.len() < pos + next.len() {
                return None;
            }
            lower.len() - next.len()
        } else {
            lower.get(pos..)?.find(&next)? + pos
        };
        let raw = actual.get(pos..end)?;
        if raw.is_empty() {
            return None;
        }
        let value = if quoted {
            raw.replace("''", "'")
        } else {
            raw.to_owned()
        };
        if !lower.get(end..)?.starts_with(&next) {
            return None;
        }
        pos = end + next.len();
        bound.push((name.clone(), value));
    }
    (pos == actual.len()).then_some(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_literals_and_params() {
        let at = Pointer::root();
        let segs = parse_path(
            "/servicePrincipals/{servicePrincipal-id}/microsoft.graph.agentIdentity/owners/$ref",
            &at,
        )
        .unwrap();
        assert_eq!(segs.len(), 5);
        assert_eq!(segs[1], Segment::Param("servicePrincipal-id".into()));
        assert_eq!(segs[4], Segment::Literal("$ref".into()));
        assert_eq!(
            parse_path("/applications(appId='{appId}')", &at).unwrap(),
            [Segment::Template {
                template: "applications(appId='{appId}')".into(),
                params: vec!["appId".into()]
            }]
        );
        assert!(parse_path("/f(a='{x')", &at).is_err());
        assert!(parse_path("/a//b", &at).is_err());
        assert!(parse_path("/a/../b", &at).is_err());
        assert!(parse_path("no-slash", &at).is_err());
        assert_eq!(
            render(&segs),
            "/servicePrincipals/{servicePrincipal-id}/microsoft.graph.agentIdentity/owners/$ref"
        );
        assert_eq!(path_params(&segs), ["servicePrincipal-id"]);
    }

    #[test]
    fn literals_casts_and_aliases() {
        let cast = Segment::Literal("microsoft.graph.agentIdentity".into());
        assert!(cast.matches("microsoft.graph.agentIdentity").is_some());
        assert!(cast.matches("graph.agentIdentity").is_some());
        assert!(cast.matches("Microsoft.Graph.AgentIdentity").is_some());
        assert!(cast.matches("graph.user").is_none());
        assert!(cast.matches("graph.").is_none());
        assert_eq!(
            cast_type("microsoft.graph.agentIdentity"),
            Some("agentIdentity")
        );
        assert_eq!(cast_type("graph.user"), Some("user"));
        assert_eq!(cast_type("microsoft.graph.delta()"), None);
        assert_eq!(cast_type("owners"), None);
        assert!(Segment::Param("id".into()).matches("").is_none());
        assert_eq!(
            Segment::Param("id".into()).matches("a b"),
            Some(vec![("id".into(), "a b".into())])
        );
    }

    #[test]
    fn templated_segments_bind_values() {
        let seg = parse_path("/applications(appId='{appId}')", &Pointer::root())
            .unwrap()
            .remove(0);
        assert_eq!(
            seg.matches("applications(appId='abc')"),
            Some(vec![("appId".into(), "abc".into())])
        );
        assert_eq!(
            seg.matches("Applications(appId='o''neil')"),
            Some(vec![("appId".into(), "o'neil".into())])
        );
        assert_eq!(seg.matches("applications(appId='')"), None);
        assert_eq!(seg.matches("applications(appId='a')x"), None);
        assert_eq!(seg.matches("applications"), None);
        let two = parse_path("/f(a='{a}',b={b})", &Pointer::root())
            .unwrap()
            .remove(0);
        assert_eq!(
            two.matches("f(a='x,y',b=3)"),
            Some(vec![("a".into(), "x,y".into()), ("b".into(), "3".into())])
        );
    }
}
