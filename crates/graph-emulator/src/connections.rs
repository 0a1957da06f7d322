//! Counts of client connections, kept by the accept loop ([`crate::accept`]) and read through
//! the request pipeline's shared state and [`Emulator::connections`](crate::Emulator::connections).

use std::sync::Arc;

/// Connections accepted so far and open now (see [`Emulator::connections`](crate::Emulator::connections)).
#[derive(Debug, Default)]
pub(crate) struct ConnectionStats {
    accepted: std::sync::atomic::AtomicU64,
    open: Arc<std::sync::atomic::AtomicU64>,
}

/// Counts one open connection until dropped.
pub(crate) struct Open(Arc<std::sync::atomic::AtomicU64>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl ConnectionStats {
    pub(crate) fn opened(&self) -> Open {
        use std::sync::atomic::Ordering::SeqCst;
        self.accepted.fetch_add(1, SeqCst);
        self.open.fetch_add(1, SeqCst);
        Open(Arc::clone(&self.open))
    }

    /// `(accepted, open)`.
    pub(crate) fn now(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::SeqCst;
        (self.accepted.load(SeqCst), self.open.load(SeqCst))
    }
}
