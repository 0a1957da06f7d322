//! Errors that name the JSON pointer (RFC 6901) of the node at fault.

use std::fmt;

/// A document that cannot be used as written, and where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// JSON pointer of the offending node, e.g.
    /// `/components/schemas/microsoft.graph.entity/properties/id`; empty for the document.
    pub pointer: String,
    /// What is wrong, in words.
    pub message: String,
}

impl SpecError {
    /// An error at `pointer`.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.pointer, self.message)
        }
    }
}

impl std::error::Error for SpecError {}

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
    pub fn error(&self, message: impl Into<String>) -> SpecError {
        SpecError::new(self.0.clone(), message)
    }

    /// The pointer text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `/paths/{path}/{method}`: where an operation lives.
    pub fn operation(path: &str, method: &str) -> Self {
        Self::root().push("paths").push(path).push(method)
    }

    /// `/components/schemas/{name}`.
    pub fn schema(name: &str) -> Self {
        Self::root().push("components").push("schemas").push(name)
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
        assert_eq!(
            p.as_str(),
            "/paths/~1servicePrincipals~1{id}~1owners~1$ref/a~0b"
        );
        assert_eq!(Pointer::schema("a/b").as_str(), "/components/schemas/a~1b");
    }
}
