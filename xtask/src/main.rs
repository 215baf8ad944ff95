//! `cargo xtask`: hark's task runner.
//!
//! - `cargo xtask ci`: what CI runs. Installs what the tests need when it is missing, then
//!   checks formatting and lints, runs every test, and smoke-runs every fuzz target.
//! - `cargo xtask fuzz [--seconds N] [TARGET...]`: runs fuzz targets for a bounded time.
//! - `cargo xtask bench`: the transfer report (uTP, raw UDP, TCP, libtorrent; the hub's
//!   cost) in release, the hub's events per second, then the TCP notifier beside a
//!   hand-written mio loop (interleaved medians and callgrind instruction counts,
//!   `benches/tcp_ratio/`), then SCTP notifications per second (parsed, tracked,
//!   dispatched), then hark-tokio's stream beside librqbit-utp's and tokio's TCP
//!   (`crates/hark-tokio/benches/tokio_utp.rs`), then uTP memory per connection
//!   (`benches/utp_memory/`), then BEEP's echo and channel figures with and without TLS
//!   (`benches/beep_report/`), then a BitTorrent hash check beside `sha1sum`
//!   (`crates/hark/benches/hash_check.rs`), then hark seeding to hark over uTP and TCP
//!   (`benches/bt_hark_to_hark/`), hark against libtorrent downloading 1 GiB from one
//!   libtorrent seeder (`benches/bt_libtorrent_ratio/`) and the peak RSS of a 4 GiB
//!   download from 20 peers (`benches/bt_rss/`); `--criterion` runs every criterion
//!   bench instead, with their ratios.
//! - `cargo xtask sctp-vm`: runs the kernel-SCTP tests inside Debian's kernel under qemu.
//! - `cargo xtask lab [SEED] [--rules plusplus|draft-gain|rfc6817]`: uTP's LEDBAT on a
//!   simulated bottleneck, beside its goals.
//! - `cargo xtask ledbat-bed [-- ARGS]`: uTP's LEDBAT on a real kernel bottleneck (network
//!   namespaces, `tc qdisc tbf`) beside Linux TCP and libtorrent's uTP (root).

mod ci;
mod cpio;
mod fuzz;
mod ratios;
mod sctp_vm;
mod util;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "hark's task runner")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Install missing test dependencies, then fmt, clippy, every test, the kernel-SCTP VM
    /// tests and a fuzz smoke run.
    Ci {
        /// Seconds each fuzz target runs during the smoke run (0 skips building fuzzers).
        #[arg(long, default_value_t = 10)]
        fuzz_seconds: u64,
    },
    /// Run the fuzz targets under `fuzz/` for a bounded time each.
    Fuzz {
        /// Seconds each target runs.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Targets to run; all of them when empty.
        targets: Vec<String>,
    },
    /// Boot Debian's kernel under qemu (TCG) and run the kernel-SCTP tests inside it.
    SctpVm {
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 900)]
        timeout: u64,
        /// Arguments for the test binary (a test-name filter, `--nocapture`, ...).
        args: Vec<String>,
    },
    /// uTP's LEDBAT on a simulated 10 Mbit/s bottleneck: utilisation, queueing delay and
    /// shares beside their goals (virtual time: exact for the seed, machine-independent).
    Lab {
        /// The simulator's seed.
        #[arg(default_value_t = 1)]
        seed: u64,
        /// The controller's rules: `plusplus` (LEDBAT++, the default), `draft-gain`
        /// (LEDBAT++ with the draft's RTT-scaled growth), `rfc6817`, or `yield` (LEDBAT++
        /// yielding to standing queues); several may be comma-separated (`ramp`, `join`,
        /// `drain` turn on options that are on by default anyway).
        #[arg(long, default_value = "plusplus")]
        rules: String,
    },
    /// Print the transfer report: hark's uTP beside raw UDP, TCP and libtorrent's uTP on
    /// loopback, with OS default and 4 MiB socket buffers, and the event hub's cost; then
    /// the hub's events per second, the TCP notifier beside a hand-written mio loop
    /// (`benches/tcp_ratio/`), and SCTP notifications per second.
    Bench {
        /// Run the criterion benches (`cargo bench --workspace`) and their ratios instead.
        #[arg(long)]
        criterion: bool,
        /// Arguments for the bench binaries (after `--`), such as `--rounds 3`.
        args: Vec<String>,
    },
    /// uTP's LEDBAT on a real kernel bottleneck: three network namespaces (sender, a router
    /// with `tc qdisc tbf`, receiver), beside Linux TCP flows (cubic, reno, bbr) and, with
    /// `--reference`, libtorrent's uTP; utilisation, queueing delay and shares, medians of
    /// `--runs`. Needs root. Arguments after `--`: `--rate-mbit 10 --queue-bytes 250000
    /// --duration 30 --warmup 5 --late 10 --runs 3 --reference --only NAME`.
    LedbatBed {
        /// Arguments for the bed (`benches/ledbat_bed/`).
        args: Vec<String>,
    },
}

