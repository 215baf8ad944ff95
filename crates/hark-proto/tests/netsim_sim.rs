//! The simulator itself: determinism, routing, limits and contract errors.

mod common;

use core::net::SocketAddr;
use core::time::Duration;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use common::{Blaster, Sink, addr};
use hark_proto::netsim::{
    DropCause, JitterOrder, Limits, LinkConfig, Node, Outcome, Sim, SimError, Stepped, TraceEvent,
    Transmit,
};

/// A busy, impaired run; returns every trace event.
fn impaired_trace(seed: u64) -> Vec<TraceEvent> {
    let mut sim = Sim::new(seed, Instant::now());
    let config = LinkConfig::new()
        .delay(Duration::from_millis(5))
        .jitter(Duration::from_millis(3), JitterOrder::AllowReorder)
        .rate_bps(2_000_000)
        .queue_time(Duration::from_millis(20))
        .loss(0.02)
        .reorder(0.05, Duration::from_millis(4))
        .duplicate(0.03)
        .corrupt(0.05, 8);
    sim.connect(addr(1, 1), addr(2, 2), config).unwrap();
    sim.add_node(
        addr(1, 1),
        Blaster::new(addr(2, 2), 3000, 500, Duration::from_micros(1500)),
    )
    .unwrap();
    sim.add_node(addr(2, 2), Sink::default()).unwrap();
    let trace = Rc::new(RefCell::new(Vec::new()));
    let tap = trace.clone();
    sim.set_tap(move |event, _| tap.borrow_mut().push(*event));
    assert_eq!(sim.run_until_idle().unwrap(), Outcome::Idle, "seed {seed}");
    trace.take()
}

#[test]
fn same_seed_gives_identical_trace() {
    for seed in [1, 2, 3] {
        let first = impaired_trace(seed);
        assert!(first.len() > 6000, "seed {seed}");
        assert_eq!(first, impaired_trace(seed), "seed {seed}");
    }
    assert_ne!(impaired_trace(1), impaired_trace(2));
}

#[test]
fn results_do_not_depend_on_the_base_instant() {
    let run = |base: Instant| {
        let mut sim = Sim::new(5, base);
        sim.connect(
            addr(1, 1),
            addr(2, 2),
            LinkConfig::new()
                .delay(Duration::from_millis(3))
                .jitter(Duration::from_millis(2), JitterOrder::AllowReorder)
                .loss(0.1),
        )
        .unwrap();
        sim.add_node(
            addr(1, 1),
            Blaster::new(addr(2, 2), 500, 100, Duration::from_millis(1)),
        )
        .unwrap();
        let sink = sim.add_node(addr(2, 2), Sink::default()).unwrap();
        let _ = sim.run_until_idle().unwrap();
        let sink = sim.node(sink).unwrap();
        sink.received
            .iter()
            .map(|r| (r.at - base, r.index))
            .collect::<Vec<_>>()
    };
    let now = Instant::now();
    assert_eq!(run(now), run(now + Duration::from_secs(1000)));
}

