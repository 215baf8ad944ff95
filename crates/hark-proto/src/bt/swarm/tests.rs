//! Seeded swarm scenarios over the network simulator (uTP over lossy, delayed,
//! rate-limited links). Each names its seed; rerun one with
//! `cargo test -p hark-proto --lib bt::swarm::tests::NAME`; the 50-seed matrix with
//! `cargo test -p hark-proto --release --lib bt::swarm::tests -- --ignored`.

use std::net::SocketAddr;
use std::time::Duration;

use hark_wire::bt::tracker::AnnounceEvent;

use super::*;
use crate::bt::announce::TrackerEvent;
use crate::bt::torrent::{DiskOperation, Event, PeerHandle};

const KIB: u64 = 1024;

/// Three files whose boundaries fall inside pieces, and a short last piece.
fn swarm(seed: u64, scale: u64, loss: f64) -> Swarm {
    let (info, content) = make_torrent(
        seed,
        &[100 * KIB * scale + 7, 3, 150 * KIB * scale],
        64 * 1024,
    );
    let config = SwarmConfig {
        loss,
        ..SwarmConfig::default()
    };
    Swarm::new(seed, info, content, config)
}

fn bans(swarm: &Swarm, node: usize) -> Vec<SocketAddr> {
    swarm
        .download(node, 0)
        .events()
        .iter()
        .filter_map(|(_, e)| match e {
            Event::PeerBan { addr } => Some(*addr),
            _ => None,
        })
        .collect()
}

/// Prints the torrents of `clients` (pieces, partial pieces, peers) for a stalled run.
fn print_state(swarm: &Swarm, clients: &[usize]) {
    for &n in clients {
        for d in swarm.node(n).downloads() {
            eprintln!(
                "node {n} torrent {}: {}",
                d.index(),
                d.torrent().debug_state()
            );
        }
    }
}

fn passed_times(swarm: &Swarm, node: usize) -> Vec<Duration> {
    let base = swarm.sim().base();
    swarm
        .download(node, 0)
        .events()
        .iter()
        .filter(|(_, e)| matches!(e, Event::PieceHashPassed { .. }))
        .map(|(t, _)| *t - base)
        .collect()
}

/// A client's tracker story: announce `started`, fail (times_in_row 1), announce again
/// `retry_base` later, fail (2), announce again twice `retry_base` after that, succeed;
/// a leecher then announces `completed` when it finishes.
fn check_tracker_story(swarm: &Swarm, node: usize, seed: u64, leecher: bool) {
    let retry = SwarmConfig::default().retry_base;
    let story: Vec<(Instant, &TrackerEvent)> = swarm
        .download(node, 0)
        .tracker_events()
        .iter()
        .filter(|(_, e)| {
            matches!(
                e,
                TrackerEvent::Announce { .. }
                    | TrackerEvent::Failure { .. }
                    | TrackerEvent::Success { .. }
            )
        })
        .map(|(t, e)| (*t, e))
        .collect();
    let what = |e: &TrackerEvent| match e {
        TrackerEvent::Announce { event, .. } => format!("announce {event:?}"),
        TrackerEvent::Failure {
            times_in_row,
            status_code,
            ..
        } => format!("failure {times_in_row} {status_code}"),
        TrackerEvent::Success { .. } => "success".into(),
        _ => unreachable!(),
    };
    let names: Vec<String> = story.iter().map(|(_, e)| what(e)).collect();
    let mut want = vec![
        "announce Started",
        "failure 1 0",
        "announce Started",
        "failure 2 0",
        "announce Started",
        "success",
    ];
    if leecher {
        want.extend(["announce Completed", "success"]);
    }
    assert_eq!(names, want, "seed {seed}: node {node}'s tracker events");
    // The back-off: retry_base after the first failed round, twice that after the second.
    assert_eq!(story[2].0 - story[1].0, retry, "seed {seed}: node {node}");
    assert_eq!(
        story[4].0 - story[3].0,
        2 * retry,
        "seed {seed}: node {node}"
    );
    // The success came with the peers that announced before (none for the first).
    if let TrackerEvent::Success { interval, .. } = story[5].1 {
        assert_eq!(*interval, Duration::from_secs(1800));
    }
    if leecher {
        let finished = swarm.download(node, 0).finished_at().expect("finished");
        assert_eq!(story[6].0, finished, "seed {seed}: completed at the finish");
    }
}

