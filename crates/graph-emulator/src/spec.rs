//! The OpenAPI slice as the emulator sees it: operations (method, path template, operation id,
//! permissions, request body schema), route matching and request-body validation.
//!
//! The document is parsed once into a [`serde_json::Value`] tree; schemas are interpreted from that
//! tree on every request, so whatever the slice says (a new property, a changed type, an enum) is
//! what the emulator enforces, with no per-field code.

use serde_json::{Map, Value};

use crate::Error;

/// The instance annotations that only a server computes. A client that sends one back (typically
/// after GET → change → PATCH) gets a 400.
const SERVER_ANNOTATIONS: &[&str] = &[
    "odata.context",
    "odata.etag",
    "odata.nextLink",
    "odata.deltaLink",
    "odata.count",
    "odata.metadataEtag",
    "odata.editLink",
    "odata.readLink",
    "odata.navigationLink",
    "odata.associationLink",
    "odata.mediaEditLink",
    "odata.mediaReadLink",
    "odata.mediaEtag",
    "odata.mediaContentType",
];

/// How deep `$ref`s and nested schemas may go before the document is deemed cyclic.
const MAX_DEPTH: usize = 64;

/// The parsed slice.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    doc: Value,
    operations: Vec<Operation>,
}

/// One operation of the slice.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    /// Upper-case HTTP method, e.g. `POST`.
    pub(crate) method: String,
    /// The path template as written in the spec, e.g. `/copilot/admin/settings/limitedMode`.
    pub(crate) template: String,
    segments: Vec<Segment>,
    pub(crate) operation_id: Option<String>,
    pub(crate) permissions: Option<Permissions>,
    pub(crate) body: Option<RequestBody>,
}

#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    Param(String),
}

/// The `x-graph-rs-permissions` overlay of an operation. An empty list means "not supported".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Permissions {
    pub(crate) delegated_work_or_school: Vec<String>,
    pub(crate) delegated_personal: Vec<String>,
    pub(crate) application: Vec<String>,
}

/// The JSON request body an operation declares.
#[derive(Debug, Clone)]
pub(crate) struct RequestBody {
    pub(crate) required: bool,
    /// The `application/json` schema, unresolved (often a `$ref`).
    pub(crate) schema: Option<Value>,
}

/// The outcome of matching a request path against the spec's templates.
#[derive(Debug)]
pub(crate) enum RouteMatch<'a> {
    /// Method and path match; the path parameters are percent-decoded, in template order.
    Found(&'a Operation, Vec<(String, String)>),
    /// The path matches some template but not with this method.
    MethodNotAllowed(Vec<String>),
    /// No template matches; the segment is the first one no template could take.
    NotFound(String),
}

/// Why a request body does not conform to its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    pub(crate) message: String,
    /// The property at fault, as a dotted path (`a.b[0]`), or empty for the whole body.
    pub(crate) target: String,
}

