//! Packets simulated per second by `hark_proto::netsim`.
//!
//! Each benchmark runs a fixed, seeded scenario; its throughput is the number of datagrams
//! the nodes sent (both directions), so criterion reports simulated packets per second.

use core::net::SocketAddr;
use core::time::Duration;
use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark_proto::netsim::reno::{RenoConfig, RenoReceiver, RenoSender};
use hark_proto::netsim::{JitterOrder, LinkConfig, Node, Outcome, Sim, Transmit};

fn addr(host: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, host], 4000))
}

/// Sends `left` datagrams of `size` bytes to `peer`, one every `gap`.
struct Paced {
    peer: SocketAddr,
    left: u64,
    size: usize,
    gap: Duration,
    next: Option<Instant>,
}

impl Node for Paced {
    fn handle_datagram(&mut self, _: Instant, _: SocketAddr, _: &[u8]) {}
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let due = *self.next.get_or_insert(now);
        if self.left == 0 || now < due {
            return None;
        }
        self.next = Some(due + self.gap);
        self.left -= 1;
        buf[..8].copy_from_slice(&self.left.to_be_bytes());
        Some(Transmit {
            destination: self.peer,
            len: self.size,
        })
    }
    fn poll_timeout(&mut self) -> Option<Instant> {
        if self.left > 0 { self.next } else { None }
    }
}

/// Counts what arrives.
#[derive(Default)]
struct Count(u64);

impl Node for Count {
    fn handle_datagram(&mut self, _: Instant, _: SocketAddr, data: &[u8]) {
        self.0 += data.len() as u64;
    }
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_transmit(&mut self, _: Instant, _: &mut [u8]) -> Option<Transmit> {
        None
    }
    fn poll_timeout(&mut self) -> Option<Instant> {
        None
    }
}

/// Every impairment at once on 50 000 datagrams of 1200 bytes, one every 100 us, through a
/// 100 Mbit/s link; returns datagrams sent.
fn impaired_stream(seed: u64) -> u64 {
    let mut sim = Sim::new(seed, Instant::now());
    let config = LinkConfig::new()
        .delay(Duration::from_millis(20))
        .rate_bps(100_000_000)
        .queue_time(Duration::from_millis(50))
        .jitter(Duration::from_millis(5), JitterOrder::AllowReorder)
        .loss(0.01)
        .reorder(0.01, Duration::from_millis(10))
        .duplicate(0.01)
        .corrupt(0.01, 20);
    sim.connect(addr(1), addr(2), config).unwrap();
    sim.add_node(
        addr(1),
        Paced {
            peer: addr(2),
            left: 50_000,
            size: 1200,
            gap: Duration::from_micros(100),
            next: None,
        },
    )
    .unwrap();
    let sink = sim.add_node(addr(2), Count::default()).unwrap();
    assert_eq!(sim.run_until_idle().unwrap(), Outcome::Idle);
    black_box(sim.node(sink).unwrap().0);
    sim.flow_stats(addr(1), addr(2)).unwrap().packets_sent
}

/// A Reno transfer of `bytes` over `config` in both directions; returns datagrams sent.
fn reno_transfer(seed: u64, config: LinkConfig, bytes: Option<u64>, run: Duration) -> u64 {
    let mut sim = Sim::new(seed, Instant::now());
    sim.connect(addr(1), addr(2), config).unwrap();
    let base = sim.base();
    let reno = RenoConfig {
        bytes_to_send: bytes,
        ..RenoConfig::default()
    };
    let sender = sim
        .add_node(addr(1), RenoSender::new(addr(2), reno, base))
        .unwrap();
    sim.add_node(addr(2), RenoReceiver::new()).unwrap();
    match bytes {
        Some(_) => {
            let done = sim
                .run_until(|sim| sim.node(sender).is_some_and(RenoSender::is_complete))
                .unwrap();
            assert_eq!(done, Outcome::Done);
        }
        None => assert_eq!(sim.run_for(run).unwrap(), Outcome::Done),
    }
    let forward = sim.flow_stats(addr(1), addr(2)).unwrap().packets_sent;
    let backward = sim.flow_stats(addr(2), addr(1)).unwrap().packets_sent;
    forward + backward
}

fn bottleneck() -> LinkConfig {
    LinkConfig::new()
        .delay(Duration::from_millis(20))
        .rate_bps(10_000_000)
        .queue_time(Duration::from_millis(200))
}

fn lossy_fast_path() -> LinkConfig {
    LinkConfig::new()
        .delay(Duration::from_millis(10))
        .rate_bps(1_000_000_000)
        .queue_bytes(4_000_000)
        .loss(0.01)
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("netsim");
    group.sample_size(10);

    group.throughput(Throughput::Elements(impaired_stream(1)));
    group.bench_function("impaired_stream_50k", |b| {
        b.iter(|| impaired_stream(black_box(1)))
    });

    let packets = reno_transfer(2, bottleneck(), None, Duration::from_secs(20));
    group.throughput(Throughput::Elements(packets));
    group.bench_function("reno_10mbit_bottleneck_20s", |b| {
        b.iter(|| reno_transfer(black_box(2), bottleneck(), None, Duration::from_secs(20)))
    });

    let megabytes_64 = Some(64 * 1024 * 1024);
    let packets = reno_transfer(3, lossy_fast_path(), megabytes_64, Duration::ZERO);
    group.throughput(Throughput::Elements(packets));
    group.bench_function("reno_64mb_1pct_loss", |b| {
        b.iter(|| {
            reno_transfer(
                black_box(3),
                lossy_fast_path(),
                megabytes_64,
                Duration::ZERO,
            )
        })
    });
    group.finish();
}

criterion_group!(netsim, benches);
criterion_main!(netsim);
