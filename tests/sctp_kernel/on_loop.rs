//! hark's SCTP loop (`hark::sctp::SctpLoop`) on the kernel: callbacks fire as notifications
//! arrive, backpressure, and the one-to-one style with accept on the loop.

// `io` is both `std::io` and the SctpError conversion of the parent.
use super::{LINUX_KINDS, Peer, SCTP_EOF, io, sndinfo, socket, v4};
use hark_reactor::sctp::{Domain, SocketStyle};
use std::net::SocketAddr;
use std::time::Duration;

/// What a loop-driven handler tells the test thread.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// Who, and the notification's kind.
    Kind(&'static str, &'static str),
    /// Who, `sac_state`, `sac_assoc_id`.
    State(&'static str, &'static str, u32),
    /// Who, and the message.
    Data(&'static str, Vec<u8>),
    /// Who, and the loop event.
    Loop(&'static str, String),
}

/// Greets each new association, answers a greeting with thanks and a graceful shutdown,
/// and reports every notification, message and loop event.
struct Chatty {
    name: &'static str,
    tx: std::sync::mpsc::Sender<Seen>,
    /// Follow the thanks with SCTP_EOF (one-to-many only: Linux refuses it on one-to-one).
    eof_after_thanks: bool,
}

impl hark::sctp::SctpHandler for Chatty {
    fn on_notification(
        &mut self,
        _ctx: &mut hark::sctp::SctpContext<'_>,
        dict: &hark_wire::sctp::NotificationDict<'_>,
    ) {
        let kind = dict
            .get("sn_type")
            .and_then(|t| match t {
                hark_wire::sctp::DictValue::Int(t) => u16::try_from(*t).ok(),
                _ => None,
            })
            .and_then(|t| {
                hark_wire::sctp::NotificationType::from_raw(t, hark_wire::sctp::Layout::Linux)
            })
            .map_or("?", |k| k.name());
        let _ = self.tx.send(Seen::Kind(self.name, kind));
    }
    fn on_assoc_change(
        &mut self,
        ctx: &mut hark::sctp::SctpContext<'_>,
        event: &hark_wire::sctp::AssocChange<'_>,
    ) {
        let state = event.sac_state.name().unwrap_or("?");
        let _ = self
            .tx
            .send(Seen::State(self.name, state, event.sac_assoc_id));
        if event.sac_state == hark_wire::sctp::AssocChangeState::CommUp && self.name == "server" {
            ctx.send(b"welcome".to_vec(), sndinfo(event.sac_assoc_id, 1, 9, 0));
        }
    }
    fn on_data(
        &mut self,
        ctx: &mut hark::sctp::SctpContext<'_>,
        message: &hark_reactor::sctp::Received,
    ) {
        let _ = self.tx.send(Seen::Data(self.name, message.data.clone()));
        let assoc_id = message.rcvinfo.map_or(0, |i| i.rcv_assoc_id);
        if message.data == b"welcome" {
            ctx.send(b"thanks".to_vec(), sndinfo(assoc_id, 2, 10, 0));
            if self.eof_after_thanks {
                ctx.send(Vec::new(), sndinfo(assoc_id, 0, 0, SCTP_EOF));
            }
        }
    }
    fn on_loop_event(
        &mut self,
        _ctx: &mut hark::sctp::SctpContext<'_>,
        event: &hark::sctp::SctpLoopEvent,
    ) {
        let _ = self.tx.send(Seen::Loop(self.name, format!("{event:?}")));
    }
}

/// Waits on `rx` until `done` holds for what was seen, or fails naming `what`.
fn wait_seen(
    rx: &std::sync::mpsc::Receiver<Seen>,
    seen: &mut Vec<Seen>,
    what: &str,
    done: impl Fn(&[Seen]) -> bool,
) -> io::Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !done(seen) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(event) => seen.push(event),
            Err(_) => {
                return Err(io::Error::other(format!(
                    "no {what} within 15 s; seen {seen:#?}"
                )));
            }
        }
    }
    Ok(())
}