/// One seeder and 20 leechers of different upload rates find each other through a
/// tracker that refuses each client's first two announces; a 22nd client joins late. All
/// finish byte-exact, no honest peer is banned, and end game finishes every download
/// without a stall.
fn twenty_leechers(seed: u64, scale: u64, loss: f64) {
    let mut swarm = swarm(seed, scale, loss);
    swarm.add_tracker(2, 1800).expect("tracker");
    let seeder = swarm
        .add_node(NodeSpec {
            tracker: true,
            ..NodeSpec::seeder(1_000_000)
        })
        .expect("seeder");
    let mut leechers = Vec::new();
    for i in 0..20u64 {
        let rate = 100_000 + 40_000 * ((seed + i) % 8);
        leechers.push(
            swarm
                .add_node(NodeSpec {
                    tracker: true,
                    start_after: Duration::from_millis(100 * i),
                    ..NodeSpec::leecher(rate)
                })
                .expect("leecher"),
        );
    }
    let late = swarm
        .add_node(NodeSpec {
            tracker: true,
            start_after: Duration::from_secs(70),
            ..NodeSpec::leecher(250_000)
        })
        .expect("late leecher");
    leechers.push(late);
    let took = swarm
        .run_until(Duration::from_secs(300), |s| {
            leechers.iter().all(|&n| s.is_finished(n))
        })
        .expect("simulation");
    if took.is_none() {
        print_state(&swarm, &leechers);
    }
    assert!(
        took.is_some(),
        "seed {seed}: the swarm did not finish (stall)"
    );
    // Let the last `completed` announces reach the tracker and come back.
    let outcome = swarm.run_for(Duration::from_secs(5)).expect("simulation");
    assert_eq!(outcome, crate::netsim::Outcome::Done);
    let pieces = swarm.info().piece_count();
    for &n in &leechers {
        assert!(swarm.byte_exact(n), "seed {seed}: node {n} not byte-exact");
        assert!(bans(&swarm, n).is_empty(), "seed {seed}: honest ban at {n}");
        let passed = passed_times(&swarm, n);
        assert_eq!(passed.len(), pieces, "seed {seed}: node {n}");
        // End game: the last piece follows the one before it within the request timeout
        // (a stalled block would wait at least that long).
        let gap = passed[pieces - 1] - passed[pieces - 2];
        assert!(
            gap < SwarmConfig::default().request_timeout,
            "seed {seed}: node {n}'s last piece took {gap:?}"
        );
        check_tracker_story(&swarm, n, seed, true);
    }
    check_tracker_story(&swarm, seeder, seed, false);
    // The late client found everyone through the tracker and started after them.
    let late_node = swarm.download(late, 0);
    assert!(late_node.torrent().peers().count() >= 10, "seed {seed}");
    let first = late_node.tracker_events()[0].0 - swarm.sim().base();
    assert_eq!(first, Duration::from_secs(70), "seed {seed}");
    // The tracker saw three `started` per client, the first two refused.
    let log = swarm.tracker().expect("tracker").log();
    for n in std::iter::once(seeder).chain(leechers.iter().copied()) {
        let addr = swarm.addr(n);
        let started: Vec<bool> = log
            .iter()
            .filter(|l| l.from == addr && l.event == AnnounceEvent::Started)
            .map(|l| l.answered)
            .collect();
        assert_eq!(started, [false, false, true], "seed {seed}: node {n}");
    }
}

