//! Staying inside Graph's throttling limits: the `x-ms-throttle-priority` request header
//! ([`ThrottlePriority`]).

mod priority;

pub use priority::{THROTTLE_PRIORITY, ThrottlePriority};
