//! Every notifier call is emitted into the event hub with its severity.

use crate::util::expect_msg;
use hark::events::{Direction, EventKind};
use hark::events::{EventHub, Severity};
use hark::ipfilter::IpFilter;
use hark::tcp::{
    FilteringResolver, HubListenNotify, HubNotify, Reactor, TcpConfig, TcpConn, TcpConnection,
    TcpListener, TcpNotify,
};
use std::io::Read;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};

struct Echo;

impl TcpNotify for Echo {
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        conn.write(data).is_ok()
    }
}

struct OneShot(Sender<()>);

impl TcpNotify for OneShot {
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        conn.write(b"ping").unwrap();
    }
    fn received(&mut self, conn: &mut TcpConn<'_>, _data: &[u8], _times: usize) -> bool {
        conn.close();
        true
    }
    fn closed(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.0.send(());
    }
}

fn names_and_severities(hub: &Mutex<EventHub>) -> Vec<(&'static str, Severity)> {
    let mut hub = hub.lock().unwrap();
    std::iter::from_fn(|| hub.poll_event())
        .map(|event| (event.name(), event.severity))
        .collect()
}

#[test]
fn notifier_calls_become_hub_events_with_their_severity() {
    let server_hub = Arc::new(Mutex::new(
        EventHub::builder().min_severity(Severity::Debug).build(),
    ));
    let client_hub = Arc::new(Mutex::new(
        EventHub::builder().min_severity(Severity::Debug).build(),
    ));
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let listen = HubListenNotify::new(server_hub.clone(), |_peer| {
        Some(Box::new(Echo) as Box<dyn TcpNotify>)
    });
    let listener =
        TcpListener::bind(server.handle(), "127.0.0.1:0".parse().unwrap(), listen).unwrap();

    let client = Reactor::spawn(TcpConfig::default()).unwrap();
    let (closed_tx, closed) = mpsc::channel();
    let notify = HubNotify::new(client_hub.clone(), OneShot(closed_tx));
    let port = listener.local_addr().port().to_string();
    TcpConnection::connect(client.handle(), "127.0.0.1", &port, notify).unwrap();
    expect_msg(&closed, "the client's closed");
    listener.close().unwrap();
    drop(server);

    use Severity::{Debug, Info};
    assert_eq!(
        names_and_severities(&client_hub),
        [
            ("tcp_proxy_via", Debug),
            ("tcp_connecting", Debug),
            ("tcp_connected", Info),
            ("tcp_sent", Debug),
            ("tcp_received", Debug),
            ("tcp_closed", Info),
        ]
    );
    let server_events = names_and_severities(&server_hub);
    assert_eq!(server_events.first(), Some(&("listen_success", Debug)));
    assert_eq!(server_events.get(1), Some(&("tcp_listening", Info)));
    assert_eq!(server_events.get(2), Some(&("tcp_accepted", Info)));
    assert!(server_events.contains(&("tcp_received", Debug)));
    assert!(server_events.contains(&("tcp_sent", Debug)));
    assert!(server_events.contains(&("tcp_closed", Info)));
    assert_eq!(server_events.last(), Some(&("tcp_listener_closed", Info)));
}

/// A hub whose IP filter blocks 127.0.0.1 (an eMule rule of level 0).
fn hub_blocking_localhost() -> Arc<Mutex<EventHub>> {
    let filter = IpFilter::from_emule(b"127.0.0.1 - 127.0.0.1 , 000 , loopback blocked\n").unwrap();
    Arc::new(Mutex::new(
        EventHub::builder()
            .min_severity(Severity::Debug)
            .ip_filter(Arc::new(filter))
            .build(),
    ))
}

/// The `ip_filter` events in `hub`, as (address, direction).
fn ip_filter_events(hub: &Mutex<EventHub>) -> Vec<(std::net::SocketAddr, Direction)> {
    let mut hub = hub.lock().unwrap();
    std::iter::from_fn(|| hub.poll_event())
        .filter_map(|event| match event.kind {
            EventKind::IpFiltered(f) => Some((f.address, f.direction)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_blocked_peer_is_refused_by_the_listener_and_raises_ip_filter() {
    let hub = hub_blocking_localhost();
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let (reached_tx, reached) = mpsc::channel();
    let listen = HubListenNotify::new(hub.clone(), move |_peer| {
        let _ = reached_tx.send(());
        Some(Box::new(Echo) as Box<dyn TcpNotify>)
    });
    let listener =
        TcpListener::bind(server.handle(), "127.0.0.1:0".parse().unwrap(), listen).unwrap();

    let mut client = std::net::TcpStream::connect(listener.local_addr()).unwrap();
    client
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let local = client.local_addr().unwrap();
    // The listener closes the refused connection: end of stream or a reset, never data.
    let mut buf = [0u8; 16];
    assert!(matches!(client.read(&mut buf), Ok(0) | Err(_)));
    assert!(
        reached.try_recv().is_err(),
        "the application saw a blocked peer"
    );
    assert_eq!(ip_filter_events(&hub), [(local, Direction::Incoming)]);
}

#[test]
fn an_outgoing_attempt_to_a_blocked_address_fails_and_raises_ip_filter() {
    let hub = hub_blocking_localhost();
    let resolver = FilteringResolver::new(hub.clone(), hark::tcp::StdResolver);
    let client = Reactor::with_resolver(TcpConfig::default(), resolver)
        .and_then(Reactor::into_thread)
        .unwrap();
    let (failed_tx, failed) = mpsc::channel();
    struct Failed(Sender<()>);
    impl TcpNotify for Failed {
        fn connect_failed(&mut self, _conn: &mut TcpConn<'_>) {
            let _ = self.0.send(());
        }
    }
    // Nothing needs to listen: the filter stops the attempt before any SYN is sent.
    TcpConnection::connect(client.handle(), "127.0.0.1", "9", Failed(failed_tx)).unwrap();
    expect_msg(&failed, "connect_failed");
    let target: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    assert_eq!(ip_filter_events(&hub), [(target, Direction::Outgoing)]);
}
