//! CPU time of this process (every thread), from `getrusage(RUSAGE_SELF)`.

use std::time::Duration;

/// User plus system time this process has used so far.
pub fn process_time() -> Duration {
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a live, writable `rusage`; RUSAGE_SELF is always valid.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &raw mut usage) };
    if rc != 0 {
        return Duration::ZERO;
    }
    timeval(usage.ru_utime) + timeval(usage.ru_stime)
}

fn timeval(tv: libc::timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let micros = u32::try_from(tv.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
}

/// Wall time and process CPU time since `start`.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    wall: std::time::Instant,
    cpu: Duration,
}

impl Stopwatch {
    /// Starts both clocks now.
    pub fn start() -> Stopwatch {
        Stopwatch {
            wall: std::time::Instant::now(),
            cpu: process_time(),
        }
    }

    /// The wall-clock start.
    pub fn started(&self) -> std::time::Instant {
        self.wall
    }

    /// CPU seconds used by the process since the start.
    pub fn cpu_seconds(&self) -> f64 {
        process_time().saturating_sub(self.cpu).as_secs_f64()
    }
}