#[test]
fn flows_share_a_bottleneck_and_cross_several_hops() {
    let mut sim = Sim::new(9, Instant::now());
    let access_a = sim
        .add_link(LinkConfig::new().delay(Duration::from_millis(1)))
        .unwrap();
    let access_b = sim
        .add_link(LinkConfig::new().delay(Duration::from_millis(2)))
        .unwrap();
    let bottleneck = sim
        .add_link(
            LinkConfig::new()
                .delay(Duration::from_millis(10))
                .rate_bps(1_000_000),
        )
        .unwrap();
    let sink = addr(9, 9);
    sim.route(addr(1, 1), sink, &[access_a, bottleneck])
        .unwrap();
    sim.route(addr(2, 2), sink, &[access_b, bottleneck])
        .unwrap();
    sim.add_node(addr(1, 1), Blaster::new(sink, 100, 1250, Duration::ZERO))
        .unwrap();
    sim.add_node(addr(2, 2), Blaster::new(sink, 100, 1250, Duration::ZERO))
        .unwrap();
    let sink_id = sim.add_node(sink, Sink::default()).unwrap();
    assert_eq!(sim.run_until_idle().unwrap(), Outcome::Idle);
    // 200 packets of 10 ms each through the shared 1 Mbit/s link.
    let received = &sim.node(sink_id).unwrap().received;
    assert_eq!(received.len(), 200);
    let last = received.last().unwrap().at - sim.base();
    assert_eq!(last, Duration::from_millis(1 + 2000 + 10));
    let stats = sim.link_stats(bottleneck).unwrap();
    assert_eq!(stats.packets_out, 200);
    assert_eq!(sim.link_stats(access_a).unwrap().packets_out, 100);
    let a = sim.flow_stats(addr(1, 1), sink).unwrap();
    let b = sim.flow_stats(addr(2, 2), sink).unwrap();
    assert_eq!(a.bytes_delivered, 125_000);
    assert_eq!(b.bytes_delivered, 125_000);
}

#[test]
fn unrouted_and_unowned_destinations_are_counted_drops() {
    let mut sim = Sim::new(1, Instant::now());
    sim.add_node(addr(1, 1), Blaster::new(addr(7, 7), 3, 10, Duration::ZERO))
        .unwrap();
    let _ = sim.run_until_idle().unwrap();
    assert_eq!(sim.network_drops().no_route, 3);

    let mut sim = Sim::new(1, Instant::now());
    sim.connect(addr(1, 1), addr(7, 7), LinkConfig::new())
        .unwrap();
    sim.add_node(addr(1, 1), Blaster::new(addr(7, 7), 3, 10, Duration::ZERO))
        .unwrap();
    let causes = Rc::new(RefCell::new(Vec::new()));
    let tap = causes.clone();
    sim.set_tap(move |event, _| {
        if let hark_proto::netsim::TraceKind::Dropped(cause) = event.kind {
            tap.borrow_mut().push(cause);
        }
    });
    let _ = sim.run_until_idle().unwrap();
    assert_eq!(sim.network_drops().no_node, 3);
    assert_eq!(causes.take(), vec![DropCause::NoNode; 3]);
}

/// A node whose timer is always due: a broken core that would spin for ever.
struct Spinner;

impl Node for Spinner {
    fn handle_datagram(&mut self, _: Instant, _: SocketAddr, _: &[u8]) {}
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_transmit(&mut self, _: Instant, _: &mut [u8]) -> Option<Transmit> {
        None
    }
    fn poll_timeout(&mut self) -> Option<Instant> {
        Some(Instant::now() - Duration::from_secs(3600))
    }
}

/// Answers every datagram with one to `peer`, and starts with one if `serve` is set.
struct PingPong {
    peer: SocketAddr,
    owed: u32,
}

impl Node for PingPong {
    fn handle_datagram(&mut self, _: Instant, _: SocketAddr, _: &[u8]) {
        self.owed += 1;
    }
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_transmit(&mut self, _: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.owed == 0 {
            return None;
        }
        self.owed -= 1;
        buf[0] = 1;
        Some(Transmit {
            destination: self.peer,
            len: 1,
        })
    }
    fn poll_timeout(&mut self) -> Option<Instant> {
        None
    }
}

#[test]
fn step_cap_stops_a_run_that_never_finishes() {
    let mut sim = Sim::new(1, Instant::now());
    sim.add_node(addr(1, 1), Spinner).unwrap();
    sim.set_limits(Limits {
        max_steps: 1000,
        ..Limits::default()
    });
    assert_eq!(sim.run_until_idle().unwrap(), Outcome::StepLimit);
    assert_eq!(sim.steps(), 1000);
    assert_eq!(sim.elapsed(), Duration::ZERO);
}

