//! [`ThrottlePriority`]: the `x-ms-throttle-priority` request header.

use std::fmt;

/// The name of the request header that carries a [`ThrottlePriority`].
pub const THROTTLE_PRIORITY: &str = "x-ms-throttle-priority";

/// How Microsoft Entra should rank a request when an application nears its limits: low-priority
/// requests are throttled first. The limits themselves do not change. Sent as the
/// `x-ms-throttle-priority` header (`Low`, `Normal` or `High`); without it the service treats a
/// request as `Normal`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ThrottlePriority {
    /// Background work: throttled first (`Low`).
    Low,
    /// The service's default (`Normal`).
    #[default]
    Normal,
    /// Interactive work: throttled last (`High`).
    High,
}

impl ThrottlePriority {
    /// The header value: `Low`, `Normal` or `High`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ThrottlePriority::Low => "Low",
            ThrottlePriority::Normal => "Normal",
            ThrottlePriority::High => "High",
        }
    }
}

impl fmt::Display for ThrottlePriority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
