//! `$ref` resolution. Only local references into `#/components/…` are supported; a chain of
//! references is followed up to [`MAX_HOPS`] links, so a loop resolves to an error, not a hang.

use openapiv3::{OpenAPI, Parameter, ReferenceOr, RequestBody, Response, Schema};

use crate::error::{Pointer, SpecError};

/// The prefix of every local reference to a component.
pub const COMPONENTS_PREFIX: &str = "#/components/";

/// A local `$ref` into `#/components/…`, parsed: `#/components/{kind}/{name}[/{below}]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentRef {
    /// The components section (`schemas`, `parameters`, …), unescaped.
    pub kind: String,
    /// The component's name, unescaped.
    pub name: String,
    /// The JSON pointer of the node below the component that the reference names, still
    /// escaped (`/properties/id`); empty when it names the component itself.
    pub below: String,
}

/// One JSON-pointer reference token unescaped (RFC 6901: `~1` is `/`, then `~0` is `~`).
pub fn unescape_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Parses a local reference into `#/components/…`. `None` for an external reference, a local
/// one elsewhere in the document, or one without a kind or a name.
pub fn component_ref(reference: &str) -> Option<ComponentRef> {
    let rest = reference.strip_prefix(COMPONENTS_PREFIX)?;
    let mut tokens = rest.split('/');
    let kind = unescape_token(tokens.next()?);
    let name = unescape_token(tokens.next()?);
    if kind.is_empty() || name.is_empty() {
        return None;
    }
    let below = tokens.map(|t| format!("/{t}")).collect();
    Some(ComponentRef { kind, name, below })
}

/// The name of the component schema a reference names as a whole
/// (`#/components/schemas/{name}`, unescaped); `None` for anything else, including a node
/// below a schema.
pub fn schema_ref_name(reference: &str) -> Option<String> {
    component_ref(reference)
        .filter(|r| r.kind == "schemas" && r.below.is_empty())
        .map(|r| r.name)
}

/// The prefix of a reference to a component schema.
pub const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// How many `$ref` links a chain may have.
pub const MAX_HOPS: usize = 32;

/// The schema name a `#/components/schemas/{name}` reference names (`None` for anything else).
pub fn schema_name(reference: &str) -> Option<&str> {
    reference.strip_prefix(SCHEMA_PREFIX)
}

/// The component schema `name`, following chains of references. `None` when it is missing
/// or the chain loops.
pub fn schema_by_name<'a>(doc: &'a OpenAPI, name: &str) -> Option<&'a Schema> {
    let schemas = &doc.components.as_ref()?.schemas;
    let mut name = name;
    for _ in 0..MAX_HOPS {
        match schemas.get(name)? {
            ReferenceOr::Item(s) => return Some(s),
            ReferenceOr::Reference { reference } => name = schema_name(reference)?,
        }
    }
    None
}

/// The schema a `#/components/schemas/…` reference points at, following chains of
/// references; `None` when missing, foreign or looping.
pub fn schema<'a>(doc: &'a OpenAPI, reference: &str) -> Option<&'a Schema> {
    schema_by_name(doc, schema_name(reference)?)
}

/// The schema a reference points at, or an error at `at` saying why not.
pub fn require_schema<'a>(
    doc: &'a OpenAPI,
    reference: &str,
    at: &Pointer,
) -> Result<(&'a Schema, &'a str), SpecError> {
    let Some(name) = schema_name(reference) else {
        return Err(at.error(format!(
            "unsupported $ref `{reference}`: only `{SCHEMA_PREFIX}…` can name a schema"
        )));
    };
    let key = doc
        .components
        .as_ref()
        .and_then(|c| c.schemas.get_key_value(name))
        .map(|(k, _)| k.as_str())
        .ok_or_else(|| at.error(format!("unresolved $ref `{reference}`")))?;
    let schema = schema_by_name(doc, key).ok_or_else(|| {
        at.error(format!(
            "`$ref: {reference}` does not lead to a schema (a loop of references)"
        ))
    })?;
    Ok((schema, key))
}

/// A schema or a reference to one: resolves a reference, passes an item through. Returns the
/// schema and the name of the component it came from, if any.
pub fn resolve_schema<'a>(
    doc: &'a OpenAPI,
    schema: &'a ReferenceOr<Schema>,
    at: &Pointer,
) -> Result<(&'a Schema, Option<&'a str>), SpecError> {
    match schema {
        ReferenceOr::Item(s) => Ok((s, None)),
        ReferenceOr::Reference { reference } => {
            require_schema(doc, reference, at).map(|(s, n)| (s, Some(n)))
        }
    }
}

/// [`resolve_schema`] for boxed schemas (properties and items).
pub fn resolve_boxed<'a>(
    doc: &'a OpenAPI,
    schema: &'a ReferenceOr<Box<Schema>>,
    at: &Pointer,
) -> Result<(&'a Schema, Option<&'a str>), SpecError> {
    match schema {
        ReferenceOr::Item(s) => Ok((s, None)),
        ReferenceOr::Reference { reference } => {
            require_schema(doc, reference, at).map(|(s, n)| (s, Some(n)))
        }
    }
}

/// A parameter, resolving `#/components/parameters/…`.
pub fn parameter<'a>(
    doc: &'a OpenAPI,
    p: &'a ReferenceOr<Parameter>,
    at: &Pointer,
) -> Result<&'a Parameter, SpecError> {
    component(doc, p, at, "parameters", |c| &c.parameters)
}

