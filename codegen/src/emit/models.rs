//! IR models → `crates/graph-models/src/**`: one file per type plus `lib.rs`.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{GeneratedFile, docs, render};
use crate::error::CodegenError;
use crate::ir::{Api, EnumModel, Field, IntKind, Model, ModelKind, StructModel, TypeRef};


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
pub fn emit(api: &Api, areas: &super::areas::Areas, dir: &str, spec_path: &str) -> Result<Vec<GeneratedFile>, CodegenError> {
    let mut files = Vec::with_capacity(api.models.len() + 1);
    files.push(emit_lib(api, areas, dir, spec_path)?);
    for model in api.models.values() {
        let tokens = emit_model(model);
        files.push(render(format!("{dir}/src/{}.rs", model.module), spec_path, tokens)?);
    }
    Ok(files)
}

fn emit_lib(api: &Api, areas: &super::areas::Areas, dir: &str, spec_path: &str) -> Result<GeneratedFile, CodegenError> {
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
        #![allow(rustdoc::bare_urls, rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]
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

fn emit_model(model: &Model) -> TokenStream {
    let docs = docs::attrs(&model_docs(model));
    let name = format_ident!("{}", model.rust_name);
    match &model.kind {
        ModelKind::Struct(s) => emit_struct(&name, s, docs),
        ModelKind::Enum(e) => emit_enum(&name, e, docs),
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
    let nullable_import = uses_nullable.then(|| quote!(use graph_types::Nullable;));
    let odata_impl = s.odata_type.as_ref().map(|t| {
        quote! {
            impl #name {
                /// The `@odata.type` value that identifies this type on the wire.
                pub const ODATA_TYPE: &'static str = #t;
            }
        }
    });
    quote! {
        use graph_types::AdditionalProperties;
        #nullable_import
        use serde::{Deserialize, Serialize};

        #docs
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default)]
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
    }
}

fn emit_enum(name: &proc_macro2::Ident, e: &EnumModel, docs: TokenStream) -> TokenStream {
    let catch_all = format_ident!("{}", e.catch_all);
    let catch_doc = format!(" [`{0}`](Self::{0}) and are sent back unchanged.", e.catch_all);
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
