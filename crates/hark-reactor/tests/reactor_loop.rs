//! The reactor driving real endpoints on loopback sockets, commanded from other threads.

use std::collections::VecDeque;
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use hark_reactor::udp::{BatchSocket, UdpConfig};
use hark_reactor::{CommandError, DatagramEndpoint, Reactor, ReactorConfig, SocketId, Transmit};

/// Echoes every datagram back to its sender and sends what commands ask it to.
#[derive(Default)]
struct Echo {
    pending: VecDeque<(SocketAddr, Vec<u8>)>,
    received: u64,
    batches: u64,
    counter: u64,
}

impl Echo {
    fn send(&mut self, to: SocketAddr, data: &[u8]) {
        self.pending.push_back((to, data.to_vec()));
    }
}

impl DatagramEndpoint for Echo {
    fn handle_datagram(&mut self, _now: Instant, from: SocketAddr, data: &[u8]) {
        self.received += 1;
        self.pending.push_back((from, data.to_vec()));
    }

    fn flush_deferred(&mut self, _now: Instant) {
        self.batches += 1;
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let (to, data) = self.pending.pop_front()?;
        buf.get_mut(..data.len())?.copy_from_slice(&data);
        Some(Transmit {
            destination: to,
            len: data.len(),
            dont_fragment: false,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

fn client() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    socket
}

fn echo_reactor(config: ReactorConfig) -> (Reactor, SocketId, SocketAddr) {
    let mut reactor = Reactor::new(config).unwrap();
    let socket = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), &UdpConfig::DEFAULT).unwrap();
    let addr = socket.local_addr();
    let id = reactor.add_socket(socket, Echo::default()).unwrap();
    (reactor, id, addr)
}

/// Runs the reactor on its own thread; the join yields it back after shutdown.
fn spawn(mut reactor: Reactor) -> thread::JoinHandle<Reactor> {
    thread::spawn(move || {
        reactor.run().unwrap();
        reactor
    })
}

#[test]
fn echoes_many_datagrams_exactly() {
    let (reactor, id, addr) = echo_reactor(ReactorConfig::default());
    let handle = reactor.handle();
    let thread = spawn(reactor);
    let client = client();
    let mut buf = [0u8; 2048];
    for round in 0..20u32 {
        // Bursts of 50 so the batch path sees several datagrams per wakeup.
        for i in 0..50u32 {
            let seq = round * 50 + i;
            let len = 100 + (seq as usize * 37) % 1300;
            let mut data = vec![(seq % 251) as u8; len];
            data[..4].copy_from_slice(&seq.to_be_bytes());
            client.send_to(&data, addr).unwrap();
        }
        for i in 0..50u32 {
            let seq = round * 50 + i;
            let (n, from) = client.recv_from(&mut buf).unwrap();
            assert_eq!(from, addr);
            let len = 100 + (seq as usize * 37) % 1300;
            assert_eq!(n, len, "length of echo {seq}");
            assert_eq!(&buf[..4], &seq.to_be_bytes());
            assert!(buf[4..n].iter().all(|&b| b == (seq % 251) as u8));
        }
    }
    handle.shutdown();
    let reactor = thread.join().unwrap();
    let echo = reactor.endpoint::<Echo>(id).unwrap();
    assert_eq!(echo.received, 1000);
    assert!(
        echo.batches >= 1 && echo.batches <= 1000,
        "flush_deferred once per batch"
    );
    let stats = reactor.socket_stats(id).unwrap();
    assert_eq!((stats.socket.sent, stats.received), (1000, 1000));
    assert_eq!(stats.receive_buffer_drops, 0);
}

#[test]
fn commands_from_other_threads_queue_writes() {
    let (reactor, id, _) = echo_reactor(ReactorConfig::default());
    let handle = reactor.handle();
    let thread = spawn(reactor);
    let client = client();
    let to = client.local_addr().unwrap();
    let writers: Vec<_> = (0..4u8)
        .map(|t| {
            let handle = handle.clone();
            thread::spawn(move || {
                for i in 0..25u8 {
                    let data = [t, i];
                    while let Err(e) =
                        handle.with_endpoint(id, move |echo: &mut Echo, _| echo.send(to, &data))
                    {
                        assert_eq!(e, CommandError::Full);
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 16];
    for _ in 0..100 {
        let (n, _) = client.recv_from(&mut buf).unwrap();
        got.push(buf[..n].to_vec());
    }
    for t in 0..4u8 {
        let order: Vec<u8> = got.iter().filter(|d| d[0] == t).map(|d| d[1]).collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "writer {t}'s datagrams stay in order"
        );
    }
    got.sort();
    let expected: Vec<Vec<u8>> = (0..4u8)
        .flat_map(|t| (0..25u8).map(move |i| vec![t, i]))
        .collect();
    assert_eq!(got, expected);
    handle.shutdown();
    thread.join().unwrap();
}

#[test]
fn commands_from_several_threads_all_run_once() {
    let (reactor, id, _) = echo_reactor(ReactorConfig {
        command_capacity: 8,
        ..ReactorConfig::default()
    });
    let handle = reactor.handle();
    let thread = spawn(reactor);
    let mut full_seen = 0u64;
    let senders: Vec<_> = (0..4)
        .map(|_| {
            let handle = handle.clone();
            thread::spawn(move || {
                let mut full = 0u64;
                for _ in 0..500 {
                    loop {
                        match handle.with_endpoint(id, |echo: &mut Echo, _| echo.counter += 1) {
                            Ok(()) => break,
                            Err(CommandError::Full) => {
                                full += 1;
                                thread::yield_now();
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
                full
            })
        })
        .collect();
    for s in senders {
        full_seen += s.join().unwrap();
    }
    // Commands run in order: this one sees every increment queued before it.
    let (tx, rx) = mpsc::channel();
    loop {
        let tx = tx.clone();
        match handle.with_endpoint(id, move |echo: &mut Echo, _| tx.send(echo.counter).unwrap()) {
            Ok(()) => break,
            Err(CommandError::Full) => thread::yield_now(),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(2000));
    handle.shutdown();
    let reactor = thread.join().unwrap();
    assert_eq!(reactor.endpoint::<Echo>(id).unwrap().counter, 2000);
    eprintln!("senders saw a full queue {full_seen} times");
}

#[test]
fn full_command_queue_is_reported_not_blocking() {
    let (mut reactor, id, _) = echo_reactor(ReactorConfig {
        command_capacity: 4,
        ..ReactorConfig::default()
    });
    let handle = reactor.handle();
    for _ in 0..4 {
        handle
            .with_endpoint(id, |echo: &mut Echo, _| echo.counter += 1)
            .unwrap();
    }
    assert_eq!(
        handle.with_endpoint(id, |echo: &mut Echo, _| echo.counter += 1),
        Err(CommandError::Full)
    );
    assert_eq!(handle.with_reactor(|_, _| {}), Err(CommandError::Full));
    reactor.turn(Some(Duration::from_secs(1))).unwrap();
    assert_eq!(reactor.endpoint::<Echo>(id).unwrap().counter, 4);
    handle
        .with_endpoint(id, |echo: &mut Echo, _| echo.counter += 10)
        .unwrap();
    reactor.turn(Some(Duration::from_secs(1))).unwrap();
    assert_eq!(reactor.endpoint::<Echo>(id).unwrap().counter, 14);

    handle.shutdown();
    assert_eq!(handle.with_reactor(|_, _| {}), Err(CommandError::Stopped));
    reactor.run().unwrap();
    drop(reactor);
    assert_eq!(handle.with_reactor(|_, _| {}), Err(CommandError::Stopped));
}

#[test]
fn shutdown_stops_a_sleeping_reactor_promptly() {
    let (reactor, _, _) = echo_reactor(ReactorConfig::default());
    let handle = reactor.handle();
    let (done_tx, done_rx) = mpsc::channel();
    let thread = thread::spawn(move || {
        let mut reactor = reactor;
        let result = reactor.run();
        done_tx.send(()).unwrap();
        result
    });
    thread::sleep(Duration::from_millis(50));
    assert!(done_rx.try_recv().is_err(), "still running before shutdown");
    let other = handle.clone();
    thread::spawn(move || other.shutdown()).join().unwrap();
    done_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("run returns after shutdown");
    thread.join().unwrap().unwrap();
    assert!(handle.is_stopped());
}

#[test]
fn sockets_can_be_added_from_another_thread() {
    let reactor = Reactor::new(ReactorConfig::default()).unwrap();
    let handle = reactor.handle();
    let thread = spawn(reactor);
    let (tx, rx) = mpsc::channel();
    handle
        .with_reactor(move |reactor, _| {
            let socket =
                BatchSocket::bind("[::1]:0".parse().unwrap(), &UdpConfig::DEFAULT).unwrap();
            let addr = socket.local_addr();
            let id = reactor.add_socket(socket, Echo::default()).unwrap();
            assert!(matches!(
                reactor.run(),
                Err(hark_reactor::ReactorError::AlreadyRunning)
            ));
            tx.send((id, addr)).unwrap();
        })
        .unwrap();
    let (id, addr) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    let client = UdpSocket::bind("[::1]:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    client.send_to(b"over ipv6", addr).unwrap();
    let mut buf = [0u8; 64];
    let (n, from) = client.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"over ipv6"[..], addr));
    handle.shutdown();
    let mut reactor = thread.join().unwrap();
    let (socket, echo) = reactor.remove_socket::<Echo>(id).unwrap();
    assert_eq!(echo.received, 1);
    assert_eq!(socket.local_addr(), addr);
    assert!(reactor.endpoint::<Echo>(id).is_none());
}

/// Fires at a list of deadlines and reports each firing as a datagram.
struct Ticker {
    deadlines: VecDeque<Instant>,
    fired: Vec<(Instant, Instant)>,
    report_to: SocketAddr,
    unsent: VecDeque<u8>,
}

impl DatagramEndpoint for Ticker {
    fn handle_datagram(&mut self, _: Instant, _: SocketAddr, _: &[u8]) {}

    fn handle_timeout(&mut self, now: Instant) {
        while let Some(&at) = self.deadlines.front() {
            if at > now {
                break;
            }
            self.deadlines.pop_front();
            self.fired.push((at, now));
            self.unsent.push_back(self.fired.len() as u8);
        }
    }

    fn poll_transmit(&mut self, _: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let tick = self.unsent.pop_front()?;
        *buf.first_mut()? = tick;
        Some(Transmit {
            destination: self.report_to,
            len: 1,
            dont_fragment: false,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.front().copied()
    }
}

#[test]
fn timers_fire_at_poll_timeout_never_early() {
    let client = client();
    let start = Instant::now();
    let offsets = [5u64, 20, 20, 45, 80];
    let ticker = Ticker {
        deadlines: offsets
            .iter()
            .map(|ms| start + Duration::from_millis(*ms))
            .collect(),
        fired: Vec::new(),
        report_to: client.local_addr().unwrap(),
        unsent: VecDeque::new(),
    };
    let mut reactor = Reactor::new(ReactorConfig::default()).unwrap();
    let socket = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), &UdpConfig::DEFAULT).unwrap();
    let id = reactor.add_socket(socket, ticker).unwrap();
    let handle = reactor.handle();
    let thread = spawn(reactor);
    let mut buf = [0u8; 4];
    let mut ticks = Vec::new();
    for _ in 0..offsets.len() {
        let (n, _) = client.recv_from(&mut buf).unwrap();
        assert_eq!(n, 1);
        ticks.push(buf[0]);
    }
    assert!(ticks.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(ticks.last(), Some(&(offsets.len() as u8)));
    handle.shutdown();
    let reactor = thread.join().unwrap();
    let ticker = reactor.endpoint::<Ticker>(id).unwrap();
    assert_eq!(ticker.fired.len(), offsets.len());
    for (deadline, fired_at) in &ticker.fired {
        assert!(fired_at >= deadline, "a timer fired early");
    }
    assert!(ticker.deadlines.is_empty());
}

#[test]
fn a_vanished_sender_does_not_stop_the_loop() {
    // A datagram whose sender is gone still gets its echo sent (UDP gives no error on
    // an unconnected socket), and the loop keeps going.
    let (reactor, id, addr) = echo_reactor(ReactorConfig::default());
    let handle = reactor.handle();
    let thread = spawn(reactor);
    {
        let gone = UdpSocket::bind("127.0.0.1:0").unwrap();
        gone.send_to(b"x", addr).unwrap();
    }
    let client = client();
    client.send_to(b"still here", addr).unwrap();
    let mut buf = [0u8; 32];
    let (n, _) = client.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"still here");
    handle.shutdown();
    let reactor = thread.join().unwrap();
    assert_eq!(reactor.endpoint::<Echo>(id).unwrap().received, 2);
}

#[test]
fn reactor_is_send_and_handle_is_send_sync() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<Reactor>();
    send::<hark_reactor::ReactorHandle>();
    sync::<hark_reactor::ReactorHandle>();
}

#[test]
fn ids_of_removed_sockets_are_not_reused() {
    let (mut reactor, old, _) = echo_reactor(ReactorConfig::default());
    let handle = reactor.handle();
    reactor.remove_socket::<Echo>(old).unwrap();
    let socket = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), &UdpConfig::DEFAULT).unwrap();
    let new = reactor.add_socket(socket, Echo::default()).unwrap();
    assert_eq!(new.index(), old.index(), "the slot is reused");
    assert_ne!(new, old);
    assert!(reactor.endpoint::<Echo>(old).is_none());
    assert!(reactor.remove_socket::<Echo>(old).is_none());
    handle
        .with_endpoint(old, |echo: &mut Echo, _| echo.counter += 1)
        .unwrap();
    handle
        .with_endpoint(new, |echo: &mut Echo, _| echo.counter += 10)
        .unwrap();
    reactor.turn(Some(Duration::from_secs(1))).unwrap();
    assert_eq!(
        reactor.endpoint::<Echo>(new).unwrap().counter,
        10,
        "only the new id's command ran"
    );
}
