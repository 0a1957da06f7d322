//! The doc comment of an operation's builder method, from the spec.

use crate::emit::docs;
use crate::ir::{Operation, Success};

pub(super) fn operation_docs(op: &Operation) -> Vec<String> {
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
    lines.push(format!(
        "{} (operation {}).",
        docs::code(&format!("{} {}", op.method.upper(), op.path_template)),
        docs::code(&op.id)
    ));
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
        Success::Page { item, next_link } => lines.push(format!(
            "Pageable: `.await` gives the first page (a `graph_core::Page` of {}), `.items()` streams every item and `.pages()` every page, fetching each next page (from {}) only when needed, with the same headers and retry policy; `.resume(link)` starts from a stored next link.",
            docs::code(&item.rust_name()),
            docs::code(next_link)
        )),
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
                v.iter()
                    .map(|p| docs::code(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        lines.push(format!(
            "- Delegated (work or school account): {}",
            list(&p.delegated_work_or_school)
        ));
        lines.push(format!(
            "- Delegated (personal Microsoft account): {}",
            list(&p.delegated_personal)
        ));
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
