//! The client's defaults, shared by the client and the credentials' own HTTP client.

use std::time::Duration;

/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default whole-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(100);
/// The `User-Agent` sent by this crate (a suffix may be appended).
pub const USER_AGENT: &str = concat!("graph-beta-rs/", env!("CARGO_PKG_VERSION"));
