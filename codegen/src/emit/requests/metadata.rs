//! `operations.rs`: one `static OperationMeta` per operation, and `ALL`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::docs;
use crate::ir::{Api, NationalCloud};

fn cloud_variant(cloud: NationalCloud) -> TokenStream {
    match cloud {
        NationalCloud::Global => quote!(graph_core::NationalCloud::Global),
        NationalCloud::UsGovL4 => quote!(graph_core::NationalCloud::UsGovL4),
        NationalCloud::UsGovL5Dod => quote!(graph_core::NationalCloud::UsGovL5Dod),
        NationalCloud::China => quote!(graph_core::NationalCloud::China),
    }
}

pub(super) fn emit(api: &Api, areas: &crate::emit::areas::Areas) -> TokenStream {
    let statics = api.operations.iter().enumerate().map(|(i, op)| {
        let cfg = crate::emit::areas::cfg_one(&areas.of_operation[i]);
        let ident = format_ident!("{}", op.meta_ident);
        let id = &op.id;
        let template = &op.path_template;
        let method = format_ident!("{}", op.method.variant());
        let kind = format_ident!("{}", op.kind.variant());
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
        let doc = format!(
            " {}",
            docs::code(&format!("{} {}", op.method.upper(), op.path_template))
        );
        let summary = op
            .summary
            .as_deref()
            .map(|s| format!(" {}", docs::clean(s)))
            .unwrap_or_default();
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
                kind: graph_core::OperationKind::#kind,
            };
        }
    });
    let all = api.operations.iter().enumerate().map(|(i, op)| {
        let ident = format_ident!("{}", op.meta_ident);
        let cfg = crate::emit::areas::cfg_one(&areas.of_operation[i]);
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
