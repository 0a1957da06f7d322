//! What every overlay pass needs to report an error: the overlay's name.

use std::fmt;

use graph_spec::SpecError;
use serde_json::{Map, Value};

/// The overlay being applied.
#[derive(Debug, Clone, Copy)]
pub(super) struct Context<'o> {
    name: &'o str,
}

impl<'o> Context<'o> {
    /// The context of the overlay named `name`.
    pub(super) fn new(name: &'o str) -> Self {
        Self { name }
    }

    /// An error at `pointer` inside the overlay.
    pub(super) fn err(&self, pointer: &str, message: impl fmt::Display) -> SpecError {
        SpecError::new(pointer, format!("overlay {}: {message}", self.name))
    }

    /// `v` as a mapping, or the error `message` at `at`.
    pub(super) fn mapping<'v>(
        &self,
        v: &'v Value,
        at: &str,
        message: &str,
    ) -> Result<&'v Map<String, Value>, SpecError> {
        v.as_object().ok_or_else(|| self.err(at, message))
    }

    /// `members` (at `at`) as a mapping of vendor extensions (`x-…`) only.
    pub(super) fn vendor_members<'v>(
        &self,
        members: &'v Value,
        at: &graph_spec::Pointer,
    ) -> Result<&'v Map<String, Value>, SpecError> {
        let members = self.mapping(members, at.as_str(), "must be a mapping of `x-…` members")?;
        if let Some(bad) = members.keys().find(|k| !k.starts_with("x-")) {
            return Err(self.err(
                at.push(bad).as_str(),
                format!("only vendor extensions (`x-…`) may be merged, not `{bad}`"),
            ));
        }
        Ok(members)
    }
}