impl Spec {
    /// Parses an OpenAPI 3.0 document written in YAML (or JSON, which is YAML).
    pub(crate) fn parse(yaml: &str) -> Result<Self, Error> {
        let raw: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(yaml).map_err(|e| Error::Spec(format!("invalid YAML: {e}")))?;
        let doc = yaml_to_json(raw)?;
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::Spec("the document has no `paths` object".into()))?;
        let mut operations = Vec::new();
        for (template, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            let segments = parse_template(template)?;
            for method in [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ] {
                let Some(op) = item.get(method) else { continue };
                operations.push(Operation {
                    method: method.to_ascii_uppercase(),
                    template: template.clone(),
                    segments: segments.clone(),
                    operation_id: op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    permissions: op.get("x-graph-rs-permissions").map(parse_permissions),
                    body: None,
                });
                let body = match op.get("requestBody") {
                    Some(rb) => Some(request_body(&doc, rb)?),
                    None => None,
                };
                if let Some(last) = operations.last_mut() {
                    last.body = body;
                }
            }
        }
        Ok(Self { doc, operations })
    }

    /// Every operation, in document order.
    pub(crate) fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// Matches a request (method and the percent-decoded path segments after the version).
    pub(crate) fn route(&self, method: &str, segments: &[String]) -> RouteMatch<'_> {
        let mut allowed = Vec::new();
        let mut best_prefix = 0;
        for op in &self.operations {
            match op.match_segments(segments) {
                Ok(params) => {
                    if op.method.eq_ignore_ascii_case(method) {
                        return RouteMatch::Found(op, params);
                    }
                    allowed.push(op.method.clone());
                }
                Err(prefix) => best_prefix = best_prefix.max(prefix),
            }
        }
        if !allowed.is_empty() {
            return RouteMatch::MethodNotAllowed(allowed);
        }
        let segment = segments
            .get(best_prefix)
            .or_else(|| segments.last())
            .cloned()
            .unwrap_or_default();
        RouteMatch::NotFound(segment)
    }

    /// Validates a JSON request body against an operation's schema.
    ///
    /// `create` says whether `required` lists are enforced (POST/PUT); PATCH bodies are partial.
    /// `@odata.type` is never required, whatever the schema says.
    pub(crate) fn validate(
        &self,
        schema: &Value,
        body: &Value,
        create: bool,
    ) -> Result<(), Violation> {
        let (resolved, name) = self.resolve(schema, 0)?;
        if let (Some(expected), Some(sent)) = (
            resolved
                .get("x-ms-discriminator-value")
                .and_then(Value::as_str),
            body.get("@odata.type").and_then(Value::as_str),
        ) {
            let expected = expected.trim_start_matches('#');
            let sent_name = sent.trim_start_matches('#');
            if !sent_name.eq_ignore_ascii_case(expected) {
                return Err(Violation {
                    message: format!(
                        "Invalid request body: the type '{sent}' given in '@odata.type' is not assignable to the expected type '{expected}'."
                    ),
                    target: "@odata.type".into(),
                });
            }
        }
        let checker = Checker { spec: self, create };
        checker.check(schema, body, &Path::root(name), 0)
    }

    /// Follows `$ref`s; returns the schema reached and the name of the last schema referenced.
    fn resolve<'a>(
        &'a self,
        mut schema: &'a Value,
        depth: usize,
    ) -> Result<(&'a Value, Option<String>), Violation> {
        let mut name = None;
        let mut hops = depth;
        while let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            hops += 1;
            if hops > MAX_DEPTH {
                return Err(spec_defect(format!(
                    "`$ref` chain too deep at '{reference}'"
                )));
            }
            schema = lookup_ref(&self.doc, reference)
                .ok_or_else(|| spec_defect(format!("unresolvable `$ref` '{reference}'")))?;
            name = reference.rsplit('/').next().map(str::to_owned);
        }
        Ok((schema, name))
    }
}

impl Operation {
    /// `Ok(params)` on a match, else `Err(number of leading segments that matched)`.
    fn match_segments(&self, segments: &[String]) -> Result<Vec<(String, String)>, usize> {
        let mut params = Vec::new();
        for (i, template) in self.segments.iter().enumerate() {
            let Some(actual) = segments.get(i) else {
                return Err(i);
            };
            match template {
                Segment::Literal(literal) => {
                    if !literal_matches(literal, actual) {
                        return Err(i);
                    }
                }
                Segment::Param(name) => {
                    if actual.is_empty() {
                        return Err(i);
                    }
                    params.push((name.clone(), actual.clone()));
                }
            }
        }
        if segments.len() == self.segments.len() {
            Ok(params)
        } else {
            Err(self.segments.len())
        }
    }

    /// Whether `key` names this operation: its operation id, its path template (with or without
    /// the leading `/`), or `*`.
    pub(crate) fn is_named(&self, key: &str) -> bool {
        key == "*"
            || self.operation_id.as_deref() == Some(key)
            || self.template == key
            || self.template.strip_prefix('/') == Some(key)
    }
}

