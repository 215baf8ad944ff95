//! The sender learns that every byte it wrote arrived (`Event::FinAcked`, and
//! `ConnectionInfo::unacknowledged_packets`) well before `Destroying`, which waits out
//! `ConnectionConfig::linger` after both FINs were acknowledged.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hark_proto::utp::{ConnectionHandle, DatagramOutcome, Endpoint, EndpointConfig, Event};

const DELAY: Duration = Duration::from_millis(5);

/// Two endpoints and the datagrams between them, on a virtual clock.
struct Wire {
    a: Endpoint,
    b: Endpoint,
    a_addr: SocketAddr,
    b_addr: SocketAddr,
    now: Instant,
    /// (arrival, to b?, bytes), in sending order: one fixed delay keeps it sorted.
    flying: std::collections::VecDeque<(Instant, bool, Vec<u8>)>,
}

impl Wire {
    fn flush(&mut self) {
        let mut buf = vec![0u8; 2048];
        while let Some(t) = self.a.poll_transmit(self.now, &mut buf) {
            assert_eq!(t.destination, self.b_addr);
            let bytes = buf[..t.len].to_vec();
            self.flying.push_back((self.now + DELAY, true, bytes));
        }
        while let Some(t) = self.b.poll_transmit(self.now, &mut buf) {
            assert_eq!(t.destination, self.a_addr);
            let bytes = buf[..t.len].to_vec();
            self.flying.push_back((self.now + DELAY, false, bytes));
        }
    }

    /// Jumps to the next arrival or timer and handles it; false when nothing is left.
    fn step(&mut self) -> Option<Option<DatagramOutcome>> {
        self.flush();
        let next = [
            self.flying.front().map(|f| f.0),
            self.a.poll_timeout(),
            self.b.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()?;
        self.now = self.now.max(next);
        let mut outcome = None;
        if self.flying.front().is_some_and(|f| f.0 <= self.now) {
            let (_, to_b, bytes) = self.flying.pop_front().unwrap();
            if to_b {
                outcome = Some(self.b.handle_datagram(self.now, self.a_addr, &bytes));
                self.b.issue_deferred_acks(self.now);
            } else {
                let _ = self.a.handle_datagram(self.now, self.b_addr, &bytes);
                self.a.issue_deferred_acks(self.now);
            }
        }
        self.a.handle_timeout(self.now);
        self.b.handle_timeout(self.now);
        Some(outcome)
    }
}

#[test]
fn fin_acked_reports_delivery_and_destroying_waits_for_the_linger() {
    let t0 = Instant::now();
    let config = EndpointConfig::default();
    let linger = config.connection.linger;
    assert_eq!(linger, Duration::from_secs(2), "the documented default");
    let mut wire = Wire {
        a: Endpoint::with_seed(config.clone(), t0, 1),
        b: Endpoint::with_seed(config, t0, 2),
        a_addr: "10.0.0.1:1".parse().unwrap(),
        b_addr: "10.0.0.2:2".parse().unwrap(),
        now: t0,
        flying: Default::default(),
    };
    let data = vec![7u8; 200_000];
    let a_conn = wire.a.connect(t0, wire.b_addr).unwrap();
    let mut b_conn: Option<ConnectionHandle> = None;
    let (mut written, mut received, mut closed_b) = (0, 0, false);
    let (mut fin_acked_at, mut destroyed_at) = (None, None);
    let mut buf = vec![0u8; 65_536];
    while destroyed_at.is_none() {
        let outcome = wire.step().expect("the connection ends before going idle");
        if let Some(DatagramOutcome::Incoming(incoming)) = outcome {
            b_conn = Some(wire.b.accept(wire.now, incoming).unwrap());
        }
        while let Some((_, event)) = wire.a.poll_event() {
            match event {
                Event::FinAcked => {
                    let info = wire.a.connection_info(a_conn).unwrap();
                    assert_eq!(info.unacknowledged_packets, 0);
                    assert!(info.fin_acked);
                    fin_acked_at = Some(wire.now);
                }
                Event::Destroying => destroyed_at = Some(wire.now),
                Event::Error(e) => panic!("sender failed: {e}"),
                _ => {}
            }
        }
        if written < data.len()
            && wire
                .a
                .state(a_conn)
                .is_some_and(|s| s != hark_proto::utp::ConnectionState::SynSent)
        {
            written += wire.a.write(a_conn, &data[written..]).unwrap();
            let info = wire.a.connection_info(a_conn).unwrap();
            assert!(
                info.unacknowledged_packets > 0,
                "written bytes await their ACK"
            );
            assert!(!info.fin_acked);
            if written == data.len() {
                wire.a.close(a_conn).unwrap();
            }
        }
        while let Some((_, event)) = wire.b.poll_event() {
            if event == Event::Eof && !closed_b {
                closed_b = true;
                wire.b.close(b_conn.unwrap()).unwrap();
            }
        }
        if let Some(conn) = b_conn.filter(|_| !closed_b || received < data.len()) {
            while let Ok(n @ 1..) = wire.b.read(conn, &mut buf) {
                received += n;
            }
        }
    }
    assert_eq!(received, data.len());
    let fin_acked_at = fin_acked_at.expect("FinAcked before Destroying");
    let destroyed_at = destroyed_at.unwrap();
    assert!(
        destroyed_at - fin_acked_at >= linger,
        "Destroying came {:?} after FinAcked; the linger is {linger:?}",
        destroyed_at - fin_acked_at
    );
}
