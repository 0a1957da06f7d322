//! IR operations and URL tree → `crates/graph-requests/src/**`: one file per top-level path
//! segment with its request builders (module `builders`) and operations (module `operation`), the
//! operations' metadata in `operations.rs` (module `metadata`), and the root `GraphClient` in
//! `lib.rs` (module `client`). Every name comes from the IR.
//!
//! Every operation is a thin, declarative call into the `graph-core` runtime: metadata + path
//! + decoder (+ body, + parameters). No send, retry, paging or error logic is generated.

mod builders;
mod client;
mod docs;
mod metadata;
mod operation;

use quote::quote;

use super::{GeneratedFile, render};
use crate::error::SpecError;
use crate::ir::Api;

/// Every file of the requests crate, in `layout`'s requests directory (relative to the workspace
/// root).
pub fn emit(
    api: &Api,
    areas: &super::areas::Areas,
    layout: &crate::Layout,
    spec_path: &str,
) -> Result<Vec<GeneratedFile>, SpecError> {
    let dir = &layout.requests_dir;
    let mut files = Vec::new();
    for top in &api.tree.children {
        let Some(place) = &top.top else { continue };
        let mut items = Vec::new();
        let example = builders::Example::new(&layout.requests_crate);
        builders::emit_node(api, top, &example, &mut items);
        let module_docs = super::docs::inner_attrs(&[format!(
            "Request builders under {}.",
            super::docs::code(&graph_spec::template::render(&top.segments))
        )]);
        let tokens = quote! {
            #module_docs
            use graph_core::{CoreClient, RequestPath};
            #(#items)*
        };
        files.push(render(
            format!("{dir}/src/{}.rs", place.module),
            spec_path,
            tokens,
        )?);
    }
    files.push(render(
        format!("{dir}/src/operations.rs"),
        spec_path,
        metadata::emit(api, areas),
    )?);
    let (lib, root) = client::emit(api);
    files.push(render(format!("{dir}/src/lib.rs"), spec_path, lib)?);
    files.push(render(format!("{dir}/src/client.rs"), spec_path, root)?);
    Ok(files)
}
