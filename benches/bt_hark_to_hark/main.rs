//! `cargo bench -p hark-suite --bench bt_hark_to_hark`: one hark BitTorrent client seeding
//! to another on loopback, over uTP and over TCP, side by side in one run (issue 13,
//! bench b; part of `cargo xtask bench`).
//!
//! The torrent is `--bytes` (default 1 GiB) of deterministic data in three files (one
//! ending mid-piece, one empty), in pieces of `--piece-length` (default 1 MiB, what
//! libtorrent and mktorrent pick for that size), written to a temporary directory so it
//! sits in the page cache. One seeder client serves every round; each round a fresh
//! downloader fetches the whole torrent over uTP (uTP-only, the connection's send and
//! receive buffers and largest window `--utp-buffer` bytes, default 4 MiB, and 4 MiB UDP
//! socket buffers), then over TCP (TCP-only), or the other way around every other round.
//! Each download is checked byte for byte against the generated data, then deleted.
//!
//! Printed: the median rate of `--rounds` (default 3) rounds with the lowest and highest,
//! the CPU seconds per GB both clients used (process CPU time, every thread), and the
//! ratio of the uTP median to the goal of 1 GB/s; and, measured after every round, the
//! floor (`floor.rs`): the CPU seconds per GB that filling the page cache, reading it
//! back and SHA-1 cost on this machine whatever the clients' code, without moving a byte
//! between them, against the CPU seconds per GB the cores give at 1 GB/s.
//!
//! Options: `--bytes N`, `--piece-length N`, `--rounds N`, `--utp-buffer N`,
//! `--utp-mtu N` (the uTP packets' UDP payload, default 1402 as libutp's; loopback carries
//! up to 65,507), `--timeout SECONDS` (per download, default 300), `--only utp|tcp`,
//! `--warmup N` (unmeasured uTP downloads first, default 1: the first pages a VM's guest
//! touches can cost far more than later ones).

// The transfer report's process CPU clock (getrusage, every thread).
#[allow(dead_code)]
#[path = "../transfer_report/cpu.rs"]
mod cpu;
mod data;
mod floor;
mod round;

use std::path::PathBuf;
use std::time::Duration;

use hark_suite::report::Spread;
use round::Via;

/// The goal: hark seeding to hark at 1 GB/s over uTP.
const GOAL_MB_PER_S: f64 = 1000.0;

struct Args {
    bytes: u64,
    piece_length: u64,
    rounds: usize,
    utp_buffer: usize,
    utp_mtu: u16,
    timeout: Duration,
    only: Option<Via>,
    warmup: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        bytes: 1 << 30,
        piece_length: 1 << 20,
        rounds: 3,
        utp_buffer: 4 << 20,
        utp_mtu: hark::utp::DEFAULT_UDP_MTU_V4,
        timeout: Duration::from_secs(300),
        only: None,
        warmup: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let number = |name: &str, v: String| -> Result<u64, String> {
            v.parse().map_err(|e| format!("{name}: {e}"))
        };
        match arg.as_str() {
            "--bytes" => args.bytes = number("--bytes", value("--bytes")?)?,
            "--piece-length" => {
                args.piece_length = number("--piece-length", value("--piece-length")?)?
            }
            "--warmup" => args.warmup = number("--warmup", value("--warmup")?)? as usize,
            "--rounds" => args.rounds = number("--rounds", value("--rounds")?)? as usize,
            "--utp-buffer" => {
                args.utp_buffer = number("--utp-buffer", value("--utp-buffer")?)? as usize
            }
            "--utp-mtu" => {
                let mtu = number("--utp-mtu", value("--utp-mtu")?)?;
                args.utp_mtu = u16::try_from(mtu)
                    .ok()
                    .filter(|m| (600..=65_507).contains(m))
                    .ok_or("--utp-mtu must be 600 to 65507")?;
            }
            "--timeout" => {
                args.timeout = Duration::from_secs(number("--timeout", value("--timeout")?)?)
            }
            "--only" => {
                args.only = Some(match value("--only")?.as_str() {
                    "utp" => Via::Utp,
                    "tcp" => Via::Tcp,
                    other => return Err(format!("--only: {other:?} is not utp or tcp")),
                })
            }
            // cargo bench passes `--bench`.
            "--bench" => {}
            other => return Err(format!("unknown option {other}")),
        }
    }
    if args.bytes == 0 || args.rounds == 0 || args.piece_length < 16 * 1024 {
        return Err("--bytes and --rounds must be positive, --piece-length at least 16 KiB".into());
    }
    Ok(args)
}

