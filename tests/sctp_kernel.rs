//! Kernel SCTP on loopback. Built only with the `kernel-sctp` feature and run inside a real
//! Linux kernel by `cargo xtask sctp-vm` (the development and CI machines have no SCTP).

#[path = "sctp_kernel/on_loop.rs"]
mod on_loop;
#[path = "sctp_kernel/peer.rs"]
mod peer;
#[path = "sctp_kernel/raw.rs"]
mod raw;

use hark_proto::sctp::{AssocEvent, AssocState, CloseReason};
use hark_reactor::sctp::{
    Domain, SCTP_ABORT, SCTP_ENABLE_CHANGE_ASSOC_REQ, SCTP_ENABLE_RESET_ASSOC_REQ,
    SCTP_ENABLE_RESET_STREAM_REQ, SCTP_EOF, SCTP_FUTURE_ASSOC, SCTP_STREAM_RESET_OUTGOING,
    SctpSocket, SocketStyle,
};
use hark_wire::sctp::{InitMsg, PeerAddrState, SndInfo, SockAddr};
use peer::{LINUX_KINDS, Peer, io};
use std::io;
use std::mem::{size_of, zeroed};
use std::net::SocketAddr;
use std::time::Duration;

fn check(ret: libc::c_int, what: &str) -> io::Result<libc::c_int> {
    if ret < 0 {
        let err = io::Error::last_os_error();
        return Err(io::Error::new(err.kind(), format!("{what}: {err}")));
    }
    Ok(ret)
}

fn loopback(port: u16) -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain old data; all-zero is a valid value.
    let mut addr: libc::sockaddr_in = unsafe { zeroed() };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    addr.sin_port = port.to_be();
    addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
    addr
}

/// One-to-one (SOCK_STREAM) SCTP sockets: listen, connect, accept, and a message each way.
#[test]
fn one_to_one_association_carries_a_message() -> io::Result<()> {
    // SAFETY: plain socket(2) calls; every descriptor is closed at the end.
    unsafe {
        let server = check(
            libc::socket(libc::AF_INET, libc::SOCK_STREAM, libc::IPPROTO_SCTP),
            "socket (is sctp.ko loaded?)",
        )?;
        let addr = loopback(0);
        check(
            libc::bind(
                server,
                (&raw const addr).cast(),
                size_of::<libc::sockaddr_in>() as u32,
            ),
            "bind",
        )?;
        check(libc::listen(server, 4), "listen")?;
        let mut bound = loopback(0);
        let mut len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
        check(
            libc::getsockname(server, (&raw mut bound).cast(), &mut len),
            "getsockname",
        )?;

        let client = check(
            libc::socket(libc::AF_INET, libc::SOCK_STREAM, libc::IPPROTO_SCTP),
            "socket",
        )?;
        check(
            libc::connect(
                client,
                (&raw const bound).cast(),
                size_of::<libc::sockaddr_in>() as u32,
            ),
            "connect",
        )?;
        let accepted = check(
            libc::accept(server, std::ptr::null_mut(), std::ptr::null_mut()),
            "accept",
        )?;

        let message = b"hello over kernel SCTP";
        check(
            libc::send(client, message.as_ptr().cast(), message.len(), 0) as i32,
            "send",
        )?;
        let mut buf = [0u8; 64];
        let n = check(
            libc::recv(accepted, buf.as_mut_ptr().cast(), buf.len(), 0) as i32,
            "recv",
        )?;
        assert_eq!(&buf[..n as usize], message);

        for fd in [accepted, client, server] {
            libc::close(fd);
        }
    }
    Ok(())
}

fn v4(addr: &str) -> SocketAddr {
    addr.parse().expect("a literal address")
}