/// Literal segments match case-insensitively, and a `microsoft.graph.X` cast also matches Graph's
/// short alias `graph.X`.
fn literal_matches(literal: &str, actual: &str) -> bool {
    if literal.eq_ignore_ascii_case(actual) {
        return true;
    }
    match (literal.get(..16), literal.get(16..)) {
        (Some(prefix), Some(rest)) if prefix.eq_ignore_ascii_case("microsoft.graph.") => actual
            .get(..6)
            .zip(actual.get(6..))
            .is_some_and(|(p, r)| p.eq_ignore_ascii_case("graph.") && r.eq_ignore_ascii_case(rest)),
        _ => false,
    }
}

fn parse_template(template: &str) -> Result<Vec<Segment>, Error> {
    let trimmed = template
        .strip_prefix('/')
        .ok_or_else(|| Error::Spec(format!("path '{template}' does not start with '/'")))?;
    Ok(trimmed
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Literal(s.to_owned()),
            },
        )
        .collect())
}

fn parse_permissions(value: &Value) -> Permissions {
    let list = |key: &str| -> Vec<String> {
        value
            .get(key)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    Permissions {
        delegated_work_or_school: list("delegatedWorkOrSchool"),
        delegated_personal: list("delegatedPersonal"),
        application: list("application"),
    }
}

fn request_body(doc: &Value, body: &Value) -> Result<RequestBody, Error> {
    let mut body = body;
    let mut hops = 0;
    while let Some(reference) = body.get("$ref").and_then(Value::as_str) {
        hops += 1;
        if hops > MAX_DEPTH {
            return Err(Error::Spec(format!(
                "`$ref` chain too deep at '{reference}'"
            )));
        }
        body = lookup_ref(doc, reference)
            .ok_or_else(|| Error::Spec(format!("unresolvable `$ref` '{reference}'")))?;
    }
    let schema = body
        .get("content")
        .and_then(Value::as_object)
        .and_then(|content| {
            content
                .iter()
                .find(|(media, _)| media.starts_with("application/json"))
                .and_then(|(_, media)| media.get("schema"))
                .cloned()
        });
    Ok(RequestBody {
        required: body
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        schema,
    })
}

/// Resolves a local JSON reference such as `#/components/schemas/ReferenceCreate`.
fn lookup_ref<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    doc.pointer(pointer)
}

fn yaml_to_json(value: serde_yaml_ng::Value) -> Result<Value, Error> {
    use serde_yaml_ng::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => return Err(Error::Spec(format!("unsupported mapping key {other:?}"))),
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => yaml_to_json(tagged.value)?,
    })
}

fn spec_defect(message: String) -> Violation {
    Violation {
        message: format!("The emulator's OpenAPI document is defective: {message}"),
        target: String::new(),
    }
}

/// A location inside the body, for messages.
#[derive(Debug, Clone)]
struct Path {
    text: String,
    /// The name of the schema (type) the value at this location belongs to, when known.
    type_name: Option<String>,
}

impl Path {
    fn root(type_name: Option<String>) -> Self {
        Self {
            text: String::new(),
            type_name,
        }
    }

    fn property(&self, name: &str) -> Self {
        let text = if self.text.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.text)
        };
        Self {
            text,
            type_name: None,
        }
    }

    fn index(&self, i: usize) -> Self {
        Self {
            text: format!("{}[{i}]", self.text),
            type_name: None,
        }
    }

    fn display(&self) -> &str {
        if self.text.is_empty() {
            "(request body)"
        } else {
            &self.text
        }
    }
}

/// What may appear besides the declared properties of an object.
#[derive(Debug)]
enum Additional<'a> {
    Denied,
    Any,
    Schema(&'a Value),
}

