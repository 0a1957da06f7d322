//! IR models → `crates/graph-models/src/**`: one file per type plus `lib.rs`.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{GeneratedFile, docs, render};
use crate::error::SpecError;
use crate::ir::{
    Api, EnumModel, Field, IntKind, Model, ModelKind, PolymorphicModel, StructModel, TypeRef,
};

/// Rust tokens for a type; `models_path` prefixes generated model names
/// (`crate` inside the models crate, `graph_models` elsewhere).
pub fn type_tokens(ty: &TypeRef, models_path: &TokenStream) -> TokenStream {
    match ty {
        TypeRef::String => quote!(String),
        TypeRef::Bool => quote!(bool),
        TypeRef::Int(IntKind::I8) => quote!(i8),
        TypeRef::Int(IntKind::U8) => quote!(u8),
        TypeRef::Int(IntKind::I16) => quote!(i16),
        TypeRef::Int(IntKind::I32) => quote!(i32),
        TypeRef::Int(IntKind::I64) => quote!(i64),
        TypeRef::Int(IntKind::U32) => quote!(u32),
        TypeRef::Int(IntKind::U64) => quote!(u64),
        TypeRef::F32 => quote!(f32),
        TypeRef::F64 => quote!(f64),
        TypeRef::FlexNumber => quote!(graph_types::FlexNumber),
        TypeRef::Json => quote!(serde_json::Value),
        TypeRef::Named(n) => {
            let ident = format_ident!("{}", n);
            quote!(#models_path::#ident)
        }
        TypeRef::Array(inner, nullable_items) => {
            let inner = type_tokens(inner, models_path);
            if *nullable_items {
                quote!(Vec<Option<#inner>>)
            } else {
                quote!(Vec<#inner>)
            }
        }
        TypeRef::Map(inner) => {
            let inner = type_tokens(inner, models_path);
            quote!(std::collections::BTreeMap<String, #inner>)
        }
    }
}

/// Every file of the models crate.
/// `dir` is the crate directory relative to the workspace root.
pub fn emit(
    api: &Api,
    areas: &super::areas::Areas,
    dir: &str,
    spec_path: &str,
) -> Result<Vec<GeneratedFile>, SpecError> {
    let mut files = Vec::with_capacity(api.models.len() + 1);
    files.push(emit_lib(api, areas, dir, spec_path)?);
    files.push(render(
        format!("{dir}/src/all_models.rs"),
        spec_path,
        emit_all_models(api),
    )?);
    for model in api.models.values() {
        let tokens = emit_model(api, model);
        files.push(render(
            format!("{dir}/src/{}.rs", model.module),
            spec_path,
            tokens,
        )?);
    }
    Ok(files)
}

/// `all_models.rs`: `for_each_model!`, which hands every model type to a macro.
fn emit_all_models(api: &Api) -> TokenStream {
    let all_models = api
        .models
        .values()
        .filter(|m| !matches!(m.kind, ModelKind::Alias(_)))
        .map(|m| {
            let name = format_ident!("{}", m.rust_name);
            quote!($crate::#name)
        });
    quote! {
        //! [`for_each_model!`](crate::for_each_model): every model type, for code that must visit
        //! each one (the fuzz harness decodes arbitrary input into all of them).

        /// Calls `$callback!` with every model type of the crate (with `all-areas`).
        #[doc(hidden)]
        #[macro_export]
        macro_rules! for_each_model {
            ($callback:ident) => {
                $callback! { #(#all_models),* }
            };
        }
    }
}

fn emit_lib(
    api: &Api,
    areas: &super::areas::Areas,
    dir: &str,
    spec_path: &str,
) -> Result<GeneratedFile, SpecError> {
    let inner_docs = docs::inner_attrs(&[
        format!("Serde models for {}.", docs::clean(&api.title)),
        String::new(),
        "Generated from the OpenAPI slice: one type per schema. Every property is optional when \
         reading (Graph returns partial objects under `$select`), properties the spec marks \
         `nullable` are [`Nullable`] tri-states (absent, `null`, value), and every struct keeps \
         the members it does not declare in an [`AdditionalProperties`] bag that round-trips \
         unknown properties but never sends server annotations such as `@odata.context` back."
            .to_owned(),
        String::new(),
        "This crate has no HTTP dependencies.".to_owned(),
        String::new(),
        "Each model is compiled when an API area (Cargo feature, one per top-level URL segment) \
         that uses it is enabled; models no operation uses belong to the `unused-models` feature. \
         `all-areas` (on by default) enables everything."
            .to_owned(),
    ]);
    // One `cfg` per group of models that the same API areas need.
    let mut groups: BTreeMap<Option<&BTreeSet<String>>, Vec<&Model>> = BTreeMap::new();
    for m in api.models.values() {
        groups
            .entry(areas.of_model.get(&m.rust_name).and_then(Option::as_ref))
            .or_default()
            .push(m);
    }
    let blocks = groups.iter().map(|(gate, models)| {
        let cfg = super::areas::cfg(*gate);
        let entries = models.iter().map(|m| {
            let module = format_ident!("{}", m.module);
            let name = format_ident!("{}", m.rust_name);
            quote!(#module::#name)
        });
        quote! {
            #cfg
            models! { #(#entries),* }
        }
    });
    let tokens = quote! {
        #inner_docs
        #![warn(missing_docs)]
        #![allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]
        #![allow(clippy::doc_markdown, clippy::large_enum_variant)]

        /// Declares model modules and re-exports their types, so that one
        /// `cfg` covers a whole group of models.
        #[allow(unused_macros)]
        macro_rules! models {
            ($($module:ident :: $name:ident),* $(,)?) => {
                $(mod $module; pub use $module::$name;)*
            };
        }

        #(#blocks)*

        pub use graph_types::{AdditionalProperties, FlexNumber, Nullable};

        #[cfg(feature = "all-areas")]
        #[rustfmt::skip]
        mod all_models;
    };
    render(format!("{dir}/src/lib.rs"), spec_path, tokens)
}

fn model_docs(model: &Model) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(d) = &model.docs {
        lines.push(docs::clean(d));
        lines.push(String::new());
    }
    lines.push(format!("Schema: {}.", docs::code(&model.schema_name)));
    if let ModelKind::Polymorphic(p) = &model.kind {
        let types: Vec<String> = p
            .variants
            .iter()
            .map(|v| docs::code(&v.odata_type))
            .collect();
        lines.push(format!(
            "Decoded by `@odata.type`: {}; anything else (no `@odata.type`, the base type, or a type this SDK does not know) is [`{}`](Self::{}) with the base's fields and every other member kept.",
            types.join(", "),
            p.fallback,
            p.fallback
        ));
    }
    if let ModelKind::Struct(s) = &model.kind {
        if !s.bases.is_empty() {
            let bases: Vec<String> = s.bases.iter().map(|b| docs::code(b)).collect();
            lines.push(format!("Inherits the properties of {}.", bases.join(", ")));
        }
        if let Some(t) = &s.odata_type {
            lines.push(format!("OData type: {}.", docs::code(t)));
        }
    }
    lines
}

fn emit_model(api: &Api, model: &Model) -> TokenStream {
    let docs = docs::attrs(&model_docs(model));
    let name = format_ident!("{}", model.rust_name);
    match &model.kind {
        ModelKind::Struct(s) => emit_struct(&name, s, docs),
        ModelKind::Enum(e) => emit_enum(&name, e, docs),
        ModelKind::Polymorphic(p) => emit_polymorphic(api, &name, p, docs),
        ModelKind::Alias(ty) => {
            let ty = type_tokens(ty, &quote!(crate));
            quote! {
                #docs
                pub type #name = #ty;
            }
        }
    }
}

fn field_docs(f: &Field) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(d) = &f.docs {
        lines.push(docs::clean(d));
        lines.push(String::new());
    }
    let mut facts = vec![format!("JSON: {}", docs::code(&f.json_name))];
    if let Some(fmt) = &f.format {
        facts.push(format!("format: {fmt}"));
    }
    if f.read_only {
        facts.push("read-only".to_owned());
    }
    if f.nullable {
        facts.push("nullable: `Nullable::Null` sends an explicit `null`".to_owned());
    }
    lines.push(format!("{}.", facts.join("; ")));
    lines
}

fn emit_struct(name: &proc_macro2::Ident, s: &StructModel, docs: TokenStream) -> TokenStream {
    let models_path = quote!(crate);
    let fields = s.fields.iter().map(|f| {
        let ident = format_ident!("{}", f.rust_name);
        let json = &f.json_name;
        let mut inner = type_tokens(&f.ty, &models_path);
        if f.boxed {
            inner = quote!(Box<#inner>);
        }
        let field_docs = docs::attrs(&field_docs(f));
        if f.nullable {
            quote! {
                #field_docs
                #[serde(rename = #json, skip_serializing_if = "Nullable::is_absent")]
                pub #ident: Nullable<#inner>,
            }
        } else {
            quote! {
                #field_docs
                #[serde(rename = #json, skip_serializing_if = "Option::is_none")]
                pub #ident: Option<#inner>,
            }
        }
    });
    let fields: Vec<TokenStream> = fields.collect();
    let extra = format_ident!("{}", s.extra_field);
    let uses_nullable = s.fields.iter().any(|f| f.nullable);
    let nullable_import = uses_nullable.then(|| {
        quote!(
            use graph_types::Nullable;
        )
    });
    let extra_doc = format!(" `{}` (absent members keep their defaults).", s.extra_field);
    let odata_impl = s.odata_type.as_ref().map(|t| {
        quote! {
            impl #name {
                /// The `@odata.type` value that identifies this type on the wire.
                pub const ODATA_TYPE: &'static str = #t;
            }
        }
    });
    let members: Vec<TokenStream> = s
        .fields
        .iter()
        .map(|f| {
            let ident = format_ident!("{}", f.rust_name);
            let json = &f.json_name;
            quote!(#json => self.#ident = map.next_value()?,)
        })
        .collect();
    // An open type with no declared member keeps everything in the bag.
    let read_member = if members.is_empty() {
        quote! {
            fn read_member<'de, A: MapAccess<'de>>(&mut self, _key: &str, _map: &mut A) -> Result<bool, A::Error> {
                Ok(false)
            }
        }
    } else {
        quote! {
            fn read_member<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
                match key {
                    #(#members)*
                    _ => return Ok(false),
                }
                Ok(true)
            }
        }
    };
    quote! {
        use graph_types::AdditionalProperties;
        #nullable_import
        use serde::de::MapAccess;
        use serde::{Deserialize, Deserializer, Serialize};

        #docs
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        pub struct #name {
            #(#fields)*
            /// Members the schema does not declare: unknown properties (kept and
            /// sent back), members you insert (sent as written, such as
            /// `manager@odata.bind`) and server instance annotations such as
            /// `@odata.context` (readable, never sent).
            #[serde(flatten)]
            pub #extra: AdditionalProperties,
        }

        #odata_impl

        impl graph_types::object::Object for #name {
            #read_member

            fn additional_properties_mut(&mut self) -> &mut AdditionalProperties {
                &mut self.#extra
            }
        }

        /// Decoded in one pass: declared members into their fields, any other member into
        #[doc = #extra_doc]
        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                graph_types::object::deserialize(deserializer)
            }
        }
    }
}

fn emit_enum(name: &proc_macro2::Ident, e: &EnumModel, docs: TokenStream) -> TokenStream {
    let catch_all = format_ident!("{}", e.catch_all);
    let catch_doc = format!(
        " [`{0}`](Self::{0}) and are sent back unchanged.",
        e.catch_all
    );
    let variants = e.variants.iter().map(|v| {
        let ident = format_ident!("{}", v.rust_name);
        let doc = format!(" `{}`", v.value.replace('`', "'"));
        quote!(#[doc = #doc] #ident,)
    });
    let to_str = e.variants.iter().map(|v| {
        let ident = format_ident!("{}", v.rust_name);
        let value = &v.value;
        quote!(Self::#ident => #value,)
    });
    let from_str = e.variants.iter().map(|v| {
        let ident = format_ident!("{}", v.rust_name);
        let value = &v.value;
        quote!(#value => Self::#ident,)
    });
    quote! {
        use serde::{Deserialize, Serialize};

        #docs
        ///
        /// Members added to the service after this SDK was generated arrive as
        #[doc = #catch_doc]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum #name {
            #(#variants)*
            /// A member this version of the SDK does not know.
            #catch_all(String),
        }

        impl #name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_str)*
                    Self::#catch_all(other) => other,
                }
            }
        }

        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#from_str)*
                    other => Self::#catch_all(other.to_owned()),
                }
            }
        }

        impl From<String> for #name {
            fn from(value: String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl From<#name> for String {
            fn from(value: #name) -> Self {
                value.as_str().to_owned()
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}

/// The struct fields of a model (empty for other kinds).
fn struct_fields<'a>(api: &'a Api, model: &str) -> &'a [Field] {
    match api.models.get(model).map(|m| &m.kind) {
        Some(ModelKind::Struct(s)) => &s.fields,
        _ => &[],
    }
}

