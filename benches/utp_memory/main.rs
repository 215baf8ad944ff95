//! Memory per uTP connection, measured as a user would: two `hark_proto::utp::Endpoint`s
//! driven in memory (no sockets, a virtual clock), N connections between them.
//!
//! Phases, each followed by resident memory (`VmRSS` from /proc/self/status) and live heap
//! bytes (a counting global allocator) per connection, both as growth over the figures
//! taken before the first connection:
//!
//! 1. N connections opened (handshake rate in connections per CPU second, both endpoints
//!    on this one thread);
//! 2. one byte each way on every connection, then idle;
//! 3. `--transfer-kib` KiB each way on every connection (in waves of `--wave` connections
//!    at a time, every byte checked), then idle;
//! 4. the keepalive round of idle connections: the clock jumps past the keepalive interval,
//!    every connection sends its keepalive and the peer takes it (CPU per connection);
//! 5. `--scale` more connections opened (1 byte each way) beside the first N: the total
//!    resident memory for N + scale idle connections on one endpoint pair.
//!
//! `cargo bench --bench utp_memory -- [--connections N] [--transfer-kib K] [--wave W]
//! [--scale M]`; `cargo xtask bench` runs it with its defaults.

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hark_proto::netsim::SimRng;
use hark_proto::utp::{ConnectionHandle, DatagramOutcome, Endpoint, EndpointConfig};

/// Keeps a running total of live heap bytes, then defers to the system allocator.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// `System`'s guarantees carry over; the counter has no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` through this allocator with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds the rest.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Resident memory of this process, bytes.
fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS in /proc/self/status");
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmRSS value");
    kib * 1024
}