/// An object schema with its `allOf` parts merged.
#[derive(Debug)]
struct ObjectView<'a> {
    is_object: bool,
    scalar_type: Option<&'a str>,
    properties: Vec<(&'a str, &'a Value)>,
    required: Vec<&'a str>,
    additional: Additional<'a>,
    /// `additionalProperties: false` was written somewhere.
    closed: bool,
    name: Option<String>,
}

struct Checker<'a> {
    spec: &'a Spec,
    create: bool,
}

impl<'a> Checker<'a> {
    fn check(
        &self,
        schema: &'a Value,
        value: &Value,
        at: &Path,
        depth: usize,
    ) -> Result<(), Violation> {
        if depth > MAX_DEPTH {
            return Err(spec_defect("schema nesting too deep".into()));
        }
        let (schema, name) = self.spec.resolve(schema, depth)?;
        let at = &Path {
            text: at.text.clone(),
            type_name: name.or_else(|| at.type_name.clone()),
        };

        if value.is_null() {
            return if self.allows_null(schema, depth)? {
                Ok(())
            } else {
                Err(type_error(at, &self.describe(schema, depth)?, value))
            };
        }

        for key in ["anyOf", "oneOf"] {
            if let Some(variants) = schema.get(key).and_then(Value::as_array) {
                let real: Vec<&Value> = variants.iter().filter(|v| !is_null_marker(v)).collect();
                if real.is_empty() {
                    continue;
                }
                let mut first = None;
                for variant in real {
                    match self.check(variant, value, at, depth + 1) {
                        Ok(()) => return Ok(()),
                        Err(e) => {
                            first.get_or_insert(e);
                        }
                    }
                }
                if let Some(e) = first {
                    return Err(e);
                }
            }
        }

        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.contains(value) {
                let list: Vec<String> = allowed
                    .iter()
                    .filter(|v| !v.is_null())
                    .map(Value::to_string)
                    .collect();
                return Err(Violation {
                    message: format!(
                        "Invalid request body: the value {value} of property '{}' is not one of the allowed values [{}].",
                        at.display(),
                        list.join(", ")
                    ),
                    target: at.text.clone(),
                });
            }
        }

