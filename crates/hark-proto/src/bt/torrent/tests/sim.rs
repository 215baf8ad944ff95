//! Seeded swarm scenarios. Each names its seed; rerun one with
//! `cargo test -p hark-proto --lib bt::torrent::tests::sim::NAME`.

use std::net::SocketAddr;
use std::time::Duration;

use super::swarm::{NodeSpec, Swarm, make_torrent};
use crate::bt::torrent::Event;

const KIB: u64 = 1024;

/// Three files whose boundaries fall inside pieces, and a short last piece.
fn torrent(seed: u64, scale: u64) -> Swarm {
    let (info, content) = make_torrent(
        seed,
        &[100 * KIB * scale + 7, 3, 150 * KIB * scale],
        64 * 1024,
    );
    Swarm::new(seed, info, content)
}

fn leecher(rate: u64) -> NodeSpec {
    NodeSpec {
        up_rate: rate,
        ..NodeSpec::default()
    }
}

fn seeder(rate: u64) -> NodeSpec {
    NodeSpec {
        seed: true,
        up_rate: rate,
        ..NodeSpec::default()
    }
}

fn mesh(swarm: &mut Swarm, nodes: &[usize]) {
    for (k, &a) in nodes.iter().enumerate() {
        for &b in &nodes[k + 1..] {
            assert!(swarm.connect(a, b));
        }
    }
}

fn bans(swarm: &Swarm, node: usize) -> Vec<SocketAddr> {
    swarm.nodes[node]
        .events
        .iter()
        .filter_map(|e| match e {
            Event::PeerBan { addr } => Some(*addr),
            _ => None,
        })
        .collect()
}

/// One seeder, 20 leechers of different rates, a leecher that joins late: all byte-exact.
fn twenty_leechers(seed: u64, scale: u64) {
    let mut swarm = torrent(seed, scale);
    let s = swarm.add_node(seeder(2_000_000));
    let mut nodes = vec![s];
    for i in 0..20u64 {
        nodes.push(swarm.add_node(leecher(200_000 + 50_000 * ((seed + i) % 8))));
    }
    mesh(&mut swarm, &nodes);
    swarm.run_until(Duration::from_secs(3), |_| false);
    let late = swarm.add_node(leecher(300_000));
    for &n in &nodes {
        assert!(swarm.connect(late, n));
    }
    nodes.push(late);
    let took = swarm.run_until(Duration::from_secs(120), |sw| {
        nodes.iter().all(|&n| sw.nodes[n].torrent.is_finished())
    });
    assert!(took.is_some(), "seed {seed}: swarm did not finish (stall)");
    for &n in &nodes {
        assert!(swarm.byte_exact(n), "seed {seed}: node {n} not byte-exact");
        assert!(bans(&swarm, n).is_empty(), "seed {seed}: honest ban at {n}");
        let passed = swarm.nodes[n]
            .events
            .iter()
            .filter(|e| matches!(e, Event::PieceHashPassed { .. }))
            .count();
        if n != s {
            assert_eq!(passed, swarm.info.piece_count(), "seed {seed}");
        }
    }
}

