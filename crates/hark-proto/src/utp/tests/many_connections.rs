//! Thousands of connections on one endpoint: the timer heap wakes exactly the connections
//! that are due, in deadline order (and, in debug builds, `poll_timeout` checks the heap
//! against a scan of every connection on each call).

use std::net::SocketAddr;
use std::time::Duration;

use super::harness::Harness;
use crate::utp::{ConnectionState, EndpointConfig};

const CONNECTIONS: usize = 3000;
/// Between two connects: all of them fit in the first retry's backoff (2 s), so the first
/// retries all come before the second ones.
const SPACING: Duration = Duration::from_micros(500);

fn remote(i: usize) -> SocketAddr {
    SocketAddr::from(([10, 1, (i / 250) as u8, (i % 250) as u8 + 1], 6881))
}

/// Drains the endpoint's output; returns where each datagram went.
fn destinations(h: &mut Harness, buf: &mut [u8]) -> Vec<SocketAddr> {
    std::iter::from_fn(|| h.ep.poll_transmit(h.now, buf))
        .map(|t| t.destination)
        .collect()
}

#[test]
fn each_timeout_wakes_only_the_connection_that_is_due() {
    let config = EndpointConfig {
        max_connections: CONNECTIONS,
        ..EndpointConfig::default()
    };
    let rto = config.connection.initial_rto;
    let mut h = Harness::new(config, &[]);
    let mut buf = vec![0u8; 2048];
    let t0 = h.now;
    // SYNs to distinct peers that never answer.
    for i in 0..CONNECTIONS {
        h.ep.connect(h.now, remote(i)).unwrap();
        assert_eq!(destinations(&mut h, &mut buf), [remote(i)]);
        h.now += SPACING;
    }
    assert_eq!(h.ep.poll_timeout(), Some(t0 + rto));
    // A spurious wakeup before the first deadline does nothing.
    h.ep.handle_timeout(t0 + rto - Duration::from_micros(1));
    assert_eq!(destinations(&mut h, &mut buf), []);
    // Every SYN retry comes due in creation order, each alone.
    for i in 0..CONNECTIONS {
        let at = h.ep.poll_timeout().unwrap();
        assert_eq!(at, t0 + rto + SPACING * i as u32, "connection {i}");
        h.now = at;
        h.ep.handle_timeout(h.now);
        assert_eq!(
            destinations(&mut h, &mut buf),
            [remote(i)],
            "connection {i}"
        );
    }
    // Then the second retries (backed off to twice the RTO), again in order.
    let at = h.ep.poll_timeout().unwrap();
    assert_eq!(at, t0 + rto + 2 * rto);
    assert_eq!(h.ep.connection_count(), CONNECTIONS);
    assert!(
        (0..CONNECTIONS)
            .all(|i| h.ep.state(crate::utp::ConnectionHandle(i)) == Some(ConnectionState::SynSent))
    );
}

#[test]
fn connections_that_fail_leave_no_timer_behind() {
    let config = EndpointConfig {
        max_connections: 500,
        ..EndpointConfig::default()
    };
    let mut h = Harness::new(config, &[]);
    let mut buf = vec![0u8; 2048];
    for i in 0..500 {
        h.ep.connect(h.now, remote(i)).unwrap();
        h.now += Duration::from_millis(3);
    }
    destinations(&mut h, &mut buf);
    // Run every timer until the SYN retries run out and each connection times out.
    let mut wakeups = 0;
    while let Some(at) = h.ep.poll_timeout() {
        h.now = h.now.max(at);
        h.ep.handle_timeout(h.now);
        destinations(&mut h, &mut buf);
        while h.ep.poll_event().is_some() {}
        wakeups += 1;
        assert!(wakeups < 100_000, "timers never ran out");
    }
    assert_eq!(h.ep.connection_count(), 0);
}
