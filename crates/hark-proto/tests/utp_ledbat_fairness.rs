//! Two uTP flows share one simulated bottleneck: with LEDBAT++ (the default) they converge to
//! equal shares, also when the second starts while the first already holds a queue (the
//! latecomer, whose base delay then includes that queue); with RFC 6817's rules the
//! latecomer keeps most of the link. Virtual time, so each figure is exact for its seed.
//! The full-size figures (10 Mbit/s, 60 s measured) are `cargo xtask lab`'s.

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use hark_proto::netsim::{LinkConfig, LinkId, Outcome, Sim};
use hark_proto::utp::bulk::BulkNode;
use hark_proto::utp::{ConnectionConfig, Endpoint, EndpointConfig, LedbatVariant};

const RATE_BPS: u64 = 4_000_000;
const WARM_UP: Duration = Duration::from_secs(20);
const MEASURE: Duration = Duration::from_secs(30);

fn bottleneck() -> LinkConfig {
    LinkConfig::new()
        .delay(Duration::from_millis(20))
        .rate_bps(RATE_BPS)
        .queue_time(Duration::from_millis(200))
}

fn add_flow(
    sim: &mut Sim,
    link: LinkId,
    index: u8,
    connection: &ConnectionConfig,
) -> (SocketAddr, SocketAddr) {
    let a = SocketAddr::from(([10, 0, index, 1], 5000));
    let b = SocketAddr::from(([10, 0, index, 2], 6000));
    let back = sim
        .add_link(LinkConfig::new().delay(Duration::from_millis(20)))
        .expect("link");
    sim.route(a, b, &[link]).expect("route");
    sim.route(b, a, &[back]).expect("route");
    let config = EndpointConfig {
        connection: connection.clone(),
        ..EndpointConfig::default()
    };
    let base = sim.base();
    let stream = u64::from(index) * 2;
    let mut sender = Endpoint::new(config.clone(), base, Box::new(sim.rng_stream(stream)));
    let receiver = Endpoint::new(config, base, Box::new(sim.rng_stream(stream + 1)));
    let conn = sender.connect(sim.now(), b).expect("connect");
    sim.add_node(
        a,
        BulkNode::initiator(sender, conn, usize::MAX / 2, index, !index),
    )
    .expect("node");
    sim.add_node(b, BulkNode::acceptor(receiver, 0, !index, index))
        .expect("node");
    (a, b)
}

fn run_for(sim: &mut Sim, span: Duration) {
    assert_eq!(sim.run_for(span).expect("simulation"), Outcome::Done);
}

/// Bytes each flow delivers while measured, the second started `delay` after the first.
fn shares(seed: u64, delay: Duration, variant: LedbatVariant) -> (f64, f64) {
    shares_with_mtu(seed, delay, variant, ConnectionConfig::default().udp_mtu_v4)
}

/// [`shares`] with datagrams of `udp_mtu` bytes.
fn shares_with_mtu(seed: u64, delay: Duration, variant: LedbatVariant, udp_mtu: u16) -> (f64, f64) {
    let connection = ConnectionConfig {
        ledbat_variant: variant,
        udp_mtu_v4: udp_mtu,
        ..ConnectionConfig::default()
    };
    let mut sim = Sim::new(seed, Instant::now());
    let link = sim.add_link(bottleneck()).expect("link");
    let first = add_flow(&mut sim, link, 1, &connection);
    run_for(&mut sim, delay);
    let second = add_flow(&mut sim, link, 2, &connection);
    run_for(&mut sim, WARM_UP);
    sim.reset_stats();
    run_for(&mut sim, MEASURE);
    let bytes = |flow: (SocketAddr, SocketAddr)| {
        sim.flow_stats(flow.0, flow.1)
            .map_or(0.0, |s| s.bytes_delivered as f64)
    };
    let utilisation = sim.link_utilisation(link).unwrap_or(0.0);
    assert!(utilisation > 0.9, "seed {seed}: utilisation {utilisation}");
    (bytes(first), bytes(second))
}

fn gap((a, b): (f64, f64)) -> f64 {
    (a - b).abs() / a.max(b).max(1.0)
}

#[test]
fn flows_started_together_share_equally() {
    let seed = 1;
    let split = shares(seed, Duration::ZERO, LedbatVariant::PlusPlus);
    // Measured: 48.2 % / 51.8 %.
    assert!(gap(split) < 0.15, "seed {seed}: {split:?}");
}

/// Datagram sizes the latecomer runs with. This link has no randomness, so one run is one
/// phase of LEDBAT++'s periodic slowdowns against the packet clock: the split of a single
/// run moves by several points with the packet size alone (1380 to 1408 bytes give gaps
/// from 0 % to 12 %). Fairness is judged on the sum over the sizes, each run against the
/// issue's 20 % bound.
const LATECOMER_MTUS: [u16; 4] = [1380, 1390, 1402, 1408];

#[test]
fn a_latecomer_shares_equally_with_plus_plus_but_not_with_rfc6817() {
    let seed = 1;
    let delay = Duration::from_secs(10);
    let mut total = (0.0, 0.0);
    for mtu in LATECOMER_MTUS {
        let split = shares_with_mtu(seed, delay, LedbatVariant::PlusPlus, mtu);
        println!("{mtu}-byte datagrams: gap {:.3} {split:?}", gap(split));
        assert!(gap(split) < 0.2, "seed {seed}, {mtu} bytes: {split:?}");
        total = (total.0 + split.0, total.1 + split.1);
    }
    // Measured: 49.0 % / 51.0 % over the four sizes, against RFC 6817's 37.3 % / 62.7 %.
    assert!(gap(total) < 0.05, "seed {seed}: {total:?}");
    let rfc = shares(seed, delay, LedbatVariant::Rfc6817);
    println!(
        "RFC 6817: {:.3} / {:.3}",
        rfc.0 / (rfc.0 + rfc.1),
        rfc.1 / (rfc.0 + rfc.1)
    );
    assert!(gap(rfc) > 0.3, "seed {seed}: {rfc:?}");
}
