//! The requests crate's root: `lib.rs` (module declarations, re-exports) and `client.rs`
//! (the root `GraphClient`, whose methods are the top-level accessors). `lib.rs` holds nothing
//! `cargo fmt` would lay out differently from prettyplease; every other module is declared
//! `#[rustfmt::skip]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::areas::cfg_one;
use crate::emit::docs;
use crate::ir::{Api, TopLevel, UrlNode};

/// `(lib.rs, client.rs)`.
pub(super) fn emit(api: &Api) -> (TokenStream, TokenStream) {
    let tops: Vec<(&UrlNode, &TopLevel)> = api
        .tree
        .children
        .iter()
        .filter_map(|c| c.top.as_ref().map(|t| (c, t)))
        .collect();
    (lib_rs(api, &tops), client_rs(&tops))
}

/// `lib.rs`: crate docs, module declarations (one per top-level segment, behind its area's
/// feature) and re-exports.
fn lib_rs(api: &Api, tops: &[(&UrlNode, &TopLevel)]) -> TokenStream {
    let mod_idents = tops.iter().map(|(_, top)| {
        let m = format_ident!("{}", top.module);
        let cfg = cfg_one(&top.area);
        // One public module per API area (its builders and request types); laid out by
        // prettyplease when generated, so `cargo fmt` leaves the file alone.
        quote!(#cfg #[rustfmt::skip] pub mod #m;)
    });
    let op_count = api.operations.len();
    let inner_docs = docs::inner_attrs(&[
        format!("Request builders for {}.", docs::clean(&api.title)),
        String::new(),
        format!(
            "Generated from the OpenAPI slice ({op_count} operations). Start at [`GraphClient`]; \
             each method below it adds one URL segment, and each operation hands its metadata, \
             path, body and decoder to the `graph-core` runtime, which does the sending, retrying \
             and error handling. The builders and request types of each API area live in that \
             area's module; [`operations`] holds every operation's metadata."
        ),
        String::new(),
        "Each top-level URL segment is an API area with its own Cargo feature (all on by \
         default through `all-areas`), so a program can compile only the areas it calls."
            .to_owned(),
    ]);
    quote! {
        #inner_docs
        #![warn(missing_docs)]
        #![allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]
        #![allow(clippy::doc_markdown)]

        #[rustfmt::skip]
        mod client;
        #[rustfmt::skip]
        pub mod operations;
        #(#mod_idents)*

        pub use client::GraphClient;
    }
}

/// `client.rs`: `GraphClient`, with one accessor per top-level segment.
fn client_rs(tops: &[(&UrlNode, &TopLevel)]) -> TokenStream {
    let accessors = tops.iter().map(|(c, top)| {
        let cfg = cfg_one(&top.area);
        let accessor = super::builders::accessor(c, &quote!(graph_core::RequestPath::new()));
        quote!(#cfg #accessor)
    });
    let imports = tops.iter().map(|(c, top)| {
        let m = format_ident!("{}", top.module);
        let builder = format_ident!("{}", c.builder);
        let cfg = cfg_one(&top.area);
        quote!(#cfg use crate::#m::#builder;)
    });
    quote! {
        //! The root of the URL tree: [`GraphClient`].

        use graph_core::{ClientBuilder, CoreClient, Credential};

        #(#imports)*

        /// The entry point: a configured runtime client plus one method per
        /// top-level URL segment of the API.
        #[derive(Debug, Clone)]
        pub struct GraphClient {
            client: CoreClient,
        }

        impl GraphClient {
            /// A client for the global cloud's beta endpoint with default
            /// settings, authenticating with `credential`.
            pub fn new(credential: impl Credential + 'static) -> Self {
                Self::from_core(CoreClient::new(credential))
            }

            /// A builder for other clouds, a custom service root, retry and
            /// timeout settings.
            pub fn builder(credential: impl Credential + 'static) -> ClientBuilder<Self> {
                ClientBuilder::new(credential)
            }

            /// Wraps an existing runtime client.
            pub fn from_core(client: CoreClient) -> Self {
                Self { client }
            }

            /// The runtime client (cloud, service root, entity URLs).
            pub fn core(&self) -> &CoreClient {
                &self.client
            }

            /// A snapshot of the throttle governor this client's clones share: see
            /// [`graph_core::CoreClient::throttle_state`].
            pub fn throttle_state(&self) -> graph_core::ThrottleState {
                self.client.throttle_state()
            }

            /// A call to a path the generated builders do not cover, through the same pipeline
            /// (sign-in, retries, errors, tracing): see [`graph_core::CoreClient::raw`].
            pub fn raw<T>(
                &self,
                method: graph_core::HttpMethod,
                template: &'static str,
                params: impl IntoIterator<Item = impl Into<String>>,
            ) -> graph_core::Request<T>
            where
                T: graph_core::raw::DeserializeOwned + Send + 'static,
            {
                self.client.raw(method, template, params)
            }

            /// A paged raw `GET` of a collection: see [`graph_core::CoreClient::raw_paged`].
            pub fn raw_paged<T>(
                &self,
                template: &'static str,
                params: impl IntoIterator<Item = impl Into<String>>,
            ) -> graph_core::PagedRequest<T>
            where
                T: graph_core::raw::DeserializeOwned + Send + 'static,
            {
                self.client.raw_paged(template, params)
            }

            /// An empty JSON batch (`POST /$batch`) of this client's requests: see
            /// [`graph_core::batch`]. Requests go in with `.into_request()`.
            pub fn batch(&self) -> graph_core::Batch {
                self.client.batch()
            }

            #(#accessors)*
        }

        impl From<CoreClient> for GraphClient {
            fn from(client: CoreClient) -> Self {
                Self::from_core(client)
            }
        }
    }
}
