//! Connecting to a closed port fails at once from the kernel's ICMP port-unreachable
//! report (libutp's `utp_process_icmp_error`), in both ways to run, instead of
//! `UTP_ETIMEDOUT` after the SYN retries (15 s by default). Each test asserts the
//! ICMP-derived error, which a timeout could not produce.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hark::utp::{Callbacks, ConnectionError, Unreachable, UtpContext, UtpErrorCode, UtpReactor};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// Longer than the default connect timeout, so a timeout shows as the wrong error.
const WAIT: Duration = Duration::from_secs(30);

/// A loopback port nobody listens on.
fn closed_port() -> SocketAddr {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

type Failure = (UtpErrorCode, Option<ConnectionError>);

/// Callbacks that report each failure with the core's reason.
fn reporting(tx: mpsc::Sender<Failure>) -> Callbacks {
    Callbacks::new().on_error(move |cx, socket, code| {
        let _ = tx.send((code, cx.connection_error(socket)));
    })
}

#[test]
fn reactor_mode_fails_a_connect_to_a_closed_port_with_port_unreachable() {
    let (tx, rx) = mpsc::channel();
    let client = UtpReactor::bind_range(
        UtpContext::builder().callbacks(reporting(tx)),
        LOCALHOST,
        [0],
    )
    .unwrap();
    client.remote().connect(closed_port()).unwrap();
    let failure = rx.recv_timeout(WAIT).expect("the connection fails");
    assert_eq!(
        failure,
        (
            UtpErrorCode::ConnRefused,
            Some(ConnectionError::Unreachable(Unreachable::Port))
        )
    );
    // The reactor goes on serving after the error-queue read and the failed send.
    client.remote().connect(closed_port()).unwrap();
    let failure = rx.recv_timeout(WAIT).expect("the second connection fails");
    assert_eq!(
        failure.1,
        Some(ConnectionError::Unreachable(Unreachable::Port))
    );
    let context = client.stop().unwrap();
    assert_eq!(context.socket_count(), 0);
}

#[test]
fn application_socket_mode_fails_a_connect_to_a_closed_port_with_port_unreachable() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    hark::utp::enable_icmp_errors(&socket).unwrap();
    let sender = socket.try_clone().unwrap();
    let (tx, rx) = mpsc::channel();
    let mut context = UtpContext::builder()
        .callbacks(reporting(tx).sendto(move |_socket, data, to, _flags| {
            let _ = sender.send_to(data, to);
        }))
        .build()
        .unwrap();
    context.connect(closed_port()).unwrap();

    // The application's loop: a receive failing with ConnectionRefused is the cue to read
    // the ICMP reports.
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let deadline = Instant::now() + WAIT;
    let mut buf = [0u8; 2048];
    let mut reports = 0;
    let failure = loop {
        if let Ok(failure) = rx.try_recv() {
            break failure;
        }
        assert!(Instant::now() < deadline, "no failure reported");
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                context.process_udp(&buf[..n], from);
            }
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                reports += context.process_icmp_errors(&socket).unwrap();
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("recv: {e}"),
        }
        context.issue_deferred_acks();
        context.check_timeouts();
    };
    assert_eq!(reports, 1, "one report ended the connection");
    assert_eq!(
        failure,
        (
            UtpErrorCode::ConnRefused,
            Some(ConnectionError::Unreachable(Unreachable::Port))
        )
    );
    assert_eq!(context.socket_count(), 0);
}

#[test]
fn libutps_process_icmp_error_fails_the_attempt_it_quotes() {
    let (tx, rx) = mpsc::channel();
    let syns = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&syns);
    let mut context = UtpContext::builder()
        .callbacks(reporting(tx).sendto(move |_socket, data, to, _flags| {
            seen.lock().unwrap().push((data.to_vec(), to));
        }))
        .build()
        .unwrap();
    let peer = closed_port();
    context.connect(peer).unwrap();
    let (syn, to) = syns.lock().unwrap()[0].clone();
    assert_eq!(to, peer);
    assert!(
        !context.process_icmp_error(&syn, closed_port()),
        "another destination"
    );
    assert!(context.process_icmp_error(&syn, to));
    assert_eq!(
        rx.try_recv().unwrap(),
        (
            UtpErrorCode::ConnRefused,
            Some(ConnectionError::Unreachable(Unreachable::Port))
        )
    );
}
