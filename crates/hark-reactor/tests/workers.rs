//! The worker pool on a real reactor: results reach their owners on the reactor thread,
//! none is lost under a flood, a panicking job is an error, and the pool stops with the
//! reactor.

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use hark_reactor::tcp::{TcpConn, TcpNotify};
use hark_reactor::udp::{BatchSocket, UdpConfig};
use hark_reactor::workers::{
    Deliver, JobError, JobResult, SubmitError, Submitter, WorkerConfig, WorkerPool,
};
use hark_reactor::{DatagramEndpoint, Reactor, ReactorConfig, Transmit};

const DEADLINE: Duration = Duration::from_secs(20);

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

fn on_reactor_thread() -> bool {
    thread::current().name() == Some("hark-reactor")
}

#[test]
fn results_reach_their_owner_on_the_reactor_thread() {
    let reactor = Reactor::spawn(ReactorConfig::default()).unwrap();
    let pool = WorkerPool::new(reactor.handle(), WorkerConfig::with_threads(3)).unwrap();
    let (tx, rx) = mpsc::channel();
    let owners: Vec<Submitter<(usize, String)>> = (0..2)
        .map(|owner| {
            let tx = tx.clone();
            pool.submitter(
                move |_: &mut Reactor, _: Instant, result: JobResult<(usize, String)>| {
                    let (from, worker) = result.unwrap();
                    tx.send((owner, from, worker, on_reactor_thread())).unwrap();
                },
            )
        })
        .collect();
    for round in 0..50 {
        let owner = round % 2;
        owners[owner]
            .submit(move || {
                let name = thread::current().name().unwrap_or("").to_owned();
                (owner, name)
            })
            .unwrap();
    }
    for _ in 0..50 {
        let (owner, from, worker, reactor_thread) = rx.recv_timeout(DEADLINE).unwrap();
        assert_eq!(owner, from, "a result reached another owner");
        assert!(worker.starts_with("hark-worker-"), "ran on {worker:?}");
        assert!(reactor_thread, "delivered off the reactor thread");
    }
    assert!(rx.try_recv().is_err());
    assert_eq!(pool.completed(), 50);
    wait_until("no job in flight", || pool.in_flight() == 0);
}

/// A datagram core that counts the results handed to it.
#[derive(Default)]
struct Counter {
    seen: Vec<u64>,
}

impl DatagramEndpoint for Counter {
    fn handle_datagram(&mut self, _now: Instant, _from: SocketAddr, _data: &[u8]) {}
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_transmit(&mut self, _now: Instant, _buf: &mut [u8]) -> Option<Transmit> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

/// Submits `total` jobs, keeping each refused one and retrying it from `room`: the
/// owner a facade on the reactor thread would be.
struct Flooder {
    submitter: Arc<Mutex<Option<Submitter<u64>>>>,
    socket: hark_reactor::SocketId,
    next: u64,
    total: u64,
    rooms: Arc<AtomicUsize>,
    max_seen: Arc<AtomicUsize>,
    delivered: Arc<AtomicUsize>,
}

impl Flooder {
    fn pump(&mut self) {
        let guard = self.submitter.lock().unwrap();
        let submitter = guard.as_ref().unwrap();
        while self.next < self.total {
            let n = self.next;
            match submitter.submit(move || n) {
                Ok(()) => self.next += 1,
                Err(SubmitError::Full(_)) => return,
                Err(SubmitError::Stopped(_)) => panic!("stopped"),
                Err(_) => unreachable!(),
            }
            self.max_seen
                .fetch_max(submitter.pool().in_flight(), Ordering::SeqCst);
        }
    }
}

impl Deliver<u64> for Flooder {
    fn delivered(&mut self, reactor: &mut Reactor, _now: Instant, result: JobResult<u64>) {
        reactor
            .endpoint_mut::<Counter>(self.socket)
            .unwrap()
            .seen
            .push(result.unwrap());
        self.delivered.fetch_add(1, Ordering::SeqCst);
        self.pump();
    }

