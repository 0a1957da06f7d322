//! Request bodies against their schemas: `$ref`, `allOf`, `anyOf` / `oneOf`, the nullable
//! shapes, types, `enum`, `items`, `additionalProperties`, `required` (on create) and `readOnly`.
//! An object whose `@odata.type` names a type derived from the declared one is checked against
//! the derived type.
//!
//! Three rules for what Microsoft's OpenAPI cannot say:
//!
//! * **Closed types.** The PowerShell-flavour modules put `additionalProperties: {type: object}`
//!   on every schema; on one of Graph's types (a `microsoft.graph.*` schema) that blanket is
//!   not an open type, and a property the type does not declare is refused, whatever its
//!   value, with Graph's message ("The property 'x' does not exist on type '…'. Make sure to
//!   only use property names that are defined by the type or mark the type as open type.").
//!   Elsewhere (a reference body, an action's inline parameters) the blanket keeps its plain
//!   meaning.
//! * **Open types** take any property: those in [`OPEN_TYPES`] (`OpenType="true"` in Graph's
//!   CSDL, such as `openTypeExtension`) and their derived types, and any schema whose
//!   `additionalProperties` is `true`, `{}` or a schema other than the blanket.
//! * **Annotations on write** (see [`Annotation`]): the instance `@odata.type` is a type hint
//!   and is checked; `@odata.bind` is refused (the emulator does not link while writing); every
//!   other instance or property annotation (`@odata.context`, `@odata.etag`, `@odata.id` where
//!   the body does not declare it, `@odata.editLink`, `x@odata.type`, …) is ignored and not
//!   stored, as OData's JSON format allows and as the official SDKs' read-modify-write needs.
//!
//! Schemas are read through `graph-spec`, exactly as the generator reads them, so whatever the
//! slice says (a new property, a changed type, an enum) is what the emulator enforces.

use graph_spec::hierarchy::{Hierarchy, same_odata_type};
use graph_spec::openapiv3::{AdditionalProperties, OpenAPI, Schema};
use graph_spec::schema::{
    SchemaView, all_of, alternatives, declared_type, enum_values, is_null_member, is_unconstrained,
    items, object_parts, says_nullable,
};
use graph_spec::template::GRAPH_NAMESPACE;
use serde_json::{Map, Value};

/// Graph's types that are *open* (`OpenType="true"` in Graph's CSDL, `$metadata`): they, and
/// the types derived from them, take properties their schema does not declare. Microsoft's
/// OpenAPI cannot say it (the PowerShell flavour puts `additionalProperties: {type: object}` on
/// every schema, open or not), so the list is data from the CSDL; a schema whose
/// `additionalProperties` says anything other than that blanket is open by its own words.
pub(crate) const OPEN_TYPES: &[&str] = &[
    "microsoft.graph.openTypeExtension",
    "microsoft.graph.Dictionary",
    "microsoft.graph.customSecurityAttributeValue",
    "microsoft.graph.plannerAppliedCategories",
    "microsoft.graph.plannerAssignments",
    "microsoft.graph.plannerChecklistItems",
    "microsoft.graph.plannerExternalReferences",
    "microsoft.graph.plannerOrderHintsByAssignee",
    "microsoft.graph.plannerUserIds",
    "microsoft.graph.plannerFavoritePlanReferences",
    "microsoft.graph.plannerRecentPlanReferences",
];

/// What a request body's annotation (`@odata.etag`, `displayName@odata.type`) means on write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Annotation {
    /// Not an annotation: a property name.
    Property,
    /// The instance's `@odata.type`: a type hint, checked and used.
    TypeHint,
    /// `@odata.bind` (instance or property): linking while writing, which the emulator does
    /// not do: refused with a 400 that says so.
    Bind,
    /// Every other instance or property annotation (`@odata.context`, `@odata.etag`,
    /// `@odata.id` where the body does not declare it, `@odata.editLink`, `@odata.readLink`,
    /// `x@odata.type`, `@microsoft.graph.tips`, …): ignored and not stored. The decision rests
    /// on the OData JSON format, which lets a request carry them (a context URL is allowed in a
    /// request payload, and a receiver ignores annotations it does not act on), and on the
    /// official SDKs' read-modify-write round trip, which sends back what a GET gave. Graph's
    /// own answer to such a body has not been observed here; Microsoft's guidance is only that
    /// clients should not send them.
    Ignored,
}

