//! Notifier TCP (hark) against a hand-written mio echo loop, in the same run: bulk echo
//! throughput and 1-byte ping-pong round trips. The client is the same blocking socket
//! code for both servers, so only the server side differs, and each timed iteration of
//! one server is followed by an untimed one of the other, so both see the same load.
//! `benches/tcp_ratio/` (run by `cargo xtask bench`) reports the same comparison as
//! interleaved medians, server CPU time and callgrind instruction counts.

#[path = "tcp_echo/mod.rs"]
mod tcp_echo;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tcp_echo::{CHUNK, HarkServer, MioServer, NAMES};

/// Bytes echoed by one bulk iteration.
const BULK: usize = 8 * 1024 * 1024;

/// Times `run(subject)` per iteration while running the other server's iteration, untimed,
/// right after each one: both see the same machine load, which on a shared machine
/// matters more than anything the servers do.
fn interleaved(b: &mut criterion::Bencher<'_>, subject: usize, mut run: impl FnMut(usize)) {
    b.iter_custom(|iters| {
        let mut timed = Duration::ZERO;
        for _ in 0..iters {
            let start = Instant::now();
            run(subject);
            timed += start.elapsed();
            run(1 - subject);
        }
        timed
    });
}

fn bench(c: &mut Criterion) {
    // The servers pin themselves to the last CPU; the client takes the first.
    tcp_echo::pin_to_cpu(tcp_echo::Role::Client);
    let hark_server = HarkServer::spawn();
    let mio_server = MioServer::spawn();
    let connect = || -> [TcpStream; 2] {
        [
            tcp_echo::client(hark_server.addr),
            tcp_echo::client(mio_server.addr),
        ]
    };
    let mut streams = connect();

    let out = vec![0x5a; CHUNK];
    let mut back = vec![0; CHUNK];
    let mut group = c.benchmark_group("tcp_bulk_echo");
    group.throughput(Throughput::Bytes(BULK as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    for (subject, name) in NAMES.into_iter().enumerate() {
        group.bench_function(name, |b| {
            interleaved(b, subject, |which| {
                tcp_echo::bulk_echo(&mut streams[which], BULK, &out, &mut back)
            })
        });
    }
    group.finish();

    // Fresh connections, so nothing left from the bulk phase carries over.
    let mut streams = connect();
    let mut group = c.benchmark_group("tcp_ping_pong");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(5));
    for (subject, name) in NAMES.into_iter().enumerate() {
        group.bench_function(name, |b| {
            interleaved(b, subject, |which| tcp_echo::ping_pong(&mut streams[which]))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