    fn room(&mut self, _reactor: &mut Reactor, _now: Instant) {
        self.rooms.fetch_add(1, Ordering::SeqCst);
        self.pump();
    }
}

#[test]
fn a_flood_loses_nothing_and_stays_bounded() {
    let mut reactor = Reactor::new(ReactorConfig::default()).unwrap();
    let socket = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), &UdpConfig::DEFAULT).unwrap();
    let socket = reactor.add_socket(socket, Counter::default()).unwrap();
    let config = WorkerConfig {
        threads: 2,
        queue_capacity: 4,
        ..WorkerConfig::default()
    };
    let pool = WorkerPool::new(&reactor.handle(), config).unwrap();
    let max = pool.max_in_flight();
    assert_eq!(max, 6);
    let (rooms, max_seen) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let slot = Arc::new(Mutex::new(None));
    let own_delivered = Arc::new(AtomicUsize::new(0));
    let total = 20_000;
    let submitter = pool.submitter(Flooder {
        submitter: Arc::clone(&slot),
        socket,
        next: 0,
        total,
        rooms: Arc::clone(&rooms),
        max_seen: Arc::clone(&max_seen),
        delivered: Arc::clone(&own_delivered),
    });
    *slot.lock().unwrap() = Some(submitter.clone());

    // Other threads flood the same pool through their own owners, spinning on `Full`.
    let delivered = Arc::new(AtomicUsize::new(0));
    let reactor = reactor.into_thread().unwrap();
    // Two seeds, while the pool is empty; the rest of the reactor owner's jobs follow
    // from its deliveries and from `room`.
    for n in 0..2u64 {
        submitter.submit(move || u64::MAX - n).unwrap();
    }
    let flooders: Vec<_> = (0..3)
        .map(|_| {
            let delivered = Arc::clone(&delivered);
            let owner = pool.submitter(move |_: &mut Reactor, _: Instant, r: JobResult<u32>| {
                r.unwrap();
                delivered.fetch_add(1, Ordering::SeqCst);
            });
            thread::spawn(move || {
                let mut refused = 0u64;
                for n in 0..5_000u32 {
                    let mut job = move || n;
                    loop {
                        match owner.submit(job) {
                            Ok(()) => break,
                            Err(SubmitError::Full(back)) => {
                                refused += 1;
                                job = back;
                                thread::yield_now();
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
                refused
            })
        })
        .collect();
    let refused: u64 = flooders.into_iter().map(|t| t.join().unwrap()).sum();
    wait_until("every flooder result", || {
        delivered.load(Ordering::SeqCst) == 15_000
    });
    wait_until("every reactor-owner result", || {
        own_delivered.load(Ordering::SeqCst) == total as usize + 2
    });
    wait_until("nothing in flight", || pool.in_flight() == 0);
    let reactor = reactor.shutdown().unwrap();
    let counter = reactor.endpoint::<Counter>(socket).unwrap();
    let mut seen = counter.seen.clone();
    seen.sort_unstable();
    let mut expected: Vec<u64> = (0..total).chain([u64::MAX - 1, u64::MAX]).collect();
    expected.sort_unstable();
    assert_eq!(
        seen.len(),
        expected.len(),
        "a result was lost or duplicated"
    );
    assert!(seen == expected, "a result was lost or duplicated");
    assert!(max_seen.load(Ordering::SeqCst) <= max);
    assert!(refused > 0, "the flood never filled the pool");
    assert!(
        rooms.load(Ordering::SeqCst) > 0,
        "the reactor owner was never refused, so `room` was not exercised"
    );
    assert_eq!(pool.completed(), 15_000 + total + 2);
    drop(slot.lock().unwrap().take());
}

#[test]
fn a_panicking_job_is_an_error_and_the_pool_lives_on() {
    let reactor = Reactor::spawn(ReactorConfig::default()).unwrap();
    let pool = WorkerPool::new(reactor.handle(), WorkerConfig::with_threads(1)).unwrap();
    let (tx, rx) = mpsc::channel();
    let owner = pool.submitter(move |_: &mut Reactor, _: Instant, r: JobResult<u8>| {
        tx.send(r).unwrap();
    });
    owner.submit(|| panic!("disk on fire")).unwrap();
    owner.submit(|| 7).unwrap();
    assert_eq!(
        rx.recv_timeout(DEADLINE).unwrap(),
        Err(JobError::Panicked {
            message: "disk on fire".into()
        })
    );
    assert_eq!(rx.recv_timeout(DEADLINE).unwrap(), Ok(7));
    assert_eq!(pool.panicked(), 1);
    assert_eq!(pool.live_threads(), 1);
}

#[test]
fn the_pool_stops_with_the_reactor() {
    let reactor = Reactor::spawn(ReactorConfig::default()).unwrap();
    let pool = WorkerPool::new(reactor.handle(), WorkerConfig::with_threads(4)).unwrap();
    let owner = pool.submitter(|_: &mut Reactor, _: Instant, _: JobResult<()>| {});
    assert_eq!(pool.live_threads(), 4);
    let (release_tx, release_rx) = mpsc::channel::<()>();
    // One job is running when the reactor stops: it finishes, then its thread exits.
    owner
        .submit(move || {
            let _ = release_rx.recv_timeout(DEADLINE);
        })
        .unwrap();
    let _ = reactor.shutdown().unwrap();
    wait_until("three idle threads to exit", || pool.live_threads() <= 1);
    assert!(matches!(owner.submit(|| ()), Err(SubmitError::Stopped(_))));
    release_tx.send(()).unwrap();
    wait_until("every thread to exit", || pool.live_threads() == 0);
    assert!(pool.is_stopped());
}

#[test]
fn a_dropped_reactor_stops_the_pool_and_shutdown_joins() {
    let reactor = Reactor::new(ReactorConfig::default()).unwrap();
    let pool = WorkerPool::new(&reactor.handle(), WorkerConfig::with_threads(2)).unwrap();
    drop(reactor);
    wait_until("the threads to exit", || pool.live_threads() == 0);

    let reactor = Reactor::spawn(ReactorConfig::default()).unwrap();
    let pool = WorkerPool::new(reactor.handle(), WorkerConfig::with_threads(2)).unwrap();
    pool.shutdown();
    assert_eq!(pool.live_threads(), 0);
    let owner = pool.submitter(|_: &mut Reactor, _: Instant, _: JobResult<()>| {});
    assert!(matches!(owner.submit(|| ()), Err(SubmitError::Stopped(_))));
}

/// A notifier whose `woken` writes what a worker computed (the stream-core pattern).
struct Waked {
    inbox: Arc<Mutex<Vec<u8>>>,
    connected: mpsc::Sender<()>,
}

impl TcpNotify for Waked {
    fn connected(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.connected.send(());
    }

    fn woken(&mut self, conn: &mut TcpConn<'_>) {
        let data = std::mem::take(&mut *self.inbox.lock().unwrap());
        let _ = conn.write(&data);
    }
}

#[test]
fn an_owner_drives_a_tcp_notifier_through_wake_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let reactor = Reactor::spawn(ReactorConfig::default()).unwrap();
    let inbox = Arc::new(Mutex::new(Vec::new()));
    let (connected, is_connected) = mpsc::channel();
    let conn = reactor
        .handle()
        .connect_addrs(
            vec![listener.local_addr().unwrap()],
            Waked {
                inbox: Arc::clone(&inbox),
                connected,
            },
        )
        .unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    is_connected.recv_timeout(DEADLINE).unwrap();
    let pool = WorkerPool::new(reactor.handle(), WorkerConfig::with_threads(1)).unwrap();
    let id = conn.id();
    let owner = pool.submitter(
        move |reactor: &mut Reactor, _: Instant, r: JobResult<Vec<u8>>| {
            inbox.lock().unwrap().extend(r.unwrap());
            assert!(reactor.wake_connection(id));
        },
    );
    owner.submit(|| b"hashed!".to_vec()).unwrap();
    let mut got = [0u8; 7];
    peer.set_read_timeout(Some(DEADLINE)).unwrap();
    peer.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hashed!");
}

#[test]
fn a_reactor_driven_by_hand_delivers_inside_turn() {
    let mut reactor = Reactor::new(ReactorConfig::default()).unwrap();
    let pool = WorkerPool::new(&reactor.handle(), WorkerConfig::with_threads(2)).unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&got);
    let me = thread::current().id();
    let owner = pool.submitter(move |_: &mut Reactor, _: Instant, r: JobResult<u32>| {
        assert_eq!(
            thread::current().id(),
            me,
            "delivered off the thread running turn()"
        );
        sink.lock().unwrap().push(r.unwrap());
    });
    for n in 0..100 {
        owner.submit(move || n).unwrap();
    }
    let start = Instant::now();
    while got.lock().unwrap().len() < 100 {
        assert!(start.elapsed() < DEADLINE, "undelivered");
        // Sleeps until a worker's wake-up: no busy loop needed.
        reactor.turn(Some(DEADLINE)).unwrap();
    }
    let mut got = got.lock().unwrap().clone();
    got.sort_unstable();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
}
