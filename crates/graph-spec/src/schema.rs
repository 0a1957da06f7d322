//! One view over the shapes `openapiv3` parses a schema into.
//!
//! `openapiv3` puts the same facts in different places depending on how a schema is written
//! (`type: object` gives [`SchemaKind::Type`], a schema without `type` but with `properties`
//! gives [`SchemaKind::Any`], `allOf` may be [`SchemaKind::AllOf`] or a field of `Any`). The
//! functions here answer the questions both readers ask — what are the object's properties,
//! its `allOf` members, its alternatives, its type, its enum values, may it be `null` — the
//! same way wherever the parser put the answer.
//!
//! # Nullable shapes
//!
//! Microsoft's converters say "this may be `null`" in several ways, by version:
//!
//! * `nullable: true` on the schema itself;
//! * `anyOf: [{$ref}, {type: object, nullable: true}]`;
//! * `{type: object, anyOf: [{$ref}], nullable: true}`;
//! * `anyOf: [{$ref}, {enum: [null]}]`;
//! * an `enum` that lists `null` among its values.
//!
//! [`is_null_member`] recognises the members that only say "or null"; [`says_nullable`] is true
//! for any of the shapes above. The PowerShell flavour uses a plain `$ref` and loses the fact.

use openapiv3::{AdditionalProperties, ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;

/// A schema or a reference to one, whichever box it came in.
#[derive(Debug, Clone, Copy)]
pub enum SchemaView<'s> {
    /// `$ref: …`.
    Ref(&'s str),
    /// An inline schema.
    Item(&'s Schema),
}

impl<'s> From<&'s ReferenceOr<Schema>> for SchemaView<'s> {
    fn from(r: &'s ReferenceOr<Schema>) -> Self {
        match r {
            ReferenceOr::Reference { reference } => SchemaView::Ref(reference),
            ReferenceOr::Item(s) => SchemaView::Item(s),
        }
    }
}

impl<'s> From<&'s ReferenceOr<Box<Schema>>> for SchemaView<'s> {
    fn from(r: &'s ReferenceOr<Box<Schema>>) -> Self {
        match r {
            ReferenceOr::Reference { reference } => SchemaView::Ref(reference),
            ReferenceOr::Item(s) => SchemaView::Item(s),
        }
    }
}

impl<'s> From<&'s Schema> for SchemaView<'s> {
    fn from(s: &'s Schema) -> Self {
        SchemaView::Item(s)
    }
}

/// The parts of an object schema, whichever `SchemaKind` carried them.
#[derive(Debug, Clone)]
pub struct ObjectParts<'s> {
    /// Declared properties, in document order.
    pub properties: Vec<(&'s String, &'s ReferenceOr<Box<Schema>>)>,
    /// The `required` list.
    pub required: &'s [String],
    /// `additionalProperties`, if written.
    pub additional: Option<&'s AdditionalProperties>,
}

/// The object parts of a schema: `type: object`, or any schema with `properties` or
/// `additionalProperties`; `None` for everything else.
pub fn object_parts(schema: &Schema) -> Option<ObjectParts<'_>> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => Some(ObjectParts {
            properties: o.properties.iter().collect(),
            required: &o.required,
            additional: o.additional_properties.as_ref(),
        }),
        SchemaKind::Any(a)
            if !a.properties.is_empty()
                || a.typ.as_deref() == Some("object")
                || a.additional_properties.is_some() =>
        {
            Some(ObjectParts {
                properties: a.properties.iter().collect(),
                required: &a.required,
                additional: a.additional_properties.as_ref(),
            })
        }
        _ => None,
    }
}

/// `allOf` members, wherever the parser put them.
pub fn all_of(schema: &Schema) -> &[ReferenceOr<Schema>] {
    match &schema.schema_kind {
        SchemaKind::AllOf { all_of } => all_of,
        SchemaKind::Any(a) => &a.all_of,
        _ => &[],
    }
}

/// Which keyword listed alternatives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlternativesKind {
    /// `anyOf`.
    AnyOf,
    /// `oneOf`.
    OneOf,
}

impl AlternativesKind {
    /// The keyword, for JSON pointers and messages.
    pub fn keyword(self) -> &'static str {
        match self {
            AlternativesKind::AnyOf => "anyOf",
            AlternativesKind::OneOf => "oneOf",
        }
    }
}

