//! Idle connections cost nothing: 1,000 idle TCP connections and 1,000 idle uTP
//! connections on one reactor, and the loop does not wake up while they stay idle (it
//! sleeps until the next real timer; the uTP keepalive is 29 s away).

use crate::util::{PATIENCE, expect_msg};
use hark::tcp::{Reactor, ReactorConfig, ReactorHandle, TcpListener, TcpNotify};
use hark::utp::{Callbacks, UtpContext, UtpReactor};
use hark_reactor::ReactorStats;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 1000;
const WINDOW: Duration = Duration::from_secs(3);

/// The loop's counters, read on its thread (which costs it one wakeup).
fn stats(handle: &ReactorHandle) -> ReactorStats {
    let (tx, rx) = mpsc::channel();
    handle
        .with_reactor(move |reactor, _now| {
            let _ = tx.send(reactor.stats());
        })
        .unwrap();
    expect_msg(&rx, "the reactor's stats")
}

/// Waits until `count` reaches `target`.
fn wait_for(count: &AtomicUsize, target: usize, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while count.load(Ordering::SeqCst) < target {
        assert!(
            Instant::now() < deadline,
            "{what}: {} of {target}",
            count.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_thousand_idle_tcp_and_a_thousand_idle_utp_connections_cost_no_wakeups() {
    let reactor = Reactor::spawn(ReactorConfig::default()).unwrap();
    let handle = reactor.handle().clone();

    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let listener = TcpListener::bind(&handle, "127.0.0.1:0".parse().unwrap(), move |_peer| {
        counter.fetch_add(1, Ordering::SeqCst);
        let quiet = |_: &mut hark::tcp::TcpConn<'_>, _: &[u8], _: usize| true;
        Some(Box::new(quiet) as Box<dyn TcpNotify>)
    })
    .unwrap();
    let streams: Vec<std::net::TcpStream> = (0..CONNECTIONS)
        .map(|_| std::net::TcpStream::connect(listener.local_addr()).unwrap())
        .collect();
    wait_for(&accepted, CONNECTIONS, "TCP connections accepted");

    let utp_accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&utp_accepted);
    let server = UtpReactor::bind_on(
        &handle,
        UtpContext::builder().callbacks(
            Callbacks::new()
                .on_accept(|_cx, _socket, _addr| {})
                // A connection is complete on the accepting side once data arrives (until
                // then it counts as half-open, and half-open ones are bounded).
                .on_read(move |_cx, _socket, data| {
                    counter.fetch_add(data.len(), Ordering::SeqCst);
                }),
        ),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    // The clients live on a reactor of their own: only the server side is measured.
    let hello = Callbacks::new().on_connect(|cx, socket| {
        cx.write(socket, b"x");
    });
    let clients = UtpReactor::bind(
        UtpContext::builder().callbacks(hello),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let remote = clients.remote();
    let to: SocketAddr = server.local_addr();
    for batch in 0..CONNECTIONS / 25 {
        for _ in 0..25 {
            remote.connect(to).unwrap();
        }
        wait_for(
            &utp_accepted,
            (batch + 1) * 25,
            "uTP connections with their first byte",
        );
    }

    // Let the handshakes' last acknowledgements and delayed ACKs settle.
    std::thread::sleep(Duration::from_millis(500));
    let before = stats(&handle);
    std::thread::sleep(WINDOW);
    let after = stats(&handle);
    let turns = after.turns - before.turns;
    println!(
        "idle: {CONNECTIONS} TCP + {CONNECTIONS} uTP connections, {turns} turns and {} timers in {WINDOW:?}",
        after.timers_fired - before.timers_fired
    );
    // One turn is the first stats command itself (the second is counted after it).
    assert!(
        turns <= 2,
        "the idle loop woke {turns} times in {WINDOW:?}: {before:?} -> {after:?}"
    );
    drop(streams);
    drop(clients);
    drop(server);
}
