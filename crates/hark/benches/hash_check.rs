//! Bench (c) of issue 13: a hash check of a torrent already on disk (in the page cache),
//! `DiskPool::recheck` on every core, beside `sha1sum` of the same bytes, in one run.
//!
//! `cargo bench -p hark --bench hash_check [-- --mib N --rounds R]` (default 2048 MiB, 2
//! rounds, interleaved; the best round of each is reported). The data is written under
//! /tmp and deleted afterwards.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hark::bittorrent::disk::{DiskConfig, DiskHandler, DiskPool, TorrentFiles, TorrentKey};
use hark_proto::bt::peer::PieceSet;
use hark_proto::bt::torrent::{Completion, DiskError};
use hark_reactor::{Reactor, ReactorConfig};
use hark_wire::bt::bencode::OwnedValue;
use hark_wire::bt::metainfo::Info;
use sha1::{Digest, Sha1};

const PIECE: usize = 1 << 20;
const FILES: usize = 4;

struct Args {
    mib: usize,
    rounds: usize,
}

fn args() -> Args {
    let mut args = Args {
        mib: 2048,
        rounds: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse().ok());
        match arg.as_str() {
            "--mib" => args.mib = value().expect("--mib N"),
            "--rounds" => args.rounds = value().expect("--rounds N"),
            // cargo bench passes --bench; ignore what is not ours.
            _ => {}
        }
    }
    args.mib = args.mib.max(FILES);
    args.rounds = args.rounds.max(1);
    args
}

/// The data directory, removed on drop.
struct Data(PathBuf);

impl Drop for Data {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes `mib` MiB of seeded bytes as FILES piece-aligned files, hashing as it goes (one
/// thread per file); returns the info.
fn make(root: &Path, mib: usize) -> Info {
    let per_file = mib / FILES * PIECE;
    let dir = root.join("bench");
    std::fs::create_dir_all(&dir).unwrap();
    let hashes: Vec<Vec<u8>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..FILES)
            .map(|f| {
                let path = dir.join(format!("f{f}.bin"));
                s.spawn(move || {
                    use std::io::Write;
                    let mut out = std::io::BufWriter::with_capacity(
                        PIECE,
                        std::fs::File::create(path).unwrap(),
                    );
                    let mut state = (f as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    let mut piece = vec![0u8; PIECE];
                    let mut hashes = Vec::new();
                    for _ in 0..per_file / PIECE {
                        for word in piece.chunks_exact_mut(8) {
                            state ^= state << 13;
                            state ^= state >> 7;
                            state ^= state << 17;
                            word.copy_from_slice(&state.to_le_bytes());
                        }
                        hashes.extend_from_slice(&Sha1::digest(&piece));
                        out.write_all(&piece).unwrap();
                    }
                    out.flush().unwrap();
                    hashes
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let files = (0..FILES)
        .map(|f| {
            OwnedValue::dict()
                .with("length", OwnedValue::Integer(per_file as i64))
                .with(
                    "path",
                    OwnedValue::List(vec![OwnedValue::string(&format!("f{f}.bin"))]),
                )
        })
        .collect();
    let info = OwnedValue::dict()
        .with("files", OwnedValue::List(files))
        .with("name", OwnedValue::string("bench"))
        .with("piece length", OwnedValue::Integer(PIECE as i64))
        .with("pieces", OwnedValue::Bytes(hashes.concat()))
        .to_vec();
    Info::parse(&info).unwrap()
}

/// Forwards re-check results to the bench thread.
struct Checked(mpsc::Sender<Result<PieceSet, DiskError>>);

impl DiskHandler for Checked {
    fn completed(&mut self, _: &mut Reactor, _: Instant, _: TorrentKey, _: Completion) {}

    fn checked(
        &mut self,
        _: &mut Reactor,
        _: Instant,
        _: TorrentKey,
        result: Result<PieceSet, DiskError>,
    ) {
        let _ = self.0.send(result);
    }
}

/// One re-check of the whole torrent on `threads` workers: its wall time.
fn hark_check(root: &Path, info: &Info, threads: usize) -> Duration {
    let reactor = Reactor::spawn(ReactorConfig::default()).unwrap();
    let (tx, rx) = mpsc::channel();
    let config = DiskConfig {
        threads,
        ..DiskConfig::default()
    };
    let pool = DiskPool::new(reactor.handle(), config, Checked(tx)).unwrap();
    let key = pool.add_torrent(TorrentFiles::from_info(root, info).unwrap());
    let start = Instant::now();
    pool.recheck(key, info).unwrap();
    let have = rx.recv().unwrap().expect("the re-check failed");
    let took = start.elapsed();
    assert!(
        have.is_full(),
        "{} of {} pieces passed",
        have.len(),
        have.capacity()
    );
    took
}

/// `sha1sum` over the same files: its wall time.
fn sha1sum(root: &Path) -> Duration {
    let files: Vec<PathBuf> = (0..FILES)
        .map(|f| root.join("bench").join(format!("f{f}.bin")))
        .collect();
    let start = Instant::now();
    let out = Command::new("sha1sum")
        .args(&files)
        .output()
        .expect("sha1sum (coreutils) must be installed");
    let took = start.elapsed();
    assert!(out.status.success(), "sha1sum failed");
    took
}

fn rate(bytes: u64, took: Duration) -> f64 {
    bytes as f64 / took.as_secs_f64() / 1e6
}

fn main() {
    let args = args();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let data = Data(std::env::temp_dir().join(format!("hark-hash-check-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&data.0);
    let info = make(&data.0, args.mib);
    let bytes = info.total_length();
    // Warm the page cache once (the data was just written, but make sure).
    sha1sum(&data.0);
    let (mut best_sum, mut best_all, mut best_one) = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..args.rounds {
        best_sum = best_sum.min(sha1sum(&data.0));
        best_all = best_all.min(hark_check(&data.0, &info, cores));
        best_one = best_one.min(hark_check(&data.0, &info, 1));
    }
    drop(data);
    let (sum, all, one) = (
        rate(bytes, best_sum),
        rate(bytes, best_all),
        rate(bytes, best_one),
    );
    println!(
        "hash check, {} MiB in page cache ({FILES} files, {} pieces of 1 MiB), best of {} interleaved rounds, {cores} cores:",
        bytes >> 20,
        info.piece_count(),
        args.rounds
    );
    println!(
        "  sha1sum (one process)               {sum:8.0} MB/s  ({:.2} s)",
        best_sum.as_secs_f64()
    );
    println!(
        "  hark DiskPool::recheck, {cores} threads    {all:8.0} MB/s  ({:.2} s)",
        best_all.as_secs_f64()
    );
    println!(
        "  hark DiskPool::recheck, 1 thread     {one:8.0} MB/s  ({:.2} s)",
        best_one.as_secs_f64()
    );
    println!(
        "  hark ({cores} threads) / sha1sum = {:.2}x  (goal >= 3x; at most {cores}x the per-core ratio {:.2}x on {cores} cores)",
        all / sum,
        one / sum
    );
}
