//! The link model, observed end to end through the simulator: rate, queue, loss, bursts,
//! reordering, duplication and corruption. Every test names its seed.

mod common;

use core::time::Duration;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Instant;

use common::{Blaster, Sink, addr, pattern};
use hark_proto::netsim::{
    GilbertElliott, JitterOrder, LinkConfig, LinkId, NodeId, Outcome, Sim, TraceKind,
};

/// One blaster at 10.0.0.1 sending through `config` to a sink at 10.0.0.2.
fn one_way(
    seed: u64,
    config: LinkConfig,
    count: u64,
    size: usize,
    interval: Duration,
) -> (Sim, LinkId, NodeId<Sink>) {
    let mut sim = Sim::new(seed, Instant::now());
    let link = sim.add_link(config).unwrap();
    sim.route(addr(1, 1), addr(2, 2), &[link]).unwrap();
    sim.add_node(addr(1, 1), Blaster::new(addr(2, 2), count, size, interval))
        .unwrap();
    let sink = sim.add_node(addr(2, 2), Sink::default()).unwrap();
    (sim, link, sink)
}

#[test]
fn rate_shaping_delivers_at_the_configured_rate() {
    let seed = 11;
    // 1250-byte packets every 0.5 ms offer 20 Mbit/s to a 10 Mbit/s link with a large queue.
    let config = LinkConfig::new().rate_bps(10_000_000);
    let (mut sim, link, sink) = one_way(seed, config, 4000, 1250, Duration::from_micros(500));
    assert_eq!(
        sim.run_for(Duration::from_millis(500)).unwrap(),
        Outcome::Done
    );
    sim.reset_stats();
    assert_eq!(sim.run_for(Duration::from_secs(1)).unwrap(), Outcome::Done);
    let utilisation = sim.link_utilisation(link).unwrap();
    assert!(
        (0.999..=1.0).contains(&utilisation),
        "seed {seed}: utilisation {utilisation}"
    );
    // Exactly one 1250-byte packet per millisecond leaves a saturated 10 Mbit/s link.
    assert_eq!(
        sim.link_stats(link).unwrap().packets_out,
        1000,
        "seed {seed}"
    );
    assert_eq!(sim.run_until_idle().unwrap(), Outcome::Idle);
    assert_eq!(sim.node(sink).unwrap().received.len(), 4000);
    let last = sim.node(sink).unwrap().received.last().unwrap().at;
    assert_eq!(last - sim.base(), Duration::from_secs(4), "seed {seed}");
}

#[test]
fn half_load_gives_half_utilisation() {
    let seed = 12;
    let config = LinkConfig::new().rate_bps(10_000_000);
    let (mut sim, link, _) = one_way(seed, config, 10_000, 1250, Duration::from_millis(2));
    let _ = sim.run_for(Duration::from_secs(1)).unwrap();
    sim.reset_stats();
    let _ = sim.run_for(Duration::from_secs(2)).unwrap();
    let utilisation = sim.link_utilisation(link).unwrap();
    assert!(
        (0.499..=0.501).contains(&utilisation),
        "seed {seed}: {utilisation}"
    );
    assert_eq!(
        sim.link_stats(link).unwrap().queue_delay.max(),
        Some(Duration::ZERO)
    );
}

#[test]
fn drop_tail_time_limit_bounds_queueing_delay() {
    let seed = 13;
    let limit = Duration::from_millis(50);
    let config = LinkConfig::new().rate_bps(1_000_000).queue_time(limit);
    let (mut sim, link, sink) = one_way(seed, config, 2000, 1000, Duration::from_millis(4));
    assert_eq!(sim.run_until_idle().unwrap(), Outcome::Idle);
    let stats = sim.link_stats(link).unwrap();
    assert!(stats.drops.queue_full > 0, "seed {seed}: no drops");
    let max = stats.queue_delay.max().unwrap();
    assert!(max <= limit, "seed {seed}: max delay {max:?}");
    // The queue fills up: a packet is admitted while its wait plus its own 8 ms serialisation
    // fits in 50 ms, and waits grow in 4 ms steps, so the longest wait is 40 ms.
    assert_eq!(max, Duration::from_millis(40), "seed {seed}");
    let delivered = sim.node(sink).unwrap().received.len() as u64;
    assert_eq!(delivered + stats.drops.queue_full, 2000);
}

