//! Schemas → models and type references.

use graph_spec::refs::{SCHEMA_PREFIX, schema_name};
pub(crate) use graph_spec::schema::SchemaView;
use graph_spec::schema::{all_of, alternatives, is_null_member, object_parts, string_enum};
use openapiv3::{
    AdditionalProperties, IntegerFormat, NumberFormat, ReferenceOr, Schema, SchemaKind,
    StringFormat, Type, VariantOrUnknownOrEmpty,
};

use super::Lowerer;
use crate::error::{Pointer, SpecError};
use crate::ir::{EnumModel, Field, IntKind, Model, ModelKind, StructModel, TypeRef, Variant};
use crate::naming::{self, Scope};

/// A lowered property or item type and whether `null` is allowed.
pub(crate) struct Lowered {
    pub(crate) ty: TypeRef,
    pub(crate) nullable: bool,
}

/// A field before uniqueness of Rust names is settled.
struct RawField {
    json_name: String,
    ty: TypeRef,
    nullable: bool,
    required: bool,
    read_only: bool,
    docs: Option<String>,
    format: Option<String>,
}

/// A member that is a JSON number or a string (Graph's special doubles).
fn is_numberish(view: SchemaView<'_>, lowerer: &Lowerer<'_>) -> bool {
    match view {
        SchemaView::Ref(r) => {
            r.strip_prefix(SCHEMA_PREFIX)
                .is_some_and(|name| name.ends_with("ReferenceNumeric"))
                || lowerer
                    .resolve_schema(r)
                    .is_some_and(|s| matches!(s.schema_kind, SchemaKind::Type(Type::String(_))))
        }
        SchemaView::Item(s) => match &s.schema_kind {
            SchemaKind::Type(Type::Number(_) | Type::Integer(_) | Type::String(_)) => true,
            SchemaKind::Any(a) => matches!(a.typ.as_deref(), Some("number" | "integer" | "string")),
            _ => false,
        },
    }
}

fn format_note(format: &VariantOrUnknownOrEmpty<StringFormat>) -> Option<String> {
    match format {
        VariantOrUnknownOrEmpty::Item(StringFormat::Date) => Some("date".into()),
        VariantOrUnknownOrEmpty::Item(StringFormat::DateTime) => Some("date-time".into()),
        VariantOrUnknownOrEmpty::Item(StringFormat::Password) => Some("password".into()),
        VariantOrUnknownOrEmpty::Item(StringFormat::Byte) => Some("byte".into()),
        VariantOrUnknownOrEmpty::Item(StringFormat::Binary) => Some("binary".into()),
        VariantOrUnknownOrEmpty::Unknown(f) => Some(f.clone()),
        VariantOrUnknownOrEmpty::Empty => None,
    }
}

fn int_kind(format: Option<&str>) -> IntKind {
    match format {
        Some("int8") => IntKind::I8,
        Some("uint8") => IntKind::U8,
        Some("int16") => IntKind::I16,
        Some("int32") => IntKind::I32,
        _ => IntKind::I64,
    }
}

/// The unsigned kind of the same width when the spec says the value is never negative
/// (`minimum: 0` or more, e.g. `$top`), so a negative value cannot be written.
fn unsigned_if_non_negative(kind: IntKind, minimum: Option<i64>) -> IntKind {
    match (kind, minimum) {
        (IntKind::I32, Some(min)) if min >= 0 => IntKind::U32,
        (IntKind::I64, Some(min)) if min >= 0 => IntKind::U64,
        (kind, _) => kind,
    }
}

fn number_type(format: Option<&str>) -> TypeRef {
    match format {
        Some("float") => TypeRef::F32,
        _ => TypeRef::F64,
    }
}

fn docs_of(schema: &Schema) -> Option<String> {
    schema
        .schema_data
        .description
        .clone()
        .filter(|d| !d.trim().is_empty())
}

