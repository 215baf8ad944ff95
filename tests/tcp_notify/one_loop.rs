//! TCP notifier connections and a UDP datagram endpoint served by one loop on one thread
//! (`TcpReactor::run_beside`): readiness on either side, the UDP endpoint's timer, and
//! commands from other threads to either side all reach it.

use crate::util::{PATIENCE, expect_msg};
use hark_reactor::tcp::{TcpConfig, TcpConn, TcpNotify, TcpReactor};
use hark_reactor::udp::{BatchSocket, UdpConfig};
use hark_reactor::{DatagramEndpoint, Reactor, ReactorConfig, Transmit};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc::{self, Sender};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

/// Echoes datagrams; `"timer"` also arms a 50 ms timer that sends `"tick"`.
struct UdpEcho {
    threads: Sender<ThreadId>,
    out: VecDeque<(SocketAddr, Vec<u8>)>,
    timer: Option<(Instant, SocketAddr)>,
    received: usize,
}

impl DatagramEndpoint for UdpEcho {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        let _ = self.threads.send(thread::current().id());
        self.received += 1;
        if data == b"timer" {
            self.timer = Some((now + Duration::from_millis(50), from));
        }
        self.out.push_back((from, data.to_vec()));
    }
    fn handle_timeout(&mut self, now: Instant) {
        if let Some((at, to)) = self.timer {
            if now >= at {
                self.timer = None;
                self.out.push_back((to, b"tick".to_vec()));
            }
        }
    }
    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let (destination, data) = self.out.pop_front()?;
        buf.get_mut(..data.len())?.copy_from_slice(&data);
        Some(Transmit {
            destination,
            len: data.len(),
            dont_fragment: false,
        })
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.timer.map(|(at, _)| at)
    }
}

/// Echoes TCP bytes, reporting the thread it runs on.
struct TcpEcho {
    threads: Sender<ThreadId>,
}

impl TcpNotify for TcpEcho {
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        let _ = self.threads.send(thread::current().id());
        conn.write(data).is_ok()
    }
}

fn recv_datagram(socket: &UdpSocket) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let (len, _) = socket.recv_from(&mut buf).expect("a datagram in time");
    buf[..len].to_vec()
}

#[test]
fn tcp_connections_and_a_udp_endpoint_share_one_loop_thread() {
    let (udp_threads, udp_thread) = mpsc::channel();
    let (tcp_threads, tcp_thread) = mpsc::channel();
    let (loop_threads, loop_thread) = mpsc::channel();

    let mut udp = Reactor::new(ReactorConfig::default()).unwrap();
    let socket = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), &UdpConfig::DEFAULT).unwrap();
    let udp_addr = socket.local_addr();
    let endpoint = UdpEcho {
        threads: udp_threads,
        out: VecDeque::new(),
        timer: None,
        received: 0,
    };
    let socket_id = udp.add_socket(socket, endpoint).unwrap();
    let udp_handle = udp.handle();

    let tcp = TcpReactor::new(TcpConfig::default()).unwrap();
    let tcp_handle = tcp.handle();
    let listener = tcp_handle
        .listen(
            "127.0.0.1:0".parse().unwrap(),
            move |_peer| {
                let echo = TcpEcho {
                    threads: tcp_threads.clone(),
                };
                Some(Box::new(echo) as Box<dyn TcpNotify>)
            },
            None,
        )
        .unwrap();

    let joined = thread::spawn(move || {
        let _ = loop_threads.send(thread::current().id());
        tcp.run_beside(&mut udp).map(|()| udp)
    });
    let loop_id = expect_msg(&loop_thread, "the loop thread's id");

    // UDP readiness.
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    client.send_to(b"ping", udp_addr).unwrap();
    assert_eq!(recv_datagram(&client), b"ping");
    assert_eq!(
        expect_msg(&udp_thread, "the UDP endpoint's thread"),
        loop_id
    );

    // TCP readiness, on the same thread.
    let mut stream = std::net::TcpStream::connect(listener.local_addr()).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(b"hello").unwrap();
    let mut back = [0u8; 5];
    stream.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"hello");
    assert_eq!(
        expect_msg(&tcp_thread, "the TCP notifier's thread"),
        loop_id
    );

    // The UDP endpoint's timer wakes the shared loop while nothing else happens.
    let armed = Instant::now();
    client.send_to(b"timer", udp_addr).unwrap();
    assert_eq!(recv_datagram(&client), b"timer");
    assert_eq!(recv_datagram(&client), b"tick");
    assert!(armed.elapsed() >= Duration::from_millis(50));

    // A command from another thread reaches the UDP endpoint through the shared wait.
    let to = client.local_addr().unwrap();
    udp_handle
        .with_endpoint(socket_id, move |endpoint, _now| {
            endpoint.out.push_back((to, b"from a handle".to_vec()));
        })
        .unwrap();
    assert_eq!(recv_datagram(&client), b"from a handle");

    // Stopping the UDP side stops the shared loop; TCP connections are hard-closed.
    udp_handle.shutdown();
    let udp = joined
        .join()
        .unwrap()
        .expect("the shared loop ends cleanly");
    assert_eq!(udp.endpoint(socket_id).map(|e| e.received), Some(2));
    let mut rest = Vec::new();
    let ended = stream.read_to_end(&mut rest);
    assert!(
        matches!(ended, Ok(0)) || ended.is_err(),
        "the TCP connection ends with the loop: {ended:?}"
    );
}

#[test]
fn a_tcp_shutdown_ends_the_shared_loop_and_the_udp_reactor_runs_on_alone() {
    let (udp_threads, _udp_thread) = mpsc::channel();
    let mut udp = Reactor::new(ReactorConfig::default()).unwrap();
    let socket = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), &UdpConfig::DEFAULT).unwrap();
    let udp_addr = socket.local_addr();
    let endpoint = UdpEcho {
        threads: udp_threads,
        out: VecDeque::new(),
        timer: None,
        received: 0,
    };
    udp.add_socket(socket, endpoint).unwrap();
    let udp_handle = udp.handle();
    let tcp = TcpReactor::new(TcpConfig::default()).unwrap();
    let tcp_handle = tcp.handle();

    let (ended_tx, ended) = mpsc::channel();
    let joined = thread::spawn(move || {
        let shared = tcp.run_beside(&mut udp);
        let _ = ended_tx.send(());
        // The UDP reactor is untouched by the TCP side's end: it runs on by itself.
        shared.map(|()| udp.run())
    });
    tcp_handle.shutdown().unwrap();
    expect_msg(&ended, "the shared loop's end");
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    client.send_to(b"still here", udp_addr).unwrap();
    assert_eq!(recv_datagram(&client), b"still here");
    udp_handle.shutdown();
    let alone = joined
        .join()
        .unwrap()
        .expect("the shared loop ends cleanly");
    alone.expect("the UDP reactor ends cleanly");
}
