//! uTP at scale through hark's reactor: 10,000 concurrent loopback connections between two
//! `hark::utp` reactors, each moving 1 MiB, every byte checked; per-connection throughput
//! fairness (Jain's index) and the process's peak resident memory are printed.
//!
//! Ignored by default (it moves 10 GiB and takes a minute or two):
//! `cargo test --release --test utp_reactor_scale -- --ignored --nocapture`.
//! `HARK_SCALE_CONNECTIONS` and `HARK_SCALE_MIB` change the connection count and the bytes
//! per connection.
//!
//! Written against the public facade (`UtpReactor`, `Callbacks`, `ContextHandle`) only.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use hark::utp::{Callbacks, ContextOption, UtpContext, UtpReactor, UtpSocket, UtpState};
use hark_proto::utp::EndpointConfig;
use hark_reactor::udp::UdpConfig;

/// Period of the byte pattern (prime, so no packet size lines up with it).
const PERIOD: usize = 65_521;

fn pattern_byte(offset: usize) -> u8 {
    ((offset % PERIOD) as u32)
        .wrapping_mul(2_654_435_761)
        .to_be_bytes()[0]
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Largest resident set of this process so far, bytes (`VmHWM`).
fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmHWM value");
    kib * 1024
}

/// Jain's fairness index of `xs`: 1 when all are equal, 1/n when one has everything.
fn jain(xs: &[f64]) -> f64 {
    let sum: f64 = xs.iter().sum();
    let squares: f64 = xs.iter().map(|x| x * x).sum();
    sum * sum / (xs.len() as f64 * squares)
}

/// What the receiving side knows of one connection.
struct Incoming {
    accepted: Instant,
    received: usize,
    first_wrong: Option<usize>,
}

/// One finished connection, as the receiver saw it.
struct Finished {
    bytes: usize,
    first_wrong: Option<usize>,
    elapsed: Duration,
}

/// Socket buffers large enough for thousands of connections' bursts.
const UDP: UdpConfig = UdpConfig {
    recv_buffer: 64 << 20,
    send_buffer: 64 << 20,
    ..UdpConfig::DEFAULT
};

fn endpoint_config(connections: usize) -> EndpointConfig {
    EndpointConfig {
        max_connections: connections + 16,
        max_half_open: connections + 16,
        ..EndpointConfig::default()
    }
}

/// The receiver: accepts everything, checks every byte, closes on EOF and reports.
fn spawn_receiver(connections: usize, done: mpsc::Sender<Finished>) -> UtpReactor {
    let state: Arc<Mutex<HashMap<UtpSocket, Incoming>>> = Arc::default();
    let (on_accept, on_read, on_state) = (state.clone(), state.clone(), state);
    let callbacks = Callbacks::new()
        .on_accept(move |_, socket, _| {
            on_accept.lock().unwrap().insert(
                socket,
                Incoming {
                    accepted: Instant::now(),
                    received: 0,
                    first_wrong: None,
                },
            );
        })
        .on_read(move |_, socket, data| {
            let mut state = on_read.lock().unwrap();
            let Some(conn) = state.get_mut(&socket) else {
                return;
            };
            if conn.first_wrong.is_none() {
                let base = conn.received;
                conn.first_wrong = data
                    .iter()
                    .enumerate()
                    .find(|&(i, &b)| b != pattern_byte(base + i))
                    .map(|(i, _)| base + i);
            }
            conn.received += data.len();
        })
        .on_state_change(move |cx, socket, s| {
            if s == UtpState::Eof {
                if let Some(conn) = on_state.lock().unwrap().remove(&socket) {
                    let _ = done.send(Finished {
                        bytes: conn.received,
                        first_wrong: conn.first_wrong,
                        elapsed: conn.accepted.elapsed(),
                    });
                }
                cx.close(socket);
            }
        });
    let builder = UtpContext::builder()
        .callbacks(callbacks)
        .endpoint_config(endpoint_config(connections));
    UtpReactor::bind_range_with_udp(builder, IpAddr::V4(Ipv4Addr::LOCALHOST), [0], &UDP)
        .expect("receiver reactor")
}

