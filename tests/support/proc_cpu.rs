//! CPU time of another process and of each of its threads, from `/proc/PID/stat` and
//! `/proc/PID/task/TID/stat`: how busy a peer was over a run, and whether one thread of it
//! (a single network thread, say) was the limit.

use std::collections::HashMap;
use std::time::Duration;

/// User + system CPU seconds of a process, whole and per live thread.
#[derive(Debug, Clone)]
pub struct CpuTimes {
    /// Every thread's, the exited ones included.
    pub process: f64,
    /// Each live thread's, by thread id.
    pub threads: HashMap<u32, f64>,
}

impl CpuTimes {
    /// Reads them for `pid`; `None` once it has exited or if `/proc` cannot be read.
    pub fn of(pid: u32) -> Option<CpuTimes> {
        let process = stat_seconds(&format!("/proc/{pid}/stat"))?;
        let threads = std::fs::read_dir(format!("/proc/{pid}/task"))
            .ok()?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let tid = entry.file_name().to_str()?.parse().ok()?;
                Some((
                    tid,
                    stat_seconds(&entry.path().join("stat").to_string_lossy())?,
                ))
            })
            .collect();
        Some(CpuTimes { process, threads })
    }

    /// The CPU seconds used since `earlier`: the whole process's, and its busiest
    /// thread's (a thread born since counts from zero).
    pub fn since(&self, earlier: &CpuTimes) -> (f64, f64) {
        let busiest = self
            .threads
            .iter()
            .map(|(tid, now)| now - earlier.threads.get(tid).copied().unwrap_or(0.0))
            .fold(0.0, f64::max);
        (self.process - earlier.process, busiest)
    }
}

/// CPU time the calling thread has used, to the nanosecond (`CLOCK_THREAD_CPUTIME_ID`).
pub fn this_thread() -> Duration {
    // SAFETY: an all-zero `timespec` is a valid value of this plain C struct.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `ts` is a live, writable `timespec`; the clock id is always valid on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

/// utime + stime of one `stat` file, in seconds.
fn stat_seconds(path: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The fields after the command name (which may hold spaces) start at state, the
    // third field; utime and stime are the 14th and 15th.
    let mut fields = stat
        .get(stat.rfind(')')? + 2..)?
        .split_whitespace()
        .skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    // SAFETY: sysconf only reads a constant of the system.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (ticks > 0).then(|| (utime + stime) as f64 / ticks as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_thread_of_this_process_is_counted_and_named_the_busiest() {
        use std::sync::mpsc;
        let pid = std::process::id();
        let before = CpuTimes::of(pid).expect("read this process's stat");
        let (spun_tx, spun_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let spinner = std::thread::spawn(move || {
            // Spin until this thread has used 0.25 s of CPU by its own clock, however
            // loaded the machine is, then stay alive until the sample is taken.
            let start = this_thread();
            let mut x = 0u64;
            while this_thread() - start < Duration::from_millis(250) {
                for _ in 0..100_000 {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            spun_tx.send(()).unwrap();
            release_rx.recv().ok();
        });
        spun_rx.recv().unwrap();
        let during = CpuTimes::of(pid).expect("read this process's stat");
        release_tx.send(()).unwrap();
        spinner.join().unwrap();
        let (process, busiest) = during.since(&before);
        // `stat` counts in clock ticks, and the kernel rounds a thread's and the whole
        // process's times apart: allow two ticks (at most 0.02 s) either way.
        assert!(busiest >= 0.23, "busiest {busiest}");
        assert!(
            process + 0.02 >= busiest,
            "process {process} < busiest {busiest}"
        );
    }
}