/// Accessors for the base's fields that every variant has under the same name: `id()`.
fn base_accessors(api: &Api, p: &PolymorphicModel) -> Vec<TokenStream> {
    let models = quote!(crate);
    let mut out = Vec::new();
    for field in struct_fields(api, &p.base) {
        if field.json_name == "@odata.type" || field.boxed || field.rust_name.starts_with("as_") {
            continue;
        }
        let everywhere = p.variants.iter().all(|v| {
            struct_fields(api, &v.model).iter().any(|f| {
                f.rust_name == field.rust_name
                    && f.ty == field.ty
                    && f.nullable == field.nullable
                    && !f.boxed
            })
        });
        if !everywhere {
            continue;
        }
        let ident = format_ident!("{}", field.rust_name);
        let inner = type_tokens(&field.ty, &models);
        let (ret, read) = if field.nullable {
            (quote!(&graph_types::Nullable<#inner>), quote!(&v.#ident))
        } else if field.ty == TypeRef::String {
            (quote!(Option<&str>), quote!(v.#ident.as_deref()))
        } else {
            (quote!(Option<&#inner>), quote!(v.#ident.as_ref()))
        };
        let arms = p.variants.iter().map(|v| {
            let variant = format_ident!("{}", v.rust_name);
            quote!(Self::#variant(v) => #read,)
        });
        let fallback = format_ident!("{}", p.fallback);
        let doc = format!(
            " The {} of whichever type this is.",
            docs::code(&field.json_name)
        );
        out.push(quote! {
            #[doc = #doc]
            pub fn #ident(&self) -> #ret {
                match self {
                    #(#arms)*
                    Self::#fallback(v) => #read,
                }
            }
        });
    }
    out
}

fn emit_polymorphic(
    api: &Api,
    name: &proc_macro2::Ident,
    p: &PolymorphicModel,
    docs: TokenStream,
) -> TokenStream {
    let accessors = base_accessors(api, p);
    let base_odata_field = struct_fields(api, &p.base)
        .iter()
        .find(|f| f.json_name == "@odata.type")
        .map(|f| format_ident!("{}", f.rust_name));
    let base = format_ident!("{}", p.base);
    let fallback = format_ident!("{}", p.fallback);
    let variants = variant_decls(p);
    let keys = read_arms(p);
    let serialize = serialize_arms(p);
    let as_variant = as_variant_methods(p);
    let odata_type_arms = odata_type_arms(p);
    let fallback_odata_type = match &base_odata_field {
        Some(field) => quote!(v.#field.as_deref()),
        None => quote!({
            let _ = v;
            None
        }),
    };
    let fallback_doc = format!(
        " The base type [`{0}`](crate::{0}): `@odata.type` missing, the base's own, or one this SDK does not know (read it from `additional_properties`).",
        p.base
    );
    quote! {
        use serde::de::MapAccess;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        #docs
        ///
        /// Each variant is boxed: a derived type can be large (a `User` has more than a hundred
        /// properties), and a list of them then moves pointers, not kilobytes.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            #[doc = #fallback_doc]
            #fallback(Box<crate::#base>),
        }

        impl #name {
            /// The value's `@odata.type`: the one it carries, else the one its variant stands for.
            pub fn odata_type(&self) -> Option<&str> {
                match self {
                    #(#odata_type_arms)*
                    Self::#fallback(v) => #fallback_odata_type,
                }
            }

            #(#accessors)*

            #(#as_variant)*
        }

        impl graph_types::polymorphic::Polymorphic for #name {
            fn read_variant<'de, A: MapAccess<'de>>(odata_type: Option<&str>, map: A) -> Result<Self, A::Error> {
                use graph_types::object::read_boxed;
                use graph_types::polymorphic::is_type;
                Ok(match odata_type {
                    #(#keys)*
                    _ => Self::#fallback(read_boxed(map)?),
                })
            }
        }

        /// Decoded by `@odata.type`, in one pass when it is the first member (as Graph writes it).
        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                graph_types::polymorphic::deserialize(deserializer)
            }
        }

        impl Serialize for #name {
            /// Writes the variant's object, with its `@odata.type` when the value lacks one.
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(#serialize)*
                    Self::#fallback(v) => v.serialize(serializer),
                }
            }
        }

        impl Default for #name {
            fn default() -> Self {
                Self::#fallback(Box::default())
            }
        }
    }
}

