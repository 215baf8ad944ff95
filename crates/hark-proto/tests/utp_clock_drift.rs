//! LEDBAT's base delay against a receiver whose clock drifts (netsim's `ClockSkew`).
//!
//! One uTP flow through a 4 Mbit/s bottleneck with a 400 ms buffer; the receiver's clock
//! runs 1000 ppm fast or slow (a tenth of that is a poor quartz; ten times it compresses
//! ten minutes of such drift into one). Every second the sender's estimated queuing delay
//! (its current one-way delay minus its base delay) is compared with the queue the link
//! really held. A fast receiver clock makes every one-way delay grow by 1 ms per second:
//! without correction the estimate runs away from the real queue, the window collapses and
//! the link empties; with RFC 6817 appendix A's correction (the reverse direction's base
//! delay falls by the same drift, and the forward base is raised by as much) the estimate
//! stays with the real queue. A slow receiver clock lowers the samples, which the minimum
//! filter follows by itself. Virtual time, so each figure is exact.

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use hark_proto::netsim::{ClockSkew, LinkConfig, NodeId, Outcome, Sim};
use hark_proto::utp::bulk::BulkNode;
use hark_proto::utp::{ConnectionConfig, Endpoint, EndpointConfig};

const SKEW_PPM: i32 = 1000;
const WARM_UP: Duration = Duration::from_secs(20);
const MEASURE: Duration = Duration::from_secs(100);

/// What one run measured over `MEASURE`.
#[derive(Debug)]
struct Drift {
    /// Median of the sender's queuing-delay estimate, sampled every second.
    estimated: Duration,
    /// Median queueing delay of the packets through the bottleneck.
    real: Duration,
    utilisation: f64,
}

fn run(seed: u64, receiver_ppm: i32, correct: bool) -> Drift {
    let mut sim = Sim::new(seed, Instant::now());
    let link = sim
        .add_link(
            LinkConfig::new()
                .delay(Duration::from_millis(20))
                .rate_bps(4_000_000)
                .queue_time(Duration::from_millis(400)),
        )
        .expect("link");
    let back = sim
        .add_link(LinkConfig::new().delay(Duration::from_millis(20)))
        .expect("link");
    let a = SocketAddr::from(([10, 0, 0, 1], 5000));
    let b = SocketAddr::from(([10, 0, 0, 2], 6000));
    sim.route(a, b, &[link]).expect("route");
    sim.route(b, a, &[back]).expect("route");
    let config = EndpointConfig {
        connection: ConnectionConfig {
            ledbat_correct_clock_drift: correct,
            ..ConnectionConfig::default()
        },
        ..EndpointConfig::default()
    };
    let base = sim.base();
    let mut sender = Endpoint::new(config.clone(), base, Box::new(sim.rng_stream(1)));
    let receiver = Endpoint::new(config, base, Box::new(sim.rng_stream(2)));
    let conn = sender.connect(base, b).expect("connect");
    let sender: NodeId<BulkNode> = sim
        .add_node(a, BulkNode::initiator(sender, conn, usize::MAX / 2, 1, 2))
        .expect("node");
    let skewed = ClockSkew::new(BulkNode::acceptor(receiver, 0, 2, 1), base, receiver_ppm)
        .expect("skew within bounds");
    sim.add_node(b, skewed).expect("node");

    assert_eq!(sim.run_for(WARM_UP).expect("warm-up"), Outcome::Done);
    sim.reset_stats();
    let mut estimates = Vec::new();
    for _ in 0..MEASURE.as_secs() {
        assert_eq!(
            sim.run_for(Duration::from_secs(1)).expect("run"),
            Outcome::Done
        );
        let node = sim.node(sender).expect("sender");
        let info = node
            .endpoint()
            .connection_info(node.connection().expect("connection"))
            .expect("connection alive");
        estimates.push(info.queuing_delay);
    }
    estimates.sort();
    let stats = sim.link_stats(link).expect("stats");
    Drift {
        estimated: estimates[estimates.len() / 2],
        real: stats.queue_delay.median().expect("samples"),
        utilisation: sim.link_utilisation(link).expect("rate"),
    }
}

fn gap(d: &Drift) -> Duration {
    d.estimated.abs_diff(d.real)
}

#[test]
fn the_base_delay_follows_a_receiver_clock_that_runs_fast() {
    let corrected = run(7, SKEW_PPM, true);
    let uncorrected = run(7, SKEW_PPM, false);
    println!("+{SKEW_PPM} ppm, corrected:   {corrected:?}");
    println!("+{SKEW_PPM} ppm, uncorrected: {uncorrected:?}");
    assert!(
        gap(&corrected) < Duration::from_millis(10),
        "the estimate left the real queue: {corrected:?}"
    );
    assert!(corrected.utilisation > 0.95, "utilisation {corrected:?}");
    // Without the correction, the drift reads as queuing delay.
    assert!(
        gap(&uncorrected) > Duration::from_millis(50),
        "{uncorrected:?}"
    );
    assert!(uncorrected.utilisation < corrected.utilisation);
}

#[test]
fn a_receiver_clock_that_runs_slow_needs_no_correction() {
    for correct in [true, false] {
        let drift = run(8, -SKEW_PPM, correct);
        println!("-{SKEW_PPM} ppm, correction {correct}: {drift:?}");
        assert!(gap(&drift) < Duration::from_millis(10), "{drift:?}");
        assert!(drift.utilisation > 0.95, "{drift:?}");
    }
}
