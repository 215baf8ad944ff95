//! Host tests. The development machine has no kernel SCTP, so the socket tests check the
//! typed [`SctpError::Unsupported`]; where SCTP exists they check the socket works instead.
//! The full behaviour is tested in a real kernel by `cargo xtask sctp-vm`.

use super::*;

#[test]
fn socket_without_kernel_sctp_is_unsupported() {
    for (domain, style) in [
        (Domain::Ipv4, SocketStyle::OneToMany),
        (Domain::Ipv4, SocketStyle::OneToOne),
        (Domain::Ipv6, SocketStyle::OneToMany),
    ] {
        match SctpSocket::new(domain, style) {
            Err(SctpError::Unsupported { operation, errno }) => {
                assert_eq!(operation, "socket");
                // Linux without sctp.ko: no SOCK_SEQPACKET entry for inet at all
                // (ESOCKTNOSUPPORT); SOCK_STREAM exists but only for TCP (EPROTONOSUPPORT).
                let expected = match style {
                    SocketStyle::OneToMany => libc::ESOCKTNOSUPPORT,
                    SocketStyle::OneToOne => libc::EPROTONOSUPPORT,
                };
                assert_eq!(errno, expected, "{domain:?} {style:?}");
                let err = SctpSocket::new(domain, style).unwrap_err();
                assert!(err.to_string().contains("kernel SCTP is not available"));
                let io: std::io::Error = err.into();
                assert_eq!(io.kind(), std::io::ErrorKind::Unsupported);
            }
            Err(other) => panic!("{domain:?} {style:?}: expected Unsupported, got {other}"),
            Ok(socket) => {
                // A kernel with SCTP: the socket must then really work.
                assert_eq!(socket.style(), style);
                let any: std::net::SocketAddr = match domain {
                    Domain::Ipv4 => "127.0.0.1:0".parse().unwrap(),
                    Domain::Ipv6 => "[::1]:0".parse().unwrap(),
                };
                socket.bindx(&[any]).unwrap();
                assert_ne!(socket.local_addr().unwrap().port(), 0);
            }
        }
    }
}

#[test]
fn errno_classification() {
    let unsupported = SctpError::from_io(
        "SCTP_ADD_STREAMS",
        std::io::Error::from_raw_os_error(libc::ENOPROTOOPT),
    );
    assert!(matches!(
        unsupported,
        SctpError::Unsupported { operation: "SCTP_ADD_STREAMS", errno } if errno == libc::ENOPROTOOPT
    ));
    let again = SctpError::from_io("recvmsg", std::io::Error::from_raw_os_error(libc::EAGAIN));
    assert!(again.is_would_block());
    let progress = SctpError::from_io(
        "sctp_connectx",
        std::io::Error::from_raw_os_error(libc::EINPROGRESS),
    );
    assert!(progress.is_in_progress() && !progress.is_would_block());
}

/// The loop's `open` gives the same typed error as the socket where SCTP is missing.
#[test]
fn reactor_open_without_kernel_sctp_is_unsupported() {
    struct Nothing;
    impl SctpDriver for Nothing {
        fn handle_received(&mut self, _now: std::time::Instant, _received: &Received) {}
        fn handle_loop_event(&mut self, _now: std::time::Instant, _event: SctpLoopEvent) {}
        fn poll_send(&mut self) -> Option<Outgoing> {
            None
        }
    }
    let mut reactor = crate::Reactor::new(crate::ReactorConfig::default()).unwrap();
    let mut open = SctpOpen::new(Domain::Ipv6, SocketStyle::OneToOne);
    open.connect = vec!["[::1]:9".parse().unwrap()];
    match reactor.sctp_open(&open, Nothing) {
        Err(SctpError::Unsupported { operation, errno }) => {
            assert_eq!((operation, errno), ("socket", libc::EPROTONOSUPPORT));
        }
        Err(other) => panic!("expected Unsupported, got {other}"),
        // A kernel with SCTP: nothing listens on port 9, but the socket is on the loop.
        Ok((id, _)) => assert!(reactor.sctp_socket(id).is_some()),
    }
}