/// The enum variants, one per derived type.
fn variant_decls(p: &PolymorphicModel) -> Vec<TokenStream> {
    p.variants
        .iter()
        .map(|v| {
            let ident = format_ident!("{}", v.rust_name);
            let model = format_ident!("{}", v.model);
            let doc = format!(" `@odata.type` {}.", docs::code(&v.odata_type));
            quote!(#[doc = #doc] #ident(Box<crate::#model>),)
        })
        .collect()
}

/// The `read_variant` arms: derived type by `@odata.type` key.
fn read_arms(p: &PolymorphicModel) -> Vec<TokenStream> {
    p.variants
        .iter()
        .map(|v| {
            let ident = format_ident!("{}", v.rust_name);
            let key = graph_types_key(&v.odata_type);
            quote!(Some(t) if is_type(t, #key) => Self::#ident(read_boxed(map)?),)
        })
        .collect()
}

/// The `serialize` arms: each variant writes its object, with its `@odata.type` when the value lacks one.
fn serialize_arms(p: &PolymorphicModel) -> Vec<TokenStream> {
    p.variants
        .iter()
        .map(|v| {
            let ident = format_ident!("{}", v.rust_name);
            let model = format_ident!("{}", v.model);
            let odata_type = &v.odata_type;
            match &v.odata_type_field {
                Some(field) => {
                    let field = format_ident!("{}", field);
                    quote! {
                        Self::#ident(v) if v.#field.is_none() => crate::#model { #field: Some(#odata_type.to_owned()), ..(**v).clone() }.serialize(serializer),
                        Self::#ident(v) => v.serialize(serializer),
                    }
                }
                None => quote!(Self::#ident(v) => v.serialize(serializer),),
            }
        })
        .collect()
}

/// The `as_…` accessors, one per variant.
fn as_variant_methods(p: &PolymorphicModel) -> Vec<TokenStream> {
    p.variants
        .iter()
        .map(|v| {
            let ident = format_ident!("{}", v.rust_name);
            let model = format_ident!("{}", v.model);
            let method = format_ident!("as_{}", crate::naming::snake(&v.rust_name));
            let doc = format!(
                " The [`{}`](crate::{}) inside, when this is one.",
                v.model, v.model
            );
            quote! {
                #[doc = #doc]
                pub fn #method(&self) -> Option<&crate::#model> {
                    match self {
                        Self::#ident(v) => Some(&**v),
                        _ => None,
                    }
                }
            }
        })
        .collect()
}

/// The `odata_type` arms of the derived variants.
fn odata_type_arms(p: &PolymorphicModel) -> Vec<TokenStream> {
    p.variants
        .iter()
        .map(|v| {
            let ident = format_ident!("{}", v.rust_name);
            let odata_type = &v.odata_type;
            match &v.odata_type_field {
                Some(field) => {
                    let field = format_ident!("{}", field);
                    quote!(Self::#ident(v) => v.#field.as_deref().or(Some(#odata_type)),)
                }
                None => quote!(Self::#ident(_) => Some(#odata_type),),
            }
        })
        .collect()
}

/// The match key of an `@odata.type` (as `graph_types::polymorphic::odata_type_key` computes it).
fn graph_types_key(odata_type: &str) -> String {
    let bare = odata_type.trim_start_matches('#').to_ascii_lowercase();
    match bare.strip_prefix("graph.") {
        Some(rest) => format!("microsoft.graph.{rest}"),
        None => bare,
    }
}
