//! [`WorkerConfig`]: how many threads a worker pool runs and how many jobs it holds.

/// Limits of a [`WorkerPool`](super::WorkerPool).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Worker threads; `0` means one per core (`std::thread::available_parallelism`).
    pub threads: usize,
    /// Jobs that may wait for a thread. A pool holds at most `queue_capacity + threads`
    /// jobs in flight (queued, running, or done with the result not yet delivered); a
    /// submission beyond that is refused with [`SubmitError::Full`](super::SubmitError::Full).
    pub queue_capacity: usize,
    /// The threads' name (shown by `top -H`, debuggers and panic messages).
    pub thread_name: String,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            threads: 0,
            queue_capacity: 256,
            thread_name: "hark-worker".into(),
        }
    }
}

impl WorkerConfig {
    /// The default limits with `threads` threads (`0`: one per core).
    pub fn with_threads(threads: usize) -> Self {
        WorkerConfig {
            threads,
            ..WorkerConfig::default()
        }
    }

    /// The number of threads a pool with this configuration starts.
    pub fn thread_count(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
    }

    /// The most jobs in flight (queued, running or awaiting delivery).
    pub fn max_in_flight(&self) -> usize {
        self.queue_capacity
            .max(1)
            .saturating_add(self.thread_count())
    }
}
