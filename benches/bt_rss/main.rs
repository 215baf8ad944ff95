//! `cargo bench -p hark-suite --bench bt_rss`: issue 13's bench (d), part of `cargo xtask
//! bench`. hark's client downloads a 4 GiB torrent from 20 seeding peers on loopback, and
//! its peak resident set is read from its `VmHWM` as it finishes. Goal: at most 64 MiB.
//!
//! The payload is patterned (written and hashed on every core, left in the page cache).
//! The seeders are 20 hark `Client`s in this process, each on its own address
//! 127.0.0.2, 127.0.0.3, ... starting from a resume file, so none re-hashes the data. The
//! downloader is this binary run again (`hark_suite::bt_interop::hark_child`): a client
//! with default settings, uTP first, dialing all 20; it exits 0 only once every piece is
//! verified, and the download is then checked byte for byte and deleted.
//!
//! Options: `--bytes N` (default 4 GiB), `--piece-length N` (default 4 MiB), `--peers N`
//! (default 20), `--rounds N` (default 1), `--tcp` (dial over TCP only).

use hark::bittorrent::{AddTorrent, Client, Transports};
use hark::events::{Protocol, Severity};
use hark_suite::bt_interop::big_torrent::BigTorrent;
use hark_suite::bt_interop::hark_child;
use hark_suite::peer_process::unique_dir;
use hark_suite::report::{Cleanup, Spread, parse};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

/// The goal: peak RSS of the downloader.
const GOAL: u64 = 64 << 20;

struct Args {
    bytes: u64,
    piece_length: u64,
    peers: u8,
    rounds: usize,
    transports: Transports,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        bytes: 4 << 30,
        piece_length: 4 << 20,
        peers: 20,
        rounds: 1,
        transports: Transports::UtpFirst,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--bytes" => args.bytes = parse(&value("--bytes")?)?,
            "--piece-length" => args.piece_length = parse(&value("--piece-length")?)?,
            "--peers" => args.peers = parse(&value("--peers")?)?,
            "--rounds" => args.rounds = parse(&value("--rounds")?)?,
            "--tcp" => args.transports = Transports::TcpOnly,
            // cargo bench passes `--bench`.
            "--bench" => {}
            other => return Err(format!("unknown option {other}")),
        }
    }
    if args.bytes == 0 || args.rounds == 0 || args.peers == 0 || args.peers > 250 {
        return Err("--bytes and --rounds must be positive, --peers 1 to 250".into());
    }
    Ok(args)
}

fn main() {
    hark_child::run_if_child();
    let args = match parse_args() {
        Ok(args) => args,
        Err(error) => {
            eprintln!("bt_rss: {error}");
            std::process::exit(2);
        }
    };
    let dir = unique_dir("bt-rss");
    let _cleanup = Cleanup(dir.clone());
    let made = Instant::now();
    let torrent = BigTorrent::make(&dir, args.bytes, args.piece_length);
    let resume_dir = dir.join("resume");
    torrent.write_resume(&resume_dir);
    println!(
        "hark downloading {} MiB (pieces of {} KiB) from {} hark seeders on loopback (made in {:.1} s)",
        args.bytes >> 20,
        args.piece_length >> 10,
        args.peers,
        made.elapsed().as_secs_f64()
    );
    let seeders: Vec<Client> = (0..args.peers)
        .map(|i| {
            Client::builder()
                .ipv4(Some(Ipv4Addr::new(127, 0, 0, 2 + i)))
                .ipv6(None)
                .port_list([0])
                .resume_dir(&resume_dir)
                .min_severity(Severity::Warning)
                .build()
                .unwrap_or_else(|error| panic!("seeder {i}: {error}"))
        })
        .collect();
    let mut peers = Vec::new();
    for (i, seeder) in seeders.iter().enumerate() {
        let add = AddTorrent::from_bytes(&torrent.bytes, &torrent.seed_dir).expect("the torrent");
        let id = seeder.add_torrent(add).expect("add to a seeder");
        let status = seeder
            .wait_for(id, Duration::from_secs(120), |s| s.is_finished())
            .filter(|s| s.is_finished())
            .unwrap_or_else(|| panic!("seeder {i} did not start seeding"));
        assert_eq!(status.total_bytes, args.bytes);
        let addr: SocketAddr = seeder
            .local_addr(Protocol::Tcp4)
            .expect("a seeder's address");
        peers.push(addr);
    }
    let mut rss = Vec::new();
    let mut rates = Vec::new();
    for round in 0..args.rounds {
        let out = dir.join("download");
        let run = hark_child::download(
            &torrent.file,
            &out,
            &peers,
            args.transports,
            Duration::from_secs(900),
        )
        .unwrap_or_else(|error| panic!("hark downloader: {error}"));
        if let Err(error) = torrent.verify(&out) {
            panic!("wrong download: {error}");
        }
        std::fs::remove_dir_all(&out).expect("delete the download");
        println!(
            "  round {}: peak RSS {:.1} MiB, {:.1} MB/s, {:.2} CPU s/GB, received {:.3}x the payload",
            round + 1,
            run.max_rss as f64 / f64::from(1 << 20),
            run.mb_per_s(),
            run.cpu_seconds / (run.bytes as f64 / 1e9),
            run.received as f64 / run.bytes as f64,
        );
        rss.push(run.max_rss as f64 / f64::from(1 << 20));
        rates.push(run.mb_per_s());
    }
    drop(seeders);
    let rss = Spread::of(&rss);
    println!(
        "peak RSS of the downloader {rss} MiB (median of {} rounds [lowest-highest]), goal <= {} MiB: {}; download {} MB/s",
        args.rounds,
        GOAL >> 20,
        if rss.high <= (GOAL >> 20) as f64 {
            "met"
        } else {
            "missed"
        },
        Spread::of(&rates)
    );
}
