//! `cargo bench -p hark-suite --bench bt_libtorrent_ratio`: issue 13's bench (a), part of
//! `cargo xtask bench`. One libtorrent seeder (python3-libtorrent, uTP and TCP) holds a
//! 1 GiB torrent on loopback; hark's client and a second libtorrent session each download
//! it from that seeder, over uTP and over TCP, in interleaved rounds (the order of hark
//! and libtorrent alternates between rounds). Goal: hark at least 1.5x libtorrent's rate.
//!
//! hark downloads in a process of its own (this binary run again, see
//! `hark_suite::bt_interop::hark_child`), timed from adding the torrent until every piece
//! is verified; libtorrent is timed from its first line (torrent added and checked, the
//! peer about to be dialed) until `torrent_finished`. Every download is checked byte for
//! byte, then deleted. Each figure is the median of its rounds [lowest-highest]; CPU
//! seconds per GB (user + system of the downloading process) are steadier than rates on
//! a loaded machine. The seeder's CPU seconds per GB while it served each download, the
//! cores that is at the download's rate, and the share of that time its busiest thread
//! was on a CPU show how near the seeder (and with the downloader, the machine) is to its
//! limit: a downloader cannot go faster than the seeder sends.
//!
//! Options: `--bytes N` (default 1 GiB), `--piece-length N` (default 1 MiB), `--rounds N`
//! (default 3), `--transports utp,tcp`.

use hark::bittorrent::Transports;
use hark_suite::bt_interop::big_torrent::BigTorrent;
use hark_suite::bt_interop::hark_child;
use hark_suite::bt_interop::libtorrent::{self, Transport};
use hark_suite::peer_process::{PeerProcess, unique_dir};
use hark_suite::proc_cpu::CpuTimes;
use hark_suite::report::{Cleanup, Spread, parse};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

/// The goal: hark's rate over libtorrent's.
const GOAL: f64 = 1.5;

struct Args {
    bytes: u64,
    piece_length: u64,
    rounds: usize,
    transports: Vec<Transport>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        bytes: 1 << 30,
        piece_length: 1 << 20,
        rounds: 3,
        transports: vec![Transport::Utp, Transport::Tcp],
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--bytes" => args.bytes = parse(&value("--bytes")?)?,
            "--piece-length" => args.piece_length = parse(&value("--piece-length")?)?,
            "--rounds" => args.rounds = parse(&value("--rounds")?)?,
            "--transports" => {
                args.transports = value("--transports")?
                    .split(',')
                    .map(|t| match t {
                        "utp" => Ok(Transport::Utp),
                        "tcp" => Ok(Transport::Tcp),
                        other => Err(format!("--transports: {other}? utp or tcp")),
                    })
                    .collect::<Result<_, _>>()?
            }
            // cargo bench passes `--bench`.
            "--bench" => {}
            other => return Err(format!("unknown option {other}")),
        }
    }
    if args.bytes == 0 || args.rounds == 0 || args.transports.is_empty() {
        return Err("--bytes, --rounds and --transports must not be empty".into());
    }
    Ok(args)
}

/// One download's rate and CPU cost, and the seeder's while it served it.
#[derive(Debug, Clone, Copy)]
struct Run {
    mb_per_s: f64,
    cpu_per_gb: f64,
    seeder: SeederLoad,
}

/// What serving one download cost the seeder, from the downloader's start until it
/// finished.
#[derive(Debug, Clone, Copy)]
struct SeederLoad {
    /// CPU seconds per GB, every thread.
    cpu_per_gb: f64,
    /// The share of the time its busiest thread was on a CPU (1.0: saturated).
    busiest_thread: f64,
}

impl Run {
    /// Cores a process costing `cpu_per_gb` keeps busy at this run's rate.
    fn cores(&self, cpu_per_gb: f64) -> f64 {
        cpu_per_gb * self.mb_per_s / 1e3
    }
}

/// The libtorrent seeder every download comes from, and what it costs.
struct Seeder {
    peer: PeerProcess,
    addr: SocketAddr,
}

/// The seeder's CPU times and the clock at one moment.
struct SeederSample(CpuTimes, Instant);

impl Seeder {
    fn sample(&self) -> SeederSample {
        let times = self.peer.cpu_times().unwrap_or_else(|| {
            self.peer
                .fail("the seeder is gone, or /proc cannot be read")
        });
        SeederSample(times, Instant::now())
    }

    /// Its load since `before`, serving `bytes`.
    fn load_since(&self, before: &SeederSample, bytes: u64) -> SeederLoad {
        let after = self.sample();
        let (cpu, busiest) = after.0.since(&before.0);
        SeederLoad {
            cpu_per_gb: cpu / (bytes as f64 / 1e9),
            busiest_thread: busiest / after.1.duration_since(before.1).as_secs_f64(),
        }
    }
}

fn hark_run(torrent: &BigTorrent, dir: &Path, seeder: &Seeder, transport: Transport) -> Run {
    let out = dir.join("hark");
    let transports = match transport {
        Transport::Tcp => Transports::TcpOnly,
        _ => Transports::UtpOnly,
    };
    let before = seeder.sample();
    let download = hark_child::download(
        &torrent.file,
        &out,
        &[seeder.addr],
        transports,
        Duration::from_secs(600),
    )
    .unwrap_or_else(|error| panic!("hark over {transport:?}: {error}"));
    let seeder = seeder.load_since(&before, torrent.len);
    check(torrent, &out);
    Run {
        mb_per_s: download.mb_per_s(),
        cpu_per_gb: download.cpu_seconds / (download.bytes as f64 / 1e9),
        seeder,
    }
}

