//! Integration tests: every behaviour of the emulator, over real HTTP on 127.0.0.1.
#![allow(clippy::unwrap_used)]

mod auth;
mod batch;
mod browser_sign_in;
mod certificate_assertions;
mod certificate_clients;
mod common;
mod companions;
mod conventions;
mod device_login;
mod discovery;
mod engine;
mod faults;
mod graph_sdks;
mod identity;
mod lifecycle;
mod limited_mode;
mod navigation_members;
mod odata_kinds;
mod oidc_clients;
mod owners;
mod request_log;
mod spec_driven;
mod throttling;
