//! The doc comment of an operation's builder method, from the spec.

use crate::emit::docs;
use crate::ir::{Operation, Success, TypeRef};

/// A type for prose: a link to a generated model, or code for anything else.
fn type_link(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(name) => format!("[`{name}`](graph_models::{name})"),
        other => docs::code(&other.rust_name()),
    }
}

/// How errors come back, naming the error responses the spec documents (`4XX`, `404`, …; a
/// `default` response documents no particular status).
fn error_line(codes: &[String]) -> String {
    let documented: Vec<String> = codes
        .iter()
        .filter(|c| c.as_str() != "default")
        .map(|c| docs::code(c))
        .collect();
    let mut line = "A non-2xx answer is returned as [`Error::Service`](graph_core::Error::Service), with Graph's error code, message and the raw body".to_owned();
    if !documented.is_empty() {
        line.push_str(&format!(" (documented: {})", documented.join(", ")));
    }
    line.push('.');
    line
}

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
    let wrapper = op.wrapper.as_deref().unwrap_or("Self");
    match &op.success {
        Success::Empty => lines.push("Returns `()` on success; a response body, if any, is ignored.".to_owned()),
        Success::Text { ty } => lines.push(format!("Returns the {} parsed from the `text/plain` response body.", type_link(ty))),
        Success::Bytes { media } => lines.push(format!("Returns the raw response body ({}) as bytes.", docs::code(media))),
        Success::Json { ty, unwrap_value } => {
            let mut s = format!("Returns the {} from the response body", type_link(ty));
            if *unwrap_value {
                s.push_str(" (also when Graph wraps it as `{\"value\": {…}}`)");
            }
            s.push('.');
            lines.push(s);
        }
        Success::Page { item, next_link } => lines.push(format!(
            "Pageable: `.await` gives the first [`Page`](graph_core::Page) of {item}; [`items`]({wrapper}::items) streams every item and [`pages`]({wrapper}::pages) every page, fetching each next page (from {link}) only when needed, with the same headers and retry policy; [`resume`]({wrapper}::resume) starts from a stored next link.",
            item = type_link(item),
            link = docs::code(next_link)
        )),
    }
    lines.push(error_line(&op.error_codes));
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
            "Available in: {}. On other national clouds the request fails before it is sent ([`Error::NotAvailableInCloud`](graph_core::Error::NotAvailableInCloud)).",
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