/// A seeder whose disk corrupts every block it reads, beside an honest one: every leecher
/// that took a block from it names it in `piece_hash_failed`, bans it and nobody else,
/// and finishes byte-exact with the pieces downloaded again from the others.
fn corrupt_peer(seed: u64, loss: f64, require_shared: bool) {
    let mut swarm = swarm(seed, 1, loss);
    let honest = swarm.add_node(NodeSpec::seeder(600_000)).expect("node");
    let bad = swarm
        .add_node(NodeSpec::seeder(900_000).with_first(|t| t.corrupt = true))
        .expect("node");
    let mut clients = vec![honest, bad];
    for i in 0..6u64 {
        clients.push(
            swarm
                .add_node(NodeSpec::leecher(150_000 + 40_000 * i))
                .expect("node"),
        );
    }
    swarm.mesh(&clients);
    let leechers = clients[2..].to_vec();
    let took = swarm
        .run_until(Duration::from_secs(300), |s| {
            leechers.iter().all(|&n| s.is_finished(n))
        })
        .expect("simulation");
    if took.is_none() {
        print_state(&swarm, &leechers);
    }
    assert!(took.is_some(), "seed {seed}: leechers did not finish");
    let bad_addr = swarm.addr(bad);
    let honest_addr = swarm.addr(honest);
    let mut banned_somewhere = false;
    let mut shared = false;
    for &n in &leechers {
        assert!(swarm.byte_exact(n), "seed {seed}: node {n} not byte-exact");
        let b = bans(&swarm, n);
        assert!(
            b.iter().all(|a| *a == bad_addr),
            "seed {seed}: node {n} banned {b:?}"
        );
        let failed: Vec<&Vec<SocketAddr>> = swarm
            .download(n, 0)
            .events()
            .iter()
            .filter_map(|(_, e)| match e {
                Event::PieceHashFailed { peers, .. } => Some(peers),
                _ => None,
            })
            .collect();
        if failed.iter().any(|p| p.contains(&bad_addr)) {
            assert_eq!(
                b,
                vec![bad_addr],
                "seed {seed}: node {n} kept the corrupter"
            );
            banned_somewhere = true;
        }
        shared |= failed
            .iter()
            .any(|p| p.contains(&bad_addr) && p.contains(&honest_addr));
        assert_eq!(
            swarm.download(n, 0).torrent().is_banned(bad_addr.ip()),
            !b.is_empty()
        );
    }
    assert!(
        banned_somewhere,
        "seed {seed}: the corrupt seeder served nobody"
    );
    if require_shared {
        assert!(
            shared,
            "seed {seed}: no failed piece mixed honest and corrupt blocks"
        );
    }
}

/// A slow seeder and a web seed that answers 503 twice (`url_seed`, back-off) then
/// serves: both leechers finish byte-exact with part of the torrent from the web seed and
/// part from the peers.
fn web_seed(seed: u64, loss: f64) {
    let mut swarm = swarm(seed, 1, loss);
    let url = "http://127.0.0.1:8080/ws";
    let web = WebSeedSim {
        url: url.into(),
        failures: 2,
        latency: Duration::from_millis(50),
        rate: 60_000,
    };
    // Slow enough that the web seed's two failures (30 s, then 60 s of back-off) pass
    // before the peers alone finish.
    let s = swarm.add_node(NodeSpec::seeder(2_000)).expect("node");
    let mut leechers = Vec::new();
    for _ in 0..2 {
        leechers.push(
            swarm
                .add_node(NodeSpec::leecher(200_000).with_first(|t| t.web_seed = Some(web.clone())))
                .expect("node"),
        );
    }
    swarm.mesh(&[s, leechers[0], leechers[1]]);
    let took = swarm
        .run_until(Duration::from_secs(300), |sw| {
            leechers.iter().all(|&n| sw.is_finished(n))
        })
        .expect("simulation");
    assert!(took.is_some(), "seed {seed}: did not finish");
    let pieces = swarm.info().piece_count() as u32;
    for &n in &leechers {
        assert!(swarm.byte_exact(n), "seed {seed}: node {n}");
        let failures = swarm
            .download(n, 0)
            .events()
            .iter()
            .filter(|(_, e)| {
                matches!(e, Event::UrlSeed { url: u, status_code: 503, error }
                    if u == url && error == "HTTP status 503")
            })
            .count();
        assert_eq!(failures, 2, "seed {seed}: node {n}");
        let served = swarm.download(n, 0).web_served();
        assert!(
            served > 0,
            "seed {seed}: node {n}: the web seed served nothing"
        );
        assert!(
            served < pieces,
            "seed {seed}: node {n}: the peers served nothing"
        );
    }
}

/// Events of client `node`'s copy of torrent `t` that `pick` selects.
fn picked<T>(
    swarm: &Swarm,
    node: usize,
    t: usize,
    pick: impl FnMut(&Event) -> Option<T>,
) -> Vec<T> {
    let mut pick = pick;
    swarm
        .download(node, t)
        .events()
        .iter()
        .filter_map(|(_, e)| pick(e))
        .collect()
}