#[test]
fn drop_tail_byte_limit_drops_when_full() {
    let seed = 14;
    // A burst of 100 packets of 1000 bytes into a 10-packet queue.
    let config = LinkConfig::new().rate_bps(1_000_000).queue_bytes(10_000);
    let (mut sim, link, sink) = one_way(seed, config, 100, 1000, Duration::ZERO);
    assert_eq!(sim.run_until_idle().unwrap(), Outcome::Idle);
    let stats = sim.link_stats(link).unwrap();
    assert_eq!(stats.drops.queue_full, 90, "seed {seed}");
    assert_eq!(
        sim.node(sink).unwrap().indices(),
        (0..10).collect::<Vec<_>>()
    );
    assert_eq!(stats.queue_delay.max(), Some(Duration::from_millis(72)));
}

#[test]
fn random_loss_matches_the_configured_rate() {
    for seed in [21, 22, 23] {
        let (mut sim, link, sink) = one_way(
            seed,
            LinkConfig::new().loss(0.05),
            20_000,
            64,
            Duration::ZERO,
        );
        assert_eq!(sim.run_until_idle().unwrap(), Outcome::Idle);
        let lost = sim.link_stats(link).unwrap().drops.random_loss;
        let rate = lost as f64 / 20_000.0;
        assert!((0.044..=0.056).contains(&rate), "seed {seed}: loss {rate}");
        let received = sim.node(sink).unwrap().received.len() as u64;
        assert_eq!(received + lost, 20_000, "seed {seed}");
    }
}

/// Lengths of runs of consecutive missing indices.
fn loss_bursts(indices: &[u64], count: u64) -> Vec<u64> {
    let got: HashSet<u64> = indices.iter().copied().collect();
    let mut bursts = Vec::new();
    let mut run = 0;
    for index in 0..count {
        if got.contains(&index) {
            if run > 0 {
                bursts.push(run);
            }
            run = 0;
        } else {
            run += 1;
        }
    }
    if run > 0 {
        bursts.push(run);
    }
    bursts
}

#[test]
fn gilbert_elliott_loses_in_bursts() {
    let seed = 31;
    let count = 50_000;
    let model = GilbertElliott::bursts(0.05, 5.0);
    let (mut sim, link, sink) = one_way(
        seed,
        LinkConfig::new().burst_loss(model),
        count,
        64,
        Duration::ZERO,
    );
    assert_eq!(sim.run_until_idle().unwrap(), Outcome::Idle);
    let bursts = loss_bursts(&sim.node(sink).unwrap().indices(), count);
    let lost: u64 = bursts.iter().sum();
    assert_eq!(lost, sim.link_stats(link).unwrap().drops.burst_loss);
    let rate = lost as f64 / count as f64;
    let mean_burst = lost as f64 / bursts.len() as f64;
    assert!((0.035..=0.065).contains(&rate), "seed {seed}: loss {rate}");
    assert!(
        (4.0..=6.0).contains(&mean_burst),
        "seed {seed}: burst {mean_burst}"
    );

    // Independent loss at the same rate has bursts barely longer than one packet.
    let (mut sim, _, sink) = one_way(
        seed,
        LinkConfig::new().loss(0.05),
        count,
        64,
        Duration::ZERO,
    );
    let _ = sim.run_until_idle().unwrap();
    let bursts = loss_bursts(&sim.node(sink).unwrap().indices(), count);
    let mean_random = bursts.iter().sum::<u64>() as f64 / bursts.len() as f64;
    assert!(mean_random < 1.2, "seed {seed}: random burst {mean_random}");
}

#[test]
fn reordering_happens_only_when_enabled() {
    let seed = 41;
    let interval = Duration::from_millis(1);
    let base = LinkConfig::new().delay(Duration::from_millis(10));

    let ordered = base
        .clone()
        .jitter(Duration::from_millis(30), JitterOrder::KeepOrder);
    let (mut sim, _, sink) = one_way(seed, ordered, 5000, 100, interval);
    let _ = sim.run_until_idle().unwrap();
    let sink = sim.node(sink).unwrap();
    assert_eq!(sink.received.len(), 5000);
    assert_eq!(sink.out_of_order(), 0, "seed {seed}");

    let held_back = base.clone().reorder(0.05, Duration::from_millis(5));
    let (mut sim, link, sink) = one_way(seed, held_back, 5000, 100, interval);
    let _ = sim.run_until_idle().unwrap();
    let late = sim.node(sink).unwrap().out_of_order();
    let reordered = sim.link_stats(link).unwrap().reordered;
    assert!((150..=350).contains(&reordered), "seed {seed}: {reordered}");
    assert_eq!(late as u64, reordered, "seed {seed}");

    let loose = base.jitter(Duration::from_millis(30), JitterOrder::AllowReorder);
    let (mut sim, _, sink) = one_way(seed, loose, 5000, 100, interval);
    let _ = sim.run_until_idle().unwrap();
    assert!(sim.node(sink).unwrap().out_of_order() > 1000, "seed {seed}");
}

