//! Errors of the generator: every one names the JSON pointer of the node at fault.
//!
//! The generator reads specs through `graph-spec`, so its errors are that crate's
//! [`SpecError`](graph_spec::SpecError), under the name the generator's API has always used.

pub use graph_spec::error::{Pointer, SpecError as CodegenError};
