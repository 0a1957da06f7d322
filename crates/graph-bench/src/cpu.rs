//! CPU time of the calling thread, from Linux's `/proc/thread-self/schedstat` (nanoseconds on
//! a CPU); `None` where that file does not exist.

use std::time::Duration;

/// The CPU time the calling thread has used so far.
pub fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}
