//! A loss-free in-memory uTP transfer between two endpoints, no sockets: throughput of the
//! whole core (both ends on one thread; the receiver reads in place with `readable_slices`) and heap allocations per packet in steady state,
//! counted by a global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark_proto::netsim::SimRng;
use hark_proto::utp::{
    ConnectionConfig, ConnectionHandle, DatagramOutcome, Endpoint, EndpointConfig,
};

/// Counts every allocation and reallocation, then defers to the system allocator.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// `System`'s guarantees carry over; the counter has no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds the rest.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Preallocated datagram slots: the core writes each datagram straight into one.
struct Wire {
    slots: Vec<Vec<u8>>,
    lens: Vec<usize>,
    count: usize,
}

impl Wire {
    fn new(slots: usize, mtu: usize) -> Self {
        Self {
            slots: vec![vec![0; mtu]; slots],
            lens: vec![0; slots],
            count: 0,
        }
    }

    /// Moves everything `from` wants to send onto the wire (as far as slots last).
    fn fill(&mut self, from: &mut Endpoint, now: Instant) -> usize {
        let start = self.count;
        while self.count < self.slots.len() {
            let Some(t) = from.poll_transmit(now, &mut self.slots[self.count]) else {
                break;
            };
            self.lens[self.count] = t.len;
            self.count += 1;
        }
        self.count - start
    }

    /// Hands every datagram on the wire to `to`.
    fn deliver(&mut self, to: &mut Endpoint, from: SocketAddr, now: Instant) {
        for i in 0..self.count {
            let outcome = to.handle_datagram(now, from, &self.slots[i][..self.lens[i]]);
            debug_assert!(matches!(outcome, DatagramOutcome::Connection(_)));
        }
        self.count = 0;
    }
}

/// Two connected endpoints and their buffers.
struct Transfer {
    a: Endpoint,
    b: Endpoint,
    a_addr: SocketAddr,
    b_addr: SocketAddr,
    ca: ConnectionHandle,
    cb: ConnectionHandle,
    now: Instant,
    ab: Wire,
    ba: Wire,
    source: Vec<u8>,
    packets: u64,
}

impl Transfer {
    fn new(udp_mtu: u16, buffer: usize) -> Self {
        let connection = ConnectionConfig {
            udp_mtu_v4: udp_mtu,
            send_buffer: buffer,
            recv_buffer: buffer,
            max_window: buffer,
            ..ConnectionConfig::default()
        };
        let config = EndpointConfig {
            connection,
            ..EndpointConfig::default()
        };
        let now = Instant::now();
        let mut a = Endpoint::new(config.clone(), now, Box::new(SimRng::new(1)));
        let mut b = Endpoint::new(config, now, Box::new(SimRng::new(2)));
        let a_addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let b_addr: SocketAddr = "127.0.0.1:6000".parse().unwrap();
        let slots = (buffer / (usize::from(udp_mtu) - 20) + 16).min(4096);
        let mut ab = Wire::new(slots, usize::from(udp_mtu));
        let mut ba = Wire::new(slots, usize::from(udp_mtu));
        let ca = a.connect(now, b_addr).unwrap();
        ab.fill(&mut a, now);
        let syn = &ab.slots[0][..ab.lens[0]];
        let DatagramOutcome::Incoming(incoming) = b.handle_datagram(now, a_addr, syn) else {
            panic!("no incoming connection");
        };
        ab.count = 0;
        let cb = b.accept(now, incoming).unwrap();
        ba.fill(&mut b, now);
        ba.deliver(&mut a, b_addr, now);
        let mut t = Self {
            a,
            b,
            a_addr,
            b_addr,
            ca,
            cb,
            now,
            ab,
            ba,
            source: (0..1 << 20).map(|i| i as u8).collect(),
            packets: 0,
        };
        t.run(1 << 20);
        t
    }

    /// Moves `bytes` from A to B.
    fn run(&mut self, bytes: u64) {
        let mut received = 0u64;
        let mut offset = 0usize;
        while received < bytes {
            self.now += Duration::from_micros(20);
            loop {
                let n = self.a.write(self.ca, &self.source[offset..]).unwrap();
                offset = (offset + n) % self.source.len();
                if n == 0 {
                    break;
                }
            }
            self.packets += self.ab.fill(&mut self.a, self.now) as u64;
            self.ab.deliver(&mut self.b, self.a_addr, self.now);
            self.b.issue_deferred_acks(self.now);
            // The application uses the data in place (zero-copy read).
            let (first, second) = self.b.readable_slices(self.cb).unwrap();
            let n = first.len() + second.len();
            black_box((first, second));
            self.b.consume(self.cb, n).unwrap();
            received += n as u64;
            self.packets += self.ba.fill(&mut self.b, self.now) as u64;
            self.ba.deliver(&mut self.a, self.b_addr, self.now);
            self.a.issue_deferred_acks(self.now);
            self.packets += self.ab.fill(&mut self.a, self.now) as u64;
            self.ab.deliver(&mut self.b, self.a_addr, self.now);
            while self.a.poll_event().is_some() {}
            while self.b.poll_event().is_some() {}
            self.a.handle_timeout(self.now);
            self.b.handle_timeout(self.now);
        }
    }
}

/// Allocations per packet over a steady-state transfer of 64 MiB, after a warm-up.
fn report_allocations(udp_mtu: u16, buffer: usize) {
    let mut t = Transfer::new(udp_mtu, buffer);
    t.run(16 << 20);
    let before_allocs = ALLOCATIONS.load(Ordering::Relaxed);
    let before_packets = t.packets;
    let started = Instant::now();
    t.run(64 << 20);
    let elapsed = started.elapsed();
    let allocs = ALLOCATIONS.load(Ordering::Relaxed) - before_allocs;
    let packets = t.packets - before_packets;
    println!(
        "utp_core mtu {udp_mtu} buffers {} KiB: {packets} packets, {allocs} allocations ({:.4} per packet), {:.0} MB/s (one run)",
        buffer >> 10,
        allocs as f64 / packets as f64,
        64.0 * 1.048_576 / elapsed.as_secs_f64()
    );
}

fn bench(c: &mut Criterion) {
    for (udp_mtu, buffer) in [
        (1402u16, 256 << 10),
        (1402, 4 << 20),
        (9000, 1 << 20),
        (65_000, 4 << 20),
    ] {
        report_allocations(udp_mtu, buffer);
        let mut group = c.benchmark_group("utp_core_transfer");
        let bytes = 8u64 << 20;
        group.throughput(Throughput::Bytes(bytes));
        group.sample_size(10);
        let mut t = Transfer::new(udp_mtu, buffer);
        group.bench_function(format!("mtu_{udp_mtu}_buffers_{}k", buffer >> 10), |b| {
            b.iter(|| t.run(bytes))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
