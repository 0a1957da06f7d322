//! Support types for the generated Graph models.
//!
//! This crate is handwritten and deliberately tiny: it depends on `serde` and
//! `serde_json` only, so `graph-models` stays free of any HTTP dependency.
//!
//! * [`Nullable`] is the tri-state used for every property the spec marks
//!   `nullable`: absent (not sent), explicit `null`, or a value.
//! * [`AdditionalProperties`] keeps every JSON member a model does not declare,
//!   so unknown properties round-trip, while server instance annotations such
//!   as `@odata.context` stay readable but are never sent back.
//! * [`object`] decodes generated models in one pass (no flatten buffering), and
//!   [`polymorphic`] decodes a polymorphic base by `@odata.type` without an intermediate tree
//!   when `@odata.type` comes first, as Graph writes it.
//! * [`FlexNumber`] holds Graph's "number or special string" doubles
//!   (`oneOf: [number, string]`, e.g. `"NaN"` or `"INF"`).

#![warn(missing_docs)]

mod additional;
mod flex_number;
mod nullable;
pub mod object;
pub mod polymorphic;

pub use additional::{AdditionalProperties, is_instance_annotation};
pub use flex_number::FlexNumber;
pub use nullable::Nullable;
