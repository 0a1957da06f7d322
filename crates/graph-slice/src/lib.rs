//! Cuts a self-contained slice out of a (possibly huge) upstream OpenAPI
//! 3.0 description: `cargo xtask slice`.
//!
//! What a slice holds:
//!
//! * the selected operations: each path item keeps only the selected
//!   methods, plus its non-operation members (path-level `parameters`,
//!   `description`, `summary`, `servers`, `x-*`);
//! * the transitive closure of every `$ref` under `#/components/…`
//!   (schemas, responses, requestBodies, parameters, headers, …);
//! * discriminator `mapping` entries only when their target is in the
//!   closure anyway: a mapping entry never pulls a schema in, and entries
//!   naming a schema outside the closure are pruned (Graph's
//!   `microsoft.graph.entity` maps ~2,500 derived types);
//! * only the tags the kept operations use, in upstream order;
//! * every other top-level member (`openapi`, `info`, `servers`,
//!   `security`, …) and all `components/securitySchemes`, unchanged.
//!
//! Overlays (YAML files, applied in order, see [`Overlay`]) add local
//! extension path items and the components they need, and merge vendor
//! extensions into kept operations. Their refs are closed over too.
//!
//! The output is deterministic: maps keep upstream order (serde_json's
//! `preserve_order`), overlay additions come after upstream entries in
//! overlay order, and the YAML is written by `serde_yaml_ng`.
//!
//! Modules, by job: `config` (`specs/slice.yaml`), `committed` (cutting the committed slice
//! as it says), `excerpts`, `inputs` (merging several inputs), `provenance` (what the slice
//! records), `cut` (the cut: [`slice()`]), `pool` (the component pool), `navigation` (leaving
//! out navigation properties), `overlay` (applying overlays, one pass per member), `closure`
//! (collecting `$ref`s and closing over them), `discriminator` (pruning mappings),
//! `assemble` (the output document), `select` (operation selectors), `render` (YAML out).
//! `$ref` strings are parsed by `graph-spec` ([`graph_spec::refs::component_ref`]).
//!
//! Nothing here panics on bad input: a selector that matches nothing, a
//! dangling or external `$ref`, or a malformed overlay is an error that
//! names the selector, file or JSON pointer.

mod assemble;
mod closure;
mod committed;
mod config;
mod cut;
mod discriminator;
mod draft;
mod excerpts;
mod inputs;
mod navigation;
mod overlay;
mod pool;
mod provenance;
mod render;
mod request;
mod select;
mod shape;
mod summary;

pub use committed::{ConfigOutput, run_config};
pub use config::{CONFIG, Config, Excerpt, Input, Upstream, load_config};
pub use cut::slice;
pub use excerpts::{ExcerptOutcome, run_excerpts};
pub use graph_spec::extensions::SLICE_PROVENANCE as PROVENANCE_KEY;
pub use inputs::merge_inputs;
pub use render::{parse_yaml, render};
pub use request::{Overlay, Request, Sliced};
pub use select::{METHODS, Selector};
pub use summary::Summary;