/// A subscribed socket of `style`, bound to `addrs` (port 0 = any).
fn socket(style: SocketStyle, addrs: &[SocketAddr]) -> io::Result<SctpSocket> {
    let sock = SctpSocket::new(Domain::Ipv4, style).map_err(io)?;
    sock.set_initmsg(&InitMsg {
        sinit_num_ostreams: 4,
        sinit_max_instreams: 4,
        sinit_max_attempts: 2,
        sinit_max_init_timeo: 1000,
    })
    .map_err(io)?;
    sock.subscribe_all(SCTP_FUTURE_ASSOC, LINUX_KINDS)
        .map_err(io)?;
    sock.bindx(addrs).map_err(io)?;
    Ok(sock)
}

fn sndinfo(assoc_id: u32, sid: u16, ppid: u32, flags: u16) -> SndInfo {
    SndInfo {
        snd_sid: sid,
        snd_flags: flags,
        snd_ppid: ppid,
        snd_context: 0xC0FFEE,
        snd_assoc_id: assoc_id,
    }
}

fn up(peer: &Peer) -> Option<u32> {
    peer.events.iter().find_map(|e| match e {
        AssocEvent::Up { assoc_id, .. } => Some(*assoc_id),
        _ => None,
    })
}

fn closed_with(peer: &Peer, want: AssocState) -> bool {
    peer.events
        .iter()
        .any(|e| matches!(e, AssocEvent::Closed { state, .. } if *state == want))
}

/// A one-to-many pair: server listening, client connected with sctp_connectx.
fn one_to_many_pair() -> io::Result<(Peer, Peer, u32)> {
    let server = socket(SocketStyle::OneToMany, &[v4("127.0.0.1:0")])?;
    server.listen(8).map_err(io)?;
    let addr = server.local_addr().map_err(io)?;
    let client = socket(SocketStyle::OneToMany, &[v4("127.0.0.1:0")])?;
    let assoc_id = client.connectx(&[addr]).map_err(io)?;
    Ok((
        Peer::new("server", server)?,
        Peer::new("client", client)?,
        assoc_id,
    ))
}

/// One-to-many: COMM_UP on both sides, data with its rcvinfo, sender dry, then a graceful
/// shutdown with SCTP_EOF: SHUTDOWN_EVENT at the server, SHUTDOWN_COMP on both sides.
#[test]
fn one_to_many_up_data_dry_and_graceful_shutdown() -> io::Result<()> {
    let (mut server, mut client, assoc_id) = one_to_many_pair()?;
    client.wait_for("COMM_UP", |p| up(p) == Some(assoc_id))?;
    let sent = client
        .sock
        .sendv(b"over SCTP", None, &sndinfo(assoc_id, 2, 42, 0), None)
        .map_err(io)?;
    assert_eq!(sent, 9);
    server.wait_for("data", |p| !p.data.is_empty())?;
    let server_assoc = up(&server).expect("server COMM_UP before data");
    let data = &server.data[0];
    assert_eq!(data.data, b"over SCTP");
    assert!(data.is_eor());
    let info = data.rcvinfo.expect("SCTP_RCVINFO");
    assert_eq!(
        (info.rcv_sid, info.rcv_ppid, info.rcv_assoc_id),
        (2, 42, server_assoc)
    );
    assert_eq!(data.from, Some(client.sock.local_addr().map_err(io)?));
    client.wait_for("SENDER_DRY", |p| {
        p.events.contains(&AssocEvent::SenderDry { assoc_id })
    })?;

    client
        .sock
        .sendv(b"", None, &sndinfo(assoc_id, 0, 0, SCTP_EOF), None)
        .map_err(io)?;
    server.wait_for("SHUTDOWN_EVENT + SHUTDOWN_COMP", |p| {
        p.events.contains(&AssocEvent::ShuttingDown {
            assoc_id: server_assoc,
        }) && closed_with(p, AssocState::ShutDown)
    })?;
    client.wait_for("SHUTDOWN_COMP", |p| closed_with(p, AssocState::ShutDown))?;
    assert_eq!(
        client.tracker.association(assoc_id).unwrap().state,
        AssocState::ShutDown
    );
    client.report("graceful");
    server.report("graceful");
    Ok(())
}