/// The sender: writes `bytes` of the pattern on each connection as the send buffer allows,
/// then closes it.
fn spawn_sender(connections: usize, bytes: usize, errors: mpsc::Sender<String>) -> UtpReactor {
    let source: Arc<Vec<u8>> = Arc::new((0..PERIOD * 2).map(pattern_byte).collect());
    // Bytes written so far and whether the connection is closed, per connection.
    let sent: Arc<Mutex<HashMap<UtpSocket, (usize, bool)>>> = Arc::default();
    let pump = move |cx: &mut hark::utp::ContextHandle<'_>, socket: UtpSocket| {
        let mut sent = sent.lock().unwrap();
        let (offset, closed) = sent.entry(socket).or_insert((0, false));
        while *offset < bytes {
            let start = *offset % PERIOD;
            let len = (bytes - *offset).min(PERIOD);
            let n = cx.write(socket, &source[start..start + len]);
            *offset += n;
            if n < len {
                return;
            }
        }
        if !*closed {
            *closed = true;
            cx.close(socket);
        }
    };
    let pump = Arc::new(Mutex::new(pump));
    let (on_connect, on_state) = (pump.clone(), pump);
    let callbacks = Callbacks::new()
        .on_connect(move |cx, socket| (on_connect.lock().unwrap())(cx, socket))
        .on_state_change(move |cx, socket, s| {
            if s == UtpState::Writable {
                (on_state.lock().unwrap())(cx, socket);
            }
        })
        .on_error(move |_, socket, code| {
            let _ = errors.send(format!("{socket:?}: {code:?}"));
        });
    let builder = UtpContext::builder()
        .callbacks(callbacks)
        .endpoint_config(endpoint_config(connections))
        // A small send buffer per connection: thousands of them share one process.
        .option(ContextOption::SendBuffer(64 << 10));
    UtpReactor::bind_range_with_udp(builder, IpAddr::V4(Ipv4Addr::LOCALHOST), [0], &UDP)
        .expect("sender reactor")
}

#[test]
#[ignore = "moves 10 GiB over loopback; run with --release -- --ignored --nocapture"]
fn ten_thousand_connections_one_mib_each() {
    let connections = env_or("HARK_SCALE_CONNECTIONS", 10_000);
    let bytes = env_or("HARK_SCALE_MIB", 1) << 20;
    let (done_tx, done_rx) = mpsc::channel();
    let (error_tx, error_rx) = mpsc::channel();
    let receiver = spawn_receiver(connections, done_tx);
    let sender = spawn_sender(connections, bytes, error_tx);
    let to = receiver.local_addr();
    let remote = sender.remote();
    let started = Instant::now();
    for _ in 0..connections {
        remote.connect(to).expect("connect");
    }
    let mut finished = Vec::with_capacity(connections);
    let deadline = started + Duration::from_secs(600);
    while finished.len() < connections {
        if let Ok(error) = error_rx.try_recv() {
            panic!("a connection failed: {error} ({} done)", finished.len());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match done_rx.recv_timeout(left.min(Duration::from_secs(1))) {
            Ok(f) => finished.push(f),
            Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
            Err(e) => panic!("{} of {connections} finished: {e:?}", finished.len()),
        }
    }
    let elapsed = started.elapsed();
    let peak = peak_rss();
    for (i, f) in finished.iter().enumerate() {
        assert_eq!(f.bytes, bytes, "connection {i} received {} bytes", f.bytes);
        assert_eq!(f.first_wrong, None, "connection {i} received a wrong byte");
    }
    let rates: Vec<f64> = finished
        .iter()
        .map(|f| f.bytes as f64 / f.elapsed.as_secs_f64())
        .collect();
    let mut sorted = rates.clone();
    sorted.sort_by(f64::total_cmp);
    let fairness = jain(&rates);
    println!(
        "utp_reactor_scale: {connections} connections x {} MiB, byte-exact, in {:.1} s ({:.0} MB/s together)",
        bytes >> 20,
        elapsed.as_secs_f64(),
        (connections * bytes) as f64 / 1e6 / elapsed.as_secs_f64()
    );
    println!(
        "utp_reactor_scale: per-connection throughput min {:.0} / median {:.0} / max {:.0} kB/s, Jain's index {fairness:.3}",
        sorted[0] / 1e3,
        sorted[sorted.len() / 2] / 1e3,
        sorted[sorted.len() - 1] / 1e3,
    );
    println!(
        "utp_reactor_scale: peak resident memory {:.0} MiB ({:.1} KiB per connection, both ends in this process)",
        peak as f64 / f64::from(1 << 20),
        peak as f64 / 1024.0 / connections as f64
    );
    drop(sender);
    drop(receiver);
}
