//! CPU time of one named thread of this process, from `/proc/self/task/*/schedstat`.

use std::time::Duration;

/// A thread of this process found by its name.
pub struct ThreadCpu {
    schedstat: std::path::PathBuf,
}

impl ThreadCpu {
    /// The thread named `name`, waiting up to a second for a thread just spawned to name
    /// itself.
    pub fn find(name: &str) -> Option<ThreadCpu> {
        for _ in 0..100 {
            if let Some(found) = Self::find_now(name) {
                return Some(found);
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        None
    }

    fn find_now(name: &str) -> Option<ThreadCpu> {
        let tasks = std::fs::read_dir("/proc/self/task").ok()?;
        for task in tasks.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim_end() == name {
                return Some(ThreadCpu {
                    schedstat: task.path().join("schedstat"),
                });
            }
        }
        None
    }

    /// Time the thread has spent on a CPU (user and system), so far.
    pub fn used(&self) -> Duration {
        let text = std::fs::read_to_string(&self.schedstat).unwrap_or_default();
        let nanos = text
            .split_whitespace()
            .next()
            .and_then(|field| field.parse().ok())
            .unwrap_or(0);
        Duration::from_nanos(nanos)
    }
}
