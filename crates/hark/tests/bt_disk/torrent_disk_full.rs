//! A real `Torrent` downloading into a tmpfs too small for it: the write fails with
//! ENOSPC, the torrent fires a fatal file_error, pauses and keeps the pieces it verified;
//! its resume file is written; once space is freed, a torrent resumed from that file
//! downloads only what was missing and completes byte-exact.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hark::bittorrent::disk::{DiskConfig, ResumeData, TorrentFiles, TorrentKey};
use hark_proto::bt::peer::{PieceSet, SessionConfig};
use hark_proto::bt::torrent::{DiskOperation, Event, PeerHandle, Torrent, TorrentConfig};
use hark_wire::bt::metainfo::Info;
use rand_core::SeedableRng;

use crate::support::{DEADLINE, Disk, Out, TempDir, Tmpfs, make_torrent, write_files};

struct Node {
    torrent: Torrent,
    key: TorrentKey,
    peer: Option<PeerHandle>,
    events: Vec<Event>,
}

impl Node {
    fn new(disk: &Disk, info: &Info, root: &std::path::Path, have: PieceSet, id: u8) -> Node {
        let mut peer_id = *b"-HK0001-000000000000";
        peer_id[19] = id;
        let config = TorrentConfig::new(SessionConfig::new(peer_id));
        let rng = Box::new(rand_pcg::Pcg32::seed_from_u64(u64::from(id)));
        let torrent = Torrent::new(Instant::now(), config, info, have, rng).unwrap();
        let key = disk
            .pool
            .add_torrent(TorrentFiles::from_info(root, info).unwrap());
        Node {
            torrent,
            key,
            peer: None,
            events: Vec::new(),
        }
    }
}

const SEEDER: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 6881);
const LEECHER: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2)),
    6882,
);

fn connect(seeder: &mut Node, leecher: &mut Node) {
    let now = Instant::now();
    leecher.peer = Some(leecher.torrent.add_peer(now, SEEDER).unwrap());
    seeder.peer = Some(seeder.torrent.add_peer(now, LEECHER).unwrap());
}

/// Moves bytes, disk jobs, completions and timers between the two torrents and the real
/// disk pool until `done`.
fn drive(disk: &Disk, seeder: &mut Node, leecher: &mut Node, mut done: impl FnMut(&Node) -> bool) {
    let start = Instant::now();
    let mut buf = vec![0u8; 64 * 1024];
    while !done(leecher) {
        assert!(
            start.elapsed() < DEADLINE,
            "stalled: {:?}",
            leecher.events.last()
        );
        let now = Instant::now();
        for node in [&mut *seeder, &mut *leecher] {
            while let Some(job) = node.torrent.poll_disk_job() {
                disk.pool.submit(node.key, job).expect("disk job taken");
            }
        }
        pump(now, seeder, leecher, &mut buf);
        pump(now, leecher, seeder, &mut buf);
        for node in [&mut *seeder, &mut *leecher] {
            if node.torrent.poll_timeout().is_some_and(|at| at <= now) {
                node.torrent.handle_timeout(now);
            }
            while let Some(event) = node.torrent.poll_event() {
                node.events.push(event);
            }
        }
        let mut waited = false;
        loop {
            let out = if waited {
                match disk.try_next() {
                    Some(out) => out,
                    None => break,
                }
            } else {
                waited = true;
                match disk.next_within(Duration::from_millis(2)) {
                    Some(out) => out,
                    None => break,
                }
            };
            let Out::Done(key, completion) = out else {
                panic!("unexpected {out:?}");
            };
            for node in [&mut *seeder, &mut *leecher] {
                if node.key == key {
                    node.torrent.handle_disk(Instant::now(), completion.clone());
                }
            }
        }
        for node in [&mut *seeder, &mut *leecher] {
            while let Some(event) = node.torrent.poll_event() {
                node.events.push(event);
            }
        }
    }
}

/// Moves what `from` has for `to` (a bounded amount per call).
fn pump(now: Instant, from: &mut Node, to: &mut Node, buf: &mut [u8]) {
    let (Some(out), Some(into)) = (from.peer, to.peer) else {
        return;
    };
    for _ in 0..64 {
        let n = from.torrent.poll_peer_transmit(now, out, buf);
        if n == 0 {
            break;
        }
        to.torrent.handle_peer_bytes(now, into, &buf[..n]);
    }
}