impl<'a> Lowerer<'a> {
    /// The schema a `#/components/schemas/…` reference points at, following
    /// chains of references (a chain that loops resolves to `None`).
    pub(crate) fn resolve_schema(&self, reference: &str) -> Option<&'a Schema> {
        graph_spec::refs::schema(self.doc, reference)
    }

    /// The Rust name a schema reference lowers to.
    fn named(&self, reference: &str, at: &Pointer) -> Result<TypeRef, SpecError> {
        let name = schema_name(reference).ok_or_else(|| {
            at.error(format!(
                "unsupported $ref `{reference}`: only `{SCHEMA_PREFIX}…` can name a schema"
            ))
        })?;
        self.schema_names
            .get(name)
            .map(|rust| TypeRef::Named(rust.clone()))
            .ok_or_else(|| at.error(format!("unresolved $ref `{reference}`")))
    }

    /// Lowers every component schema to a model.
    pub(crate) fn lower_components(&mut self) -> Result<(), SpecError> {
        let Some(components) = self.doc.components.as_ref() else {
            return Ok(());
        };
        let base = Pointer::root().push("components").push("schemas");
        for (key, schema) in &components.schemas {
            let at = base.push(key);
            let rust_name = self.schema_names[key].clone();
            let model = self.lower_named(key, &rust_name, schema.into(), &at)?;
            self.models.insert(rust_name, model);
        }
        Ok(())
    }

    /// Lowers one schema into a model called `rust_name`.
    fn lower_named(
        &mut self,
        schema_name: &str,
        rust_name: &str,
        view: SchemaView<'a>,
        at: &Pointer,
    ) -> Result<Model, SpecError> {
        let module = self.module_for(rust_name);
        let (docs, kind) = match view {
            SchemaView::Ref(r) => {
                if self.resolve_schema(r).is_none() {
                    return Err(at.error(format!(
                        "`$ref: {r}` does not lead to a schema (missing, or a loop of references)"
                    )));
                }
                (None, ModelKind::Alias(self.named(r, at)?))
            }
            SchemaView::Item(s) => {
                // Overlay rules are emulator data, but a malformed rule fails generation here.
                graph_spec::extensions::schema_rules(&s.schema_data.extensions, at)?;
                let docs = docs_of(s).or_else(|| s.schema_data.title.clone());
                let kind = if object_parts(s).is_some() || !all_of(s).is_empty() {
                    ModelKind::Struct(self.lower_struct(rust_name, s, at)?)
                } else if let Some(values) = string_enum(s) {
                    ModelKind::Enum(enum_model(&values))
                } else {
                    ModelKind::Alias(self.lower_type(view, at, rust_name)?.ty)
                };
                (docs, kind)
            }
        };
        Ok(Model {
            rust_name: rust_name.to_owned(),
            module,
            schema_name: schema_name.to_owned(),
            pointer: at.as_str().to_owned(),
            docs,
            kind,
        })
    }

    /// Flattens `allOf` inheritance and properties into one struct.
    fn lower_struct(
        &mut self,
        rust_name: &str,
        schema: &'a Schema,
        at: &Pointer,
    ) -> Result<StructModel, SpecError> {
        let mut raw = Vec::new();
        let mut bases = Vec::new();
        let mut visiting = Vec::new();
        self.collect_fields(
            rust_name,
            SchemaView::Item(schema),
            at,
            &mut raw,
            &mut bases,
            &mut visiting,
        )?;

        let mut scope = Scope::new();
        let mut fields = Vec::with_capacity(raw.len());
        let extra_candidates: Vec<String> =
            raw.iter().map(|f| naming::snake(&f.json_name)).collect();
        for f in raw {
            let rust = scope.unique_snake(naming::snake(&f.json_name));
            fields.push(Field {
                json_name: f.json_name,
                rust_name: rust,
                ty: f.ty,
                nullable: f.nullable,
                required: f.required,
                read_only: f.read_only,
                boxed: false,
                docs: f.docs,
                format: f.format,
            });
        }
        let extra_field = if extra_candidates
            .iter()
            .any(|c| c == "additional_properties")
        {
            scope.unique_snake("additional_properties".to_owned())
        } else {
            "additional_properties".to_owned()
        };
        // `x-ms-discriminator-value`, else the key of a discriminator mapping entry naming this
        // schema (the PowerShell flavour writes no discriminator values).
        let odata_type =
            graph_spec::extensions::discriminator_value(&schema.schema_data.extensions)
                .map(str::to_owned)
                .or_else(|| {
                    let name = self
                        .schema_names
                        .iter()
                        .find(|(_, r)| r.as_str() == rust_name)
                        .map(|(k, _)| k.as_str())?;
                    self.hierarchy.declared_odata_type(name).map(str::to_owned)
                });
        Ok(StructModel {
            fields,
            odata_type,
            bases,
            extra_field,
        })
    }

    /// Appends the fields of `view` (bases first) to `out`; a property that
    /// a derived schema declares again replaces the base's in place.
    fn collect_fields(
        &mut self,
        owner: &str,
        view: SchemaView<'a>,
        at: &Pointer,
        out: &mut Vec<RawField>,
        bases: &mut Vec<String>,
        visiting: &mut Vec<String>,
    ) -> Result<(), SpecError> {
        let schema = match view {
            SchemaView::Ref(r) => {
                let name = r.strip_prefix(SCHEMA_PREFIX).unwrap_or(r).to_owned();
                if visiting.contains(&name) {
                    return Err(at.error(format!("allOf inheritance cycle through `{name}`")));
                }
                let target = self
                    .resolve_schema(r)
                    .ok_or_else(|| at.error(format!("unresolved $ref `{r}`")))?;
                visiting.push(name.clone());
                let target_at = Pointer::root()
                    .push("components")
                    .push("schemas")
                    .push(&name);
                // Inline types of a base are named after the base and shared.
                let base_owner = self
                    .schema_names
                    .get(&name)
                    .cloned()
                    .unwrap_or_else(|| owner.to_owned());
                self.collect_fields(
                    &base_owner,
                    SchemaView::Item(target),
                    &target_at,
                    out,
                    bases,
                    visiting,
                )?;
                visiting.pop();
                if !bases.contains(&name) {
                    bases.push(name);
                }
                return Ok(());
            }
            SchemaView::Item(s) => s,
        };
        for (i, member) in all_of(schema).iter().enumerate() {
            let member_at = at.push("allOf").push(&i.to_string());
            let member_view = SchemaView::from(member);
            if let SchemaView::Item(m) = member_view {
                if object_parts(m).is_none() && all_of(m).is_empty() {
                    return Err(member_at.error("allOf member is not an object schema"));
                }
            }
            self.collect_fields(owner, member_view, &member_at, out, bases, visiting)?;
        }
        let Some(parts) = object_parts(schema) else {
            return Ok(());
        };
        for (json_name, prop) in parts.properties {
            let prop_at = at.push("properties").push(json_name);
            let hint = format!("{owner}{}", naming::pascal_words(json_name));
            let lowered = self.lower_type(prop.into(), &prop_at, &hint)?;
            let (read_only, docs, format) = match SchemaView::from(prop) {
                SchemaView::Item(p) => (p.schema_data.read_only, docs_of(p), type_format(p)),
                SchemaView::Ref(_) => (false, None, None),
            };
            let field = RawField {
                json_name: json_name.clone(),
                ty: lowered.ty,
                nullable: lowered.nullable,
                required: parts.required.contains(json_name),
                read_only,
                docs,
                format,
            };
            match out.iter_mut().find(|f| f.json_name == *json_name) {
                Some(existing) => {
                    let docs = field.docs.clone().or_else(|| existing.docs.take());
                    *existing = RawField { docs, ..field };
                }
                None => out.push(field),
            }
        }
        Ok(())
    }

    /// Lowers a property, item or parameter schema to a type; inline
    /// objects and enums become models named after `hint`.
    pub(crate) fn lower_type(
        &mut self,
        view: SchemaView<'a>,
        at: &Pointer,
        hint: &str,
    ) -> Result<Lowered, SpecError> {
        let schema = match view {
            SchemaView::Ref(r) => {
                let named = self.named(r, at)?;
                return Ok(Lowered {
                    ty: self.polymorphic_or(r, named),
                    nullable: false,
                });
            }
            SchemaView::Item(s) => s,
        };
        let nullable = schema.schema_data.nullable;
        let plain = |ty| Ok(Lowered { ty, nullable });

        if !all_of(schema).is_empty() {
            let members = all_of(schema);
            if members.len() == 1 && object_parts(schema).is_none() {
                let inner =
                    self.lower_type((&members[0]).into(), &at.push("allOf").push("0"), hint)?;
                return Ok(Lowered {
                    ty: inner.ty,
                    nullable: nullable || inner.nullable,
                });
            }
            return plain(self.inline_struct(schema, at, hint)?);
        }
        let (alts_kind, alts) = alternatives(schema);
        if !alts.is_empty() {
            return self.lower_alternatives(schema, alts_kind.keyword(), alts, at, hint);
        }
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(s)) => self.lower_string(schema, s, at, hint),
            SchemaKind::Type(Type::Boolean(_)) => plain(TypeRef::Bool),
            SchemaKind::Type(Type::Integer(i)) => {
                let kind = match &i.format {
                    VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => IntKind::I32,
                    VariantOrUnknownOrEmpty::Item(IntegerFormat::Int64) => IntKind::I64,
                    VariantOrUnknownOrEmpty::Unknown(f) => int_kind(Some(f)),
                    VariantOrUnknownOrEmpty::Empty => IntKind::I64,
                };
                plain(TypeRef::Int(unsigned_if_non_negative(kind, i.minimum)))
            }
            SchemaKind::Type(Type::Number(n)) => plain(match &n.format {
                VariantOrUnknownOrEmpty::Item(NumberFormat::Float) => TypeRef::F32,
                VariantOrUnknownOrEmpty::Item(NumberFormat::Double) => TypeRef::F64,
                VariantOrUnknownOrEmpty::Unknown(f) => number_type(Some(f)),
                VariantOrUnknownOrEmpty::Empty => TypeRef::F64,
            }),
            SchemaKind::Type(Type::Array(a)) => {
                let Some(items) = &a.items else {
                    return plain(TypeRef::Array(Box::new(TypeRef::Json), true));
                };
                let item =
                    self.lower_type(items.into(), &at.push("items"), &format!("{hint}Item"))?;
                plain(TypeRef::Array(Box::new(item.ty), item.nullable))
            }
            SchemaKind::Type(Type::Object(_)) => plain(self.object_type(schema, at, hint)?),
            SchemaKind::Not { .. } => {
                self.diagnostic(at.as_str(), "`not` schema lowered to serde_json::Value");
                plain(TypeRef::Json)
            }
            SchemaKind::Any(a) => self.lower_any(schema, a, at, hint),
            SchemaKind::OneOf { .. } | SchemaKind::AnyOf { .. } | SchemaKind::AllOf { .. } => {
                plain(TypeRef::Json)
            }
        }
    }

    /// A string schema: a string, or an inline enum named after `hint` when it lists values
    /// (`null` among them makes it nullable; only `null` makes it a JSON value).
    fn lower_string(
        &mut self,
        schema: &'a Schema,
        s: &'a openapiv3::StringType,
        at: &Pointer,
        hint: &str,
    ) -> Result<Lowered, SpecError> {
        let nullable = schema.schema_data.nullable;
        let plain = |ty| Ok(Lowered { ty, nullable });
        if !s.enumeration.is_empty() {
            let has_null = s.enumeration.iter().any(Option::is_none);
            let values: Vec<String> = s.enumeration.iter().flatten().cloned().collect();
            if values.is_empty() {
                return Ok(Lowered {
                    ty: TypeRef::Json,
                    nullable: true,
                });
            }
            let ty = self.inline_enum(hint, &values, at, docs_of(schema));
            return Ok(Lowered {
                ty,
                nullable: nullable || has_null,
            });
        }
        plain(TypeRef::String)
    }

    /// A schema without `type` (or with one `openapiv3` reads as "any"): `null`-only and
    /// string enums, then by its `type` and shape.
    fn lower_any(
        &mut self,
        schema: &'a Schema,
        a: &'a openapiv3::AnySchema,
        at: &Pointer,
        hint: &str,
    ) -> Result<Lowered, SpecError> {
        let nullable = schema.schema_data.nullable;
        let plain = |ty| Ok(Lowered { ty, nullable });
        if !a.enumeration.is_empty() && a.enumeration.iter().all(|v| v.is_null()) {
            return Ok(Lowered {
                ty: TypeRef::Json,
                nullable: true,
            });
        }
        if !a.enumeration.is_empty() && a.enumeration.iter().all(|v| v.is_string() || v.is_null()) {
            let values: Vec<String> = a
                .enumeration
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let has_null = a.enumeration.iter().any(|v| v.is_null());
            let ty = self.inline_enum(hint, &values, at, docs_of(schema));
            return Ok(Lowered {
                ty,
                nullable: nullable || has_null,
            });
        }
        match a.typ.as_deref() {
            Some("string") => plain(TypeRef::String),
            Some("boolean") => plain(TypeRef::Bool),
            Some("integer") => plain(TypeRef::Int(int_kind(a.format.as_deref()))),
            Some("number") => plain(number_type(a.format.as_deref())),
            Some("array") | None if a.items.is_some() => {
                let items = a.items.as_ref().map(SchemaView::from);
                let item = match items {
                    Some(v) => self.lower_type(v, &at.push("items"), &format!("{hint}Item"))?,
                    None => Lowered {
                        ty: TypeRef::Json,
                        nullable: true,
                    },
                };
                plain(TypeRef::Array(Box::new(item.ty), item.nullable))
            }
            Some("object") | None if object_parts(schema).is_some() => {
                plain(self.object_type(schema, at, hint)?)
            }
            Some("array") => plain(TypeRef::Array(Box::new(TypeRef::Json), true)),
            Some(other) if other != "object" => {
                Err(at.error(format!("unknown schema type `{other}`")))
            }
            _ => plain(TypeRef::Json),
        }
    }

    /// `anyOf`/`oneOf`: the three nullable-reference shapes, Graph's
    /// number-or-string doubles, or (otherwise) a JSON value.
    fn lower_alternatives(
        &mut self,
        schema: &'a Schema,
        key: &'static str,
        alts: &'a [ReferenceOr<Schema>],
        at: &Pointer,
        hint: &str,
    ) -> Result<Lowered, SpecError> {
        let mut nullable = schema.schema_data.nullable;
        let mut real = Vec::new();
        for (i, alt) in alts.iter().enumerate() {
            let view = SchemaView::from(alt);
            if is_null_member(view) {
                nullable = true;
            } else {
                real.push((i, view));
            }
        }
        match real.as_slice() {
            [] => Ok(Lowered { ty: TypeRef::Json, nullable: true }),
            [(i, only)] => {
                let inner = self.lower_type(*only, &at.push(key).push(&i.to_string()), hint)?;
                Ok(Lowered {
                    ty: inner.ty,
                    nullable: nullable || inner.nullable,
                })
            }
            many if many.iter().all(|(_, v)| is_numberish(*v, self))
                && many.iter().any(|(_, v)| matches!(v, SchemaView::Item(s) if matches!(
                    &s.schema_kind,
                    SchemaKind::Type(Type::Number(_) | Type::Integer(_))
                ) || matches!(&s.schema_kind, SchemaKind::Any(a) if matches!(a.typ.as_deref(), Some("number" | "integer"))))) =>
            {
                Ok(Lowered { ty: TypeRef::FlexNumber, nullable })
            }
            _ => {
                self.diagnostic(
                    at.as_str(),
                    format!("{key} of {} alternatives lowered to serde_json::Value", real.len()),
                );
                Ok(Lowered { ty: TypeRef::Json, nullable })
            }
        }
    }

    /// An object used as a property: a map, an open JSON object, or an
    /// inline struct model.
    fn object_type(
        &mut self,
        schema: &'a Schema,
        at: &Pointer,
        hint: &str,
    ) -> Result<TypeRef, SpecError> {
        let Some(parts) = object_parts(schema) else {
            return Ok(TypeRef::Json);
        };
        if !parts.properties.is_empty() {
            return self.inline_struct(schema, at, hint);
        }
        match parts.additional {
            Some(AdditionalProperties::Schema(inner)) => {
                let inner_view = SchemaView::from(inner.as_ref());
                let open_object = matches!(inner_view, SchemaView::Item(s) if object_parts(s).is_some_and(|p| p.properties.is_empty() && p.additional.is_none()));
                if open_object {
                    return Ok(TypeRef::Json);
                }
                let value = self.lower_type(
                    inner_view,
                    &at.push("additionalProperties"),
                    &format!("{hint}Value"),
                )?;
                Ok(TypeRef::Map(Box::new(value.ty)))
            }
            _ => Ok(TypeRef::Json),
        }
    }

    fn inline_struct(
        &mut self,
        schema: &'a Schema,
        at: &Pointer,
        hint: &str,
    ) -> Result<TypeRef, SpecError> {
        if let Some(done) = self.inline_cache.get(at.as_str()) {
            return Ok(done.clone());
        }
        let rust_name = self.type_scope.unique_type(naming::pascal(hint));
        let module = self.module_for(&rust_name);
        self.inline_cache
            .insert(at.as_str().to_owned(), TypeRef::Named(rust_name.clone()));
        let strukt = self.lower_struct(&rust_name, schema, at)?;
        let model = Model {
            rust_name: rust_name.clone(),
            module,
            schema_name: format!("{hint} (inline)"),
            pointer: at.as_str().to_owned(),
            docs: docs_of(schema),
            kind: ModelKind::Struct(strukt),
        };
        self.models.insert(rust_name.clone(), model);
        Ok(TypeRef::Named(rust_name))
    }

    fn inline_enum(
        &mut self,
        hint: &str,
        values: &[String],
        at: &Pointer,
        docs: Option<String>,
    ) -> TypeRef {
        if let Some(done) = self.inline_cache.get(at.as_str()) {
            return done.clone();
        }
        let rust_name = self.type_scope.unique_type(naming::pascal(hint));
        let module = self.module_for(&rust_name);
        let model = Model {
            rust_name: rust_name.clone(),
            module,
            schema_name: format!("{hint} (inline)"),
            pointer: at.as_str().to_owned(),
            docs,
            kind: ModelKind::Enum(enum_model(values)),
        };
        self.models.insert(rust_name.clone(), model);
        self.inline_cache
            .insert(at.as_str().to_owned(), TypeRef::Named(rust_name.clone()));
        TypeRef::Named(rust_name)
    }
}

fn enum_model(values: &[String]) -> EnumModel {
    let mut scope = Scope::new();
    let mut variants = Vec::new();
    for value in values {
        if variants.iter().any(|v: &Variant| v.value == *value) {
            continue;
        }
        let rust_name = scope.unique_type(naming::pascal(value));
        variants.push(Variant {
            value: value.clone(),
            rust_name,
        });
    }
    let catch_all = scope.unique_type("Other".to_owned());
    EnumModel {
        variants,
        catch_all,
    }
}

/// The `format` of a property, for docs.
fn type_format(schema: &Schema) -> Option<String> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => format_note(&s.format),
        SchemaKind::Any(a) => a.format.clone(),
        _ => None,
    }
}
