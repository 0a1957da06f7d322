//! IR operations → `crates/graph-requests/src/**`: a tree of request
//! builders that mirrors the URL, one file per top-level path segment, the
//! operations' metadata in `operations.rs`, and the root `GraphClient`.
//!
//! Every operation is a thin, declarative call into the `graph-core`
//! runtime: metadata + path + decoder (+ body, + parameters). No send,
//! retry or error logic is generated.

use std::collections::BTreeMap;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::models::type_tokens;
use super::{GeneratedFile, docs, render};
use crate::error::CodegenError;
use crate::ir::{Api, NationalCloud, Operation, Param, ParamLocation, Segment, Success, TypeRef};
use crate::naming::{self, Scope};


/// A node of the URL tree.
#[derive(Default)]
struct Node {
    /// Segments from the root.
    segments: Vec<Segment>,
    /// Children by segment.
    children: BTreeMap<Segment, Node>,
    /// Operations on exactly this path, by index into `Api::operations`.
    operations: Vec<usize>,
    /// Builder type name (chosen after the tree is complete).
    type_name: String,
}

fn build_tree(api: &Api) -> Node {
    let mut root = Node::default();
    for (i, op) in api.operations.iter().enumerate() {
        let mut node = &mut root;
        for (depth, seg) in op.segments.iter().enumerate() {
            node = node.children.entry(seg.clone()).or_insert_with(|| Node {
                segments: op.segments[..=depth].to_vec(),
                ..Node::default()
            });
        }
        node.operations.push(i);
    }
    let mut scope = Scope::new();
    for reserved in ["GraphClient", "Client", "Request", "RequestPath", "Error"] {
        scope.reserve(reserved);
    }
    name_nodes(&mut root, &mut scope);
    root.type_name = "GraphClient".to_owned();
    root
}

/// The readable word for a literal segment: `$ref` → `ref`,
/// `microsoft.graph.agentIdentity` → `agentIdentity`, `delta()` → `delta`.
pub(crate) fn segment_word(literal: &str) -> &str {
    let s = literal.trim_start_matches('$');
    let s = s.strip_suffix("()").unwrap_or(s);
    s.rsplit('.').next().filter(|w| !w.is_empty()).unwrap_or(s)
}

/// Words of a templated segment: `applications(appId='{appId}')` →
/// (`applications`, [`appId`]), read as "applications with app id".
fn template_words(template: &str, params: &[String]) -> (String, Vec<String>) {
    let head = template.split('(').next().unwrap_or(template);
    (segment_word(head).to_owned(), params.to_vec())
}

fn name_nodes(node: &mut Node, scope: &mut Scope) {
    for child in node.children.values_mut() {
        let words: String = child
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => naming::pascal_words(segment_word(l)),
                Segment::Param(_) => "Item".to_owned(),
                Segment::Template { template, params } => {
                    let (head, params) = template_words(template, params);
                    let params: Vec<String> = params.iter().map(|p| naming::pascal_words(p)).collect();
                    format!("{}With{}", naming::pascal_words(&head), params.join("And"))
                }
            })
            .collect();
        child.type_name = scope.unique_type(format!("{words}RequestBuilder"));
        name_nodes(child, scope);
    }
}