/// One-to-one: listen/accept, data both ways, the server side shuts down with shutdown(2).
#[test]
fn one_to_one_up_data_and_shutdown_from_the_server() -> io::Result<()> {
    let listener = socket(SocketStyle::OneToOne, &[v4("127.0.0.1:0")])?;
    listener.listen(4).map_err(io)?;
    let addr = listener.local_addr().map_err(io)?;
    let client = socket(SocketStyle::OneToOne, &[v4("127.0.0.1:0")])?;
    client.connectx(&[addr]).map_err(io)?;
    let (accepted, from) = listener.accept().map_err(io)?;
    assert_eq!(from, Some(client.local_addr().map_err(io)?));
    let mut server = Peer::new("server", accepted)?;
    let mut client = Peer::new("client", client)?;
    server.wait_for("COMM_UP", |p| up(p).is_some())?;
    client.wait_for("COMM_UP", |p| up(p).is_some())?;
    server
        .sock
        .sendv(b"from the server", None, &sndinfo(0, 1, 7, 0), None)
        .map_err(io)?;
    client.wait_for("data", |p| !p.data.is_empty())?;
    assert_eq!(client.data[0].data, b"from the server");
    assert_eq!(
        client.data[0].rcvinfo.map(|i| (i.rcv_sid, i.rcv_ppid)),
        Some((1, 7))
    );

    server
        .sock
        .shutdown(std::net::Shutdown::Write)
        .map_err(io)?;
    client.wait_for("SHUTDOWN_EVENT", |p| {
        p.events
            .iter()
            .any(|e| matches!(e, AssocEvent::ShuttingDown { .. }))
    })?;
    client
        .sock
        .shutdown(std::net::Shutdown::Write)
        .map_err(io)?;
    server.wait_for("SHUTDOWN_COMP", |p| closed_with(p, AssocState::ShutDown))?;
    client.wait_for("SHUTDOWN_COMP", |p| closed_with(p, AssocState::ShutDown))?;
    client.report("one-to-one");
    server.report("one-to-one");
    Ok(())
}

/// SCTP_ABORT from the client: the server sees COMM_LOST carrying the user's abort reason.
#[test]
fn local_abort_is_comm_lost_at_the_peer() -> io::Result<()> {
    let (mut server, mut client, assoc_id) = one_to_many_pair()?;
    server.wait_for("COMM_UP", |p| up(p).is_some())?;
    client
        .sock
        .sendv(b"bye now", None, &sndinfo(assoc_id, 0, 0, SCTP_ABORT), None)
        .map_err(io)?;
    server.wait_for("COMM_LOST", |p| closed_with(p, AssocState::Lost))?;
    let server_assoc = up(&server).unwrap_or_default();
    match &server
        .tracker
        .association(server_assoc)
        .unwrap()
        .close_reason
    {
        Some(CloseReason::Lost { info, .. }) => assert!(
            info.windows(7).any(|w| w == b"bye now"),
            "the ABORT's user cause carries the reason: {info:?}"
        ),
        other => panic!("expected Lost, got {other:?}"),
    }
    client.wait_for("local COMM_LOST", |p| closed_with(p, AssocState::Lost))?;
    client.report("abort");
    server.report("abort");
    Ok(())
}

/// SCTP_ADAPTATION_LAYER on the server reaches the client as ADAPTATION_INDICATION.
#[test]
fn adaptation_layer_indication() -> io::Result<()> {
    let server = socket(SocketStyle::OneToMany, &[v4("127.0.0.1:0")])?;
    server.set_adaptation_layer(0xA1B2_C3D4).map_err(io)?;
    server.listen(8).map_err(io)?;
    let addr = server.local_addr().map_err(io)?;
    let client = socket(SocketStyle::OneToMany, &[v4("127.0.0.1:0")])?;
    let assoc_id = client.connectx(&[addr]).map_err(io)?;
    let mut client = Peer::new("client", client)?;
    client.wait_for("ADAPTATION_INDICATION", |p| {
        p.events.contains(&AssocEvent::Adaptation {
            assoc_id,
            indication: 0xA1B2_C3D4,
        })
    })?;
    assert_eq!(
        client
            .tracker
            .association(assoc_id)
            .unwrap()
            .adaptation_indication,
        Some(0xA1B2_C3D4)
    );
    client.report("adaptation");
    Ok(())
}