/// Client `node`'s copy of torrent `t` opened each file once and wrote each byte once (a
/// block end game fetched twice is dropped, not written again).
fn check_writes(swarm: &Swarm, node: usize, t: usize, seed: u64) {
    let info = swarm.info_of(t);
    let opens = picked(swarm, node, t, |e| {
        matches!(e, Event::FileOpen { .. }).then_some(())
    });
    assert_eq!(
        opens.len(),
        info.files.len(),
        "seed {seed}: node {node} torrent {t}"
    );
    let written: u64 = picked(swarm, node, t, |e| match e {
        Event::FileWrite { length, .. } => Some(u64::from(*length)),
        _ => None,
    })
    .iter()
    .sum();
    assert_eq!(
        written,
        info.total_length(),
        "seed {seed}: node {node} torrent {t}"
    );
    assert_eq!(
        swarm.download(node, t).disk().written(),
        info.total_length()
    );
}

/// Two torrents shared by one seeder and four leechers. One leecher keeps torrent 0 on a
/// disk that fills up after 100 KiB: that torrent pauses with a fatal `file_error`
/// (`StorageFull`, on a write) and closes its peers, while the same client's torrent 1,
/// over the same uTP endpoint and uplink, and every other client's torrents go on and
/// finish byte-exact, each opening every file once and writing every byte once.
fn disk_full(seed: u64, loss: f64) {
    let mut swarm = swarm(seed, 1, loss);
    let (info, content) = make_torrent(seed ^ 0xd15c, &[60 * KIB, 140 * KIB + 5], 32 * 1024);
    let other = swarm.add_torrent(info, content);
    let space = 100 * KIB;
    let seeder = swarm
        .add_node(NodeSpec {
            torrents: vec![TorrentSpec::seeding(0), TorrentSpec::seeding(other)],
            ..NodeSpec::seeder(1_000_000)
        })
        .expect("seeder");
    let full = swarm
        .add_node(NodeSpec {
            torrents: vec![
                TorrentSpec {
                    disk_space: Some(space),
                    ..TorrentSpec::leeching(0)
                },
                TorrentSpec::leeching(other),
            ],
            ..NodeSpec::leecher(300_000)
        })
        .expect("full leecher");
    let mut healthy = Vec::new();
    for i in 0..3u64 {
        healthy.push(
            swarm
                .add_node(NodeSpec {
                    torrents: vec![TorrentSpec::leeching(0), TorrentSpec::leeching(other)],
                    ..NodeSpec::leecher(200_000 + 100_000 * i)
                })
                .expect("leecher"),
        );
    }
    let mut clients = vec![seeder, full];
    clients.extend(&healthy);
    swarm.mesh(&clients);
    let took = swarm
        .run_until(Duration::from_secs(300), |s| {
            healthy.iter().all(|&n| s.is_finished(n))
                && s.download(full, other).torrent().is_finished()
        })
        .expect("simulation");
    if took.is_none() {
        print_state(&swarm, &clients);
    }
    assert!(
        took.is_some(),
        "seed {seed}: the healthy torrents did not finish"
    );
    let stuck = swarm.download(full, 0);
    assert!(stuck.torrent().is_paused(), "seed {seed}");
    assert!(!stuck.torrent().is_finished(), "seed {seed}");
    assert_eq!(stuck.torrent().peers().count(), 0, "seed {seed}");
    assert!(stuck.disk().written() <= space, "seed {seed}");
    let errors = picked(&swarm, full, 0, |e| match e {
        Event::FileError { error, operation } => Some((error.kind, *operation)),
        _ => None,
    });
    assert!(!errors.is_empty(), "seed {seed}: no file_error");
    assert!(
        errors.iter().all(|(_, op)| *op == DiskOperation::Write),
        "seed {seed}: {errors:?}"
    );
    assert_eq!(errors[0].0, std::io::ErrorKind::StorageFull, "seed {seed}");
    let paused = picked(&swarm, full, 0, |e| (*e == Event::Paused).then_some(()));
    assert_eq!(paused.len(), 1, "seed {seed}");
    // The client's other torrent never paused and finished byte-exact.
    let fine = swarm.download(full, other);
    assert!(!fine.torrent().is_paused(), "seed {seed}");
    assert!(
        fine.byte_exact(swarm.content_of(other)),
        "seed {seed}: the full client's other torrent"
    );
    assert!(
        picked(&swarm, full, other, |e| match e {
            Event::FileError { .. } | Event::Paused => Some(()),
            _ => None,
        })
        .is_empty(),
        "seed {seed}"
    );
    check_writes(&swarm, full, other, seed);
    for &n in &healthy {
        assert!(swarm.byte_exact(n), "seed {seed}: node {n} not byte-exact");
        check_writes(&swarm, n, 0, seed);
        check_writes(&swarm, n, other, seed);
    }
}