fn path_text(segments: &[Segment]) -> String {
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

/// Every file of the requests crate.
/// `dir` is the crate directory relative to the workspace root.
pub fn emit(api: &Api, areas: &super::areas::Areas, dir: &str, spec_path: &str) -> Result<Vec<GeneratedFile>, CodegenError> {
    let tree = build_tree(api);
    let mut files = Vec::new();
    let mut module_scope = Scope::new();
    for reserved in ["lib", "operations", "client"] {
        module_scope.reserve(reserved);
    }
    let mut modules = Vec::new();
    for child in tree.children.values() {
        let base = match &child.segments[0] {
            Segment::Literal(l) => naming::snake(segment_word(l)),
            Segment::Param(p) => naming::snake(p),
            Segment::Template { template, params } => {
                let (head, params) = template_words(template, params);
                naming::snake(&format!("{head} with {}", params.join(" and ")))
            }
        };
        let module = module_scope.unique_snake(base);
        let mut items = Vec::new();
        emit_node(api, child, &mut items);
        let module_docs = docs::inner_attrs(&[format!(
            "Request builders under {}.",
            docs::code(&path_text(&child.segments))
        )]);
        let tokens = quote! {
            #module_docs
            use graph_core::{Client, RequestPath};
            #(#items)*
        };
        files.push(render(format!("{dir}/src/{module}.rs"), spec_path, tokens)?);
        modules.push((module, super::areas::area_of(&child.segments[0])));
    }
    files.push(render(format!("{dir}/src/operations.rs"), spec_path, emit_operations(api, areas))?);
    files.push(emit_lib(api, &tree, &modules, dir, spec_path)?);
    Ok(files)
}

fn child_accessor(child: &Node, scope: &mut Scope, base: &TokenStream) -> TokenStream {
    let ty = format_ident!("{}", child.type_name);
    let path_doc = format!(" {}", docs::code(&path_text(&child.segments)));
    match child.segments.last() {
        Some(Segment::Literal(l)) => {
            let method = format_ident!("{}", scope.unique_snake(naming::snake(segment_word(l))));
            quote! {
                #[doc = #path_doc]
                pub fn #method(&self) -> #ty {
                    #ty { client: self.client.clone(), path: #base.literal(#l) }
                }
            }
        }
        Some(Segment::Param(p)) => {
            let method = format_ident!("{}", scope.unique_snake(format!("by_{}", naming::snake(p))));
            let arg = format_ident!("{}", naming::snake(p));
            let arg_doc = " The value is sent as one percent-encoded path segment; empty, `.` and `..` are refused before anything is sent.";
            quote! {
                #[doc = #path_doc]
                #[doc = ""]
                #[doc = #arg_doc]
                pub fn #method(&self, #arg: impl Into<String>) -> #ty {
                    #ty { client: self.client.clone(), path: #base.param(#p, #arg) }
                }
            }
        }
        Some(Segment::Template { template, params }) => {
            let (head, names) = template_words(template, params);
            let arg_names: Vec<String> = names.iter().map(|p| naming::snake(p)).collect();
            let method = format_ident!(
                "{}",
                scope.unique_snake(format!("{}_with_{}", naming::snake(&head), arg_names.join("_and_")))
            );
            let args: Vec<Ident> = arg_names.iter().map(|a| format_ident!("{}", a)).collect();
            let arg_doc = " Values are written as OData string literals (quotes doubled) and percent-encoded; empty values are refused before anything is sent.";
            quote! {
                #[doc = #path_doc]
                #[doc = ""]
                #[doc = #arg_doc]
                pub fn #method(&self, #(#args: impl Into<String>),*) -> #ty {
                    #ty {
                        client: self.client.clone(),
                        path: #base.template(#template, vec![#((#params, #args.into())),*]),
                    }
                }
            }
        }
        None => TokenStream::new(),
    }
}

fn emit_node(api: &Api, node: &Node, out: &mut Vec<TokenStream>) {
    let ty = format_ident!("{}", node.type_name);
    let path_doc = format!(" Builds requests for {}.", docs::code(&path_text(&node.segments)));
    let mut scope = Scope::new();
    let mut methods = Vec::new();
    for &i in &node.operations {
        let op = &api.operations[i];
        scope.reserve(op.method.lower());
        let (method, wrapper) = emit_operation(op, &node.type_name);
        methods.push(method);
        out.extend(wrapper);
    }
    for child in node.children.values() {
        methods.push(child_accessor(child, &mut scope, &quote!(self.path.clone())));
    }
    out.push(quote! {
        #[doc = #path_doc]
        #[derive(Debug, Clone)]
        pub struct #ty {
            pub(crate) client: Client,
            pub(crate) path: RequestPath,
        }

        impl #ty {
            #(#methods)*
        }
    });
    for child in node.children.values() {
        emit_node(api, child, out);
    }
}