/// Reads of 8 bytes: notifications come back whole (assembled to MSG_EOR), user data in
/// pieces with MSG_EOR only on the last.
#[test]
fn notification_larger_than_one_read_is_reassembled() -> io::Result<()> {
    let (mut server, mut client, assoc_id) = one_to_many_pair()?;
    server.read_size = 8;
    client.wait_for("COMM_UP", |p| up(p).is_some())?;
    let message: Vec<u8> = (0..100u8).collect();
    client
        .sock
        .sendv(&message, None, &sndinfo(assoc_id, 0, 1, 0), None)
        .map_err(io)?;
    server.wait_for("all data", |p| p.data.iter().any(|d| d.is_eor()))?;
    assert!(up(&server).is_some(), "COMM_UP parsed from 8-byte pieces");
    let joined: Vec<u8> = server.data.iter().flat_map(|d| d.data.clone()).collect();
    assert_eq!(joined, message);
    assert_eq!(server.data.len(), 13);
    assert!(
        server.data[..12]
            .iter()
            .all(|d| !d.is_eor() && d.data.len() == 8)
    );
    server.report("small-reads");
    Ok(())
}

/// RFC 6525 reconfiguration: SCTP_RESET_STREAMS gives STREAM_RESET_EVENT on both sides,
/// SCTP_ADD_STREAMS gives STREAM_CHANGE_EVENT with the new counts.
#[test]
fn stream_reset_and_stream_change() -> io::Result<()> {
    let server = socket(SocketStyle::OneToMany, &[v4("127.0.0.1:0")])?;
    let client = socket(SocketStyle::OneToMany, &[v4("127.0.0.1:0")])?;
    for sock in [&server, &client] {
        sock.enable_stream_reset(
            SCTP_FUTURE_ASSOC,
            SCTP_ENABLE_RESET_STREAM_REQ
                | SCTP_ENABLE_RESET_ASSOC_REQ
                | SCTP_ENABLE_CHANGE_ASSOC_REQ,
        )
        .map_err(io)?;
    }
    server.listen(8).map_err(io)?;
    let addr = server.local_addr().map_err(io)?;
    let assoc_id = client.connectx(&[addr]).map_err(io)?;
    let mut server = Peer::new("server", server)?;
    let mut client = Peer::new("client", client)?;
    client.wait_for("COMM_UP", |p| up(p).is_some())?;
    server.wait_for("COMM_UP", |p| up(p).is_some())?;
    let before = client
        .tracker
        .association(assoc_id)
        .unwrap()
        .outbound_streams;

    client
        .sock
        .reset_streams(assoc_id, SCTP_STREAM_RESET_OUTGOING, &[1, 2])
        .map_err(io)?;
    let reset = |p: &Peer| {
        p.events
            .iter()
            .any(|e| matches!(e, AssocEvent::StreamsReset { streams, .. } if streams == &[1, 2]))
    };
    client.wait_for("STREAM_RESET_EVENT", reset)?;
    server.wait_for("STREAM_RESET_EVENT", reset)?;

    client.sock.add_streams(assoc_id, 0, 2).map_err(io)?;
    client.wait_for("STREAM_CHANGE_EVENT", |p| {
        p.events
            .iter()
            .any(|e| matches!(e, AssocEvent::StreamsChanged { .. }))
    })?;
    let after = client
        .tracker
        .association(assoc_id)
        .unwrap()
        .outbound_streams;
    assert_eq!(after, before + 2);
    server.wait_for("STREAM_CHANGE_EVENT", |p| {
        p.events
            .iter()
            .any(|e| matches!(e, AssocEvent::StreamsChanged { .. }))
    })?;

    client.sock.reset_assoc(assoc_id).map_err(io)?;
    let assoc_reset = |p: &Peer| {
        p.events
            .iter()
            .any(|e| matches!(e, AssocEvent::AssocReset { .. }))
    };
    client.wait_for("SCTP_ASSOC_RESET_EVENT", assoc_reset)?;
    server.wait_for("SCTP_ASSOC_RESET_EVENT", assoc_reset)?;
    client.report("reconf");
    server.report("reconf");
    Ok(())
}