/// `anyOf`/`oneOf` members, wherever the parser put them (`anyOf` first when both exist).
pub fn alternatives(schema: &Schema) -> (AlternativesKind, &[ReferenceOr<Schema>]) {
    match &schema.schema_kind {
        SchemaKind::AnyOf { any_of } => (AlternativesKind::AnyOf, any_of),
        SchemaKind::OneOf { one_of } => (AlternativesKind::OneOf, one_of),
        SchemaKind::Any(a) if !a.any_of.is_empty() => (AlternativesKind::AnyOf, &a.any_of),
        SchemaKind::Any(a) => (AlternativesKind::OneOf, &a.one_of),
        _ => (AlternativesKind::AnyOf, &[]),
    }
}

/// A member of `anyOf`/`oneOf` that only says "or null": `{type: object, nullable: true}`
/// without properties, `{enum: [null]}`, `{type: 'null'}` or a bare `{nullable: true}`.
pub fn is_null_member(view: SchemaView<'_>) -> bool {
    let SchemaView::Item(s) = view else {
        return false;
    };
    match &s.schema_kind {
        SchemaKind::Type(Type::Object(o)) => {
            s.schema_data.nullable && o.properties.is_empty() && o.additional_properties.is_none()
        }
        SchemaKind::Any(a) => {
            let only_null_enum =
                !a.enumeration.is_empty() && a.enumeration.iter().all(Value::is_null);
            let bare = a.properties.is_empty()
                && a.items.is_none()
                && a.any_of.is_empty()
                && a.one_of.is_empty()
                && a.all_of.is_empty()
                && a.enumeration.is_empty();
            only_null_enum
                || a.typ.as_deref() == Some("null")
                || (bare
                    && s.schema_data.nullable
                    && matches!(a.typ.as_deref(), None | Some("object")))
        }
        _ => false,
    }
}

/// Whether a schema says, in one of the nullable shapes (see the module docs), that `null` is
/// allowed. A plain `$ref` does not (whatever the target says: Graph's nullable references are
/// written with one of the shapes).
pub fn says_nullable(view: SchemaView<'_>) -> bool {
    let SchemaView::Item(s) = view else {
        return false;
    };
    if s.schema_data.nullable || enum_allows_null(s) {
        return true;
    }
    let (_, members) = alternatives(s);
    if members.iter().any(|m| is_null_member(m.into())) {
        return true;
    }
    let parts = all_of(s);
    parts.len() == 1 && object_parts(s).is_none() && says_nullable((&parts[0]).into())
}

/// The JSON type a schema declares (`type: …`), if any.
pub fn declared_type(schema: &Schema) -> Option<&str> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(_)) => Some("string"),
        SchemaKind::Type(Type::Number(_)) => Some("number"),
        SchemaKind::Type(Type::Integer(_)) => Some("integer"),
        SchemaKind::Type(Type::Boolean(_)) => Some("boolean"),
        SchemaKind::Type(Type::Object(_)) => Some("object"),
        SchemaKind::Type(Type::Array(_)) => Some("array"),
        SchemaKind::Any(a) => a.typ.as_deref(),
        _ => None,
    }
}

/// The `items` of an array schema.
pub fn items(schema: &Schema) -> Option<&ReferenceOr<Box<Schema>>> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Array(a)) => a.items.as_ref(),
        SchemaKind::Any(a) => a.items.as_ref(),
        _ => None,
    }
}

/// The `enum` values of a schema as JSON values (strings, numbers, booleans, nulls); empty
/// when it has none.
pub fn enum_values(schema: &Schema) -> Vec<Value> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => s
            .enumeration
            .iter()
            .map(|v| v.clone().map_or(Value::Null, Value::String))
            .collect(),
        SchemaKind::Type(Type::Integer(i)) => i
            .enumeration
            .iter()
            .map(|v| v.map_or(Value::Null, Value::from))
            .collect(),
        SchemaKind::Type(Type::Number(n)) => n
            .enumeration
            .iter()
            .map(|v| {
                v.and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            })
            .collect(),
        SchemaKind::Type(Type::Boolean(b)) => b
            .enumeration
            .iter()
            .map(|v| v.map_or(Value::Null, Value::Bool))
            .collect(),
        SchemaKind::Any(a) => a.enumeration.clone(),
        _ => Vec::new(),
    }
}

/// Whether the schema's `enum` lists `null`.
pub fn enum_allows_null(schema: &Schema) -> bool {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => s.enumeration.iter().any(Option::is_none),
        SchemaKind::Any(a) => a.enumeration.iter().any(Value::is_null),
        _ => false,
    }
}

/// The string members of a string enumeration (`enum` of strings, possibly with `null`), in
/// order; `None` when the schema is not one or lists no string.
pub fn string_enum(schema: &Schema) -> Option<Vec<String>> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) if !s.enumeration.is_empty() => {
            Some(s.enumeration.iter().flatten().cloned().collect())
        }
        SchemaKind::Any(a)
            if !a.enumeration.is_empty()
                && a.enumeration.iter().all(|v| v.is_string() || v.is_null())
                && a.enumeration.iter().any(Value::is_string) =>
        {
            Some(
                a.enumeration
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            )
        }
        _ => None,
    }
    .filter(|values: &Vec<String>| !values.is_empty())
}

