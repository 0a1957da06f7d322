//! One operation: the builder method that starts it and the operation's request type, with one
//! typed setter per optional parameter, the runtime's request options, and `send`/`.await`.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::builders::Example;
use crate::emit::docs;
use crate::emit::models::type_tokens;
use crate::ir::{Operation, Param, ParamLocation, Success, TypeRef};

/// `(argument type, expression turning the argument into text)` of a query or header
/// parameter value.
fn param_value(param: &Param, ident: &Ident) -> (TokenStream, TokenStream) {
    let models = quote!(graph_models);
    match &param.ty {
        TypeRef::String => (
            quote!(impl Into<String>),
            quote!(Into::<String>::into(#ident)),
        ),
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

/// How an operation calls the runtime: the request type it builds, the result it resolves to, the client method and the decoder.
struct CallPlan {
    /// `graph_core::Request<T>` or `graph_core::PagedRequest<T>`.
    request: TokenStream,
    /// What `.await` gives.
    output: TokenStream,
    /// `request` or `paged`: the client method.
    start: Ident,
    decoder: TokenStream,
    /// The item type of a pageable operation.
    item: Option<TokenStream>,
}

fn call_plan(op: &Operation) -> CallPlan {
    let models = quote!(graph_models);
    let plain = |output: TokenStream, decoder: TokenStream| CallPlan {
        request: quote!(graph_core::Request<#output>),
        output,
        start: format_ident!("request"),
        decoder,
        item: None,
    };
    match &op.success {
        Success::Empty => plain(quote!(()), quote!(graph_core::decode::empty)),
        Success::Text { ty } => {
            let t = type_tokens(ty, &models);
            plain(t.clone(), quote!(graph_core::decode::text::<#t>))
        }
        Success::Bytes { .. } => plain(quote!(Vec<u8>), quote!(graph_core::decode::bytes)),
        Success::Json { ty, unwrap_value } => {
            let t = type_tokens(ty, &models);
            if *unwrap_value {
                plain(t, quote!(graph_core::decode::json_unwrap_value))
            } else {
                plain(t, quote!(graph_core::decode::json))
            }
        }
        Success::Page { item, .. } => {
            let t = type_tokens(item, &models);
            CallPlan {
                request: quote!(graph_core::PagedRequest<#t>),
                output: quote!(graph_core::Page<#t>),
                start: format_ident!("paged"),
                decoder: quote!(graph_core::decode::page::<#t>),
                item: Some(t),
            }
        }
    }
}

/// The builder method for one operation, and the operation's request type.
pub(super) fn emit(op: &Operation, example: &Example) -> (TokenStream, Vec<TokenStream>) {
    let method = format_ident!("{}", op.method.lower());
    let CallPlan {
        request: request_ty,
        output,
        start,
        decoder,
        item,
    } = call_plan(op);
    let (args, request) = request_and_args(op, &start, &decoder);
    let doc_attrs = docs::attrs(&method_docs(op, example));
    let Some(wrapper) = &op.wrapper else {
        let method_tokens = quote! {
            #doc_attrs
            pub fn #method(&self, #(#args),*) -> #request_ty {
                #request
            }
        };
        return (method_tokens, Vec::new());
    };
    let wrapper = format_ident!("{}", wrapper);
    let wrapper_tokens = wrapper_type(op, &wrapper, &request_ty, &output, item.as_ref());
    let method_tokens = quote! {
        #doc_attrs
        pub fn #method(&self, #(#args),*) -> #wrapper {
            #wrapper(#request)
        }
    };
    (method_tokens, vec![wrapper_tokens])
}

/// The builder method's arguments (body, then required parameters) and the expression that
/// builds its runtime request.
fn request_and_args(
    op: &Operation,
    start: &Ident,
    decoder: &TokenStream,
) -> (Vec<TokenStream>, TokenStream) {
    let meta = format_ident!("{}", op.meta_ident);
    let models = quote!(graph_models);
    let mut args = Vec::new();
    let mut request =
        quote!(self.client.#start(&crate::operations::#meta, self.path.clone(), #decoder));
    match &op.success {
        Success::Text { .. } => request = quote!(#request.header("Accept", "text/plain")),
        Success::Bytes { media } => request = quote!(#request.header("Accept", #media)),
        Success::Empty | Success::Json { .. } | Success::Page { .. } => {}
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
    (args, request)
}

/// The builder method's doc lines: the operation's docs, then its required parameters.
fn method_docs(op: &Operation, example: &Example) -> Vec<String> {
    let mut method_docs = super::docs::operation_docs(op);
    let required: Vec<&Param> = op.params.iter().filter(|p| p.required).collect();
    if !required.is_empty() {
        method_docs.push(String::new());
        method_docs.push("# Parameters".to_owned());
        method_docs.push(String::new());
        for p in required {
            let d = p.docs.as_deref().map(docs::clean).unwrap_or_default();
            method_docs.push(format!(
                "- `{}` ({}): {}",
                p.rust_name,
                docs::code(&p.name),
                d
            ));
        }
    }
    method_docs.extend(example_docs(op, example));
    method_docs
}

/// The operation's request type: setters for its optional parameters, the runtime request's
/// options, paging (pageable operations), `send` and `IntoFuture`.
fn wrapper_type(
    op: &Operation,
    wrapper: &Ident,
    request_ty: &TokenStream,
    output: &TokenStream,
    item: Option<&TokenStream>,
) -> TokenStream {
    let wrapper_doc = format!(
        " A {} request (operation {}): set options, then `.await` it or call `send`.",
        docs::code(&format!("{} {}", op.method.upper(), op.path_template)),
        docs::code(&op.id)
    );
    let setters = op.params.iter().filter(|p| !p.required).map(|p| {
        let ident = format_ident!("{}", p.rust_name);
        let (ty, _) = param_value(p, &ident);
        let applied = apply_param(p, quote!(self.0), &ident);
        let d = p.docs.as_deref().map(docs::clean).unwrap_or_default();
        let doc = format!(
            " Sets {} ({}). {}",
            docs::code(&p.name),
            format!("{:?}", p.location).to_lowercase(),
            d
        );
        quote! {
            #[doc = #doc]
            pub fn #ident(self, #ident: #ty) -> Self {
                Self(#applied)
            }
        }
    });
    let paging = item.map(|item| {
        quote! {
            /// Every item across all pages, fetched lazily one page at a time; an error on any
            /// page is yielded and ends the stream.
            pub fn items(self) -> graph_core::Items<#item> {
                self.0.items()
            }

            /// Every page, fetched lazily; an error is yielded and ends the stream.
            pub fn pages(self) -> graph_core::Pages<#item> {
                self.0.pages()
            }

            /// Continues from a next link stored earlier (`Page::next_link`) instead of the first
            /// page, with this request's headers and retry policy. The link must point at the
            /// client's service root (scheme, host and port), or nothing is sent.
            pub fn resume(self, next_link: impl Into<String>) -> Self {
                Self(self.0.resume(next_link))
            }
        }
    });
    quote! {
        #[doc = #wrapper_doc]
        #[derive(Debug)]
        #[must_use = "a request does nothing until it is awaited or sent"]
        pub struct #wrapper(#request_ty);

        impl #wrapper {
            #(#setters)*

            /// Adds a request header (sent on every page of a pageable request).
            pub fn header(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
                Self(self.0.header(name, value))
            }

            /// Adds a query option.
            pub fn query(self, name: impl Into<String>, value: impl Into<String>) -> Self {
                Self(self.0.query(name, value))
            }

            /// Overrides the client's retry policy for this request.
            pub fn retry_policy(self, policy: graph_core::RetryPolicy) -> Self {
                Self(self.0.retry_policy(policy))
            }

            /// Sends `x-ms-throttle-priority` (on every page of a pageable request): how Entra
            /// ranks the request when the application nears its limits.
            pub fn throttle_priority(self, priority: graph_core::ThrottlePriority) -> Self {
                Self(self.0.throttle_priority(priority))
            }

            #paging

            /// The underlying runtime request.
            pub fn into_request(self) -> #request_ty {
                self.0
            }

            /// Sends the request: validated now, sent when the future is polled.
            pub fn send(
                self,
            ) -> impl std::future::Future<Output = Result<#output, graph_core::Error>> + Send + 'static
            {
                self.0.send()
            }

            /// Like `send`, and also returns the answer's status and headers (resource units,
            /// throttle limit percentage, request ids). Only this method copies the headers.
            pub fn send_with_response(
                self,
            ) -> impl std::future::Future<
                Output = Result<(#output, graph_core::ResponseInfo), graph_core::Error>,
            > + Send
                   + 'static {
                self.0.send_with_response()
            }
        }

        impl std::future::IntoFuture for #wrapper {
            type Output = Result<#output, graph_core::Error>;
            type IntoFuture = <#request_ty as std::future::IntoFuture>::IntoFuture;

            fn into_future(self) -> Self::IntoFuture {
                self.0.into_future()
            }
        }
    }
}

/// An example value for a required argument of the builder method.
fn example_arg(param: &Param) -> String {
    match &param.ty {
        TypeRef::String => format!("{:?}", param.name),
        TypeRef::Array(inner, _) if **inner == TypeRef::String => "[\"…\"]".to_owned(),
        TypeRef::Array(..) => "Vec::new()".to_owned(),
        _ => "Default::default()".to_owned(),
    }
}

/// `# Example`: the call from a client, compiled (not run) by `cargo test --doc`.
fn example_docs(op: &Operation, example: &Example) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(body) = &op.body {
        args.push(match &body.raw_media {
            None => "&Default::default()".to_owned(),
            Some(_) => "Vec::<u8>::new()".to_owned(),
        });
    }
    args.extend(op.params.iter().filter(|p| p.required).map(example_arg));
    let binding = match op.success {
        Success::Empty => "",
        Success::Page { .. } => "let first_page = ",
        _ => "let answer = ",
    };
    let mut lines = vec![
        String::new(),
        "# Example".to_owned(),
        String::new(),
        "```no_run".to_owned(),
        format!(
            "# async fn example(client: {}::GraphClient) -> Result<(), graph_core::Error> {{",
            example.krate
        ),
        format!("{binding}client"),
    ];
    lines.extend(example.calls.iter().map(|call| format!("    {call}")));
    lines.push(format!("    .{}({})", op.method.lower(), args.join(", ")));
    lines.push("    .await?;".to_owned());
    lines.push("# Ok(())".to_owned());
    lines.push("# }".to_owned());
    lines.push("```".to_owned());
    lines
}