/// Messages queued behind a closed receive window come back as SEND_FAILED_EVENT with their
/// data when the peer aborts.
#[test]
fn send_failure_hands_the_data_back() -> io::Result<()> {
    let (mut server, mut client, assoc_id) = one_to_many_pair()?;
    server.wait_for("COMM_UP", |p| up(p).is_some())?;
    let server_assoc = up(&server).unwrap_or_default();
    // The server stops reading; fill its window and our send buffer.
    let chunk = vec![0x5A; 16 * 1024];
    let mut queued = 0usize;
    loop {
        match client
            .sock
            .sendv(&chunk, None, &sndinfo(assoc_id, 3, 99, 0), None)
        {
            Ok(_) => queued += 1,
            Err(err) if err.is_would_block() => break,
            Err(err) => return Err(io(err)),
        }
        if queued > 4096 {
            return Err(io::Error::other("the send buffer never filled"));
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    server
        .sock
        .sendv(b"", None, &sndinfo(server_assoc, 0, 0, SCTP_ABORT), None)
        .map_err(io)?;
    client.wait_for("SEND_FAILED_EVENT", |p| {
        p.events
            .iter()
            .any(|e| matches!(e, AssocEvent::SendFailed { .. }))
    })?;
    client.wait_for("COMM_LOST", |p| closed_with(p, AssocState::Lost))?;
    let failed: Vec<_> = client
        .events
        .iter()
        .filter_map(|e| match e {
            AssocEvent::SendFailed { failed, .. } => Some(failed),
            _ => None,
        })
        .collect();
    for f in &failed {
        assert_eq!((f.info.snd_sid, f.info.snd_ppid), (3, 99));
        assert!(f.data.iter().all(|&b| b == 0x5A) && !f.data.is_empty());
    }
    println!(
        "HARK-SEND-FAILED queued {queued} messages, {} came back",
        failed.len()
    );
    client.report("send-failed");
    Ok(())
}

/// A multi-homed server (127.0.0.1 + 127.0.0.2): the client learns both addresses and the
/// second one is confirmed by a heartbeat (SCTP_PEER_ADDR_CHANGE).
#[test]
fn multihomed_peer_address_change() -> io::Result<()> {
    let server = socket(SocketStyle::OneToMany, &[v4("127.0.0.1:0")])?;
    let port = server.local_addr().map_err(io)?.port();
    server
        .bindx(&[SocketAddr::from(([127, 0, 0, 2], port))])
        .map_err(io)?;
    server.listen(8).map_err(io)?;
    let mut bound = server.local_addrs(0).map_err(io)?;
    println!("HARK-MULTIHOMED bound {bound:?}");
    bound.sort();
    assert_eq!(
        bound,
        vec![
            SocketAddr::from(([127, 0, 0, 1], port)),
            SocketAddr::from(([127, 0, 0, 2], port))
        ]
    );
    let client = socket(SocketStyle::OneToMany, &[v4("127.0.0.1:0")])?;
    let assoc_id = client
        .connectx(&[SocketAddr::from(([127, 0, 0, 1], port))])
        .map_err(io)?;
    let mut peers = client.peer_addrs(assoc_id).map_err(io)?;
    peers.sort();
    assert_eq!(peers, bound);
    let mut client = Peer::new("client", client)?;
    let second = SockAddr::V4(std::net::SocketAddrV4::new([127, 0, 0, 2].into(), port));
    client.wait_for("127.0.0.2 confirmed", |p| {
        p.tracker
            .association(assoc_id)
            .and_then(|a| a.peer_state(&second))
            .is_some_and(|s| s == PeerAddrState::Confirmed || s == PeerAddrState::Available)
    })?;
    client.report("multihomed");
    Ok(())
}

/// Dynamic address reconfiguration (RFC 5061, `addip_enable` + `auth_enable`): the server
/// binds 127.0.0.3 while the association is up; the client sees `SCTP_ADDR_ADDED`.
#[test]
fn asconf_added_address_reaches_the_peer() -> io::Result<()> {
    let (mut server, mut client, assoc_id) = one_to_many_pair()?;
    server.wait_for("COMM_UP", |p| up(p).is_some())?;
    client.wait_for("COMM_UP", |p| up(p).is_some())?;
    let port = server.sock.local_addr().map_err(io)?.port();
    server
        .sock
        .bindx(&[SocketAddr::from(([127, 0, 0, 3], port))])
        .map_err(io)?;
    let third = SockAddr::V4(std::net::SocketAddrV4::new([127, 0, 0, 3].into(), port));
    client.wait_for("SCTP_ADDR_ADDED for 127.0.0.3", |p| {
        p.events.iter().any(|e| {
            matches!(e, AssocEvent::PeerAddress { addr, state: PeerAddrState::Added, .. } if *addr == third)
        })
    })?;
    let mut peers = client.sock.peer_addrs(assoc_id).map_err(io)?;
    peers.sort();
    assert!(
        peers.contains(&SocketAddr::from(([127, 0, 0, 3], port))),
        "{peers:?}"
    );
    client.report("asconf");
    Ok(())
}

/// The facade: a server-side `SctpHandler` answers COMM_UP by queueing a greeting, and its
/// catch-all sees pysctp dictionaries; the client receives the greeting.
#[test]
fn facade_handler_greets_each_new_association() -> io::Result<()> {
    use hark::sctp::{SctpContext, SctpDispatcher, SctpHandler};
    use hark_wire::sctp::{AssocChange, AssocChangeState, NotificationDict};

    #[derive(Default)]
    struct Greeter {
        keys: Vec<Vec<&'static str>>,
    }
    impl SctpHandler for Greeter {
        fn on_notification(&mut self, _ctx: &mut SctpContext<'_>, dict: &NotificationDict<'_>) {
            self.keys.push(dict.keys().collect());
        }
        fn on_assoc_change(&mut self, ctx: &mut SctpContext<'_>, event: &AssocChange<'_>) {
            if event.sac_state == AssocChangeState::CommUp {
                ctx.send(b"welcome".to_vec(), sndinfo(event.sac_assoc_id, 1, 9, 0));
            }
        }
    }

    let (server, mut client, _assoc_id) = one_to_many_pair()?;
    let mut server_sock = server.into_socket();
    let mut dispatcher = SctpDispatcher::new(Greeter::default());
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while client.data.is_empty() {
        if std::time::Instant::now() > deadline {
            return Err(io::Error::other("no greeting"));
        }
        dispatcher
            .drive(std::time::Instant::now(), &mut server_sock, 4096)
            .map_err(|e| io::Error::other(e.to_string()))?;
        client.pump(Duration::from_millis(50))?;
    }
    assert_eq!(client.data[0].data, b"welcome");
    assert_eq!(
        client.data[0].rcvinfo.map(|i| (i.rcv_sid, i.rcv_ppid)),
        Some((1, 9))
    );
    let first = &dispatcher.handler().keys[0];
    assert_eq!(
        first,
        &[
            "sn_type",
            "sac_flags",
            "sac_state",
            "sac_error",
            "sac_outbound_streams",
            "sac_inbound_streams",
            "sac_assoc_id"
        ]
    );
    Ok(())
}

/// SCTP-AUTH: DATA is authenticated; the client switches to key 1, the server reports
/// `SCTP_AUTH_NEW_KEY`; the client deactivates key 0 and reports `SCTP_AUTH_FREE_KEY`.
#[test]
fn auth_key_events() -> io::Result<()> {
    use hark_reactor::sctp::CHUNK_DATA;
    use hark_wire::sctp::AuthIndication;

    let server = socket(SocketStyle::OneToMany, &[v4("127.0.0.1:0")])?;
    let client = socket(SocketStyle::OneToMany, &[v4("127.0.0.1:0")])?;
    for sock in [&server, &client] {
        sock.auth_chunk(CHUNK_DATA).map_err(io)?;
        sock.set_auth_key(SCTP_FUTURE_ASSOC, 1, b"a shared secret")
            .map_err(io)?;
    }
    server.listen(8).map_err(io)?;
    let addr = server.local_addr().map_err(io)?;
    let assoc_id = client.connectx(&[addr]).map_err(io)?;
    let mut server = Peer::new("server", server)?;
    let mut client = Peer::new("client", client)?;
    client.wait_for("COMM_UP", |p| up(p).is_some())?;
    client.sock.set_active_key(assoc_id, 1).map_err(io)?;
    client
        .sock
        .sendv(b"signed", None, &sndinfo(assoc_id, 0, 0, 0), None)
        .map_err(io)?;
    server.wait_for("SCTP_AUTH_NEW_KEY 1", |p| {
        p.events.iter().any(|e| {
            matches!(
                e,
                AssocEvent::Auth {
                    key: 1,
                    indication: AuthIndication::NewKey,
                    ..
                }
            )
        })
    })?;
    server.wait_for("data", |p| !p.data.is_empty())?;
    assert_eq!(server.data[0].data, b"signed");
    client.sock.deactivate_key(assoc_id, 0).map_err(io)?;
    client.wait_for("SCTP_AUTH_FREE_KEY 0", |p| {
        p.events.iter().any(|e| {
            matches!(
                e,
                AssocEvent::Auth {
                    key: 0,
                    indication: AuthIndication::FreeKey,
                    ..
                }
            )
        })
    })?;
    client.report("auth");
    server.report("auth");
    Ok(())
}

/// `setsockopt(SOL_SOCKET, SO_RCVBUF)` on an SCTP socket.
fn set_rcvbuf(sock: &SctpSocket, bytes: libc::c_int) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: `bytes` is a live int of the given size.
    let ret = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&raw const bytes).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    check(ret, "SO_RCVBUF").map(drop)
}

