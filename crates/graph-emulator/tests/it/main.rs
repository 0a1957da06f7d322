//! Integration tests: every behaviour of the emulator, over real HTTP on 127.0.0.1.
#![allow(clippy::unwrap_used)]

mod auth;
mod common;
mod companions;
mod conventions;
mod engine;
mod faults;
mod identity;
mod lifecycle;
mod limited_mode;
mod navigation_members;
mod owners;
mod request_log;
mod spec_driven;
