//! `cargo xtask bench`'s TCP notifier report (issue 6): hark's notifier echo server beside
//! a hand-written mio echo loop, on bulk echo and 1-byte ping-pong, by two methods.
//!
//! - **Wall clock and server CPU, interleaved**: each short round runs both servers back
//!   to back (alternating which goes first), so machine load hits both alike; the ratio is
//!   the median of the per-round ratios, with its 95 % confidence interval (order
//!   statistics), and the goal counts as shown only when the whole interval is at or above
//!   it. Both servers' loop threads are pinned to the last CPU and the client to the
//!   first: unpinned, a round trip cost 4 or 16 us depending on where the scheduler put the
//!   threads, which flipped the ratio between runs. The wall clock (throughput, round
//!   trips) is what the goal is about; the server thread's CPU time (user + system, from
//!   `/proc/self/task/*/schedstat`) is printed beside it, since it counts the kernel's work
//!   in the syscalls, most of an echo server's cost.
//! - **Instructions**: this binary runs itself under callgrind (`valgrind --tool=callgrind
//!   --toggle-collect=<server loop>`), once per server and workload at two sizes; the
//!   difference divided by the extra work is the server thread's user-space instructions
//!   per operation, free of setup costs and independent of machine load. Kernel work is
//!   not counted (this machine has no hardware counters for `perf`), so this ratio
//!   compares only the code around the syscalls.
//!
//! Run with `cargo bench -p hark-suite --bench tcp_ratio [-- --rounds N]`; `--no-callgrind`
//! skips the instruction counts. This target has `bench = false`: plain `cargo bench` runs
//! only the criterion benches.

#[path = "../tcp_echo/mod.rs"]
mod tcp_echo;

mod callgrind;
mod stats;
mod thread_cpu;
mod wall;
mod workload;

use workload::{Server, Workload};

/// Settings from the command line.
struct Settings {
    rounds: usize,
    callgrind: bool,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut settings = Settings {
        rounds: 101,
        callgrind: true,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => {
                settings.rounds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n: &usize| n > 0)
                    .unwrap_or_else(|| fail("--rounds needs a positive number"));
            }
            "--no-callgrind" => settings.callgrind = false,
            // The child mode callgrind runs: one server, one workload, `ops` operations.
            "--count" => {
                let server = args.next().and_then(|s| Server::parse(&s));
                let workload = args.next().and_then(|s| Workload::parse(&s));
                let ops = args.next().and_then(|s| s.parse().ok());
                let (Some(server), Some(workload), Some(ops)) = (server, workload, ops) else {
                    fail("--count needs SERVER WORKLOAD OPS");
                };
                workload::run_alone(server, workload, ops);
                return;
            }
            // `cargo bench` passes `--bench`; other harness flags mean nothing here.
            _ => {}
        }
    }
    eprintln!(
        "tcp_ratio: {} interleaved rounds per workload, hark_notify beside mio_by_hand",
        settings.rounds
    );
    let (mut wall_met, mut cpu_met) = (true, true);
    for workload in Workload::ALL {
        let shown = wall::report(workload, settings.rounds);
        wall_met &= shown.wall;
        cpu_met &= shown.cpu;
    }
    let verdict = |met: bool| if met { "meets" } else { "misses" };
    eprintln!(
        "tcp_ratio: by throughput and round trips (wall clock) hark {} the {}x goal on both \
         workloads; by server CPU time it {} it",
        verdict(wall_met),
        wall::GOAL,
        verdict(cpu_met),
    );
    if settings.callgrind {
        match callgrind::report() {
            Ok(met) => eprintln!(
                "tcp_ratio: by user-space instructions hark {} the {}x goal on both workloads",
                verdict(met),
                wall::GOAL
            ),
            Err(err) => eprintln!("tcp_ratio: instruction counts unavailable: {err}"),
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("tcp_ratio: {message}");
    std::process::exit(2);
}
