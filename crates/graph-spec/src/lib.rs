//! The one OpenAPI reader of graph-beta-rs.
//!
//! The generator (`codegen`) and the local Graph emulator (`graph-emulator`) both read
//! `specs/graph-beta.yaml` through this crate, so they can never read the same document two
//! ways. It knows what Microsoft's Graph descriptions look like and nothing about Rust or HTTP:
//!
//! * [`load`]: YAML or JSON text → `openapiv3::OpenAPI` (OpenAPI 3.0.x only);
//! * [`refs`]: `$ref` resolution for schemas, parameters, request bodies and responses;
//! * [`schema`]: one view over `openapiv3`'s schema shapes (object parts, `allOf`, `anyOf` /
//!   `oneOf`, enums) and the three nullable-reference shapes Microsoft's converters emit;
//! * [`template`]: path templates, including parameters inside a segment (alternate keys,
//!   function arguments), and matching concrete request segments against them;
//! * [`extensions`]: the vendor extensions the project reads (`x-graph-rs-*`, `x-ms-*`), parsed
//!   strictly;
//! * [`hierarchy`]: the type hierarchy (`allOf` bases, discriminator mappings, `@odata.type`
//!   values).
//!
//! Every error is a [`SpecError`] naming the JSON pointer of the node at fault; nothing here
//! panics on a malformed document.

pub mod error;
pub mod extensions;
pub mod hierarchy;
pub mod load;
pub mod refs;
pub mod schema;
pub mod template;

pub use error::{Pointer, SpecError};
pub use openapiv3;
