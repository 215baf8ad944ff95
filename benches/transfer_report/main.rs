//! `cargo xtask bench`'s report (issues 4 and 5): single-connection throughput and CPU
//! time per MB on loopback for hark's uTP (through the libutp facade), raw UDP with one
//! datagram per syscall, TCP and libtorrent's uTP, with the OS default socket buffers and
//! with 4 MiB buffers; then the event hub's cost on a uTP transfer. Repetitions are
//! interleaved (each round runs every case once, starting at a different case) and each
//! figure is the median over the rounds, so machine noise hits every row alike.
//!
//! Run with `cargo bench --bench transfer_report [-- --rounds N --megabytes N --hub-pairs N --only LABEL]` (this
//! target has `bench = false`: plain `cargo bench` runs only the criterion benches).

#[path = "../tcp_ratio/stats.rs"]
mod stats;

mod buffers;
mod cpu;
mod hark_utp;
mod hub_pairs;
mod libtorrent;
mod raw_udp;
mod report;
mod sample;
mod tcp;

use std::time::{Duration, Instant};

use buffers::{Buffers, FOUR_MIB};
use hark_utp::Hub;
use report::{Case, Report};
use sample::Sample;

/// Settings from the command line.
struct Settings {
    rounds: usize,
    bytes: u64,
    libtorrent_bytes: u64,
    libtorrent_rounds: usize,
    /// Back-to-back pairs for the hub's cost.
    hub_pairs: usize,
    /// Only cases whose label contains one of these (all when empty).
    only: Vec<String>,
}

impl Settings {
    fn from_args() -> Result<Settings, String> {
        let mut settings = Settings {
            rounds: 7,
            bytes: 200_000_000,
            libtorrent_bytes: 128 << 20,
            libtorrent_rounds: 5,
            hub_pairs: 31,
            only: Vec::new(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = |name: &str| -> Result<u64, String> {
                args.next()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| format!("{name} needs a positive number"))
            };
            match arg.as_str() {
                "--rounds" => settings.rounds = value("--rounds")?.max(1) as usize,
                "--megabytes" => settings.bytes = value("--megabytes")?.max(1) * 1_000_000,
                "--libtorrent-megabytes" => {
                    settings.libtorrent_bytes = value("--libtorrent-megabytes")?.max(1) << 20;
                }
                "--libtorrent-rounds" => {
                    settings.libtorrent_rounds = value("--libtorrent-rounds")? as usize;
                }
                "--hub-pairs" => settings.hub_pairs = value("--hub-pairs")? as usize,
                "--only" => match args.next() {
                    Some(label) => settings.only.push(label),
                    None => return Err("--only needs part of a case label".to_string()),
                },
                // `cargo bench` passes `--bench`; other harness flags mean nothing here.
                _ => {}
            }
        }
        Ok(settings)
    }
}

/// How long one hark transfer may take before what arrived is reported.
pub(crate) const HARK_DEADLINE: Duration = Duration::from_secs(15);
/// How long one libtorrent download may take before what arrived is reported.
const LIBTORRENT_DEADLINE: Duration = Duration::from_secs(6);

fn run(case: Case, settings: &Settings) -> Result<Sample, String> {
    match case {
        Case::Hark(buffers) => {
            hark_utp::transfer(settings.bytes, buffers, Hub::Default, HARK_DEADLINE)
        }
        Case::HubNothing => {
            hark_utp::transfer(settings.bytes, FOUR_MIB, Hub::Nothing, HARK_DEADLINE)
        }
        Case::HubAllDebug => {
            hark_utp::transfer(settings.bytes, FOUR_MIB, Hub::AllDebug, HARK_DEADLINE)
        }
        Case::RawUdp(buffers) => raw_udp::transfer(settings.bytes, buffers),
        Case::Tcp(buffers) => tcp::transfer(settings.bytes, buffers),
        Case::Libtorrent(buffers) => {
            libtorrent::transfer(settings.libtorrent_bytes, buffers, LIBTORRENT_DEADLINE)
        }
    }
}

fn main() {
    let settings = match Settings::from_args() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("transfer_report: {message}");
            std::process::exit(2);
        }
    };
    let libtorrent = libtorrent::version();
    let mut cases = Vec::new();
    for buffers in [Buffers::OsDefault, FOUR_MIB] {
        cases.extend([
            Case::Hark(buffers),
            Case::RawUdp(buffers),
            Case::Tcp(buffers),
        ]);
    }
    cases.extend([Case::HubNothing, Case::HubAllDebug]);
    let mut report = Report::new(&settings_line(&settings), libtorrent.clone());
    let started = Instant::now();
    for round in 0..settings.rounds {
        let mut todo = cases.clone();
        if libtorrent.is_some() && round < settings.libtorrent_rounds {
            todo.extend([
                Case::Libtorrent(Buffers::OsDefault),
                Case::Libtorrent(FOUR_MIB),
            ]);
        }
        if !settings.only.is_empty() {
            todo.retain(|case| {
                let label = case.label();
                settings
                    .only
                    .iter()
                    .any(|part| label.contains(part.as_str()))
            });
        }
        if todo.is_empty() {
            continue;
        }
        let shift = round % todo.len();
        todo.rotate_left(shift);
        for case in todo {
            match run(case, &settings) {
                Ok(sample) => {
                    eprintln!(
                        "round {}/{}: {:<40} {:>9.1} MB/s {:>9.5} CPU s/MB{}",
                        round + 1,
                        settings.rounds,
                        case.label(),
                        sample.mb_per_s(),
                        sample.cpu_per_mb(),
                        if sample.delivered < sample.offered {
                            format!(" ({:.1} % lost or late)", sample.loss() * 100.0)
                        } else {
                            String::new()
                        }
                    );
                    report.add(case, sample);
                }
                Err(error) => {
                    eprintln!("round {}: {}: FAILED: {error}", round + 1, case.label());
                    report.fail(case, error);
                }
            }
        }
    }
    let hub_selected = settings.only.is_empty()
        || settings
            .only
            .iter()
            .any(|part| "hub: pairs".contains(part.as_str()));
    if hub_selected && settings.hub_pairs > 0 {
        report.set_hub_pairs(hub_pairs::measure(settings.hub_pairs, settings.bytes));
    }
    eprintln!("measured in {:.0} s", started.elapsed().as_secs_f64());
    print!("{}", report.render());
}

fn settings_line(settings: &Settings) -> String {
    format!(
        "{} MB per transfer ({} MiB for libtorrent), median of {} interleaved rounds ({} for libtorrent)",
        settings.bytes / 1_000_000,
        settings.libtorrent_bytes >> 20,
        settings.rounds,
        settings.libtorrent_rounds.min(settings.rounds),
    )
}