/// Classifies a body member name.
pub(crate) fn annotation(key: &str) -> Annotation {
    let Some(at) = key.find('@') else {
        return Annotation::Property;
    };
    let term = &key[at + 1..];
    if at == 0 && term.eq_ignore_ascii_case("odata.type") {
        Annotation::TypeHint
    } else if term.eq_ignore_ascii_case("odata.bind") {
        Annotation::Bind
    } else {
        Annotation::Ignored
    }
}

/// Removes the ignored annotations (see [`Annotation::Ignored`]) from a validated body, at
/// every depth, except the members the body's schema declares at its top (a reference body's
/// `@odata.id`).
pub(crate) fn strip_ignored_annotations(value: &mut Value, declared: &[String]) {
    fn strip(value: &mut Value, declared: &[String]) {
        match value {
            Value::Object(map) => {
                map.retain(|k, _| {
                    annotation(k) != Annotation::Ignored || declared.iter().any(|d| d == k)
                });
                for v in map.values_mut() {
                    strip(v, &[]);
                }
            }
            Value::Array(items) => {
                for v in items {
                    strip(v, &[]);
                }
            }
            _ => {}
        }
    }
    strip(value, declared);
}

/// How deep `$ref`s and nested schemas may go before the document is deemed cyclic.
const MAX_DEPTH: usize = 64;

/// Why a body does not conform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    pub(crate) message: String,
    /// The property at fault as a dotted path (`a.b[0]`), or empty for the whole body.
    pub(crate) target: String,
}

/// What the body is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A new object (POST, PUT): `required` members are enforced (except `@odata.type`).
    Create,
    /// A partial update (PATCH), or a body that is not an entity (a reference, an action's
    /// parameters).
    Update,
}

/// Validates bodies of one document.
pub(crate) struct Validator<'a> {
    pub(crate) doc: &'a OpenAPI,
    pub(crate) hierarchy: &'a Hierarchy,
    pub(crate) purpose: Purpose,
}

/// A location inside the body, for messages.
#[derive(Debug, Clone)]
struct At {
    text: String,
    /// The schema (type) name the value at this location belongs to, when known.
    type_name: Option<String>,
}

impl At {
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
enum Additional<'a> {
    Denied,
    Any,
    Schema(SchemaView<'a>),
}

/// An object schema with its `allOf` parts merged.
struct ObjectView<'a> {
    is_object: bool,
    scalar_type: Option<&'a str>,
    properties: Vec<(&'a str, SchemaView<'a>, bool)>,
    required: Vec<&'a str>,
    additional: Additional<'a>,
    /// The blanket `additionalProperties: {type: object}`, when that is all the schema says.
    blanket: Option<SchemaView<'a>>,
    closed: bool,
    name: Option<String>,
}

fn spec_defect(message: String) -> Violation {
    Violation {
        message: format!("The emulator's OpenAPI document is defective: {message}"),
        target: String::new(),
    }
}

impl<'a> Validator<'a> {
    /// Validates `body` against `schema`; at the root, an `@odata.type` must name the schema's
    /// type or one derived from it.
    pub(crate) fn validate(&self, schema: SchemaView<'a>, body: &Value) -> Result<(), Violation> {
        let (_, name) = self.resolve(schema)?;
        if let (Some(expected), Some(sent)) = (
            name.as_deref(),
            body.get("@odata.type").and_then(Value::as_str),
        ) {
            self.check_type(expected, sent)?;
        }
        self.check(
            schema,
            body,
            &At {
                text: String::new(),
                type_name: name,
            },
            0,
        )
    }