#[test]
fn time_cap_stops_an_endless_exchange() {
    let mut sim = Sim::new(1, Instant::now());
    sim.connect(
        addr(1, 1),
        addr(2, 2),
        LinkConfig::new().delay(Duration::from_millis(10)),
    )
    .unwrap();
    sim.add_node(
        addr(1, 1),
        PingPong {
            peer: addr(2, 2),
            owed: 1,
        },
    )
    .unwrap();
    sim.add_node(
        addr(2, 2),
        PingPong {
            peer: addr(1, 1),
            owed: 0,
        },
    )
    .unwrap();
    sim.set_limits(Limits {
        max_time: Duration::from_secs(1),
        ..Limits::default()
    });
    assert_eq!(sim.run_until(|_| false).unwrap(), Outcome::TimeLimit);
    assert_eq!(sim.elapsed(), Duration::from_secs(1));
    assert_eq!(sim.steps(), 100);
}

#[test]
fn run_until_stops_when_the_predicate_holds() {
    let mut sim = Sim::new(1, Instant::now());
    sim.connect(
        addr(1, 1),
        addr(2, 2),
        LinkConfig::new().delay(Duration::from_millis(1)),
    )
    .unwrap();
    sim.add_node(
        addr(1, 1),
        Blaster::new(addr(2, 2), 100, 10, Duration::from_millis(1)),
    )
    .unwrap();
    let sink = sim.add_node(addr(2, 2), Sink::default()).unwrap();
    let outcome = sim
        .run_until(|sim| sim.node(sink).unwrap().received.len() == 10)
        .unwrap();
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(sim.elapsed(), Duration::from_millis(10));
    assert_eq!(sim.step().unwrap(), Stepped::Event);
}

/// Claims a datagram longer than its buffer.
struct Liar;

impl Node for Liar {
    fn handle_datagram(&mut self, _: Instant, _: SocketAddr, _: &[u8]) {}
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_transmit(&mut self, _: Instant, buf: &mut [u8]) -> Option<Transmit> {
        Some(Transmit {
            destination: addr(2, 2),
            len: buf.len() + 1,
        })
    }
    fn poll_timeout(&mut self) -> Option<Instant> {
        None
    }
}

#[test]
fn contract_violations_are_errors() {
    let mut sim = Sim::new(1, Instant::now());
    sim.set_max_datagram(100);
    sim.add_node(addr(1, 1), Liar).unwrap();
    assert_eq!(
        sim.step(),
        Err(SimError::TransmitTooLong {
            node: addr(1, 1),
            len: 101,
            capacity: 100
        })
    );
    assert!(matches!(
        sim.add_node(addr(1, 1), Sink::default()),
        Err(SimError::AddressInUse(_))
    ));
    assert_eq!(
        sim.route(addr(1, 1), addr(2, 2), &[]),
        Err(SimError::EmptyRoute)
    );
    assert!(matches!(
        sim.add_link(LinkConfig::new().loss(2.0)),
        Err(SimError::Config(_))
    ));

    let mut flood = Sim::new(1, Instant::now());
    flood.set_limits(Limits {
        max_transmits_per_event: 10,
        ..Limits::default()
    });
    flood
        .add_node(
            addr(1, 1),
            Blaster::new(addr(2, 2), 1000, 10, Duration::ZERO),
        )
        .unwrap();
    assert!(matches!(
        flood.step(),
        Err(SimError::TransmitFlood { limit: 10, .. })
    ));
}

#[test]
fn node_handles_from_another_sim_are_refused() {
    let mut one = Sim::new(1, Instant::now());
    let mut two = Sim::new(1, Instant::now());
    let sink = one.add_node(addr(1, 1), Sink::default()).unwrap();
    two.add_node(addr(1, 1), Spinner).unwrap();
    assert!(two.node(sink).is_none());
    assert!(two.node_mut(sink).is_none());
    assert!(one.node(sink).is_some());
}