/// Both ends on one `hark::sctp::SctpLoop` on its own thread: callbacks fire as the
/// notifications arrive; the server greets on COMM_UP, the client thanks it and shuts the
/// association down gracefully from its callback; a message sent through the loop's handle
/// from this thread arrives too. The non-blocking `sctp_connectx` gives the assoc id at once
/// (SCTP_SOCKOPT_CONNECTX3), the same one COMM_UP then reports.
#[test]
fn loop_runs_the_dispatcher_callbacks() -> io::Result<()> {
    use hark::sctp::{Outgoing, SctpDispatcher, SctpLoop, SctpLoopConfig, SctpOpen};

    let (tx, rx) = std::sync::mpsc::channel();
    let mut sctp_loop = SctpLoop::<Chatty>::new(SctpLoopConfig::default())?;
    let mut server = SctpOpen::new(Domain::Ipv4, SocketStyle::OneToMany);
    server.bind = vec![v4("127.0.0.1:0")];
    server.subscribe = LINUX_KINDS.to_vec();
    server.listen = Some(8);
    let (server_id, _) = sctp_loop
        .open(
            &server,
            SctpDispatcher::new(Chatty {
                name: "server",
                tx: tx.clone(),
                eof_after_thanks: true,
            }),
        )
        .map_err(io)?;
    let addr = sctp_loop
        .socket(server_id)
        .expect("the server socket")
        .local_addr()
        .map_err(io)?;
    let mut client = SctpOpen::new(Domain::Ipv4, SocketStyle::OneToMany);
    client.bind = vec![v4("127.0.0.1:0")];
    client.subscribe = LINUX_KINDS.to_vec();
    client.connect = vec![addr];
    let (client_id, assoc_id) = sctp_loop
        .open(
            &client,
            SctpDispatcher::new(Chatty {
                name: "client",
                tx,
                eof_after_thanks: true,
            }),
        )
        .map_err(io)?;
    let assoc_id = assoc_id.expect("SCTP_SOCKOPT_CONNECTX3 reports the id at once");
    assert_ne!(assoc_id, 0);
    println!("HARK-LOOP connectx3 assoc id {assoc_id} while connecting");

    let handle = sctp_loop.handle();
    let thread = std::thread::spawn(move || sctp_loop.run());
    let mut seen = Vec::new();
    wait_seen(&rx, &mut seen, "client COMM_UP", |s| {
        s.contains(&Seen::State("client", "SCTP_COMM_UP", assoc_id))
    })?;
    handle
        .send(
            client_id,
            Outgoing {
                data: b"from another thread".to_vec(),
                to: None,
                info: sndinfo(assoc_id, 3, 11, 0),
            },
        )
        .map_err(|e| io::Error::other(e.to_string()))?;
    wait_seen(
        &rx,
        &mut seen,
        "greeting, thanks, handle message, shutdown",
        |s| {
            s.contains(&Seen::Data("client", b"welcome".to_vec()))
                && s.contains(&Seen::Data("server", b"thanks".to_vec()))
                && s.contains(&Seen::Data("server", b"from another thread".to_vec()))
                && s.iter()
                    .filter(|e| matches!(e, Seen::State(_, "SCTP_SHUTDOWN_COMP", _)))
                    .count()
                    == 2
        },
    )?;
    assert!(
        seen.contains(&Seen::Kind("server", "SCTP_SHUTDOWN_EVENT")),
        "{seen:#?}"
    );
    assert!(
        !seen.iter().any(|e| matches!(e, Seen::Loop(..))),
        "no loop errors: {seen:#?}"
    );
    handle
        .shutdown()
        .map_err(|e| io::Error::other(e.to_string()))?;
    thread
        .join()
        .map_err(|_| io::Error::other("the loop thread panicked"))??;
    let kinds: std::collections::BTreeSet<&str> = seen
        .iter()
        .filter_map(|e| match e {
            Seen::Kind(_, k) => Some(*k),
            _ => None,
        })
        .collect();
    println!("HARK-KINDS loop both: {kinds:?}");
    Ok(())
}

