//! Request paths and percent-encoding.
//!
//! Path parameter values come from users and may contain anything. Each value is
//! percent-encoded as exactly one path segment: every byte except the RFC 3986 unreserved
//! characters (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` (of its UTF-8 encoding), so `/`, `?`, `#`,
//! `%` or spaces can never change the shape of the URL. Values that would still be special
//! after encoding (empty, `.` and `..`, which HTTP stacks treat as dot segments) are rejected.
//! Because `%` itself is encoded, a value such as `%2e` is sent as `%252e` and cannot become a
//! dot segment either.

use std::fmt;
use std::sync::Arc;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::Error;

/// Everything except unreserved characters is encoded (path segments and query values).
const UNRESERVED_ONLY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Query parameter names additionally keep `$` readable (`$select`, `$filter`).
const QUERY_NAME: &AsciiSet = &UNRESERVED_ONLY.remove(b'$');

#[derive(Debug)]
enum Segment {
    Literal(&'static str),
    Param {
        name: &'static str,
        value: String,
    },
    Template {
        template: &'static str,
        params: Vec<(&'static str, String)>,
    },
}

/// How many literal segments a path keeps inline after its last parameter.
const INLINE_LITERALS: usize = 6;

/// Literal segments kept inline: appending one copies a pointer, allocates nothing.
#[derive(Clone, Copy, Debug, Default)]
struct Literals {
    items: [&'static str; INLINE_LITERALS],
    len: usize,
}

impl Literals {
    fn as_slice(&self) -> &[&'static str] {
        &self.items[..self.len]
    }
}

/// A parameter (or a literal that did not fit inline), the literals before it, and the path
/// before those: builders share their prefix, so cloning a path (every step down the URL tree
/// does) copies a pointer and a few literals, never the segments.
#[derive(Debug)]
struct Node {
    parent: Option<Arc<Node>>,
    before: Literals,
    segment: Segment,
}

/// The path of one request, relative to the service root, as an ordered list of segments.
///
/// ```
/// use graph_core::RequestPath;
///
/// let path = RequestPath::new()
///     .literal("servicePrincipals")
///     .param("servicePrincipal-id", "a/b c")
///     .literal("microsoft.graph.agentIdentity")
///     .literal("owners")
///     .literal("$ref");
/// assert_eq!(
///     path.render().unwrap(),
///     "/servicePrincipals/a%2Fb%20c/microsoft.graph.agentIdentity/owners/$ref"
/// );
/// ```
#[derive(Clone, Default)]
pub struct RequestPath {
    last: Option<Arc<Node>>,
    /// The literals after `last`.
    tail: Literals,
}

impl fmt::Debug for RequestPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        self.each(|segment| {
            list.entry(&segment);
            Ok::<(), std::convert::Infallible>(())
        })
        .map_err(|never| match never {})?;
        list.finish()
    }
}

/// One segment, as [`RequestPath::each`] hands them out.
#[derive(Debug)]
enum Seg<'a> {
    Literal(&'static str),
    Other(&'a Segment),
}

impl RequestPath {
    /// An empty path (the service root itself).
    pub fn new() -> Self {
        Self::default()
    }

    fn push(self, segment: Segment) -> Self {
        Self {
            last: Some(Arc::new(Node {
                parent: self.last,
                before: self.tail,
                segment,
            })),
            tail: Literals::default(),
        }
    }

    /// Calls `f` with every segment, first to last.
    fn each<E>(&self, mut f: impl FnMut(Seg<'_>) -> Result<(), E>) -> Result<(), E> {
        // Nodes from last to first; most paths have one or two.
        let mut nodes: [Option<&Node>; 8] = [None; 8];
        let mut more: Vec<&Node> = Vec::new();
        let mut count = 0;
        let mut node = self.last.as_deref();
        while let Some(n) = node {
            match nodes.get_mut(count) {
                Some(slot) => *slot = Some(n),
                None => more.push(n),
            }
            count += 1;
            node = n.parent.as_deref();
        }
        let ordered = more
            .into_iter()
            .rev()
            .chain(nodes.iter().take(count.min(8)).rev().flatten().copied());
        for n in ordered {
            for literal in n.before.as_slice() {
                f(Seg::Literal(literal))?;
            }
            match &n.segment {
                Segment::Literal(literal) => f(Seg::Literal(literal))?,
                other => f(Seg::Other(other))?,
            }
        }
        for literal in self.tail.as_slice() {
            f(Seg::Literal(literal))?;
        }
        Ok(())
    }

    /// Appends a segment from the API description (`servicePrincipals`, `$ref`,
    /// `microsoft.graph.agentIdentity`), sent verbatim. Leading and trailing `/` are ignored,
    /// so a literal may also hold several fixed segments (`copilot/admin/settings`).
    #[must_use]
    pub fn literal(mut self, segment: &'static str) -> Self {
        if self.tail.len < INLINE_LITERALS {
            self.tail.items[self.tail.len] = segment;
            self.tail.len += 1;
            self
        } else {
            self.push(Segment::Literal(segment))
        }
    }

    /// Appends a user-supplied value for the path parameter `name`. The value is validated
    /// and encoded when the request is sent (see the [module docs](self)).
    #[must_use]
    pub fn param(self, name: &'static str, value: impl Into<String>) -> Self {
        self.push(Segment::Param {
            name,
            value: value.into(),
        })
    }

    /// Appends one segment that embeds parameters in literal text, such as an alternate key
    /// `applications(appId='{appId}')` or a function call `f(x='{x}')`. Each `{name}` is
    /// replaced by its value written as an OData string literal: quotes doubled, then
    /// percent-encoded like a path parameter (empty values are refused at send time).
    #[must_use]
    pub fn template(self, template: &'static str, params: Vec<(&'static str, String)>) -> Self {
        self.push(Segment::Template { template, params })
    }

    /// Validates the parameters and renders the path, starting with `/` (or empty when there
    /// are no segments). Segments are joined with exactly one `/`.
    pub fn render(&self) -> Result<String, Error> {
        let mut out = String::new();
        self.render_into(&mut out)?;
        Ok(out)
    }

    /// [`render`](Self::render), appending to `out` (the service root, say).
    pub(crate) fn render_into(&self, out: &mut String) -> Result<(), Error> {
        self.each(|segment| {
            match segment {
                Seg::Literal(text) => {
                    let text = text.trim_matches('/');
                    if !text.is_empty() {
                        out.push('/');
                        out.push_str(text);
                    }
                }
                Seg::Other(Segment::Param { name, value }) => {
                    check_param(name, value)?;
                    out.push('/');
                    out.extend(utf8_percent_encode(value, UNRESERVED_ONLY));
                }
                Seg::Other(Segment::Template { template, params }) => {
                    out.push('/');
                    out.push_str(&render_template(template, params)?);
                }
                Seg::Other(Segment::Literal(text)) => {
                    let text = text.trim_matches('/');
                    if !text.is_empty() {
                        out.push('/');
                        out.push_str(text);
                    }
                }
            }
            Ok(())
        })
    }
}

fn render_template(template: &str, params: &[(&'static str, String)]) -> Result<String, Error> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    let mut position = 0;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(Error::InvalidInput {
                message: format!("malformed path template `{template}`"),
            });
        };
        let name = &after[..close];
        // The parameter in the same position when its name matches (always so for unnamed
        // `{}` placeholders of a raw call), else the one of that name.
        let value = match params.get(position) {
            Some((n, value)) if *n == name => Some(value),
            _ => params.iter().find(|(n, _)| *n == name).map(|(_, v)| v),
        };
        position += 1;
        let Some(value) = value else {
            return Err(Error::InvalidInput {
                message: format!("no value for `{{{name}}}` in path template `{template}`"),
            });
        };
        if value.is_empty() {
            return Err(Error::InvalidInput {
                message: format!("path parameter `{name}` must not be empty"),
            });
        }
        out.push_str(&encode_segment(&value.replace('\'', "''")));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Validates a user-supplied path parameter and encodes it as one path segment.
///
/// Rejects the empty string, `.` and `..` with [`Error::InvalidInput`] naming the parameter.
pub fn encode_param(name: &str, value: &str) -> Result<String, Error> {
    check_param(name, value)?;
    Ok(encode_segment(value))
}

/// Refuses the values that would not stay one segment: empty, `.` and `..`.
fn check_param(name: &str, value: &str) -> Result<(), Error> {
    let problem = match value {
        "" => "must not be empty",
        "." | ".." => "must not be `.` or `..`",
        _ => return Ok(()),
    };
    Err(Error::InvalidInput {
        message: format!("path parameter `{name}` {problem} (got {value:?})"),
    })
}

/// Percent-encodes `value` so that only unreserved characters remain (no validation).
pub fn encode_segment(value: &str) -> String {
    utf8_percent_encode(value, UNRESERVED_ONLY).to_string()
}

/// Encodes a query parameter name, keeping `$` readable.
pub(crate) fn encode_query_name(name: &str) -> String {
    utf8_percent_encode(name, QUERY_NAME).to_string()
}

/// Encodes a query parameter value (or one item of a comma-separated list).
pub(crate) fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, UNRESERVED_ONLY).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_values_are_one_segment() {
        let cases = [
            ("a/b", "a%2Fb"),
            ("a?b", "a%3Fb"),
            ("a#b", "a%23b"),
            ("100%", "100%25"),
            ("%2e", "%252e"),
            ("a b", "a%20b"),
            ("ü", "%C3%BC"),
            ("...", "..."),
            ("a.b-c_d~e", "a.b-c_d~e"),
            ("it's(1)", "it%27s%281%29"),
            ("a+b=c&d", "a%2Bb%3Dc%26d"),
        ];
        for (input, expected) in cases {
            assert_eq!(encode_param("id", input).unwrap(), expected, "{input:?}");
        }
    }