fn libtorrent_run(torrent: &BigTorrent, dir: &Path, seeder: &Seeder, transport: Transport) -> Run {
    let out = dir.join("libtorrent");
    let cpu_before = children_cpu();
    let before = seeder.sample();
    let mut peer = libtorrent::download(
        None,
        &torrent.file,
        &out,
        &[seeder.addr],
        transport,
        "127.0.0.1",
    );
    let started = Instant::now();
    libtorrent::wait_complete(&mut peer, Duration::from_secs(600));
    let seconds = started.elapsed().as_secs_f64();
    // Before the downloader is stopped, which may take seconds of the seeder's idle time.
    let seeder = seeder.load_since(&before, torrent.len);
    // Its data is checked below; dials that fail (the seeder passes on, by peer exchange,
    // the addresses of earlier downloaders that are gone) do not matter.
    drop(peer);
    check(torrent, &out);
    Run {
        mb_per_s: torrent.len as f64 / seconds / 1e6,
        cpu_per_gb: (children_cpu() - cpu_before) / (torrent.len as f64 / 1e9),
        seeder,
    }
}

/// Verifies a download byte for byte, then deletes it.
fn check(torrent: &BigTorrent, out: &Path) {
    if let Err(error) = torrent.verify(out) {
        panic!("wrong download: {error}");
    }
    std::fs::remove_dir_all(out).expect("delete the download");
}

/// User + system CPU seconds of the children reaped so far.
fn children_cpu() -> f64 {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is valid for writes.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let time = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    time(usage.ru_utime) + time(usage.ru_stime)
}

fn main() {
    hark_child::run_if_child();
    let args = match parse_args() {
        Ok(args) => args,
        Err(error) => {
            eprintln!("bt_libtorrent_ratio: {error}");
            std::process::exit(2);
        }
    };
    let dir = unique_dir("bt-libtorrent-ratio");
    let _cleanup = Cleanup(dir.clone());
    let made = Instant::now();
    let torrent = BigTorrent::make(&dir, args.bytes, args.piece_length);
    println!(
        "hark vs libtorrent downloading {} MiB (pieces of {} KiB) from one libtorrent seeder on loopback (made in {:.1} s)",
        args.bytes >> 20,
        args.piece_length >> 10,
        made.elapsed().as_secs_f64()
    );
    let peer = libtorrent::seed(
        None,
        &torrent.file,
        &torrent.seed_dir,
        Transport::Both,
        "127.0.0.1",
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], peer.info.port));
    let seeder = Seeder { peer, addr };
    let mut runs = vec![(Vec::new(), Vec::new()); args.transports.len()];
    for round in 0..args.rounds {
        for (i, &transport) in args.transports.iter().enumerate() {
            let order = if round % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for is_hark in order {
                let run = if is_hark {
                    hark_run(&torrent, &dir, &seeder, transport)
                } else {
                    libtorrent_run(&torrent, &dir, &seeder, transport)
                };
                println!(
                    "  round {} {:?}: {:<10} {:7.1} MB/s, {:.2} CPU s/GB ({:.2} cores); seeder {:.2} CPU s/GB ({:.2} cores, busiest thread {:.0} %)",
                    round + 1,
                    transport,
                    if is_hark { "hark" } else { "libtorrent" },
                    run.mb_per_s,
                    run.cpu_per_gb,
                    run.cores(run.cpu_per_gb),
                    run.seeder.cpu_per_gb,
                    run.cores(run.seeder.cpu_per_gb),
                    run.seeder.busiest_thread * 100.0,
                );
                let (hark, lt) = &mut runs[i];
                if is_hark { hark } else { lt }.push(run);
            }
        }
    }
    drop(seeder);
    println!(
        "medians of {} interleaved rounds [lowest-highest]; goal: hark >= {GOAL}x libtorrent",
        args.rounds
    );
    for (transport, (hark, lt)) in args.transports.iter().zip(&runs) {
        let rate = |runs: &[Run]| Spread::of(&runs.iter().map(|r| r.mb_per_s).collect::<Vec<_>>());
        let cpu = |runs: &[Run]| Spread::of(&runs.iter().map(|r| r.cpu_per_gb).collect::<Vec<_>>());
        let median = |runs: &[Run], of: fn(&Run) -> f64| {
            Spread::of(&runs.iter().map(of).collect::<Vec<_>>()).median
        };
        let seeder = |runs: &[Run]| median(runs, |r| r.seeder.cpu_per_gb);
        let busiest = |runs: &[Run]| median(runs, |r| r.seeder.busiest_thread) * 100.0;
        let (h, l) = (rate(hark), rate(lt));
        let ratio = h.median / l.median;
        println!(
            "  {transport:?}: hark {h} MB/s ({:.2} CPU s/GB; seeder {:.2}, busiest thread {:.0} %), libtorrent {l} MB/s ({:.2} CPU s/GB; seeder {:.2}, busiest thread {:.0} %): {ratio:.2}x, goal {}",
            cpu(hark).median,
            seeder(hark),
            busiest(hark),
            cpu(lt).median,
            seeder(lt),
            busiest(lt),
            if ratio >= GOAL { "met" } else { "missed" }
        );
    }
}