/// `(argument type, expression turning the argument into text)` of a
/// query or header parameter value.
fn param_value(param: &Param, ident: &Ident) -> (TokenStream, TokenStream) {
    let models = quote!(graph_models);
    match &param.ty {
        TypeRef::String => (quote!(impl Into<String>), quote!(Into::<String>::into(#ident))),
        TypeRef::Array(inner, _) => {
            let item = match &**inner {
                TypeRef::String => quote!(impl std::fmt::Display),
                other => type_tokens(other, &models),
            };
            (
                quote!(impl IntoIterator<Item = #item>),
                quote!(#ident.into_iter().map(|v| v.to_string())),
            )
        }
        other => (type_tokens(other, &models), quote!(#ident.to_string())),
    }
}

fn apply_param(param: &Param, request: TokenStream, ident: &Ident) -> TokenStream {
    let name = &param.name;
    let (_, value) = param_value(param, ident);
    match (param.location, &param.ty) {
        (ParamLocation::Query, TypeRef::Array(..)) => quote!(#request.query_list(#name, #value)),
        (ParamLocation::Query, _) => quote!(#request.query(#name, #value)),
        (ParamLocation::Header, TypeRef::Array(..)) => {
            quote!(#request.header(#name, #value.collect::<Vec<_>>().join(",")))
        }
        (ParamLocation::Header, _) => quote!(#request.header(#name, #value)),
        (ParamLocation::Path, _) => request,
    }
}

fn operation_docs(op: &Operation) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(s) = &op.summary {
        lines.push(format!("{}.", docs::clean(s).trim_end_matches('.')));
        lines.push(String::new());
    }
    if let Some(d) = &op.description {
        if op.summary.as_deref() != Some(d.as_str()) {
            lines.push(docs::clean(d));
            lines.push(String::new());
        }
    }
    lines.push(format!("{} (operation {}).", docs::code(&format!("{} {}", op.method.upper(), op.path_template)), docs::code(&op.id)));
    lines.push(String::new());
    match &op.success {
        Success::Empty => lines.push("Returns `()` on success; a response body, if any, is ignored.".to_owned()),
        Success::Text { ty } => lines.push(format!("Returns the {} parsed from the `text/plain` response body.", docs::code(&ty.rust_name()))),
        Success::Bytes { media } => lines.push(format!("Returns the raw response body ({}) as bytes.", docs::code(media))),
        Success::Json { ty, unwrap_value } => {
            let mut s = format!("Returns the {} from the response body", docs::code(&ty.rust_name()));
            if *unwrap_value {
                s.push_str(" (also when Graph wraps it as `{\"value\": {…}}`)");
            }
            s.push('.');
            lines.push(s);
        }
    }
    if !op.error_codes.is_empty() {
        lines.push(format!(
            "Responses {} come back as `graph_core::Error::Service` with Graph's error code and message.",
            op.error_codes.join(", ")
        ));
    }
    if let Some(p) = &op.permissions {
        lines.push(String::new());
        lines.push("# Permissions".to_owned());
        lines.push(String::new());
        let list = |v: &Vec<String>| {
            if v.is_empty() {
                "not supported".to_owned()
            } else {
                v.iter().map(|p| docs::code(p)).collect::<Vec<_>>().join(", ")
            }
        };
        lines.push(format!("- Delegated (work or school account): {}", list(&p.delegated_work_or_school)));
        lines.push(format!("- Delegated (personal Microsoft account): {}", list(&p.delegated_personal)));
        lines.push(format!("- Application: {}", list(&p.application)));
        if let Some(n) = &p.notes {
            lines.push(String::new());
            lines.push(docs::clean(n));
        }
    }
    if let Some(c) = &op.national_clouds {
        lines.push(String::new());
        lines.push(format!(
            "Available in: {}. On other national clouds the request fails before it is sent (`Error::NotAvailableInCloud`).",
            c.iter().map(|c| c.spec_name()).collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(l) = &op.local_extension {
        lines.push(String::new());
        lines.push(format!(
            "Not in Microsoft's published OpenAPI description: carried as a local extension derived from {}.",
            docs::code(l)
        ));
    }
    if let Some(u) = &op.docs_url {
        lines.push(String::new());
        lines.push(format!("Microsoft's documentation: <{u}>"));
    }
    lines
}

/// The builder method for one operation, and (when it has optional
/// parameters) the request wrapper type that offers typed setters.
fn emit_operation(op: &Operation, node_type: &str) -> (TokenStream, Vec<TokenStream>) {
    let method = format_ident!("{}", op.method.lower());
    let meta = format_ident!("{}", op.meta_ident);
    let models = quote!(graph_models);
    let (out_ty, decoder) = match &op.success {
        Success::Empty => (quote!(()), quote!(graph_core::decode::empty)),
        Success::Text { ty } => {
            let t = type_tokens(ty, &models);
            (t.clone(), quote!(graph_core::decode::text::<#t>))
        }
        Success::Bytes { .. } => (quote!(Vec<u8>), quote!(graph_core::decode::bytes)),
        Success::Json { ty, unwrap_value } => {
            let t = type_tokens(ty, &models);
            if *unwrap_value {
                (t, quote!(graph_core::decode::json_unwrap_value))
            } else {
                (t, quote!(graph_core::decode::json))
            }
        }
    };
    let mut args = Vec::new();
    let mut request = quote!(self.client.request(&crate::operations::#meta, self.path.clone(), #decoder));
    match &op.success {
        Success::Text { .. } => request = quote!(#request.header("Accept", "text/plain")),
        Success::Bytes { media } => request = quote!(#request.header("Accept", #media)),
        Success::Empty | Success::Json { .. } => {}
    }
    if let Some(body) = &op.body {
        match &body.raw_media {
            None => {
                let body_ty = type_tokens(&body.ty, &models);
                args.push(quote!(body: &#body_ty));
                request = quote!(#request.json_body(body));
            }
            Some(media) => {
                args.push(quote!(body: impl Into<Vec<u8>>));
                request = quote!(#request.bytes_body(#media, body));
            }
        }
    }
    for p in op.params.iter().filter(|p| p.required) {
        let ident = format_ident!("{}", p.rust_name);
        let (ty, _) = param_value(p, &ident);
        args.push(quote!(#ident: #ty));
        request = apply_param(p, request, &ident);
    }
    let mut method_docs = operation_docs(op);
    let required: Vec<&Param> = op.params.iter().filter(|p| p.required).collect();
    if !required.is_empty() {
        method_docs.push(String::new());
        method_docs.push("# Parameters".to_owned());
        method_docs.push(String::new());
        for p in required {
            let d = p.docs.as_deref().map(docs::clean).unwrap_or_default();
            method_docs.push(format!("- `{}` ({}): {}", p.rust_name, docs::code(&p.name), d));
        }
    }
    let doc_attrs = docs::attrs(&method_docs);
    let optional: Vec<&Param> = op.params.iter().filter(|p| !p.required).collect();
    if optional.is_empty() {
        let method_tokens = quote! {
            #doc_attrs
            pub fn #method(&self, #(#args),*) -> graph_core::Request<#out_ty> {
                #request
            }
        };
        return (method_tokens, Vec::new());
    }
    // Optional parameters: a wrapper with one typed setter per parameter.
    let wrapper = format_ident!("{}{}", node_type.trim_end_matches("RequestBuilder"), naming::pascal_words(op.method.lower()) + "Request");
    let wrapper_doc = format!(" A {} request: set optional parameters, then `.await` it.", docs::code(&format!("{} {}", op.method.upper(), op.path_template)));
    let setters = optional.iter().map(|p| {
        let ident = format_ident!("{}", p.rust_name);
        let (ty, _) = param_value(p, &ident);
        let applied = apply_param(p, quote!(self.0), &ident);
        let d = p.docs.as_deref().map(docs::clean).unwrap_or_default();
        let doc = format!(" Sets {} ({}). {}", docs::code(&p.name), format!("{:?}", p.location).to_lowercase(), d);
        quote! {
            #[doc = #doc]
            pub fn #ident(self, #ident: #ty) -> Self {
                Self(#applied)
            }
        }
    });
    let wrapper_tokens = quote! {
        #[doc = #wrapper_doc]
        #[derive(Debug)]
        #[must_use = "a request does nothing until it is awaited or sent"]
        pub struct #wrapper(graph_core::Request<#out_ty>);

        impl #wrapper {
            #(#setters)*

            /// Adds a request header.
            pub fn header(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
                Self(self.0.header(name, value))
            }

            /// Adds a query option.
            pub fn query(self, name: impl Into<String>, value: impl Into<String>) -> Self {
                Self(self.0.query(name, value))
            }

            /// The underlying runtime request.
            pub fn into_request(self) -> graph_core::Request<#out_ty> {
                self.0
            }

            /// Sends the request.
            pub async fn send(self) -> Result<#out_ty, graph_core::Error> {
                self.0.send().await
            }
        }

        impl std::future::IntoFuture for #wrapper {
            type Output = Result<#out_ty, graph_core::Error>;
            type IntoFuture = <graph_core::Request<#out_ty> as std::future::IntoFuture>::IntoFuture;

            fn into_future(self) -> Self::IntoFuture {
                self.0.into_future()
            }
        }
    };
    let method_tokens = quote! {
        #doc_attrs
        pub fn #method(&self, #(#args),*) -> #wrapper {
            #wrapper(#request)
        }
    };
    (method_tokens, vec![wrapper_tokens])
}

fn cloud_variant(cloud: NationalCloud) -> TokenStream {
    match cloud {
        NationalCloud::Global => quote!(graph_core::NationalCloud::Global),
        NationalCloud::UsGovL4 => quote!(graph_core::NationalCloud::UsGovL4),
        NationalCloud::UsGovL5Dod => quote!(graph_core::NationalCloud::UsGovL5Dod),
        NationalCloud::China => quote!(graph_core::NationalCloud::China),
    }
}

fn emit_operations(api: &Api, areas: &super::areas::Areas) -> TokenStream {
    let statics = api.operations.iter().enumerate().map(|(i, op)| {
        let cfg = super::areas::cfg_one(&areas.of_operation[i]);
        let ident = format_ident!("{}", op.meta_ident);
        let id = &op.id;
        let template = &op.path_template;
        let method = format_ident!("{}", op.method.variant());
        let permissions = match &op.permissions {
            None => quote!(None),
            Some(p) => {
                let w = &p.delegated_work_or_school;
                let d = &p.delegated_personal;
                let a = &p.application;
                quote!(Some(graph_core::Permissions {
                    delegated_work_or_school: &[#(#w),*],
                    delegated_personal: &[#(#d),*],
                    application: &[#(#a),*],
                }))
            }
        };
        let clouds = match &op.national_clouds {
            None => quote!(None),
            Some(c) => {
                let c = c.iter().map(|c| cloud_variant(*c));
                quote!(Some(&[#(#c),*]))
            }
        };
        let docs_url = match &op.docs_url {
            None => quote!(None),
            Some(u) => quote!(Some(#u)),
        };
        let doc = format!(" {}", docs::code(&format!("{} {}", op.method.upper(), op.path_template)));
        let summary = op.summary.as_deref().map(|s| format!(" {}", docs::clean(s))).unwrap_or_default();
        quote! {
            #[doc = #doc]
            #[doc = ""]
            #[doc = #summary]
            #cfg
            pub static #ident: graph_core::OperationMeta = graph_core::OperationMeta {
                operation_id: #id,
                method: graph_core::HttpMethod::#method,
                path_template: #template,
                permissions: #permissions,
                national_clouds: #clouds,
                docs_url: #docs_url,
            };
        }
    });
    let all = api.operations.iter().enumerate().map(|(i, op)| {
        let ident = format_ident!("{}", op.meta_ident);
        let cfg = super::areas::cfg_one(&areas.of_operation[i]);
        quote!(#cfg &#ident,)
    });
    quote! {
        //! Metadata of every generated operation: id, method, path template,
        //! documented permissions and national-cloud availability. The runtime
        //! reads it to refuse unavailable clouds, name permissions in 403
        //! errors and label tracing spans.

        #(#statics)*

        /// Every operation of the enabled API areas, sorted by path template then method.
        pub static ALL: &[&graph_core::OperationMeta] = &[#(#all)*];
    }
}

fn emit_lib(api: &Api, tree: &Node, modules: &[(String, String)], dir: &str, spec_path: &str) -> Result<GeneratedFile, CodegenError> {
    let mut scope = Scope::new();
    for reserved in ["new", "builder", "from_core", "core"] {
        scope.reserve(reserved);
    }
    let accessors: Vec<TokenStream> = tree
        .children
        .values()
        .map(|c| {
            let cfg = super::areas::cfg_one(&super::areas::area_of(&c.segments[0]));
            let accessor = child_accessor(c, &mut scope, &quote!(graph_core::RequestPath::new()));
            quote!(#cfg #accessor)
        })
        .collect();
    let mod_idents = modules.iter().map(|(m, area)| {
        let m = format_ident!("{}", m);
        let cfg = super::areas::cfg_one(area);
        quote!(#cfg mod #m;)
    });
    let reexports = modules.iter().map(|(m, area)| {
        let m = format_ident!("{}", m);
        let cfg = super::areas::cfg_one(area);
        quote!(#cfg pub use #m::*;)
    });
    let op_count = api.operations.len();
    let inner_docs = docs::inner_attrs(&[
        format!("Request builders for {}.", docs::clean(&api.title)),
        String::new(),
        format!(
            "Generated from the OpenAPI slice ({op_count} operations). Start at [`GraphClient`]; \
             each method below it adds one URL segment, and each operation hands its metadata, \
             path, body and decoder to the `graph-core` runtime, which does the sending, retrying \
             and error handling."
        ),
        String::new(),
        "Each top-level URL segment is an API area with its own Cargo feature (all on by \
         default through `all-areas`), so a program can compile only the areas it calls."
            .to_owned(),
    ]);
    let tokens = quote! {
        #inner_docs
        #![warn(missing_docs)]
        #![allow(rustdoc::bare_urls, rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]
        #![allow(clippy::doc_markdown)]

        use graph_core::{Client, ClientBuilder, Credential};

        pub mod operations;
        #(#mod_idents)*

        #(#reexports)*

        /// The entry point: a configured runtime client plus one method per
        /// top-level URL segment of the API.
        #[derive(Debug, Clone)]
        pub struct GraphClient {
            client: Client,
        }

        impl GraphClient {
            /// A client for the global cloud's beta endpoint with default
            /// settings, authenticating with `credential`.
            pub fn new(credential: impl Credential + 'static) -> Self {
                Self::from_core(Client::new(credential))
            }

            /// A builder for other clouds, a custom service root, retry and
            /// timeout settings.
            pub fn builder(credential: impl Credential + 'static) -> ClientBuilder<Self> {
                ClientBuilder::new(credential)
            }

            /// Wraps an existing runtime client.
            pub fn from_core(client: Client) -> Self {
                Self { client }
            }

            /// The runtime client (cloud, service root, entity URLs).
            pub fn core(&self) -> &Client {
                &self.client
            }

            #(#accessors)*
        }

        impl From<Client> for GraphClient {
            fn from(client: Client) -> Self {
                Self::from_core(client)
            }
        }
    };
    render(format!("{dir}/src/lib.rs"), spec_path, tokens)
}