    #[test]
    fn dot_and_empty_rejected() {
        for bad in ["", ".", ".."] {
            let err = encode_param("servicePrincipal-id", bad).unwrap_err();
            match err {
                Error::InvalidInput { message } => {
                    assert!(message.contains("servicePrincipal-id"), "{message}");
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn deep_paths_keep_their_order_and_clones_share_their_prefix() {
        let names: Vec<&'static str> = (0..40)
            .map(|i| &*Box::leak(format!("s{i}").into_boxed_str()))
            .collect();
        let mut path = RequestPath::new();
        for name in &names {
            path = path.literal(name);
        }
        let expected: String = names.iter().map(|n| format!("/{n}")).collect();
        assert_eq!(path.render().unwrap(), expected);
        let base = RequestPath::new().literal("a").param("id", "x/y");
        let (left, right) = (base.clone().literal("l"), base.literal("r"));
        assert_eq!(left.render().unwrap(), "/a/x%2Fy/l");
        assert_eq!(right.render().unwrap(), "/a/x%2Fy/r");
        assert_eq!(
            format!("{left:?}"),
            r#"[Literal("a"), Other(Param { name: "id", value: "x/y" }), Literal("l")]"#
        );
        // Params between many literals, more nodes than the inline arrays hold.
        let mut mixed = RequestPath::new();
        let mut want = String::new();
        for (i, name) in names.iter().enumerate() {
            mixed = if i % 3 == 0 {
                mixed.param("p", format!("v{i}"))
            } else {
                mixed.literal(name)
            };
            want.push_str(&if i % 3 == 0 {
                format!("/v{i}")
            } else {
                format!("/{name}")
            });
        }
        assert_eq!(mixed.render().unwrap(), want);
    }

    #[test]
    fn literals_join_without_double_slashes() {
        let p = RequestPath::new()
            .literal("/copilot/")
            .literal("admin/settings")
            .literal("")
            .literal("limitedMode");
        assert_eq!(p.render().unwrap(), "/copilot/admin/settings/limitedMode");
        assert_eq!(RequestPath::new().render().unwrap(), "");
    }

    #[test]
    fn templates_quote_and_encode_values() {
        let p = RequestPath::new().literal("applications").template(
            "applications(appId='{appId}')",
            vec![("appId", "o'neil/1".to_owned())],
        );
        assert_eq!(
            p.render().unwrap(),
            "/applications/applications(appId='o%27%27neil%2F1')"
        );
        let empty = RequestPath::new().template("a(x='{x}')", vec![("x", String::new())]);
        assert!(empty.render().is_err());
        let missing = RequestPath::new().template("a(x='{x}')", vec![]);
        assert!(missing.render().is_err());
    }

    #[test]
    fn query_encoding() {
        assert_eq!(encode_query_name("$select"), "$select");
        assert_eq!(encode_query_name("a b"), "a%20b");
        assert_eq!(encode_query_value("id,displayName"), "id%2CdisplayName");
        assert_eq!(
            encode_query_value("name eq 'ü'"),
            "name%20eq%20%27%C3%BC%27"
        );
    }
}