#[test]
fn a_full_disk_pauses_the_torrent_keeps_verified_pieces_and_a_resume_completes() {
    let lengths = [300_000, 0, 700_001];
    let (info, data) = make_torrent(41, "full", &lengths, 65_536);
    let pieces = info.piece_count() as u32;
    let source = TempDir::new("seed");
    write_files(source.path(), &info, &data);
    let fs = Tmpfs::mount("leech", 512 * 1024);
    let state = TempDir::new("state");
    let disk = Disk::new(DiskConfig {
        cache_bytes: 0,
        ..DiskConfig::default()
    });

    let mut seeder = Node::new(&disk, &info, source.path(), PieceSet::full(pieces), 1);
    let mut leecher = Node::new(&disk, &info, fs.path(), PieceSet::empty(pieces), 2);
    connect(&mut seeder, &mut leecher);
    drive(&disk, &mut seeder, &mut leecher, |l| l.torrent.is_paused());

    // A fatal file_error for the write that hit ENOSPC, then Paused.
    let error = leecher
        .events
        .iter()
        .find_map(|e| match e {
            Event::FileError { error, operation } => Some((error.clone(), *operation)),
            _ => None,
        })
        .expect("file_error");
    assert_eq!(error.0.kind, ErrorKind::StorageFull, "{}", error.0);
    assert_eq!(error.1, DiskOperation::Write);
    // Which file fills the disk depends on the order the pieces arrived in; never the
    // empty one.
    assert!(matches!(error.0.file, Some(0 | 2)), "{:?}", error.0.file);
    assert!(leecher.events.contains(&Event::Paused));
    // Let the paused torrent's last jobs finish: hashes of pieces already written still
    // verify them, and its files are closed.
    drive(&disk, &mut seeder, &mut leecher, |l| {
        l.torrent.disk_jobs_in_flight() == 0
    });
    let kept = leecher.torrent.have().clone();
    assert!(
        !kept.is_empty() && !kept.is_full(),
        "{} of {pieces} kept",
        kept.len()
    );
    let passed = |node: &Node| {
        node.events
            .iter()
            .filter(|e| matches!(e, Event::PieceHashPassed { .. }))
            .count()
    };
    assert_eq!(passed(&leecher), kept.len() as usize);

    if let Some(peer) = seeder.peer.take() {
        seeder.torrent.remove_peer(Instant::now(), peer);
    }

    // The verified pieces are on disk: a re-check finds them all.
    disk.pool.recheck(leecher.key, &info).unwrap();
    let on_disk = match disk.next() {
        Out::Checked(_, result) => result.unwrap(),
        other => panic!("{other:?}"),
    };
    for index in 0..pieces {
        if kept.contains(index) {
            assert!(on_disk.contains(index), "verified piece {index} lost");
        }
    }

    // Fast resume: the verified set goes to a resume file.
    let resume = state.path().join("full.resume");
    disk.pool
        .save_resume(leecher.key, resume.clone(), info.info_hash.0, kept.clone())
        .unwrap();
    match disk.next() {
        Out::Saved(_, result) => result.unwrap(),
        other => panic!("{other:?}"),
    }
    let files = disk.pool.files(leecher.key).unwrap();
    assert!(disk.pool.remove_torrent(leecher.key));

    // Space is freed; the torrent resumes from its resume file.
    fs.resize(4 << 20);
    let have = ResumeData::load(&resume)
        .unwrap()
        .validate(&files, &info.info_hash.0, pieces)
        .unwrap();
    assert_eq!(have, kept);
    let mut resumed = Node::new(&disk, &info, fs.path(), have, 3);
    connect(&mut seeder, &mut resumed);
    drive(&disk, &mut seeder, &mut resumed, |l| {
        l.torrent.is_finished()
    });
    assert!(resumed.events.contains(&Event::Finished));
    assert_eq!(
        passed(&resumed),
        (pieces - kept.len()) as usize,
        "re-downloaded a kept piece"
    );
    assert!(
        !resumed
            .events
            .iter()
            .any(|e| matches!(e, Event::FileError { .. }))
    );
    for entry in &info.files {
        let got = std::fs::read(fs.path().join(info.file_path(entry))).unwrap();
        let at = entry.offset as usize;
        assert!(got == data[at..at + entry.length as usize], "file differs");
    }
}
