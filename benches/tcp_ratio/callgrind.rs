//! Instructions per operation of each server loop, counted by callgrind.
//!
//! This binary runs itself (`--count SERVER WORKLOAD OPS`) under `valgrind --tool=callgrind
//! --toggle-collect=<server loop>`, which counts only the instructions executed inside the
//! server's loop function, on its thread. Each server and workload is run at two sizes;
//! the difference in instructions over the difference in operations is the cost of one
//! operation, with connection setup and teardown cancelled out; the median of three such
//! measurements is reported.
//!
//! The counts are user-space only: the kernel's work in each syscall (the copies, the
//! wakeups), which is most of an echo server's cost, is not counted, so this ratio
//! compares only the code around the syscalls. It moves by a few percent between runs,
//! because valgrind's thread scheduling changes how many reads end in would-block.

use crate::stats::median;
use crate::wall::GOAL;
use crate::workload::{Server, Workload};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Measurements per server and workload; the median is reported.
const REPEATS: usize = 3;

/// Operations in the small and the large run of each workload.
fn sizes(workload: Workload) -> (usize, usize) {
    match workload {
        Workload::Bulk => (16, 48),
        Workload::PingPong => (2_000, 6_000),
    }
}

/// Counts and prints instructions per operation for both servers and workloads; returns
/// whether hark meets the goal on both.
pub fn report() -> Result<bool, String> {
    let exe = std::env::current_exe().map_err(|err| format!("no path to this binary: {err}"))?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("tcp_ratio");
    std::fs::create_dir_all(&dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    eprintln!(
        "callgrind: user-space instructions per operation in each server's loop thread \
         (files in {})",
        dir.display()
    );
    let mut met = true;
    for workload in Workload::ALL {
        let (small, large) = sizes(workload);
        let mut per_op = [0.0; 2];
        for (slot, server) in per_op.iter_mut().zip(Server::ALL) {
            let mut repeats = Vec::with_capacity(REPEATS);
            for _ in 0..REPEATS {
                let few = count(&exe, &dir, server, workload, small)?;
                let many = count(&exe, &dir, server, workload, large)?;
                repeats.push(many.saturating_sub(few) as f64 / (large - small) as f64);
            }
            *slot = median(&repeats);
            let each: Vec<String> = repeats.iter().map(|n| format!("{n:.0}")).collect();
            eprintln!(
                "  {:<14} {:<12} {:>8.0} instructions/{} (median of {})",
                workload.name(),
                server.name(),
                *slot,
                workload.unit(),
                each.join(", "),
            );
        }
        let ratio = per_op[1] / per_op[0];
        let verdict = if ratio >= GOAL { "meets" } else { "misses" };
        eprintln!(
            "  {:<14} instruction ratio {ratio:.3}x ({verdict} the {GOAL}x goal)",
            workload.name()
        );
        met &= ratio >= GOAL;
    }
    Ok(met)
}

/// Runs one server and workload under callgrind; the instructions counted.
fn count(
    exe: &Path,
    dir: &Path,
    server: Server,
    workload: Workload,
    ops: usize,
) -> Result<u64, String> {
    let out: PathBuf = dir.join(format!(
        "callgrind.{}.{}.{ops}.out",
        workload.name(),
        server.name()
    ));
    let mut cmd = Command::new("valgrind");
    cmd.args(["--tool=callgrind", "--quiet"])
        .arg(format!("--toggle-collect={}", server.loop_function()))
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(exe)
        .args(["--count", server.name(), workload.name(), &ops.to_string()]);
    let status = cmd
        .status()
        .map_err(|err| format!("could not start valgrind (apt-get install valgrind): {err}"))?;
    if !status.success() {
        return Err(format!("{cmd:?} failed with {status}"));
    }
    let text = std::fs::read_to_string(&out).map_err(|err| format!("{}: {err}", out.display()))?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix("totals:")
                .or_else(|| line.strip_prefix("summary:"))
        })
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("{}: no instruction total", out.display()))
}
