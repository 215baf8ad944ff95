//! The Reno-like competing flow: it fills a bottleneck, shares it, and survives impairments.

mod common;

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use common::addr;
use hark_proto::netsim::reno::{RenoConfig, RenoReceiver, RenoSender};
use hark_proto::netsim::{JitterOrder, LinkConfig, LinkId, NodeId, Outcome, Sim};

const RATE: u64 = 10_000_000;

/// The lab's bottleneck: 10 Mbit/s, 200 ms of drop-tail buffer, 20 ms one-way delay.
fn bottleneck() -> LinkConfig {
    LinkConfig::new()
        .delay(Duration::from_millis(20))
        .rate_bps(RATE)
        .queue_time(Duration::from_millis(200))
}

struct Flow {
    sender: NodeId<RenoSender>,
    receiver: NodeId<RenoReceiver>,
    from: SocketAddr,
    to: SocketAddr,
}

/// Adds a Reno flow from `host` whose data crosses `forward` and whose ACKs return over a
/// link of their own.
fn add_flow(sim: &mut Sim, host: u8, forward: LinkId, config: RenoConfig) -> Flow {
    let from = addr(host, 1000);
    let to = addr(100 + host, 2000);
    let back = sim
        .add_link(LinkConfig::new().delay(Duration::from_millis(20)))
        .unwrap();
    sim.route(from, to, &[forward]).unwrap();
    sim.route(to, from, &[back]).unwrap();
    let base = sim.base();
    let sender = sim
        .add_node(from, RenoSender::new(to, config, base))
        .unwrap();
    let receiver = sim.add_node(to, RenoReceiver::new()).unwrap();
    Flow {
        sender,
        receiver,
        from,
        to,
    }
}

#[test]
fn reno_alone_fills_a_10_mbit_bottleneck() {
    let seed = 101;
    let mut sim = Sim::new(seed, Instant::now());
    let link = sim.add_link(bottleneck()).unwrap();
    let flow = add_flow(&mut sim, 1, link, RenoConfig::default());
    assert_eq!(sim.run_for(Duration::from_secs(10)).unwrap(), Outcome::Done);
    sim.reset_stats();
    assert_eq!(sim.run_for(Duration::from_secs(30)).unwrap(), Outcome::Done);
    let utilisation = sim.link_utilisation(link).unwrap();
    let stats = sim.link_stats(link).unwrap();
    let median = stats.queue_delay.median().unwrap();
    println!(
        "seed {seed}: utilisation {utilisation:.3}, median queueing delay {median:?}, \
         queue drops {}",
        stats.drops.queue_full
    );
    assert!(utilisation >= 0.9, "seed {seed}: utilisation {utilisation}");
    assert!(stats.queue_delay.max().unwrap() <= Duration::from_millis(200));
    // Reno keeps the drop-tail buffer partly full: the queue is what it probes with.
    assert!(
        median > Duration::from_millis(20),
        "seed {seed}: {median:?}"
    );
    let sender = sim.node(flow.sender).unwrap();
    assert!(sender.counters().fast_retransmits > 0, "seed {seed}");
    let received = sim.node(flow.receiver).unwrap().bytes_received();
    assert!(received <= sender.bytes_acked() + 200_000);
}

#[test]
fn two_reno_flows_share_fairly() {
    for seed in [201, 202] {
        let mut sim = Sim::new(seed, Instant::now());
        let link = sim.add_link(bottleneck()).unwrap();
        let one = add_flow(&mut sim, 1, link, RenoConfig::default());
        let two = add_flow(&mut sim, 2, link, RenoConfig::default());
        let _ = sim.run_for(Duration::from_secs(10)).unwrap();
        sim.reset_stats();
        let _ = sim.run_for(Duration::from_secs(60)).unwrap();
        let a = sim.flow_stats(one.from, one.to).unwrap().bytes_delivered as f64;
        let b = sim.flow_stats(two.from, two.to).unwrap().bytes_delivered as f64;
        let share = a / (a + b);
        let utilisation = sim.link_utilisation(link).unwrap();
        println!("seed {seed}: share of flow one {share:.3}, utilisation {utilisation:.3}");
        assert!((0.35..=0.65).contains(&share), "seed {seed}: share {share}");
        assert!(utilisation >= 0.9, "seed {seed}: utilisation {utilisation}");
    }
}

/// Sends `bytes` over symmetric `config` links and checks it all arrives.
fn finite_transfer(seed: u64, config: LinkConfig, bytes: u64) -> RenoSender {
    let mut sim = Sim::new(seed, Instant::now());
    let (from, to) = (addr(1, 1000), addr(2, 2000));
    sim.connect(from, to, config).unwrap();
    let base = sim.base();
    let reno = RenoConfig {
        bytes_to_send: Some(bytes),
        ..RenoConfig::default()
    };
    let sender = sim.add_node(from, RenoSender::new(to, reno, base)).unwrap();
    let receiver = sim.add_node(to, RenoReceiver::new()).unwrap();
    let outcome = sim
        .run_until(|sim| sim.node(sender).unwrap().is_complete())
        .unwrap();
    assert_eq!(outcome, Outcome::Done, "seed {seed}");
    assert_eq!(
        sim.node(receiver).unwrap().bytes_received(),
        bytes,
        "seed {seed}"
    );
    sim.node(sender).unwrap().clone()
}

#[test]
fn finite_transfer_survives_loss_and_impairments() {
    for seed in 300..305 {
        let lossy = LinkConfig::new()
            .delay(Duration::from_millis(10))
            .rate_bps(20_000_000)
            .queue_bytes(100_000)
            .loss(0.05);
        let sender = finite_transfer(seed, lossy, 1_000_000);
        assert!(sender.counters().retransmissions > 0, "seed {seed}");

        let messy = LinkConfig::new()
            .delay(Duration::from_millis(10))
            .jitter(Duration::from_millis(5), JitterOrder::AllowReorder)
            .duplicate(0.05)
            .corrupt(0.05, 19)
            .loss(0.01);
        let _ = finite_transfer(seed, messy, 1_000_000);
    }
}

#[test]
fn heavy_loss_exercises_the_retransmission_timeout() {
    let seed = 401;
    let config = LinkConfig::new().delay(Duration::from_millis(10)).loss(0.3);
    let sender = finite_transfer(seed, config, 100_000);
    let counters = sender.counters();
    assert!(counters.timeouts > 0, "seed {seed}: {counters:?}");
    assert!(sender.cwnd() >= 1400);
}
