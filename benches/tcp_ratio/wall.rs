//! Wall-clock and server-CPU medians over interleaved rounds.

use crate::stats::{median, median_interval};
use crate::tcp_echo::{Role, pin_to_cpu};
use crate::thread_cpu::ThreadCpu;
use crate::workload::{Client, Server, Servers, Workload};
use std::time::Instant;

/// The goal: hark at least this fraction of the hand-written loop's speed.
pub const GOAL: f64 = 0.9;

/// Per-round seconds of one server: wall clock and its thread's CPU time.
#[derive(Default)]
struct Samples {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

/// Runs `rounds` interleaved rounds of `workload` on both servers and prints the medians
/// and ratios; returns whether the server-CPU ratio meets the goal (the wall-clock ratio
/// is printed too, but it also measures the client and whatever else the machine runs).
pub fn report(workload: Workload, rounds: usize) -> Shown {
    pin_to_cpu(Role::Client);
    let servers = Servers::spawn();
    let mut clients = Server::ALL.map(|server| Client::connect(servers.addr(server)));
    let threads = Server::ALL.map(|server| ThreadCpu::find(server.thread()));
    let ops = workload.ops_per_round();
    // One untimed round each: connections warmed up, buffers grown.
    for client in &mut clients {
        client.run(workload, ops);
    }
    let mut samples: [Samples; 2] = Default::default();
    for round in 0..rounds {
        // Alternate which server goes first, so neither always follows the other.
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for index in order {
            let cpu_before = threads[index].as_ref().map(ThreadCpu::used);
            let start = Instant::now();
            clients[index].run(workload, ops);
            let wall = start.elapsed().as_secs_f64();
            let cpu = match (&threads[index], cpu_before) {
                (Some(thread), Some(before)) => thread.used().saturating_sub(before).as_secs_f64(),
                _ => f64::NAN,
            };
            samples[index].wall.push(wall);
            samples[index].cpu.push(cpu);
        }
    }
    drop(clients);
    drop(servers);
    print(workload, rounds, &samples)
}

fn print(workload: Workload, rounds: usize, samples: &[Samples; 2]) -> Shown {
    let ops = workload.ops_per_round() as f64;
    eprintln!(
        "{}: {} {} per round, {rounds} rounds, alternating which server goes first",
        workload.name(),
        workload.ops_per_round(),
        match workload {
            Workload::Bulk => "MiB",
            Workload::PingPong => "round trips",
        },
    );
    for (server, sample) in Server::ALL.iter().zip(samples) {
        let wall = median(&sample.wall);
        let rate = match workload {
            Workload::Bulk => format!("{:.0} MiB/s", ops / wall),
            Workload::PingPong => format!("{:.1} us/round trip", wall / ops * 1e6),
        };
        eprintln!(
            "  {:<12} median {:8.2} ms/round ({rate}), server thread CPU {:8.2} ms/round",
            server.name(),
            wall * 1e3,
            median(&sample.cpu) * 1e3,
        );
    }
    let [hark, mio] = samples;
    let wall = ratio_line("wall-clock", &hark.wall, &mio.wall);
    let cpu = ratio_line("server CPU", &hark.cpu, &mio.cpu);
    Shown { wall, cpu }
}

/// Whether the goal is shown (the whole 95 % interval at or above it) by each measure.
#[derive(Debug, Clone, Copy)]
pub struct Shown {
    /// By wall-clock time: throughput and round trips, what the goal is about.
    pub wall: bool,
    /// By the server thread's CPU time.
    pub cpu: bool,
}

/// Prints hark's speed as a ratio of the hand-written loop's (time of mio over time of
/// hark): the median of the per-round ratios (each pair of runs adjacent in time, so both
/// saw the same load) with its 95 % confidence interval. Returns whether the whole
/// interval lies at or above the goal: the goal is shown, not just met by this run's luck.
fn ratio_line(what: &str, hark: &[f64], mio: &[f64]) -> bool {
    let per_round: Vec<f64> = hark.iter().zip(mio).map(|(h, m)| m / h).collect();
    let ratio = median(&per_round);
    let (low, high) = median_interval(&per_round).unwrap_or((f64::NAN, f64::NAN));
    let shown = low >= GOAL;
    let verdict = if shown {
        "meets"
    } else if ratio >= GOAL {
        "not shown to meet"
    } else {
        "misses"
    };
    eprintln!(
        "  {what:<10} ratio {ratio:.3}x, 95% interval {low:.3}x..{high:.3}x ({verdict} the \
         {GOAL}x goal)"
    );
    shown
}
