//! A mutation fuzzer for graph-beta-rs that runs on the stable toolchain, with no extra tools:
//! [`engine`] mutates a corpus and runs each input under `catch_unwind`; [`targets`] are the
//! decoders, parsers and readers fed input a server or a spec author controls. Run it with
//! `cargo run --release -p graph-fuzz -- --seconds 60` (see `graph-fuzz --help`); `cargo test`
//! runs every target for a few seconds.

pub mod engine;
pub mod targets;