/// A request body, resolving `#/components/requestBodies/…`; also returns where it lives.
pub fn request_body<'a>(
    doc: &'a OpenAPI,
    b: &'a ReferenceOr<RequestBody>,
    at: &Pointer,
) -> Result<(&'a RequestBody, Pointer), SpecError> {
    let resolved = component(doc, b, at, "requestBodies", |c| &c.request_bodies)?;
    Ok((resolved, location(b, at, "requestBodies")))
}

/// A response, resolving `#/components/responses/…`; also returns where it lives.
pub fn response<'a>(
    doc: &'a OpenAPI,
    r: &'a ReferenceOr<Response>,
    at: &Pointer,
) -> Result<(&'a Response, Pointer), SpecError> {
    let resolved = component(doc, r, at, "responses", |c| &c.responses)?;
    Ok((resolved, location(r, at, "responses")))
}

fn location<T>(r: &ReferenceOr<T>, at: &Pointer, kind: &str) -> Pointer {
    match r {
        ReferenceOr::Item(_) => at.clone(),
        ReferenceOr::Reference { reference } => {
            let prefix = format!("#/components/{kind}/");
            match reference.strip_prefix(&prefix) {
                Some(name) => Pointer::root().push("components").push(kind).push(name),
                None => at.clone(),
            }
        }
    }
}

fn component<'a, T>(
    doc: &'a OpenAPI,
    item: &'a ReferenceOr<T>,
    at: &Pointer,
    kind: &str,
    pick: impl Fn(&'a openapiv3::Components) -> &'a indexmap::IndexMap<String, ReferenceOr<T>>,
) -> Result<&'a T, SpecError> {
    let mut current = item;
    for _ in 0..MAX_HOPS {
        match current {
            ReferenceOr::Item(t) => return Ok(t),
            ReferenceOr::Reference { reference } => {
                let prefix = format!("#/components/{kind}/");
                let name = reference
                    .strip_prefix(&prefix)
                    .ok_or_else(|| at.error(format!("unsupported {kind} $ref `{reference}`")))?;
                current = doc
                    .components
                    .as_ref()
                    .and_then(|c| pick(c).get(name))
                    .ok_or_else(|| at.error(format!("unresolved $ref `{reference}`")))?;
            }
        }
    }
    Err(at.error(format!("a loop of {kind} references")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse;

    const DOC: &str = r##"
openapi: 3.0.4
info: {title: t, version: v}
paths: {}
components:
  schemas:
    a: {type: string}
    b: {$ref: '#/components/schemas/a'}
    loop1: {$ref: '#/components/schemas/loop2'}
    loop2: {$ref: '#/components/schemas/loop1'}
  parameters:
    top: {name: $top, in: query, schema: {type: integer}}
    alias: {$ref: '#/components/parameters/top'}
"##;

    #[test]
    fn schemas_resolve_through_chains_and_loops_fail() {
        let doc = parse(DOC).unwrap();
        assert!(schema(&doc, "#/components/schemas/b").is_some());
        assert!(schema(&doc, "#/components/schemas/loop1").is_none());
        assert!(schema(&doc, "other.yaml#/x").is_none());
        let at = Pointer::root().push("x");
        let err = require_schema(&doc, "#/components/schemas/nope", &at).unwrap_err();
        assert!(err.message.contains("unresolved"), "{err}");
        let err = require_schema(&doc, "#/components/schemas/loop1", &at).unwrap_err();
        assert!(err.message.contains("loop"), "{err}");
        assert_eq!(
            require_schema(&doc, "#/components/schemas/b", &at)
                .unwrap()
                .1,
            "b"
        );
    }

    #[test]
    fn component_refs_parse_and_unescape() {
        let r = component_ref("#/components/schemas/a~1b~0c/properties/x~1y").unwrap();
        assert_eq!(r.kind, "schemas");
        assert_eq!(r.name, "a/b~c");
        assert_eq!(r.below, "/properties/x~1y");
        assert_eq!(
            component_ref("#/components/parameters/top").unwrap().below,
            ""
        );
        assert_eq!(unescape_token("~01"), "~1");
        for bad in [
            "other.yaml#/components/schemas/a",
            "#/paths/x",
            "#/components/schemas/",
            "#/components/",
            "#/components//a",
        ] {
            assert_eq!(component_ref(bad), None, "{bad}");
        }
        assert_eq!(
            schema_ref_name("#/components/schemas/a~1b").as_deref(),
            Some("a/b")
        );
        assert_eq!(schema_ref_name("#/components/schemas/a/properties/b"), None);
        assert_eq!(schema_ref_name("#/components/responses/a"), None);
    }

    #[test]
    fn parameters_resolve_through_chains() {
        let doc = parse(DOC).unwrap();
        let p: ReferenceOr<Parameter> = ReferenceOr::Reference {
            reference: "#/components/parameters/alias".into(),
        };
        let resolved = parameter(&doc, &p, &Pointer::root()).unwrap();
        assert_eq!(resolved.parameter_data_ref().name, "$top");
        let bad: ReferenceOr<Parameter> = ReferenceOr::Reference {
            reference: "#/components/schemas/a".into(),
        };
        assert!(parameter(&doc, &bad, &Pointer::root()).is_err());
    }
}