/// CPU time of this process (user + system).
fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` points to writable memory of the right type; getrusage only writes it.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage");
    // SAFETY: getrusage succeeded and filled the struct (it was zeroed before anyway).
    let usage = unsafe { usage.assume_init() };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Connections per address pair: a connection id has 16 bits, so one pair of addresses
/// carries at most 65,536 connections. Beyond this many, A talks to B at its next port and
/// B sees A at A's next port (both endpoints still one object each, as if each socket
/// were reachable at several addresses).
const PER_ADDRESS_PAIR: usize = 20_000;

fn with_port_offset(addr: SocketAddr, offset: usize) -> SocketAddr {
    SocketAddr::new(addr.ip(), addr.port() + offset as u16)
}

/// The source address the receiving side sees for a datagram sent to `destination`,
/// where `receiver` and `sender` are the two endpoints' first addresses.
fn peer_of(destination: SocketAddr, receiver: SocketAddr, sender: SocketAddr) -> SocketAddr {
    with_port_offset(sender, usize::from(destination.port() - receiver.port()))
}

/// The byte at `offset` of the stream each side sends.
fn pattern(offset: usize) -> u8 {
    (offset % 251) as u8
}

/// Preallocated datagram slots between the endpoints (allocated before the baseline).
struct Wire {
    slots: Vec<Vec<u8>>,
    lens: Vec<usize>,
    owners: Vec<Option<ConnectionHandle>>,
    destinations: Vec<SocketAddr>,
    count: usize,
}

impl Wire {
    fn new(slots: usize) -> Self {
        Self {
            slots: vec![vec![0; 1500]; slots],
            lens: vec![0; slots],
            owners: vec![None; slots],
            destinations: vec![SocketAddr::from(([0, 0, 0, 0], 0)); slots],
            count: 0,
        }
    }

    fn fill(&mut self, from: &mut Endpoint, now: Instant) -> usize {
        let start = self.count;
        while self.count < self.slots.len() {
            let Some(t) = from.poll_transmit(now, &mut self.slots[self.count]) else {
                break;
            };
            self.lens[self.count] = t.len;
            self.owners[self.count] = t.connection;
            self.destinations[self.count] = t.destination;
            self.count += 1;
        }
        self.count - start
    }
}

/// One connection's two ends and its transfer progress in each direction.
#[derive(Clone, Copy)]
struct Pair {
    a: ConnectionHandle,
    b: ConnectionHandle,
    a_sent: usize,
    a_received: usize,
    b_sent: usize,
    b_received: usize,
}

struct Bench {
    a: Endpoint,
    b: Endpoint,
    a_addr: SocketAddr,
    b_addr: SocketAddr,
    now: Instant,
    ab: Wire,
    ba: Wire,
    pairs: Vec<Pair>,
    source: Vec<u8>,
    scratch: Vec<u8>,
}

impl Bench {
    fn new(max_connections: usize) -> Self {
        let config = EndpointConfig {
            max_connections,
            max_half_open: 1024,
            ..EndpointConfig::default()
        };
        let now = Instant::now();
        Self {
            a: Endpoint::new(config.clone(), now, Box::new(SimRng::new(1))),
            b: Endpoint::new(config, now, Box::new(SimRng::new(2))),
            a_addr: "10.0.0.1:5000".parse().unwrap(),
            b_addr: "10.0.0.2:6000".parse().unwrap(),
            now,
            ab: Wire::new(4096),
            ba: Wire::new(4096),
            pairs: Vec::new(),
            source: (0..1 << 20).map(pattern).collect(),
            scratch: vec![0; 1 << 20],
        }
    }

    /// Moves datagrams both ways until neither endpoint has anything to send; the clock
    /// advances 20 µs per round (zero delay would give LEDBAT no RTT to measure).
    fn pump(&mut self) {
        loop {
            self.now += Duration::from_micros(20);
            let mut moved = self.ab.fill(&mut self.a, self.now);
            for i in 0..self.ab.count {
                let d = &self.ab.slots[i][..self.ab.lens[i]];
                let from = peer_of(self.ab.destinations[i], self.b_addr, self.a_addr);
                let _ = self.b.handle_datagram(self.now, from, d);
            }
            self.ab.count = 0;
            self.b.issue_deferred_acks(self.now);
            moved += self.ba.fill(&mut self.b, self.now);
            for i in 0..self.ba.count {
                let d = &self.ba.slots[i][..self.ba.lens[i]];
                let from = peer_of(self.ba.destinations[i], self.a_addr, self.b_addr);
                let _ = self.a.handle_datagram(self.now, from, d);
            }
            self.ba.count = 0;
            self.a.issue_deferred_acks(self.now);
            while self.a.poll_event().is_some() {}
            while self.b.poll_event().is_some() {}
            self.a.handle_timeout(self.now);
            self.b.handle_timeout(self.now);
            if moved == 0 {
                break;
            }
        }
    }

    /// Opens `n` connections, `batch` SYNs at a time; returns the CPU time it took.
    fn connect(&mut self, n: usize, batch: usize) -> Duration {
        let started = cpu_time();
        let mut opened = 0;
        while opened < n {
            let count = batch.min(n - opened);
            for i in 0..count {
                let group = (self.pairs.len() + i) / PER_ADDRESS_PAIR;
                let to = with_port_offset(self.b_addr, group);
                self.a.connect(self.now, to).expect("connect");
            }
            self.ab.fill(&mut self.a, self.now);
            for i in 0..self.ab.count {
                let syn = &self.ab.slots[i][..self.ab.lens[i]];
                let owner = self.ab.owners[i].expect("a SYN has a connection");
                let from = peer_of(self.ab.destinations[i], self.b_addr, self.a_addr);
                let DatagramOutcome::Incoming(incoming) =
                    self.b.handle_datagram(self.now, from, syn)
                else {
                    panic!("SYN not taken as incoming");
                };
                let b = self.b.accept(self.now, incoming).expect("accept");
                self.pairs.push(Pair {
                    a: owner,
                    b,
                    a_sent: 0,
                    a_received: 0,
                    b_sent: 0,
                    b_received: 0,
                });
            }
            self.ab.count = 0;
            self.pump();
            opened += count;
        }
        assert_eq!(self.b.half_open_count(), 0, "every handshake completed");
        cpu_time() - started
    }

    /// Writes what each side of `pair` still has to send, reads what arrived (checking
    /// every byte); returns whether both directions are complete.
    fn step_pair(&mut self, index: usize, bytes: usize) -> bool {
        let mut p = self.pairs[index];
        for (ep, handle, sent) in [
            (&mut self.a, p.a, &mut p.a_sent),
            (&mut self.b, p.b, &mut p.b_sent),
        ] {
            while *sent < bytes {
                let offset = *sent % self.source.len();
                let end = (offset + bytes - *sent).min(self.source.len());
                match ep.write(handle, &self.source[offset..end]) {
                    Ok(0) => break,
                    Ok(n) => *sent += n,
                    Err(e) => panic!("write: {e:?}"),
                }
            }
        }
        for (ep, handle, received) in [
            (&mut self.a, p.a, &mut p.a_received),
            (&mut self.b, p.b, &mut p.b_received),
        ] {
            loop {
                let n = ep.read(handle, &mut self.scratch).expect("read");
                if n == 0 {
                    break;
                }
                for (i, &byte) in self.scratch[..n].iter().enumerate() {
                    let expected = self.source[(*received + i) % self.source.len()];
                    assert_eq!(byte, expected, "byte {}", *received + i);
                }
                *received += n;
            }
        }
        self.pairs[index] = p;
        p.a_received >= bytes && p.b_received >= bytes
    }

    /// Moves `bytes` more each way on connections `range`, `wave` connections at a time.
    fn transfer(&mut self, range: std::ops::Range<usize>, bytes: usize, wave: usize) {
        let mut start = range.start;
        while start < range.end {
            let end = (start + wave).min(range.end);
            let targets: Vec<usize> = (start..end)
                .map(|i| {
                    let p = self.pairs[i];
                    assert_eq!(p.a_sent, p.a_received);
                    p.a_sent + bytes
                })
                .collect();
            loop {
                let mut done = true;
                for (k, i) in (start..end).enumerate() {
                    done &= self.step_pair(i, targets[k]);
                }
                self.pump();
                if done {
                    break;
                }
            }
            start = end;
        }
        // Idle: delayed ACKs fire and every ACK is taken.
        self.now += Duration::from_millis(100);
        self.a.handle_timeout(self.now);
        self.b.handle_timeout(self.now);
        self.pump();
    }
}

/// Figures over the baseline taken before the first connection.
struct Baseline {
    rss: usize,
    live: usize,
}

impl Baseline {
    fn take() -> Self {
        Self {
            rss: rss(),
            live: LIVE.load(Ordering::Relaxed),
        }
    }

    fn report(&self, what: &str, bench: &Bench) {
        let n = bench.pairs.len();
        let rss = rss().saturating_sub(self.rss);
        let live = LIVE.load(Ordering::Relaxed).saturating_sub(self.live);
        let (held_a, pool_a) = bench.a.buffer_bytes();
        let (held_b, pool_b) = bench.b.buffer_bytes();
        println!(
            "utp_memory {what:<44} {n:>7} conns: {:>8.0} B resident/conn, {:>8.0} B heap/conn \
             (buffers held {:.0} B/conn, pools {} KiB), total resident {:.1} MiB",
            rss as f64 / n as f64,
            live as f64 / n as f64,
            (held_a + held_b) as f64 / n as f64,
            (pool_a + pool_b) >> 10,
            rss as f64 / f64::from(1 << 20),
        );
    }
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number"))
        })
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--connections", 10_000);
    let transfer = arg(&args, "--transfer-kib", 200) << 10;
    let wave = arg(&args, "--wave", 64).max(1);
    let scale = arg(&args, "--scale", 90_000);

    let mut bench = Bench::new(n + scale);
    let base = Baseline::take();

    let cpu = bench.connect(n, 256);
    println!(
        "utp_memory handshakes: {n} in {:.3} s of CPU (both endpoints): {:.0} connections per CPU second",
        cpu.as_secs_f64(),
        n as f64 / cpu.as_secs_f64()
    );
    base.report("after handshake", &bench);

    bench.transfer(0..n, 1, wave.max(1024));
    base.report("after 1 byte each way, idle", &bench);

    let started = cpu_time();
    bench.transfer(0..n, transfer, wave);
    let cpu = cpu_time() - started;
    println!(
        "utp_memory transfer: {} KiB each way on {n} connections ({wave} at a time), {:.0} MB/s per CPU second",
        transfer >> 10,
        (2 * transfer * n) as f64 / 1e6 / cpu.as_secs_f64()
    );
    base.report(
        &format!("after {} KiB each way, idle", transfer >> 10),
        &bench,
    );
    // What glibc keeps of the transfers' peak (freed, not returned to the kernel) is the
    // allocator's policy, not the connections' memory: shown after handing it back.
    // SAFETY: malloc_trim only releases free memory of the C allocator; no Rust object is
    // affected.
    unsafe { libc::malloc_trim(0) };
    base.report("same, after malloc_trim(0)", &bench);

    // Keepalives: every idle connection's timer fires once on each side.
    let sent_before = bench
        .a
        .connection_stats(bench.pairs[0].a)
        .map(|s| s.packets_sent);
    bench.now += Duration::from_secs(30);
    let started = cpu_time();
    bench.a.handle_timeout(bench.now);
    bench.b.handle_timeout(bench.now);
    bench.pump();
    let cpu = cpu_time() - started;
    let sent_after = bench
        .a
        .connection_stats(bench.pairs[0].a)
        .map(|s| s.packets_sent);
    assert!(sent_after > sent_before, "the keepalive went out");
    println!(
        "utp_memory timers: one keepalive round of {n} idle connections in {:.1} ms of CPU: {:.0} ns per connection (both sides: timer, send, receive)",
        cpu.as_secs_f64() * 1e3,
        cpu.as_nanos() as f64 / n as f64
    );
    base.report("after a keepalive round", &bench);
    // Idle timers cost nothing between rounds: nothing is due.
    let started = cpu_time();
    for _ in 0..1000 {
        bench.now += Duration::from_millis(1);
        bench.a.handle_timeout(bench.now);
        bench.b.handle_timeout(bench.now);
        std::hint::black_box((bench.a.poll_timeout(), bench.b.poll_timeout()));
    }
    println!(
        "utp_memory timers: 1000 wakeups with {n} idle connections and none due: {:.0} ns each",
        (cpu_time() - started).as_nanos() as f64 / 1000.0
    );

    if scale > 0 {
        let cpu = bench.connect(scale, 256);
        bench.transfer(n..n + scale, 1, wave.max(1024));
        let total = bench.pairs.len();
        println!(
            "utp_memory scale: {scale} more connections ({:.0} per CPU second), {total} in all",
            scale as f64 / cpu.as_secs_f64()
        );
        base.report("all, 1 byte each way, idle", &bench);
        println!(
            "utp_memory goal: {total} connections within 1 GiB resident: {} ({:.1} MiB)",
            if rss().saturating_sub(base.rss) <= 1 << 30 {
                "met"
            } else {
                "NOT met"
            },
            rss().saturating_sub(base.rss) as f64 / f64::from(1 << 20)
        );
    }
}