/// The choker of a slow seeder with seven interested leechers (none leaves), watched after
/// every event: never more than four peers unchoked by rate plus one optimistic, and all
/// five slots used; the optimistic unchoke moves only at choker rounds (every 10 s), and
/// moves on to another peer at least every 30 s (its interval, plus at most one round). With
/// `require_three`, it reached at least three peers in two minutes (each move draws at
/// random among the other choked peers, so this holds for some seeds only).
fn choker(seed: u64, loss: f64, require_three: bool) {
    // 2.5 MiB: nobody finishes in two minutes.
    let mut swarm = swarm(seed, 10, loss);
    let s = swarm.add_node(NodeSpec::seeder(20_000)).expect("seeder");
    let mut clients = vec![s];
    for _ in 0..7 {
        clients.push(swarm.add_node(NodeSpec::leecher(2_000)).expect("leecher"));
    }
    swarm.mesh(&clients);
    let mut changes: Vec<(Duration, Option<PeerHandle>)> = Vec::new();
    let mut last = None;
    let mut most = 0;
    while swarm.elapsed() < Duration::from_secs(125) {
        if swarm.step().expect("simulation") == Stepped::Idle {
            break;
        }
        let t = swarm.download(s, 0).torrent();
        let unchoked = t
            .peers()
            .filter(|&p| t.peer(p).is_some_and(|x| !x.am_choking()))
            .count();
        most = most.max(unchoked);
        assert!(unchoked <= 5, "seed {seed}: {unchoked} unchoked");
        let now = t.optimistic_unchoke();
        if now != last {
            changes.push((swarm.elapsed(), now));
            last = now;
        }
    }
    assert_eq!(
        swarm.download(s, 0).torrent().peers().count(),
        7,
        "seed {seed}: a peer left"
    );
    assert_eq!(most, 5, "seed {seed}: the slots were never all used");
    assert!(
        clients[1..].iter().all(|&n| !swarm.is_finished(n)),
        "seed {seed}: too fast to test"
    );
    let distinct: std::collections::BTreeSet<_> = changes.iter().filter_map(|c| c.1).collect();
    assert!(
        distinct.len() >= if require_three { 3 } else { 2 },
        "seed {seed}: optimistic peers {changes:?}"
    );
    let round = Duration::from_secs(10);
    let longest = Duration::from_secs(30) + round;
    for (k, pair) in changes.windows(2).enumerate() {
        let gap = pair[1].0 - pair[0].0;
        // The first pick can come before the first timed round, as peers connect.
        assert!(
            k == 0 || gap >= round,
            "seed {seed}: moved after {gap:?}: {changes:?}"
        );
        assert!(gap <= longest, "seed {seed}: kept for {gap:?}: {changes:?}");
    }
    let kept = swarm.elapsed() - changes.last().map_or(Duration::ZERO, |c| c.0);
    assert!(
        kept <= longest,
        "seed {seed}: kept for {kept:?}: {changes:?}"
    );
}

#[test]
fn netsim_twenty_leechers_tracker_late_joiner_seed_1() {
    twenty_leechers(1, 1, 0.005);
}

#[test]
fn netsim_corrupt_peer_banned_seed_2() {
    corrupt_peer(2, 0.005, true);
}

#[test]
fn netsim_web_seed_serves_part_seed_4() {
    web_seed(4, 0.005);
}

#[test]
fn netsim_disk_full_pauses_one_torrent_seed_3() {
    disk_full(3, 0.005);
}

#[test]
fn netsim_choker_slots_and_optimistic_rotation_seed_5() {
    choker(5, 0.005, true);
}

#[test]
#[ignore = "50 seeds: run with --release --ignored"]
fn netsim_matrix_50_seeds() {
    for seed in 100..150 {
        twenty_leechers(seed, 2, 0.01);
        corrupt_peer(seed, 0.01, false);
        web_seed(seed, 0.01);
        disk_full(seed, 0.01);
        choker(seed, 0.01, false);
    }
}