/// The `format` of a schema, as written (`int32`, `date-time`, `uuid`, `base64url`, …).
pub fn format(schema: &Schema) -> Option<String> {
    use openapiv3::{IntegerFormat, NumberFormat, StringFormat, VariantOrUnknownOrEmpty as V};
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => match &s.format {
            V::Item(StringFormat::Date) => Some("date".into()),
            V::Item(StringFormat::DateTime) => Some("date-time".into()),
            V::Item(StringFormat::Password) => Some("password".into()),
            V::Item(StringFormat::Byte) => Some("byte".into()),
            V::Item(StringFormat::Binary) => Some("binary".into()),
            V::Unknown(f) => Some(f.clone()),
            V::Empty => None,
        },
        SchemaKind::Type(Type::Integer(i)) => match &i.format {
            V::Item(IntegerFormat::Int32) => Some("int32".into()),
            V::Item(IntegerFormat::Int64) => Some("int64".into()),
            V::Unknown(f) => Some(f.clone()),
            V::Empty => None,
        },
        SchemaKind::Type(Type::Number(n)) => match &n.format {
            V::Item(NumberFormat::Float) => Some("float".into()),
            V::Item(NumberFormat::Double) => Some("double".into()),
            V::Unknown(f) => Some(f.clone()),
            V::Empty => None,
        },
        SchemaKind::Any(a) => a.format.clone(),
        _ => None,
    }
}

/// `true` for a schema that constrains nothing (`{}`, or only descriptions): any JSON value,
/// `null` included, conforms to it.
pub fn is_unconstrained(schema: &Schema) -> bool {
    match &schema.schema_kind {
        SchemaKind::Any(a) => {
            a.typ.is_none()
                && a.properties.is_empty()
                && a.additional_properties.is_none()
                && a.items.is_none()
                && a.enumeration.is_empty()
                && a.all_of.is_empty()
                && a.any_of.is_empty()
                && a.one_of.is_empty()
                && a.not.is_none()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(yaml: &str) -> Schema {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    #[test]
    fn the_nullable_shapes() {
        let shapes = [
            "type: string\nnullable: true",
            "anyOf:\n  - $ref: '#/components/schemas/x'\n  - type: object\n    nullable: true",
            "type: object\nanyOf:\n  - $ref: '#/components/schemas/x'\nnullable: true",
            "anyOf:\n  - $ref: '#/components/schemas/x'\n  - enum: [null]",
            "type: string\nenum: [a, null]",
            "allOf:\n  - type: string\n    nullable: true",
        ];
        for yaml in shapes {
            assert!(says_nullable(SchemaView::Item(&schema(yaml))), "{yaml}");
        }
        for yaml in [
            "type: string",
            "$ref: '#/components/schemas/x'",
            "anyOf:\n  - type: string\n  - type: number",
        ] {
            let s = schema(yaml);
            assert!(!says_nullable(SchemaView::Item(&s)), "{yaml}");
        }
        assert!(!says_nullable(SchemaView::Ref("#/components/schemas/x")));
    }

    #[test]
    fn object_parts_wherever_they_are() {
        let typed = schema("type: object\nproperties:\n  a: {type: string}\nrequired: [a]");
        let parts = object_parts(&typed).unwrap();
        assert_eq!(parts.properties.len(), 1);
        assert_eq!(parts.required, ["a".to_owned()]);
        let untyped = schema("properties:\n  a: {type: string}");
        assert!(object_parts(&untyped).is_some());
        assert!(object_parts(&schema("type: string")).is_none());
        let with_all_of = schema("allOf:\n  - $ref: '#/components/schemas/x'\n  - type: object");
        assert_eq!(all_of(&with_all_of).len(), 2);
    }

    #[test]
    fn enums_and_types() {
        let e = schema("type: string\nenum: [red, green, null]");
        assert_eq!(string_enum(&e).unwrap(), ["red", "green"]);
        assert!(enum_allows_null(&e));
        assert_eq!(enum_values(&e).len(), 3);
        assert_eq!(declared_type(&e), Some("string"));
        assert!(is_unconstrained(&schema("description: anything")));
        assert!(!is_unconstrained(&e));
        assert_eq!(
            format(&schema("type: integer\nformat: int32")).as_deref(),
            Some("int32")
        );
        assert_eq!(
            format(&schema("type: string\nformat: uuid")).as_deref(),
            Some("uuid")
        );
    }
}
