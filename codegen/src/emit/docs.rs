//! Doc comments from spec text.

use proc_macro2::TokenStream;
use quote::quote;

/// Makes spec prose safe as rustdoc: trims every line (so no indented
/// text turns into a doctest), collapses line breaks inside paragraphs,
/// keeps blank lines between paragraphs, defuses code fences, and escapes
/// square brackets (so that prose never reads as an intra-doc link, which
/// rustdoc checks in the generated crates).
pub fn clean(text: &str) -> String {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(current.join(" "));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(current.join(" "));
    }
    paragraphs
        .join("\n\n")
        .replace("```", "'''")
        .replace('[', "\\[")
        .replace(']', "\\]")
}

/// `#[doc = "…"]` attributes, one per line, for `lines` (already cleaned
/// or generated text). Empty input gives no attributes.
pub fn attrs(lines: &[String]) -> TokenStream {
    let mut out = TokenStream::new();
    let mut text = lines.join("\n");
    while text.ends_with('\n') {
        text.pop();
    }
    if text.trim().is_empty() {
        return out;
    }
    for line in text.lines() {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        out.extend(quote!(#[doc = #line]));
    }
    out
}

/// `#![doc = "…"]` inner attributes (crate docs), like [`attrs`].
pub fn inner_attrs(lines: &[String]) -> TokenStream {
    let mut out = TokenStream::new();
    for line in lines.join("\n").trim_end().lines() {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        out.extend(quote!(#![doc = #line]));
    }
    out
}

/// Inline code for docs: backticks that cannot be closed by the content.
pub fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_removes_indentation_and_fences() {
        let text = "First line\n    indented code?\n\n```rust\nfn x() {}\n```";
        assert_eq!(
            clean(text),
            "First line indented code?\n\n'''rust fn x() {} '''"
        );
    }

    #[test]
    fn brackets_are_escaped() {
        assert_eq!(clean("see [here] or a[0]"), r"see \[here\] or a\[0\]");
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "`` a`b ``");
    }
}