/// Debian packages of the peers the benches run beside hark (installed when missing).
const BENCH_PEERS: &[&str] = &["python3-libtorrent"];

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Ci { fuzz_seconds } => ci::run(fuzz_seconds),
        Task::Fuzz { seconds, targets } => fuzz::run(seconds, &targets),
        Task::SctpVm { timeout, args } => sctp_vm::run(timeout, &args),
        Task::Lab { seed, rules } => {
            let mut cmd = util::cargo();
            cmd.args([
                "run",
                "--quiet",
                "--release",
                "-p",
                "hark-proto",
                "--example",
            ])
            .args(["utp_lab", "--"])
            .arg(seed.to_string())
            .arg(rules);
            util::run(cmd)
        }
        Task::LedbatBed { args } => {
            // `--reference` runs libtorrent's uTP beside hark's.
            if args.iter().any(|arg| arg == "--reference") {
                if let Err(err) = util::ensure_debian_packages(BENCH_PEERS) {
                    return report_failure(err);
                }
            }
            let mut cmd = util::cargo_bench("hark-suite", "ledbat_bed");
            cmd.arg("--").args(&args);
            util::run(cmd)
        }
        Task::Bench {
            criterion: true,
            args,
        } => {
            let mut cmd = util::cargo();
            cmd.args(["bench", "--workspace", "--"]).args(&args);
            let result = util::run(cmd);
            ratios::print();
            result
        }
        Task::Bench {
            criterion: false,
            args,
        } => {
            // The transfer report and bench (a) run libtorrent as a peer.
            if let Err(err) = util::ensure_debian_packages(BENCH_PEERS) {
                return report_failure(err);
            }
            let mut cmd = util::cargo_bench("hark-suite", "transfer_report");
            cmd.arg("--").args(&args);
            let report = util::run(cmd);
            // Events per second through the hub to a no-op listener (issue 4).
            let mut hub = util::cargo_bench("hark-suite", "event_hub");
            hub.args(["--", "--warm-up-time", "1", "--measurement-time", "3"]);
            let hub = util::run(hub);
            // The TCP notifier beside a hand-written mio loop, in the same run (issue 6):
            // interleaved wall-clock and server-CPU medians, and callgrind's instruction
            // counts (valgrind installed if missing; skipped, and said so, if it cannot be).
            let mut tcp = util::cargo_bench("hark-suite", "tcp_ratio");
            tcp.arg("--");
            if let Err(err) = util::ensure_debian_packages(&["valgrind"]) {
                eprintln!("xtask: {err}; the TCP report runs without instruction counts");
                tcp.arg("--no-callgrind");
            }
            let tcp = util::run(tcp);
            // SCTP notifications per second: parsed, tracked, dispatched (issue 7).
            let sctp = util::cargo_bench("hark-suite", "sctp_notifications");
            let sctp = util::run(sctp);
            // hark-tokio's UtpStream beside librqbit-utp's and tokio's TCP (issue 18).
            let tokio_utp = util::cargo_bench("hark-tokio", "tokio_utp");
            let tokio_utp = util::run(tokio_utp);
            // uTP memory per connection, handshake rate and timer cost (issue 16).
            let utp_memory = util::cargo_bench("hark-suite", "utp_memory");
            let utp_memory = util::run(utp_memory);
            // BEEP: 64 KiB echo against raw TCP, 100 channels of 100-byte messages, and
            // both over TLS (issue 15).
            let beep = util::run(util::cargo_bench("hark-suite", "beep_report"));
            // A BitTorrent hash check of 2 GiB in page cache on all cores beside sha1sum
            // of the same bytes (issue 13, bench c).
            let hash_check = util::run(util::cargo_bench("hark", "hash_check"));
            // hark seeding to hark, 1 GiB over uTP and over TCP (issue 13, bench b).
            let hark_to_hark = util::run(util::cargo_bench("hark-suite", "bt_hark_to_hark"));
            // BitTorrent: hark against libtorrent downloading from one libtorrent seeder
            // over uTP and TCP (issue 13, bench a), and the downloader's peak RSS over
            // 4 GiB from 20 peers (bench d).
            let bt_libtorrent = util::run(util::cargo_bench("hark-suite", "bt_libtorrent_ratio"));
            let bt_rss = util::run(util::cargo_bench("hark-suite", "bt_rss"));
            ratios::print();
            report
                .and(hub)
                .and(tcp)
                .and(sctp)
                .and(tokio_utp)
                .and(utp_memory)
                .and(beep)
                .and(hash_check)
                .and(hark_to_hark)
                .and(bt_libtorrent)
                .and(bt_rss)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => report_failure(message),
    }
}

/// Prints why a task failed; the exit code that says it did.
fn report_failure(message: String) -> ExitCode {
    eprintln!("xtask: {message}");
    ExitCode::FAILURE
}