/// A seeder whose disk corrupts every block it reads, beside an honest one: every leecher
/// that took a block from it bans it, names it in piece_hash_failed, bans no honest peer,
/// and finishes byte-exact from the others.
fn corrupt_peer(seed: u64, require_shared: bool) {
    let mut swarm = torrent(seed, 1);
    let honest = swarm.add_node(seeder(600_000));
    let bad = swarm.add_node(NodeSpec {
        corrupt: true,
        ..seeder(900_000)
    });
    let mut nodes = vec![honest, bad];
    for i in 0..6u64 {
        nodes.push(swarm.add_node(leecher(150_000 + 40_000 * i)));
    }
    mesh(&mut swarm, &nodes);
    let leechers = &nodes[2..];
    let took = swarm.run_until(Duration::from_secs(120), |sw| {
        leechers.iter().all(|&n| sw.nodes[n].torrent.is_finished())
    });
    if took.is_none() {
        for &n in leechers {
            eprintln!("node {n}: {}", swarm.nodes[n].torrent.debug_state());
        }
    }
    assert!(took.is_some(), "seed {seed}: leechers did not finish");
    let bad_addr = swarm.nodes[bad].addr;
    let mut banned_somewhere = false;
    for &n in leechers {
        assert!(swarm.byte_exact(n), "seed {seed}: node {n} not byte-exact");
        let b = bans(&swarm, n);
        assert!(
            b.iter().all(|a| *a == bad_addr),
            "seed {seed}: node {n} banned {b:?}"
        );
        let failed_naming_bad = swarm.nodes[n].events.iter().any(
            |e| matches!(e, Event::PieceHashFailed { peers, .. } if peers.contains(&bad_addr)),
        );
        if failed_naming_bad {
            assert_eq!(
                b,
                vec![bad_addr],
                "seed {seed}: node {n} kept the corrupter"
            );
            banned_somewhere = true;
        }
        assert_eq!(
            swarm.nodes[n].torrent.is_banned(bad_addr.ip()),
            !b.is_empty()
        );
    }
    assert!(
        banned_somewhere,
        "seed {seed}: the corrupt seeder served nobody"
    );
    // The other half of the policy: the honest seeder shared failed pieces with the
    // corrupter (several contributors) and was never banned (checked above).
    let honest_addr = swarm.nodes[honest].addr;
    let shared = leechers.iter().any(|&n| {
        swarm.nodes[n].events.iter().any(|e| {
            matches!(e, Event::PieceHashFailed { peers, .. }
                if peers.contains(&bad_addr) && peers.contains(&honest_addr))
        })
    });
    if require_shared {
        assert!(
            shared,
            "seed {seed}: no failed piece mixed honest and corrupt blocks"
        );
    }
}

#[test]
fn swarm_twenty_leechers_seed_1() {
    twenty_leechers(1, 1);
}

#[test]
fn swarm_corrupt_peer_seed_2() {
    corrupt_peer(2, true);
}

#[test]
#[ignore = "50 seeds: run with --release --ignored"]
fn swarm_matrix_50_seeds() {
    for seed in 100..150 {
        twenty_leechers(seed, 2);
        corrupt_peer(seed, false);
    }
}

/// A leecher whose disk fills up pauses with a fatal file_error and closes its peers; the
/// other torrents go on and finish. Every leecher's file_open and file_write events come
/// from its jobs: one open per file, and writes summing to the torrent's length.
#[test]
fn swarm_disk_full_pauses_one_torrent_seed_3() {
    let seed = 3;
    let mut swarm = torrent(seed, 1);
    let s = swarm.add_node(seeder(1_000_000));
    let full = swarm.add_node(NodeSpec {
        fail_writes_after: Some(100 * KIB),
        ..leecher(300_000)
    });
    let mut nodes = vec![s, full];
    for i in 0..3u64 {
        nodes.push(swarm.add_node(leecher(200_000 + 100_000 * i)));
    }
    mesh(&mut swarm, &nodes);
    let others = [nodes[2], nodes[3], nodes[4]];
    let took = swarm.run_until(Duration::from_secs(120), |sw| {
        others.iter().all(|&n| sw.nodes[n].torrent.is_finished())
    });
    assert!(
        took.is_some(),
        "seed {seed}: the healthy leechers did not finish"
    );
    let node = &swarm.nodes[full];
    assert!(node.torrent.is_paused());
    assert_eq!(node.torrent.peers().count(), 0);
    let errors: Vec<_> = node
        .events
        .iter()
        .filter_map(|e| match e {
            Event::FileError { error, operation } => {
                assert_eq!(*operation, crate::bt::torrent::DiskOperation::Write);
                Some(error.clone())
            }
            _ => None,
        })
        .collect();
    assert!(!errors.is_empty());
    assert_eq!(errors[0].kind, std::io::ErrorKind::StorageFull);
    assert!(node.events.contains(&Event::Paused));
    assert!(!node.torrent.is_finished());
    for &n in &others {
        assert!(swarm.byte_exact(n));
        let events = &swarm.nodes[n].events;
        let opens = events
            .iter()
            .filter(|e| matches!(e, Event::FileOpen { .. }))
            .count();
        assert_eq!(opens, swarm.info.files.len());
        let written: u64 = events
            .iter()
            .filter_map(|e| match e {
                Event::FileWrite { length, .. } => Some(u64::from(*length)),
                _ => None,
            })
            .sum();
        // Each block is written once: a duplicate from end game is dropped, not written.
        assert_eq!(written, swarm.info.total_length(), "node {n}");
    }
}

