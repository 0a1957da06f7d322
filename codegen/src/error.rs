//! Errors of the generator: every one names the JSON pointer of the node at fault.
//!
//! The generator reads specs through `graph-spec`, so its errors are that crate's
//! [`SpecError`] (one error type, one name, from the spec reader to the generator's API).

pub use graph_spec::error::{Pointer, SpecError};