/// Partial delivery (RFC 6458 8.1.21): with SCTP_PARTIAL_DELIVERY_POINT at 1000 bytes and a
/// small receive buffer, a 150 KB message reaches the server in pieces without MSG_EOR; the
/// client's ABORT in the middle gives SCTP_PARTIAL_DELIVERY_EVENT (aborted) at the server.
#[test]
fn partial_delivery_aborted_by_the_peer() -> io::Result<()> {
    let server = socket(SocketStyle::OneToMany, &[v4("127.0.0.1:0")])?;
    set_rcvbuf(&server, 16 * 1024)?;
    server.set_partial_delivery_point(1000).map_err(io)?;
    server.listen(8).map_err(io)?;
    let addr = server.local_addr().map_err(io)?;
    let client = socket(SocketStyle::OneToMany, &[v4("127.0.0.1:0")])?;
    let assoc_id = client.connectx(&[addr]).map_err(io)?;
    let mut server = Peer::new("server", server)?;
    let mut client = Peer::new("client", client)?;
    server.wait_for("COMM_UP", |p| up(p).is_some())?;
    let server_assoc = up(&server).unwrap_or_default();
    let message: Vec<u8> = (0..150_000u32).map(|i| i as u8).collect();
    client
        .sock
        .sendv(&message, None, &sndinfo(assoc_id, 1, 77, 0), None)
        .map_err(io)?;
    // Read a few pieces only, so the rest of the message stays behind the closed window.
    let mut pieces = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while pieces.len() < 4 {
        if std::time::Instant::now() > deadline {
            return Err(io::Error::other(format!("{} pieces only", pieces.len())));
        }
        match server.sock.recvv(500) {
            Ok(r) if r.is_notification() => server.take(r)?,
            Ok(r) => pieces.push(r),
            Err(err) if err.is_would_block() => std::thread::sleep(Duration::from_millis(10)),
            Err(err) => return Err(io(err)),
        }
    }
    assert!(pieces.iter().all(|p| !p.is_eor()), "a partial message");
    let joined: Vec<u8> = pieces.iter().flat_map(|p| p.data.clone()).collect();
    assert_eq!(joined, message[..joined.len()]);
    client
        .sock
        .sendv(b"", None, &sndinfo(assoc_id, 0, 0, SCTP_ABORT), None)
        .map_err(io)?;
    server.wait_for("PARTIAL_DELIVERY_ABORTED", |p| {
        p.events
            .iter()
            .any(|e| matches!(e, AssocEvent::PartialDeliveryAborted { .. }))
    })?;
    server.wait_for("COMM_LOST", |p| closed_with(p, AssocState::Lost))?;
    let tracked = server.tracker.association(server_assoc).unwrap();
    assert_eq!(tracked.partial_delivery_aborts, 1);
    assert!(
        server.data.iter().all(|d| !d.is_eor()),
        "the message never completes"
    );
    client.wait_for("local COMM_LOST", |p| closed_with(p, AssocState::Lost))?;
    client.report("partial-delivery");
    server.report("partial-delivery");
    Ok(())
}