#[test]
fn jitter_stays_within_its_bound() {
    let seed = 42;
    let config = LinkConfig::new()
        .delay(Duration::from_millis(10))
        .jitter(Duration::from_millis(4), JitterOrder::AllowReorder);
    let (mut sim, _, sink) = one_way(seed, config, 2000, 100, Duration::from_millis(1));
    let _ = sim.run_until_idle().unwrap();
    let base = sim.base();
    let mut saw_max_half = false;
    for r in &sim.node(sink).unwrap().received {
        let sent = Duration::from_millis(r.index);
        let delay = (r.at - base) - sent;
        assert!(
            delay >= Duration::from_millis(10) && delay <= Duration::from_millis(14),
            "seed {seed}: {delay:?}"
        );
        saw_max_half |= delay > Duration::from_millis(12);
    }
    assert!(saw_max_half);
}

#[test]
fn duplication_delivers_extra_copies() {
    let seed = 51;
    let (mut sim, link, sink) = one_way(
        seed,
        LinkConfig::new().duplicate(0.1),
        10_000,
        64,
        Duration::ZERO,
    );
    let _ = sim.run_until_idle().unwrap();
    let indices = sim.node(sink).unwrap().indices();
    let distinct: HashSet<u64> = indices.iter().copied().collect();
    assert_eq!(distinct.len(), 10_000);
    let extra = (indices.len() - distinct.len()) as u64;
    assert_eq!(extra, sim.link_stats(link).unwrap().duplicated);
    assert!((850..=1150).contains(&extra), "seed {seed}: {extra}");
    let flow = sim.flow_stats(addr(1, 1), addr(2, 2)).unwrap();
    assert_eq!(flow.packets_sent, 10_000);
    assert_eq!(flow.packets_delivered, 10_000 + extra);
}

/// State shared between a test and its tap.
type Shared<T> = Rc<RefCell<T>>;

#[test]
fn corruption_only_touches_the_header_bytes() {
    let seed = 61;
    let header = 12;
    let config = LinkConfig::new().corrupt_bits(0.5, header, 3);
    let (mut sim, link, _) = one_way(seed, config, 5000, 200, Duration::ZERO);
    let sent: Shared<HashMap<u64, Vec<u8>>> = Rc::default();
    let delivered: Shared<Vec<(u64, Vec<u8>)>> = Rc::default();
    let (sent_tap, delivered_tap) = (sent.clone(), delivered.clone());
    sim.set_tap(move |event, bytes| match event.kind {
        TraceKind::Sent => {
            sent_tap.borrow_mut().insert(event.packet, bytes.to_vec());
        }
        TraceKind::Delivered => delivered_tap
            .borrow_mut()
            .push((event.packet, bytes.to_vec())),
        _ => {}
    });
    let _ = sim.run_until_idle().unwrap();
    let sent = sent.borrow();
    let delivered = delivered.borrow();
    assert_eq!(delivered.len(), 5000);
    let mut changed = 0;
    for (id, got) in delivered.iter() {
        let original = &sent[id];
        assert_eq!(got.len(), original.len());
        assert_eq!(
            got[header..],
            original[header..],
            "seed {seed}: packet {id}"
        );
        let flipped: u32 = got[..header]
            .iter()
            .zip(&original[..header])
            .map(|(a, b)| (a ^ b).count_ones())
            .sum();
        assert!(flipped <= 3, "seed {seed}: packet {id}");
        if flipped > 0 {
            changed += 1;
        }
    }
    let corrupted = sim.link_stats(link).unwrap().corrupted;
    assert!(
        (2300..=2700).contains(&corrupted),
        "seed {seed}: {corrupted}"
    );
    // Flips can cancel out only when the same bit is drawn twice.
    assert!(changed <= corrupted && changed + 100 >= corrupted);
    // The payload pattern survived everywhere.
    assert_eq!(pattern(0, 100), sent[&0][100]);
}

#[test]
fn oversized_packets_are_dropped_by_cause() {
    let seed = 71;
    let (mut sim, link, sink) = one_way(
        seed,
        LinkConfig::new().max_packet(100),
        10,
        101,
        Duration::ZERO,
    );
    let _ = sim.run_until_idle().unwrap();
    assert!(sim.node(sink).unwrap().received.is_empty());
    assert_eq!(sim.link_stats(link).unwrap().drops.too_big, 10);
    assert_eq!(
        sim.flow_stats(addr(1, 1), addr(2, 2))
            .unwrap()
            .packets_dropped,
        10
    );
}
