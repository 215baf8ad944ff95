//! Loopback UDP throughput for 1400-byte datagrams, three ways in the same run:
//! one datagram per `send_to`/`recv_from` syscall, `sendmmsg`/`recvmmsg` batches, and
//! batches with UDP GSO on send and GRO on receive. Each iteration sends a burst and
//! drains it on the same thread, so the figure is the syscall path's cost, not a race
//! between threads; every datagram must arrive (a loss would panic the bench).
//!
//! `reactor_transfer` then moves datagrams between two reactors on two threads, a
//! windowed sender and a sink that acknowledges once per received batch: the path a uTP
//! connection will take, without the protocol's own costs.

use std::hint::black_box;
use std::io;
use std::net::UdpSocket;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark_reactor::udp::{BatchSocket, RecvBuffers, SendQueue, UdpConfig};
use hark_reactor::{Reactor, ReactorConfig, ReactorHandle, SocketId};
use hark_suite::transfer::{AckingSink, PAYLOAD, WindowedSender};

const DATAGRAM: usize = 1400;
/// Datagrams per iteration: 1.4 MB, well inside the 4 MiB receive buffer.
const BURST: usize = 1024;

fn single_pair() -> (UdpSocket, UdpSocket) {
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    // Same buffers as the batched sockets, so only the syscall pattern differs.
    let rx = BatchSocket::from_std(rx, &UdpConfig::NO_OFFLOAD).unwrap();
    let rx = rx_into_std(rx);
    tx.set_nonblocking(true).unwrap();
    (tx, rx)
}

fn rx_into_std(socket: BatchSocket) -> UdpSocket {
    // The buffer settings stay on the file descriptor; reopen it as a std socket.
    let fd = std::os::fd::AsFd::as_fd(socket.inner())
        .try_clone_to_owned()
        .unwrap();
    UdpSocket::from(fd)
}

fn one_per_syscall(tx: &UdpSocket, rx: &UdpSocket) {
    let to = rx.local_addr().unwrap();
    let data = [0x5a; DATAGRAM];
    let mut buf = [0u8; 2048];
    let mut got = 0;
    for _ in 0..BURST {
        tx.send_to(&data, to).unwrap();
    }
    loop {
        match rx.recv_from(&mut buf) {
            Ok((n, _)) => got += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, BURST * DATAGRAM, "loss on loopback");
    black_box(&buf);
}

struct Batched {
    tx: BatchSocket,
    rx: BatchSocket,
    queue: SendQueue,
    bufs: RecvBuffers,
}

impl Batched {
    fn new(config: &UdpConfig) -> Self {
        let tx = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), config).unwrap();
        let rx = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), config).unwrap();
        let bufs = rx.recv_buffers();
        Batched {
            tx,
            rx,
            queue: SendQueue::new(256, 2048),
            bufs,
        }
    }

    fn burst(&mut self) {
        let to = self.rx.local_addr();
        let data = [0x5a; DATAGRAM];
        let mut queued = 0;
        while queued < BURST || !self.queue.is_empty() {
            while queued < BURST && !self.queue.is_full() {
                self.queue.push(to, &data, false).unwrap();
                queued += 1;
            }
            self.tx.send_batch(&mut self.queue).unwrap();
        }
        let mut got = 0;
        loop {
            match self.rx.recv_batch(&mut self.bufs) {
                Ok(_) => got += self.bufs.datagrams().map(|(_, d)| d.len()).sum::<usize>(),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(got, BURST * DATAGRAM, "loss on loopback");
    }
}

/// Datagrams per reactor-transfer iteration (11.5 MB).
const TRANSFER: u64 = 8192;

/// A sender reactor and a sink reactor running on their own threads.
struct ReactorPair {
    sender: ReactorHandle,
    sender_id: SocketId,
    sink: ReactorHandle,
    threads: Vec<thread::JoinHandle<()>>,
}

impl ReactorPair {
    fn start(config: UdpConfig, window: u64) -> Self {
        let mut sink_reactor = Reactor::new(ReactorConfig::default()).unwrap();
        let socket = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), &config).unwrap();
        let sink_addr = socket.local_addr();
        sink_reactor
            .add_socket(socket, AckingSink::default())
            .unwrap();
        let mut sender_reactor = Reactor::new(ReactorConfig::default()).unwrap();
        let socket = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), &config).unwrap();
        let sender_id = sender_reactor
            .add_socket(socket, WindowedSender::new(sink_addr, window))
            .unwrap();
        let (sender, sink) = (sender_reactor.handle(), sink_reactor.handle());
        let threads = vec![
            thread::spawn(move || sink_reactor.run().unwrap()),
            thread::spawn(move || sender_reactor.run().unwrap()),
        ];
        ReactorPair {
            sender,
            sender_id,
            sink,
            threads,
        }
    }

    fn transfer(&self) {
        let (done_tx, done_rx) = mpsc::channel();
        self.sender
            .with_endpoint(self.sender_id, move |s: &mut WindowedSender, _| {
                s.extend(TRANSFER, done_tx)
            })
            .unwrap();
        done_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("every datagram acknowledged (a loss stalls the window)");
    }

    fn stop(self) {
        self.sender.shutdown();
        self.sink.shutdown();
        for t in self.threads {
            t.join().unwrap();
        }
    }
}

fn bench_reactor(c: &mut Criterion) {
    let mut group = c.benchmark_group("reactor_transfer_1400");
    group.throughput(Throughput::Bytes(TRANSFER * PAYLOAD as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    let default_buffers = UdpConfig {
        recv_buffer: 212_992,
        send_buffer: 212_992,
        ..UdpConfig::DEFAULT
    };
    for (name, config, window) in [
        ("gso_gro_4mib", UdpConfig::DEFAULT, 1024),
        ("mmsg_4mib", UdpConfig::NO_OFFLOAD, 1024),
        ("gso_gro_default_buffers", default_buffers, 96),
    ] {
        let pair = ReactorPair::start(config, window);
        group.bench_function(name, |b| b.iter(|| pair.transfer()));
        pair.stop();
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("udp_loopback_1400");
    group.throughput(Throughput::Bytes((BURST * DATAGRAM) as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));

    let (tx, rx) = single_pair();
    group.bench_function("one_per_syscall", |b| b.iter(|| one_per_syscall(&tx, &rx)));

    let mut plain = Batched::new(&UdpConfig::NO_OFFLOAD);
    group.bench_function("mmsg_batch_32", |b| b.iter(|| plain.burst()));

    let mut offload = Batched::new(&UdpConfig::DEFAULT);
    let caps = offload.tx.capabilities();
    eprintln!(
        "udp_io: gso segments {}, gro {} (on this kernel; falls back to plain batches)",
        caps.gso_max_segments, caps.gro
    );
    group.bench_function("gso_gro", |b| b.iter(|| offload.burst()));
    group.finish();
}

criterion_group!(benches, bench, bench_reactor);
criterion_main!(benches);
