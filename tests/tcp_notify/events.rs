//! Every notifier call is emitted into the event hub with its severity.

use crate::util::expect_msg;
use hark::events::{EventHub, Severity};
use hark::tcp::{
    HubListenNotify, HubNotify, TcpConfig, TcpConn, TcpConnection, TcpListener, TcpNotify,
    TcpReactor,
};
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
    let server = TcpReactor::spawn(TcpConfig::default()).unwrap();
    let listen = HubListenNotify::new(server_hub.clone(), |_peer| {
        Some(Box::new(Echo) as Box<dyn TcpNotify>)
    });
    let listener =
        TcpListener::bind(server.handle(), "127.0.0.1:0".parse().unwrap(), listen).unwrap();

    let client = TcpReactor::spawn(TcpConfig::default()).unwrap();
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
    assert_eq!(server_events.first(), Some(&("tcp_listening", Info)));
    assert_eq!(server_events.get(1), Some(&("tcp_accepted", Info)));
    assert!(server_events.contains(&("tcp_received", Debug)));
    assert!(server_events.contains(&("tcp_sent", Debug)));
    assert!(server_events.contains(&("tcp_closed", Info)));
    assert_eq!(server_events.last(), Some(&("tcp_listener_closed", Info)));
}