        let view = self.view(schema, name_of(at), depth)?;
        if view.is_object {
            let Some(map) = value.as_object() else {
                return Err(type_error(at, "an object", value));
            };
            return self.check_object(&view, map, at, depth);
        }
        let ok = match view.scalar_type {
            Some("string") => value.is_string(),
            Some("boolean") => value.is_boolean(),
            Some("integer") => {
                value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            Some("number") => value.is_number(),
            Some("array") => {
                let Some(items) = value.as_array() else {
                    return Err(type_error(at, "an array", value));
                };
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item_schema, item, &at.index(i), depth + 1)?;
                    }
                }
                true
            }
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(type_error(at, &self.describe(schema, depth)?, value))
        }
    }

    fn check_object(
        &self,
        view: &ObjectView<'a>,
        map: &Map<String, Value>,
        at: &Path,
        depth: usize,
    ) -> Result<(), Violation> {
        for (key, value) in map {
            if let Some((_, property)) = view.properties.iter().find(|(name, _)| *name == key) {
                self.check(property, value, &at.property(key), depth + 1)?;
                continue;
            }
            if key == "@odata.type" {
                if !value.is_string() {
                    return Err(type_error(&at.property(key), "a string", value));
                }
                continue;
            }
            if let Some(annotation) = key.strip_prefix('@') {
                if SERVER_ANNOTATIONS
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(annotation))
                {
                    return Err(Violation {
                        message: format!(
                            "Invalid request body: the instance annotation '{key}' is computed by the service and must not be sent."
                        ),
                        target: key.clone(),
                    });
                }
            }
            match view.additional {
                Additional::Any => {}
                Additional::Schema(schema) => {
                    self.check(schema, value, &at.property(key), depth + 1)?
                }
                Additional::Denied => {
                    let type_name = view.name.clone().or_else(|| at.type_name.clone());
                    return Err(Violation {
                        message: match type_name {
                            Some(type_name) => format!(
                                "The property '{key}' does not exist on type '{type_name}'. Make sure to only use property names that are defined by the type or mark the type as open type."
                            ),
                            None => format!(
                                "Invalid request body: the property '{}' is not defined by the schema.",
                                at.property(key).display()
                            ),
                        },
                        target: at.property(key).text,
                    });
                }
            }
        }
        if self.create {
            for required in &view.required {
                if *required != "@odata.type" && !map.contains_key(*required) {
                    return Err(Violation {
                        message: format!(
                            "Invalid request body: the required property '{}' is missing.",
                            at.property(required).display()
                        ),
                        target: at.property(required).text,
                    });
                }
            }
        }
        Ok(())
    }

    /// Merges a schema and its `allOf` parts.
    fn view(
        &self,
        schema: &'a Value,
        name: Option<String>,
        depth: usize,
    ) -> Result<ObjectView<'a>, Violation> {
        let mut view = ObjectView {
            is_object: false,
            scalar_type: None,
            properties: Vec::new(),
            required: Vec::new(),
            additional: Additional::Denied,
            closed: false,
            name,
        };
        self.merge_into(&mut view, schema, depth)?;
        // `{type: object}` with no declared properties is a free-form object.
        if view.properties.is_empty()
            && matches!(view.additional, Additional::Denied)
            && !view.closed
        {
            view.additional = Additional::Any;
        }
        Ok(view)
    }

    fn merge_into(
        &self,
        view: &mut ObjectView<'a>,
        schema: &'a Value,
        depth: usize,
    ) -> Result<(), Violation> {
        if depth > MAX_DEPTH {
            return Err(spec_defect("allOf nesting too deep".into()));
        }
        let (schema, _) = self.spec.resolve(schema, depth)?;
        match schema.get("type").and_then(Value::as_str) {
            Some("object") => view.is_object = true,
            Some(other) => view.scalar_type = Some(other),
            None => {}
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            view.is_object = true;
            for (name, property) in properties {
                view.properties.push((name.as_str(), property));
            }
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            view.required
                .extend(required.iter().filter_map(Value::as_str));
        }
        match schema.get("additionalProperties") {
            Some(Value::Bool(true)) => view.additional = Additional::Any,
            Some(Value::Bool(false)) => view.closed = true,
            Some(Value::Object(map)) if map.is_empty() => view.additional = Additional::Any,
            Some(extra @ Value::Object(_)) => {
                if matches!(view.additional, Additional::Denied) {
                    view.additional = Additional::Schema(extra);
                }
            }
            _ => {}
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            for part in parts {
                self.merge_into(view, part, depth + 1)?;
            }
        }
        Ok(())
    }

    fn allows_null(&self, schema: &Value, depth: usize) -> Result<bool, Violation> {
        if depth > MAX_DEPTH {
            return Ok(false);
        }
        let (schema, _) = self.spec.resolve(schema, depth)?;
        if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
            return Ok(true);
        }
        if schema
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|e| e.contains(&Value::Null))
        {
            return Ok(true);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(variants) = schema.get(key).and_then(Value::as_array) {
                for variant in variants {
                    if self.allows_null(variant, depth + 1)? {
                        return Ok(true);
                    }
                }
            }
        }
        // A schema that constrains nothing accepts null too.
        let constrains = [
            "type",
            "properties",
            "allOf",
            "anyOf",
            "oneOf",
            "enum",
            "items",
        ]
        .iter()
        .any(|k| schema.get(k).is_some());
        Ok(!constrains)
    }

    /// "a boolean or null" and the like, for messages.
    fn describe(&self, schema: &'a Value, depth: usize) -> Result<String, Violation> {
        let view = self.view(schema, None, depth)?;
        let base = if view.is_object {
            "an object"
        } else {
            match view.scalar_type {
                Some("string") => "a string",
                Some("boolean") => "a boolean",
                Some("integer") => "an integer",
                Some("number") => "a number",
                Some("array") => "an array",
                _ => "a value",
            }
        };
        Ok(if self.allows_null(schema, depth)? {
            format!("{base} or null")
        } else {
            base.to_owned()
        })
    }
}

