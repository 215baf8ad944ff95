//! The tracing bridge, observed through a real `tracing-subscriber` writing into a buffer.

use hark::events::{
    ConnectionId, EventHub, ListenFailure, PeerDataIn, PeerHandshakeComplete, Protocol, Severity,
};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("capture lock")).into_owned()
    }
}

fn peer() -> SocketAddr {
    "203.0.113.5:6881".parse().expect("literal")
}

#[test]
fn events_reach_tracing_at_the_matching_level() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .without_time()
        .finish();

    tracing::subscriber::with_default(subscriber, || {
        let mut hub = EventHub::builder().forward_to_tracing().build();
        let _ = hub.emit(
            PeerDataIn {
                peer: peer(),
                length: 42,
            },
            Some(ConnectionId(7)),
        );
        let _ = hub.emit(PeerHandshakeComplete { peer: peer() }, None);
        let _ = hub.emit(
            ListenFailure {
                protocol: Protocol::Tcp6,
                ip: "::1".parse().expect("literal"),
                tried: vec![6881, 6882],
                error: io::ErrorKind::AddrInUse,
            },
            None,
        );
        let warning = hark::events::Event::new(PeerHandshakeComplete { peer: peer() }, None)
            .with_severity(Severity::Warning);
        let _ = hub.emit_event(warning);
        hub.dispatch();
    });

    let text = capture.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "captured:\n{text}");
    assert!(lines[0].starts_with("DEBUG hark::events:"), "{}", lines[0]);
    assert!(lines[0].contains("Received 42 bytes from peer 203.0.113.5:6881."));
    assert!(lines[0].contains("event=\"peer_data_in\""), "{}", lines[0]);
    assert!(lines[0].contains("connection=7"), "{}", lines[0]);
    assert!(lines[1].starts_with(" INFO hark::events:"), "{}", lines[1]);
    assert!(lines[1].contains("event=\"peer_handshake_complete\""));
    assert!(lines[2].starts_with("ERROR hark::events:"), "{}", lines[2]);
    assert!(lines[2].contains("severity=\"fatal\""), "{}", lines[2]);
    assert!(
        lines[2].contains("ports tried (6881, 6882)"),
        "{}",
        lines[2]
    );
    assert!(lines[3].starts_with(" WARN hark::events:"), "{}", lines[3]);
}

#[test]
fn the_subscriber_level_limits_what_is_recorded() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let mut hub = EventHub::new();
        hub.forward_to_tracing();
        let _ = hub.emit(
            PeerDataIn {
                peer: peer(),
                length: 1,
            },
            None,
        );
        let _ = hub.emit(PeerHandshakeComplete { peer: peer() }, None);
        hub.dispatch();
    });
    let text = capture.text();
    assert_eq!(text.lines().count(), 1, "captured:\n{text}");
    assert!(text.contains("peer_handshake_complete"));
}