/// A slow seeder and a web seed that fails twice (HTTP 503: url_seed, back-off) then serves:
/// the leechers finish byte-exact with part of the torrent from the web seed.
#[test]
fn swarm_web_seed_serves_part_seed_4() {
    let seed = 4;
    let mut swarm = torrent(seed, 1);
    swarm.web_failures_left = 2;
    let s = swarm.add_node(seeder(5_000));
    let a = swarm.add_node(leecher(200_000));
    let b = swarm.add_node(leecher(200_000));
    mesh(&mut swarm, &[s, a, b]);
    for n in [a, b] {
        swarm.nodes[n]
            .torrent
            .add_web_seed("http://127.0.0.1:8080/ws");
    }
    let took = swarm.run_until(Duration::from_secs(300), |sw| {
        [a, b].iter().all(|&n| sw.nodes[n].torrent.is_finished())
    });
    assert!(took.is_some(), "seed {seed}: did not finish");
    let failures: usize = [a, b]
        .iter()
        .map(|&n| {
            swarm.nodes[n]
                .events
                .iter()
                .filter(|e| {
                    matches!(e, Event::UrlSeed { url, status_code: 503, error }
                    if url == "http://127.0.0.1:8080/ws" && error == "HTTP status 503")
                })
                .count()
        })
        .sum();
    assert_eq!(failures, 2);
    assert!(swarm.web_served > 0, "the web seed served nothing");
    assert!(
        (swarm.web_served as usize) < 2 * swarm.info.piece_count(),
        "the peers served nothing"
    );
    for n in [a, b] {
        assert!(swarm.byte_exact(n));
    }
}

/// The choker of a slow seeder with seven interested leechers: never more than four
/// unchoked by rate plus one optimistic; the optimistic unchoke moves on at choker rounds
/// (every 30 s, or at the next 10 s round once its peer earned a regular slot), reaching
/// several peers over two minutes.
#[test]
fn swarm_choker_slots_and_optimistic_rotation_seed_5() {
    let seed = 5;
    let mut swarm = torrent(seed, 1);
    let s = swarm.add_node(seeder(3_000));
    let mut nodes = vec![s];
    for _ in 0..7 {
        nodes.push(swarm.add_node(leecher(1_000)));
    }
    mesh(&mut swarm, &nodes);
    let mut changes: Vec<(Duration, Option<crate::bt::torrent::PeerHandle>)> = Vec::new();
    let mut last = None;
    while swarm.now - swarm.start < Duration::from_secs(125) {
        swarm.step();
        let t = &swarm.nodes[s].torrent;
        let unchoked = t
            .peers()
            .filter(|&p| t.peer(p).is_some_and(|x| !x.am_choking()))
            .count();
        assert!(unchoked <= 5, "seed {seed}: {unchoked} unchoked");
        let now_opt = t.optimistic_unchoke();
        if now_opt != last {
            changes.push((swarm.now - swarm.start, now_opt));
            last = now_opt;
        }
    }
    assert!(
        !swarm.nodes[nodes[1]].torrent.is_finished(),
        "too fast to test"
    );
    let distinct: std::collections::BTreeSet<_> = changes.iter().filter_map(|c| c.1).collect();
    assert!(
        distinct.len() >= 3,
        "seed {seed}: optimistic peers {changes:?}"
    );
    for pair in changes.windows(2).skip(1) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            gap >= Duration::from_secs(10),
            "seed {seed}: moved after {gap:?}: {changes:?}"
        );
    }
}