fn name_of(at: &Path) -> Option<String> {
    at.type_name.clone()
}

/// `{type: object, nullable: true}` and `{enum: [null]}`: anyOf variants that only say "may be
/// null" (one of the three nullable-reference shapes Microsoft's converters emit).
fn is_null_marker(schema: &Value) -> bool {
    let Some(map) = schema.as_object() else {
        return false;
    };
    if let Some(values) = map.get("enum").and_then(Value::as_array) {
        return values.iter().all(Value::is_null);
    }
    map.get("nullable").and_then(Value::as_bool) == Some(true)
        && !map.contains_key("$ref")
        && !map.contains_key("properties")
        && !map.contains_key("allOf")
        && !map.contains_key("anyOf")
        && !map.contains_key("oneOf")
}

fn type_error(at: &Path, expected: &str, value: &Value) -> Violation {
    let actual = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    Violation {
        message: format!(
            "Invalid request body: the value of property '{}' must be {expected}, but {actual} was given.",
            at.display()
        ),
        target: at.text.clone(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn slice() -> Spec {
        Spec::parse(crate::DEFAULT_SPEC).unwrap()
    }

    fn segments(path: &str) -> Vec<String> {
        path.split('/').map(str::to_owned).collect()
    }

    #[test]
    fn finds_both_operations() {
        let spec = slice();
        let ids: Vec<_> = spec
            .operations()
            .iter()
            .filter_map(|o| o.operation_id.clone())
            .collect();
        assert!(ids.contains(&"copilot.admin.settings.UpdateLimitedMode".to_owned()));
        assert!(ids.contains(&"servicePrincipals.agentIdentity.CreateRefOwners".to_owned()));
    }

    #[test]
    fn routes_casts_and_aliases() {
        let spec = slice();
        for path in [
            "servicePrincipals/abc/microsoft.graph.agentIdentity/owners/$ref",
            "servicePrincipals/abc/graph.agentIdentity/owners/$ref",
            "ServicePrincipals/abc/Microsoft.Graph.AgentIdentity/owners/$ref",
        ] {
            match spec.route("POST", &segments(path)) {
                RouteMatch::Found(op, params) => {
                    assert_eq!(op.method, "POST");
                    assert_eq!(
                        params,
                        vec![("servicePrincipal-id".to_owned(), "abc".to_owned())]
                    );
                }
                other => panic!("{path}: {other:?}"),
            }
        }
        assert!(matches!(
            spec.route("POST", &segments("servicePrincipals/abc/graph.user/owners/$ref")),
            RouteMatch::NotFound(s) if s == "graph.user"
        ));
        assert!(matches!(
            spec.route("POST", &segments("servicePrincipals//microsoft.graph.agentIdentity/owners/$ref")),
            RouteMatch::NotFound(s) if s.is_empty()
        ));
        assert!(matches!(
            spec.route("GET", &segments("copilot/admin/settings/limitedMode")),
            RouteMatch::MethodNotAllowed(m) if m == vec!["PATCH".to_owned()]
        ));
    }

    fn limited_mode_schema() -> Value {
        json!({"$ref": "#/components/schemas/microsoft.graph.copilotAdminLimitedMode"})
    }

    #[test]
    fn validates_limited_mode_bodies() {
        let spec = slice();
        let schema = limited_mode_schema();
        for ok in [
            json!({}),
            json!({"isEnabledForGroup": true, "groupId": "g"}),
            json!({"isEnabledForGroup": null, "groupId": null}),
            json!({"@odata.type": "#microsoft.graph.copilotAdminLimitedMode", "isEnabledForGroup": false}),
        ] {
            spec.validate(&schema, &ok, false).unwrap();
        }
        let err = spec
            .validate(&schema, &json!({"isEnabledForGroup": "yes"}), false)
            .unwrap_err();
        assert_eq!(err.target, "isEnabledForGroup");
        assert!(
            err.message.contains("must be a boolean or null"),
            "{}",
            err.message
        );
        let err = spec
            .validate(&schema, &json!({"colour": 1}), false)
            .unwrap_err();
        assert_eq!(err.target, "colour");
        assert!(
            err.message
                .contains("microsoft.graph.copilotAdminLimitedMode"),
            "{}",
            err.message
        );
        let err = spec
            .validate(&schema, &json!({"@odata.context": "x"}), false)
            .unwrap_err();
        assert_eq!(err.target, "@odata.context");
        let err = spec
            .validate(
                &schema,
                &json!({"@odata.type": "#microsoft.graph.user"}),
                false,
            )
            .unwrap_err();
        assert_eq!(err.target, "@odata.type");
        let err = spec.validate(&schema, &json!([1]), false).unwrap_err();
        assert!(err.message.contains("must be an object"), "{}", err.message);
    }

    #[test]
    fn reference_create_is_open() {
        let spec = slice();
        let schema = json!({"$ref": "#/components/schemas/ReferenceCreate"});
        spec.validate(&schema, &json!({"@odata.id": "x", "extra": {"a": 1}}), true)
            .unwrap();
        let err = spec
            .validate(&schema, &json!({"@odata.id": 5}), true)
            .unwrap_err();
        assert_eq!(err.target, "@odata.id");
        // additionalProperties: {type: object}: a non-object extra value is mistyped.
        let err = spec
            .validate(&schema, &json!({"@odata.id": "x", "extra": 1}), true)
            .unwrap_err();
        assert_eq!(err.target, "extra");
    }

    #[test]
    fn nullable_reference_shapes_and_enums() {
        let yaml = r##"
openapi: 3.0.4
paths: {}
components:
  schemas:
    thing:
      type: object
      properties:
        a:
          anyOf:
            - $ref: '#/components/schemas/inner'
            - type: object
              nullable: true
        b:
          anyOf:
            - $ref: '#/components/schemas/inner'
            - enum: [null]
        c:
          type: string
          enum: [red, green]
        d:
          type: array
          items:
            type: integer
        e:
          oneOf:
            - type: number
            - type: string
    inner:
      type: object
      properties:
        x:
          type: integer
"##;
        let spec = Spec::parse(yaml).unwrap();
        let schema = json!({"$ref": "#/components/schemas/thing"});
        spec.validate(
            &schema,
            &json!({"a": null, "b": null, "c": "red", "d": [1, 2], "e": "NaN"}),
            false,
        )
        .unwrap();
        spec.validate(
            &schema,
            &json!({"a": {"x": 1}, "b": {"x": 2}, "e": 1.5}),
            false,
        )
        .unwrap();
        assert_eq!(
            spec.validate(&schema, &json!({"a": {"y": 1}}), false)
                .unwrap_err()
                .target,
            "a.y"
        );
        assert_eq!(
            spec.validate(&schema, &json!({"c": "blue"}), false)
                .unwrap_err()
                .target,
            "c"
        );
        assert_eq!(
            spec.validate(&schema, &json!({"c": null}), false)
                .unwrap_err()
                .target,
            "c"
        );
        assert_eq!(
            spec.validate(&schema, &json!({"d": [1, "2"]}), false)
                .unwrap_err()
                .target,
            "d[1]"
        );
        assert_eq!(
            spec.validate(&schema, &json!({"e": true}), false)
                .unwrap_err()
                .target,
            "e"
        );
    }
}
