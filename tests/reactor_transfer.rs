//! Bulk datagram transfer between two reactors on two threads over loopback: every
//! datagram arrives in order with its exact bytes, with GSO/GRO and with plain batches,
//! with 4 MiB buffers and with the OS default ones.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use hark_reactor::udp::{BatchSocket, UdpConfig};
use hark_reactor::{Reactor, ReactorConfig, SlotStats};
use hark_suite::transfer::{AckingSink, PAYLOAD, WindowedSender};

struct Outcome {
    sink: AckingSink,
    sender_stats: SlotStats,
    sink_stats: SlotStats,
}

fn transfer(config: UdpConfig, window: u64, datagrams: u64) -> Outcome {
    let mut sink_reactor = Reactor::new(ReactorConfig::default()).unwrap();
    let sink_socket = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), &config).unwrap();
    let sink_addr = sink_socket.local_addr();
    let sink_id = sink_reactor
        .add_socket(sink_socket, AckingSink::default())
        .unwrap();
    let sink_handle = sink_reactor.handle();
    let sink_thread = thread::spawn(move || {
        sink_reactor.run().unwrap();
        sink_reactor
    });

    let mut sender_reactor = Reactor::new(ReactorConfig::default()).unwrap();
    let socket = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), &config).unwrap();
    let id = sender_reactor
        .add_socket(socket, WindowedSender::new(sink_addr, window))
        .unwrap();
    let handle = sender_reactor.handle();
    let sender_thread = thread::spawn(move || {
        sender_reactor.run().unwrap();
        sender_reactor
    });

    let (done_tx, done_rx) = mpsc::channel();
    handle
        .with_endpoint(id, move |sender: &mut WindowedSender, _| {
            sender.extend(datagrams, done_tx)
        })
        .unwrap();
    let acked = done_rx.recv_timeout(Duration::from_secs(60));
    handle.shutdown();
    sink_handle.shutdown();
    let sender_reactor = sender_thread.join().unwrap();
    let mut sink_reactor = sink_thread.join().unwrap();
    let sink_stats = sink_reactor.socket_stats(sink_id).unwrap();
    let (_, sink) = sink_reactor.remove_socket(sink_id).unwrap();
    assert_eq!(
        acked,
        Ok(datagrams),
        "all acknowledged; sink stats {sink_stats:?}"
    );
    Outcome {
        sink,
        sender_stats: sender_reactor.socket_stats(id).unwrap(),
        sink_stats,
    }
}

#[test]
fn gso_gro_transfer_with_4_mib_buffers() {
    let n = 20_000;
    let out = transfer(UdpConfig::DEFAULT, 1024, n);
    assert_eq!((out.sink.received, out.sink.bad), (n, 0));
    assert_eq!(out.sender_stats.socket.sent, n);
    assert_eq!(out.sink_stats.received, n);
    assert_eq!(out.sink_stats.receive_buffer_drops, 0);
    // One acknowledgement per received batch, not per datagram.
    assert!(
        out.sink.acks < n,
        "acks {} for {n} datagrams",
        out.sink.acks
    );
    eprintln!(
        "{n} x {PAYLOAD} B: sink batches {}, acks {}, sender saw {} acks",
        out.sink_stats.receive_batches, out.sink.acks, out.sender_stats.received
    );
}

#[test]
fn plain_batch_transfer_with_default_buffers() {
    let n = 5_000;
    let config = UdpConfig {
        recv_buffer: 212_992,
        send_buffer: 212_992,
        ..UdpConfig::NO_OFFLOAD
    };
    // 64 x 1400 B in flight stays inside a default receive buffer.
    let out = transfer(config, 64, n);
    assert_eq!((out.sink.received, out.sink.bad), (n, 0));
    assert_eq!(out.sink_stats.receive_buffer_drops, 0);
}
