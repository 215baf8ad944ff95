//! Backpressure for writes from other threads (mode (a)): a byte budget shared by the
//! writers and the reactor thread, which frees it as the core accepts the bytes.

use std::sync::{Condvar, Mutex, PoisonError};

/// Bytes written from other threads that the core has not taken yet, bounded.
#[derive(Debug)]
pub(crate) struct Gauge {
    state: Mutex<GaugeState>,
    freed: Condvar,
    limit: usize,
}

#[derive(Debug, Default)]
struct GaugeState {
    queued: usize,
    closed: bool,
}

impl Gauge {
    pub(crate) fn new(limit: usize) -> Self {
        Gauge {
            state: Mutex::new(GaugeState::default()),
            freed: Condvar::new(),
            limit: limit.max(1),
        }
    }

    /// The largest piece a writer should reserve at once.
    pub(crate) fn chunk(&self) -> usize {
        (self.limit / 4).max(1)
    }

    /// Waits until `bytes` fit in the budget and reserves them; false once closed.
    pub(crate) fn reserve(&self, bytes: usize) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while !state.closed && state.queued > 0 && state.queued + bytes > self.limit {
            state = self
                .freed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.closed {
            return false;
        }
        state.queued += bytes;
        true
    }

    /// Gives back bytes the core took or that were dropped.
    pub(crate) fn release(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.queued = state.queued.saturating_sub(bytes);
        drop(state);
        self.freed.notify_all();
    }

    /// Wakes every writer for good: the reactor stopped.
    pub(crate) fn close(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.closed = true;
        drop(state);
        self.freed.notify_all();
    }
}
