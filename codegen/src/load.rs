//! Spec text (YAML or JSON) → `openapiv3::OpenAPI`, through the one spec reader, `graph-spec`
//! (OpenAPI 3.0.x only; errors name the line and column or the JSON pointer).

pub use graph_spec::load::{parse, parse_value};