/// Removes the bench's directory when dropped (also on an early return).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("bt_hark_to_hark: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("bt_hark_to_hark: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), String> {
    let dir = TempDir(std::env::temp_dir().join(format!("hark-bt-bench-{}", std::process::id())));
    let seed_dir = dir.0.join("seed");
    let torrent = data::create(&seed_dir, args.bytes, args.piece_length)
        .map_err(|e| format!("writing the torrent's data: {e}"))?;
    let seeder = round::Seeder::start(&torrent, &seed_dir, args.utp_buffer, args.utp_mtu)?;
    println!(
        "hark seeding to hark on loopback: {} bytes in {} pieces of {} bytes, 3 files, data in page cache; \
         uTP with {} KiB connection buffers, {}-byte packets and 4 MiB UDP socket buffers; medians of {} interleaved rounds [lowest-highest]",
        args.bytes,
        args.bytes.div_ceil(args.piece_length),
        args.piece_length,
        args.utp_buffer / 1024,
        args.utp_mtu,
        args.rounds
    );
    let vias: Vec<Via> = match args.only {
        Some(via) => vec![via],
        None => vec![Via::Utp, Via::Tcp],
    };
    for n in 0..args.warmup {
        let leech_dir = dir.0.join(format!("warmup-{n}"));
        let sample = seeder.download(&torrent, &leech_dir, Via::Utp, args)?;
        data::verify(&leech_dir, args.bytes).map_err(|e| format!("warm-up {n}: {e}"))?;
        let _ = std::fs::remove_dir_all(&leech_dir);
        eprintln!(
            "  warm-up {n} uTP: {:.1} MB/s (not counted)",
            sample.mb_per_s()
        );
    }
    let mut rates = vec![Vec::new(); vias.len()];
    let mut cpu = vec![Vec::new(); vias.len()];
    let mut floors = Vec::new();
    for n in 0..args.rounds {
        let mut order: Vec<usize> = (0..vias.len()).collect();
        if n % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let leech_dir = dir.0.join(format!("leech-{n}-{}", vias[i].name()));
            let sample = seeder.download(&torrent, &leech_dir, vias[i], args)?;
            data::verify(&leech_dir, args.bytes)
                .map_err(|e| format!("{} download of round {n}: {e}", vias[i].name()))?;
            let _ = std::fs::remove_dir_all(&leech_dir);
            eprintln!(
                "  round {n} {}: {:.1} MB/s, {:.2} CPU s/GB, {:.3}x the torrent received, byte-exact",
                vias[i].name(),
                sample.mb_per_s(),
                sample.cpu_per_gb(),
                sample.received as f64 / args.bytes as f64
            );
            rates[i].push(sample.mb_per_s());
            cpu[i].push(sample.cpu_per_gb());
        }
        let floor = floor::measure(&seed_dir, &dir.0.join(format!("floor-{n}")), args.bytes)
            .map_err(|e| format!("measuring the floor after round {n}: {e}"))?;
        eprintln!(
            "  round {n} floor: {:.2} CPU s/GB (page-cache fill {:.2}, read {:.2}, SHA-1 {:.2})",
            floor.total(),
            floor.fill,
            floor.read,
            floor.sha1
        );
        floors.push(floor);
    }
    for (i, via) in vias.iter().enumerate() {
        let rate = Spread::of(&rates[i]);
        let per_gb = Spread::of(&cpu[i]);
        println!(
            "  {:<4} {rate:>7} MB/s, {:.2} CPU s/GB [{:.2}-{:.2}] (both clients), {:.2}x the 1 GB/s goal",
            via.name(),
            per_gb.median,
            per_gb.low,
            per_gb.high,
            rate.median / GOAL_MB_PER_S
        );
    }
    let median = |part: fn(&floor::Floor) -> f64| {
        Spread::of(&floors.iter().map(part).collect::<Vec<_>>()).median
    };
    let total = Spread::of(&floors.iter().map(floor::Floor::total).collect::<Vec<_>>());
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "  floor {:.2} CPU s/GB [{:.2}-{:.2}] without moving a byte between the clients: \
         page-cache fill {:.2}, read {:.2}, SHA-1 {:.2} (medians); at 1 GB/s {cores} cores give {cores} CPU s/GB in all",
        total.median,
        total.low,
        total.high,
        median(|f| f.fill),
        median(|f| f.read),
        median(|f| f.sha1),
    );
    drop(seeder);
    Ok(())
}
