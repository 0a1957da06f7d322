//! Errors of the generator: every one names the JSON pointer of the node at fault.

use std::fmt;

/// A spec the generator cannot turn into Rust, and where in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodegenError {
    /// JSON pointer (RFC 6901) of the offending node, e.g.
    /// `/components/schemas/microsoft.graph.entity/properties/id`; empty for
    /// the document itself.
    pub pointer: String,
    /// What is wrong, in words.
    pub message: String,
}

impl CodegenError {
    /// An error at `pointer`.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.pointer, self.message)
        }
    }
}

impl std::error::Error for CodegenError {}

/// Builds JSON pointers, escaping `~` and `/` as RFC 6901 requires.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pointer(String);

impl Pointer {
    /// The document root (`""`).
    pub fn root() -> Self {
        Self(String::new())
    }

    /// This pointer with one more reference token.
    pub fn push(&self, token: &str) -> Self {
        let escaped = token.replace('~', "~0").replace('/', "~1");
        Self(format!("{}/{}", self.0, escaped))
    }

    /// An error at this pointer.
    pub fn error(&self, message: impl Into<String>) -> CodegenError {
        CodegenError::new(self.0.clone(), message)
    }

    /// The pointer text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_escapes_slash_and_tilde() {
        let p = Pointer::root()
            .push("paths")
            .push("/servicePrincipals/{id}/owners/$ref")
            .push("a~b");
        assert_eq!(p.as_str(), "/paths/~1servicePrincipals~1{id}~1owners~1$ref/a~0b");
    }
}