/// SCTP_REMOTE_ERROR on the kernel: a raw socket learns the client's verification tag from a
/// packet the server sends it, then injects an ERROR chunk (cause 13, Protocol Violation,
/// "hark") as if from the server; the client's kernel reports it.
#[test]
fn injected_error_chunk_is_a_remote_error() -> io::Result<()> {
    let raw = raw::RawSctp::open()?;
    let (mut server, mut client, assoc_id) = one_to_many_pair()?;
    server.wait_for("COMM_UP", |p| up(p).is_some())?;
    client.wait_for("COMM_UP", |p| up(p) == Some(assoc_id))?;
    let server_assoc = up(&server).unwrap_or_default();
    let server_port = server.sock.local_addr().map_err(io)?.port();
    let client_port = client.sock.local_addr().map_err(io)?.port();
    server
        .sock
        .sendv(b"tag please", None, &sndinfo(server_assoc, 0, 0, 0), None)
        .map_err(io)?;
    let vtag = raw.sniff_vtag(server_port, client_port, Duration::from_secs(5))?;
    // ERROR chunk (type 9, length 12) with one cause: code 13, length 8, "hark".
    let chunk = [
        0x09, 0x00, 0x00, 0x0c, 0x00, 0x0d, 0x00, 0x08, b'h', b'a', b'r', b'k',
    ];
    raw.inject(server_port, client_port, vtag, &chunk)?;
    client.wait_for("SCTP_REMOTE_ERROR", |p| {
        p.events
            .iter()
            .any(|e| matches!(e, AssocEvent::RemoteError { .. }))
    })?;
    let (error, data) = client
        .events
        .iter()
        .find_map(|e| match e {
            AssocEvent::RemoteError {
                assoc_id: id,
                error,
                data,
            } if *id == assoc_id => Some((*error, data.clone())),
            _ => None,
        })
        .expect("a remote error on this association");
    assert_eq!(error, 13);
    assert!(data.starts_with(b"hark"), "{data:02x?}");
    assert!(client.tracker.association(assoc_id).unwrap().state.is_up());
    client.report("remote-error");
    Ok(())
}
