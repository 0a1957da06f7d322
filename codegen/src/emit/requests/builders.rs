//! One request builder per node of the URL tree: a struct holding the client and the path so
//! far, with an accessor per child and a method per operation.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::emit::docs;
use crate::ir::{Accessor, AccessorKind, Api, UrlNode};

/// The method by which a builder reaches `child`; `base` is the parent's path expression.
pub(super) fn accessor(child: &UrlNode, base: &TokenStream) -> TokenStream {
    let Some(Accessor { method, kind }) = &child.accessor else {
        return TokenStream::new();
    };
    let ty = format_ident!("{}", child.builder);
    let method = format_ident!("{}", method);
    let path_doc = format!(
        " {}",
        docs::code(&graph_spec::template::render(&child.segments))
    );
    match kind {
        AccessorKind::Literal(l) => quote! {
            #[doc = #path_doc]
            pub fn #method(&self) -> #ty {
                #ty { client: self.client.clone(), path: #base.literal(#l) }
            }
        },
        AccessorKind::Param { name, arg } => {
            let arg = format_ident!("{}", arg);
            let arg_doc = " The value is sent as one percent-encoded path segment; empty, `.` and `..` are refused before anything is sent.";
            quote! {
                #[doc = #path_doc]
                #[doc = ""]
                #[doc = #arg_doc]
                pub fn #method(&self, #arg: impl Into<String>) -> #ty {
                    #ty { client: self.client.clone(), path: #base.param(#name, #arg) }
                }
            }
        }
        AccessorKind::Template { template, params } => {
            let names: Vec<&String> = params.iter().map(|(n, _)| n).collect();
            let args: Vec<Ident> = params.iter().map(|(_, a)| format_ident!("{}", a)).collect();
            let arg_doc = " Values are written as OData string literals (quotes doubled) and percent-encoded; empty values are refused before anything is sent.";
            quote! {
                #[doc = #path_doc]
                #[doc = ""]
                #[doc = #arg_doc]
                pub fn #method(&self, #(#args: impl Into<String>),*) -> #ty {
                    #ty {
                        client: self.client.clone(),
                        path: #base.template(#template, vec![#((#names, #args.into())),*]),
                    }
                }
            }
        }
    }
}

/// How a program reaches a builder from the client, for the example in each operation's docs:
/// the crate name and one accessor call per segment (placeholder values are the parameters'
/// wire names).
#[derive(Debug, Clone)]
pub(super) struct Example {
    pub(super) krate: String,
    pub(super) calls: Vec<String>,
}

impl Example {
    pub(super) fn new(krate: &str) -> Self {
        Self {
            krate: krate.to_owned(),
            calls: Vec::new(),
        }
    }

    /// This chain extended by `child`'s accessor.
    fn then(&self, child: &UrlNode) -> Self {
        let mut next = self.clone();
        if let Some(Accessor { method, kind }) = &child.accessor {
            let args = match kind {
                AccessorKind::Literal(_) => String::new(),
                AccessorKind::Param { name, .. } => format!("{name:?}"),
                AccessorKind::Template { params, .. } => params
                    .iter()
                    .map(|(name, _)| format!("{name:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            next.calls.push(format!(".{method}({args})"));
        }
        next
    }
}

/// The builder of `node`, its operations' wrappers, and (recursively) its children's.
/// `example` reaches `node` from the client.
pub(super) fn emit_node(api: &Api, node: &UrlNode, example: &Example, out: &mut Vec<TokenStream>) {
    let example = example.then(node);
    let ty = format_ident!("{}", node.builder);
    let path_doc = format!(
        " Builds requests for {}.",
        docs::code(&graph_spec::template::render(&node.segments))
    );
    let mut methods = Vec::new();
    for &i in &node.operations {
        let (method, wrapper) = super::operation::emit(&api.operations[i], &example);
        methods.push(method);
        out.extend(wrapper);
    }
    for child in &node.children {
        methods.push(accessor(child, &quote!(self.path.clone())));
    }
    out.push(quote! {
        #[doc = #path_doc]
        #[derive(Debug, Clone)]
        pub struct #ty {
            pub(crate) client: CoreClient,
            pub(crate) path: RequestPath,
        }

        impl #ty {
            #(#methods)*
        }
    });
    for child in &node.children {
        emit_node(api, child, &example, out);
    }
}