/// Backpressure on the loop: the peer does not read, so the client's kernel buffer fills;
/// the loop reports Throttled, refuses messages beyond its queue, and reports Unthrottled
/// once the peer reads again.
#[test]
fn loop_throttles_and_refuses_when_the_peer_stops_reading() -> io::Result<()> {
    use hark::sctp::{Outgoing, SctpDispatcher, SctpLoop, SctpLoopConfig, SctpOpen};

    let peer = socket(SocketStyle::OneToMany, &[v4("127.0.0.1:0")])?;
    peer.listen(8).map_err(io)?;
    let addr = peer.local_addr().map_err(io)?;
    let (tx, rx) = std::sync::mpsc::channel();
    let mut sctp_loop = SctpLoop::<Chatty>::new(SctpLoopConfig {
        max_pending: 4,
        ..SctpLoopConfig::default()
    })?;
    let mut client = SctpOpen::new(Domain::Ipv4, SocketStyle::OneToMany);
    client.bind = vec![v4("127.0.0.1:0")];
    client.subscribe = LINUX_KINDS.to_vec();
    client.connect = vec![addr];
    let (client_id, assoc_id) = sctp_loop
        .open(
            &client,
            SctpDispatcher::new(Chatty {
                name: "client",
                tx,
                eof_after_thanks: true,
            }),
        )
        .map_err(io)?;
    let assoc_id = assoc_id.expect("an assoc id");
    let handle = sctp_loop.handle();
    let thread = std::thread::spawn(move || sctp_loop.run());
    let mut seen = Vec::new();
    wait_seen(&rx, &mut seen, "COMM_UP", |s| {
        s.contains(&Seen::State("client", "SCTP_COMM_UP", assoc_id))
    })?;
    let chunk = vec![0x42; 32 * 1024];
    let throttled = |s: &[Seen]| {
        s.iter()
            .any(|e| matches!(e, Seen::Loop(_, t) if t == "Throttled"))
    };
    let refused = |s: &[Seen]| {
        s.iter()
            .any(|e| matches!(e, Seen::Loop(_, t) if t.starts_with("SendRefused")))
    };
    for _ in 0..2000 {
        if throttled(&seen) && refused(&seen) {
            break;
        }
        match handle.send(
            client_id,
            Outgoing {
                data: chunk.clone(),
                to: None,
                info: sndinfo(assoc_id, 0, 1, 0),
            },
        ) {
            Ok(()) | Err(hark::sctp::SctpHandleError::Busy) => {}
            Err(err) => return Err(io::Error::other(err.to_string())),
        }
        while let Ok(event) = rx.try_recv() {
            seen.push(event);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    wait_seen(&rx, &mut seen, "Throttled and SendRefused", |s| {
        throttled(s) && refused(s)
    })?;
    // The peer reads everything: the loop's queue drains into the kernel.
    let mut peer = Peer::new("peer", peer)?;
    let unthrottled = |s: &[Seen]| {
        s.iter()
            .any(|e| matches!(e, Seen::Loop(_, t) if t == "Unthrottled"))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !unthrottled(&seen) {
        if std::time::Instant::now() > deadline {
            return Err(io::Error::other(format!("no Unthrottled: {seen:#?}")));
        }
        peer.pump(Duration::from_millis(20))?;
        peer.data.clear();
        while let Ok(event) = rx.try_recv() {
            seen.push(event);
        }
    }
    handle
        .shutdown()
        .map_err(|e| io::Error::other(e.to_string()))?;
    thread
        .join()
        .map_err(|_| io::Error::other("the loop thread panicked"))??;
    println!(
        "HARK-LOOP backpressure: {} loop events",
        seen.iter().filter(|e| matches!(e, Seen::Loop(..))).count()
    );
    Ok(())
}

/// One-to-one style on the loop: a listening socket accepts on the loop, each accepted
/// association gets its own dispatcher; the server greets, the client thanks; closing the
/// client's socket through the handle shuts the association down gracefully, and the
/// accepted socket reads end of stream.
#[test]
fn loop_accepts_one_to_one_associations() -> io::Result<()> {
    use hark::sctp::{SctpDispatcher, SctpLoop, SctpLoopConfig, SctpOpen};

    let (tx, rx) = std::sync::mpsc::channel();
    let mut sctp_loop = SctpLoop::<Chatty>::new(SctpLoopConfig::default())?;
    let mut listen = SctpOpen::new(Domain::Ipv4, SocketStyle::OneToOne);
    listen.bind = vec![v4("127.0.0.1:0")];
    listen.subscribe = LINUX_KINDS.to_vec();
    listen.listen = Some(8);
    let server_tx = tx.clone();
    let listener_id = sctp_loop
        .open_listener(&listen, move |peer: Option<SocketAddr>| {
            assert!(peer.is_some(), "accept(2) names the peer");
            Some(SctpDispatcher::new(Chatty {
                name: "server",
                tx: server_tx.clone(),
                eof_after_thanks: false,
            }))
        })
        .map_err(io)?;
    let addr = sctp_loop
        .socket(listener_id)
        .expect("the listener")
        .local_addr()
        .map_err(io)?;
    let mut client = SctpOpen::new(Domain::Ipv4, SocketStyle::OneToOne);
    client.bind = vec![v4("127.0.0.1:0")];
    client.subscribe = LINUX_KINDS.to_vec();
    client.connect = vec![addr];
    let (client_id, _) = sctp_loop
        .open(
            &client,
            SctpDispatcher::new(Chatty {
                name: "client",
                tx,
                eof_after_thanks: false,
            }),
        )
        .map_err(io)?;
    let handle = sctp_loop.handle();
    let thread = std::thread::spawn(move || sctp_loop.run());
    let mut seen = Vec::new();
    wait_seen(&rx, &mut seen, "greeting and thanks", |s| {
        s.contains(&Seen::Data("client", b"welcome".to_vec()))
            && s.contains(&Seen::Data("server", b"thanks".to_vec()))
    })?;
    handle
        .close(client_id)
        .map_err(|e| io::Error::other(e.to_string()))?;
    wait_seen(
        &rx,
        &mut seen,
        "server SHUTDOWN_COMP and end of stream",
        |s| {
            s.iter()
                .any(|e| matches!(e, Seen::State("server", "SCTP_SHUTDOWN_COMP", _)))
                && s.contains(&Seen::Loop("server", "Eof".into()))
        },
    )?;
    handle
        .shutdown()
        .map_err(|e| io::Error::other(e.to_string()))?;
    thread
        .join()
        .map_err(|_| io::Error::other("the loop thread panicked"))??;
    Ok(())
}
