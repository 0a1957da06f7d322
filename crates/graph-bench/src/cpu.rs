//! The calling thread's CPU: the time it has used (Linux's `/proc/thread-self/schedstat`,
//! nanoseconds on a CPU; `None` where that file does not exist), and pinning it to one CPU so
//! that a client and a server thread do not trade places between runs.

use std::time::Duration;

/// The CPU time the calling thread has used so far.
pub fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Pins the calling thread to CPU `cpu` (modulo the CPUs there are). Returns whether it worked
/// (Linux only; elsewhere, or when the kernel refuses, the thread stays where it is).
#[allow(unsafe_code)]
pub fn pin_to_cpu(cpu: usize) -> bool {
    #[cfg(target_os = "linux")]
    {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        // SAFETY: `cpu_set_t` is plain data; zeroed is the empty set, CPU_SET writes inside it,
        // and sched_setaffinity(0, …) reads it for the calling thread only.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu % cpus, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = cpu;
        false
    }
}