    fn check_type(&self, expected: &str, sent: &str) -> Result<(), Violation> {
        let Some(expected_type) = self.hierarchy.odata_type(expected) else {
            return Ok(());
        };
        let fits = match self.hierarchy.schema_for_odata_type(sent) {
            Some(sent_schema) => self.hierarchy.is_assignable(sent_schema, expected),
            None => same_odata_type(sent, expected_type),
        };
        if fits {
            return Ok(());
        }
        Err(Violation {
            message: format!(
                "Invalid request body: the type '{sent}' given in '@odata.type' is not assignable to the expected type '{}'.",
                expected_type.trim_start_matches('#')
            ),
            target: "@odata.type".into(),
        })
    }

    /// Follows a `$ref`; the schema reached and the component name, if it came from one.
    fn resolve(&self, view: SchemaView<'a>) -> Result<(&'a Schema, Option<String>), Violation> {
        match view {
            SchemaView::Item(s) => Ok((s, None)),
            SchemaView::Ref(r) => {
                let (schema, name) =
                    graph_spec::refs::require_schema(self.doc, r, &graph_spec::Pointer::root())
                        .map_err(|e| spec_defect(e.message))?;
                Ok((schema, Some(name.to_owned())))
            }
        }
    }

    fn check(
        &self,
        view: SchemaView<'a>,
        value: &Value,
        at: &At,
        depth: usize,
    ) -> Result<(), Violation> {
        if depth > MAX_DEPTH {
            return Err(spec_defect("schema nesting too deep".into()));
        }
        let (schema, name) = self.resolve(view)?;
        let at = &At {
            text: at.text.clone(),
            type_name: name.clone().or_else(|| at.type_name.clone()),
        };
        if value.is_null() {
            return if self.allows_null(view, depth)? {
                Ok(())
            } else {
                Err(type_error(at, &self.describe(view, depth)?, value))
            };
        }
        if let Some((derived, type_name)) = self.derived_schema(at.type_name.as_deref(), value) {
            let at = At {
                text: at.text.clone(),
                type_name: Some(type_name),
            };
            return self.check(derived, value, &at, depth + 1);
        }
        let (_, members) = alternatives(schema);
        let real: Vec<SchemaView<'a>> = members
            .iter()
            .map(SchemaView::from)
            .filter(|m| !is_null_member(*m))
            .collect();
        if !real.is_empty() {
            let mut first = None;
            for member in real {
                match self.check(member, value, at, depth + 1) {
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
        let allowed = enum_values(schema);
        if !allowed.is_empty() && !allowed.contains(value) {
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
        let object = self.view(view, at.type_name.clone(), depth)?;
        if object.is_object {
            let Some(map) = value.as_object() else {
                return Err(type_error(at, "an object", value));
            };
            return self.check_object(&object, map, at, depth);
        }
        let ok = match object.scalar_type {
            Some("string") => value.is_string(),
            Some("boolean") => value.is_boolean(),
            Some("integer") => {
                value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            Some("number") => value.is_number(),
            Some("array") => {
                let Some(values) = value.as_array() else {
                    return Err(type_error(at, "an array", value));
                };
                if let Some(item) = items(schema) {
                    for (i, v) in values.iter().enumerate() {
                        self.check(item.into(), v, &at.index(i), depth + 1)?;
                    }
                }
                true
            }
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(type_error(at, &self.describe(view, depth)?, value))
        }
    }

    fn check_object(
        &self,
        view: &ObjectView<'a>,
        map: &Map<String, Value>,
        at: &At,
        depth: usize,
    ) -> Result<(), Violation> {
        for (key, value) in map {
            if let Some((_, property, read_only)) =
                view.properties.iter().find(|(name, _, _)| *name == key)
            {
                if *read_only {
                    return Err(Violation {
                        message: format!(
                            "Invalid request body: the property '{}' is read-only and cannot be set.",
                            at.property(key).display()
                        ),
                        target: at.property(key).text,
                    });
                }
                self.check(*property, value, &at.property(key), depth + 1)?;
                continue;
            }
            match annotation(key) {
                Annotation::TypeHint => {
                    if !value.is_string() {
                        return Err(type_error(&at.property(key), "a string", value));
                    }
                    continue;
                }
                Annotation::Ignored => continue,
                Annotation::Bind => {
                    return Err(Violation {
                        message: format!(
                            "Invalid request body: the annotation '{key}' (linking while writing) is not supported by the graph-emulator; add the reference with a separate $ref request."
                        ),
                        target: at.property(key).text,
                    });
                }
                Annotation::Property => {}
            }
            match &view.additional {
                Additional::Any => {}
                Additional::Schema(schema) => {
                    self.check(*schema, value, &at.property(key), depth + 1)?
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
        if self.purpose == Purpose::Create {
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
        schema: SchemaView<'a>,
        name: Option<String>,
        depth: usize,
    ) -> Result<ObjectView<'a>, Violation> {
        let mut view = ObjectView {
            is_object: false,
            scalar_type: None,
            properties: Vec::new(),
            required: Vec::new(),
            additional: Additional::Denied,
            blanket: None,
            closed: false,
            name,
        };
        self.merge_into(&mut view, schema, depth)?;
        if self.is_open_type(view.name.as_deref()) {
            view.additional = Additional::Any;
        } else if let (Some(blanket), Additional::Denied, false) =
            (view.blanket, &view.additional, view.closed)
        {
            // The blanket on one of Graph's types is not an open type: Graph refuses a
            // property the type does not declare. Elsewhere (a reference body, an action's
            // parameters) it keeps its plain meaning.
            if !view
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with(GRAPH_NAMESPACE))
            {
                view.additional = Additional::Schema(blanket);
            }
        }
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
        schema: SchemaView<'a>,
        depth: usize,
    ) -> Result<(), Violation> {
        if depth > MAX_DEPTH {
            return Err(spec_defect("allOf nesting too deep".into()));
        }
        let (schema, _) = self.resolve(schema)?;
        match declared_type(schema) {
            Some("object") => view.is_object = true,
            Some(other) => view.scalar_type = Some(other),
            None => {}
        }
        if let Some(parts) = object_parts(schema) {
            if !parts.properties.is_empty() {
                view.is_object = true;
            }
            for (name, property) in parts.properties {
                let read_only = match property {
                    graph_spec::openapiv3::ReferenceOr::Item(p) => p.schema_data.read_only,
                    graph_spec::openapiv3::ReferenceOr::Reference { .. } => false,
                };
                match view
                    .properties
                    .iter_mut()
                    .find(|(n, _, _)| *n == name.as_str())
                {
                    Some(existing) => *existing = (name.as_str(), property.into(), read_only),
                    None => view
                        .properties
                        .push((name.as_str(), property.into(), read_only)),
                }
            }
            view.required
                .extend(parts.required.iter().map(String::as_str));
            match parts.additional {
                Some(AdditionalProperties::Any(true)) => view.additional = Additional::Any,
                Some(AdditionalProperties::Any(false)) => view.closed = true,
                Some(AdditionalProperties::Schema(extra)) if is_blanket(extra) => {
                    view.blanket = Some(SchemaView::from(extra.as_ref()));
                }
                Some(AdditionalProperties::Schema(extra)) => {
                    let extra_view = SchemaView::from(extra.as_ref());
                    let free = matches!(extra_view, SchemaView::Item(s) if is_unconstrained(s));
                    if free {
                        view.additional = Additional::Any;
                    } else if matches!(view.additional, Additional::Denied) {
                        view.additional = Additional::Schema(extra_view);
                    }
                }
                None => {}
            }
        }
        for part in all_of(schema) {
            self.merge_into(view, part.into(), depth + 1)?;
        }
        Ok(())
    }

    /// When an object's `@odata.type` names a type derived from `declared` (an
    /// `openTypeExtension` sent where the spec says `extension`, an `application` where it says
    /// `directoryObject`), the derived type's schema and location: the object is checked
    /// against the type it says it is.
    fn derived_schema(
        &self,
        declared: Option<&str>,
        value: &Value,
    ) -> Option<(SchemaView<'a>, String)> {
        let declared = declared?;
        let sent = value.get("@odata.type")?.as_str()?;
        let derived = self.hierarchy.schema_for_odata_type(sent)?;
        if derived == declared || !self.hierarchy.is_assignable(derived, declared) {
            return None;
        }
        let schema = self.doc.components.as_ref()?.schemas.get(derived)?;
        Some((SchemaView::from(schema), derived.to_owned()))
    }

    /// Whether `name` is one of [`OPEN_TYPES`] or derives from one.
    fn is_open_type(&self, name: Option<&str>) -> bool {
        name.is_some_and(|name| {
            OPEN_TYPES
                .iter()
                .any(|open| name == *open || self.hierarchy.is_assignable(name, open))
        })
    }

    /// The names of the properties `schema` declares (with its `allOf` parts).
    pub(crate) fn declared_properties(&self, schema: SchemaView<'a>) -> Vec<String> {
        self.view(schema, None, 0)
            .map(|v| {
                v.properties
                    .iter()
                    .map(|(n, _, _)| (*n).to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn allows_null(&self, view: SchemaView<'a>, depth: usize) -> Result<bool, Violation> {
        if depth > MAX_DEPTH {
            return Ok(false);
        }
        let (schema, _) = self.resolve(view)?;
        if says_nullable(SchemaView::Item(schema)) || is_unconstrained(schema) {
            return Ok(true);
        }
        let (_, members) = alternatives(schema);
        for member in members {
            if self.allows_null(member.into(), depth + 1)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// "a boolean or null" and the like, for messages.
    fn describe(&self, schema: SchemaView<'a>, depth: usize) -> Result<String, Violation> {
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

/// `{type: object}` and nothing else: the `additionalProperties` Microsoft's PowerShell-flavour
/// OpenAPI puts on every schema.
fn is_blanket(extra: &graph_spec::openapiv3::ReferenceOr<Schema>) -> bool {
    let graph_spec::openapiv3::ReferenceOr::Item(schema) = extra else {
        return false;
    };
    declared_type(schema) == Some("object")
        && object_parts(schema).is_none_or(|p| {
            p.properties.is_empty() && p.additional.is_none() && p.required.is_empty()
        })
        && all_of(schema).is_empty()
        && alternatives(schema).1.is_empty()
        && enum_values(schema).is_empty()
}

fn type_error(at: &At, expected: &str, value: &Value) -> Violation {
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
    use super::*;
    use graph_spec::openapiv3::ReferenceOr;
    use serde_json::json;

    fn check(doc: &OpenAPI, schema: &str, body: &Value, purpose: Purpose) -> Result<(), Violation> {
        let hierarchy = Hierarchy::new(doc);
        let validator = Validator {
            doc,
            hierarchy: &hierarchy,
            purpose,
        };
        let reference: ReferenceOr<Schema> = ReferenceOr::Reference {
            reference: format!("#/components/schemas/{schema}"),
        };
        validator.validate((&reference).into(), body)
    }

    fn slice() -> OpenAPI {
        graph_spec::load::parse(crate::DEFAULT_SPEC).unwrap()
    }

    #[test]
    fn limited_mode_bodies() {
        let doc = slice();
        let lm = "microsoft.graph.copilotAdminLimitedMode";
        for ok in [
            json!({}),
            json!({"isEnabledForGroup": true, "groupId": "g"}),
            json!({"isEnabledForGroup": null, "groupId": null}),
            json!({"@odata.type": "#microsoft.graph.copilotAdminLimitedMode", "isEnabledForGroup": false}),
        ] {
            check(&doc, lm, &ok, Purpose::Update).unwrap();
        }
        let err = check(
            &doc,
            lm,
            &json!({"isEnabledForGroup": "yes"}),
            Purpose::Update,
        )
        .unwrap_err();
        assert_eq!(err.target, "isEnabledForGroup");
        assert!(
            err.message.contains("must be a boolean or null"),
            "{}",
            err.message
        );
        let err = check(&doc, lm, &json!({"colour": 1}), Purpose::Update).unwrap_err();
        assert_eq!(err.target, "colour");
        assert!(
            err.message
                .contains("microsoft.graph.copilotAdminLimitedMode"),
            "{}",
            err.message
        );
        // Instance annotations a GET gave are ignored on write; `@odata.bind` is refused.
        check(
            &doc,
            lm,
            &json!({"@odata.context": "x", "@odata.etag": "W/1", "groupId@odata.type": "#String"}),
            Purpose::Update,
        )
        .unwrap();
        let err = check(&doc, lm, &json!({"group@odata.bind": "x"}), Purpose::Update).unwrap_err();
        assert_eq!(err.target, "group@odata.bind");
        let err = check(
            &doc,
            lm,
            &json!({"@odata.type": "#microsoft.graph.user"}),
            Purpose::Update,
        )
        .unwrap_err();
        assert_eq!(err.target, "@odata.type");
        let err = check(&doc, lm, &json!([1]), Purpose::Update).unwrap_err();
        assert!(err.message.contains("must be an object"), "{}", err.message);
    }

    #[test]
    fn derived_types_are_assignable_and_read_only_properties_refused() {
        let doc = slice();
        let sp = "microsoft.graph.servicePrincipal";
        check(
            &doc,
            sp,
            &json!({"@odata.type": "#microsoft.graph.agentIdentity", "displayName": "a"}),
            Purpose::Create,
        )
        .unwrap();
        let err = check(
            &doc,
            sp,
            &json!({"@odata.type": "#microsoft.graph.user"}),
            Purpose::Create,
        )
        .unwrap_err();
        assert_eq!(err.target, "@odata.type");
        let yaml = r##"
openapi: 3.0.4
info: {title: t, version: v}
paths: {}
components:
  schemas:
    thing:
      type: object
      required: [name]
      properties:
        name: {type: string}
        created: {type: string, readOnly: true}
"##;
        let doc = graph_spec::load::parse(yaml).unwrap();
        let err = check(
            &doc,
            "thing",
            &json!({"name": "n", "created": "x"}),
            Purpose::Update,
        )
        .unwrap_err();
        assert_eq!(err.target, "created");
        assert!(err.message.contains("read-only"), "{}", err.message);
        let err = check(&doc, "thing", &json!({}), Purpose::Create).unwrap_err();
        assert_eq!(err.target, "name");
        check(&doc, "thing", &json!({}), Purpose::Update).unwrap();
    }

    #[test]
    fn reference_create_is_open() {
        let doc = slice();
        check(
            &doc,
            "ReferenceCreate",
            &json!({"@odata.id": "x", "extra": {"a": 1}}),
            Purpose::Update,
        )
        .unwrap();
        assert_eq!(
            check(
                &doc,
                "ReferenceCreate",
                &json!({"@odata.id": 5}),
                Purpose::Update
            )
            .unwrap_err()
            .target,
            "@odata.id"
        );
        // additionalProperties: {type: object}: a non-object extra value is mistyped.
        assert_eq!(
            check(
                &doc,
                "ReferenceCreate",
                &json!({"@odata.id": "x", "extra": 1}),
                Purpose::Update
            )
            .unwrap_err()
            .target,
            "extra"
        );
    }

    #[test]
    fn nullable_reference_shapes_and_enums() {
        let yaml = r##"
openapi: 3.0.4
info: {title: t, version: v}
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
        let doc = graph_spec::load::parse(yaml).unwrap();
        let ok = |v: Value| check(&doc, "thing", &v, Purpose::Update).unwrap();
        ok(json!({"a": null, "b": null, "c": "red", "d": [1, 2], "e": "NaN"}));
        ok(json!({"a": {"x": 1}, "b": {"x": 2}, "e": 1.5}));
        let target = |v: Value| {
            check(&doc, "thing", &v, Purpose::Update)
                .unwrap_err()
                .target
        };
        assert_eq!(target(json!({"a": {"y": 1}})), "a.y");
        assert_eq!(target(json!({"c": "blue"})), "c");
        assert_eq!(target(json!({"c": null})), "c");
        assert_eq!(target(json!({"d": [1, "2"]})), "d[1]");
        assert_eq!(target(json!({"e": true})), "e");
    }
}
