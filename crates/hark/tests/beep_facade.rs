//! hark::beep on loopback: every handler of the PyVortex seed, deferred decisions, the
//! synchronous helpers, the event hub, and a peer that breaks the connection mid-message.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hark::beep::{
    Answer, BeepContext, BeepError, ChannelHandlers, Frame, FrameType, Profile, ReplyKind,
    on_channel,
};
use hark::events::{EventHub, Severity};

const ECHO: &str = "http://example.org/beep/echo";
const OTHER: &str = "http://example.org/beep/other";
const T: Duration = Duration::from_secs(10);

fn echo_profile(uri: &str) -> Profile {
    Profile::new(uri).on_frame((), |conn, channel, frame: &Frame, _| {
        if frame.kind() == FrameType::Msg {
            let _ = conn.reply(
                channel,
                frame.msgno(),
                ReplyKind::Rpy,
                frame.payload().clone(),
            );
        }
    })
}

fn client(profiles: &[&str]) -> BeepContext {
    let ctx = BeepContext::new().unwrap();
    for p in profiles {
        ctx.register(Profile::new(*p));
    }
    ctx
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + T;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn frames_arrive_in_order_with_mime_headers_and_replies_match() {
    let server = BeepContext::new().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    server.register(
        Profile::new(ECHO).on_frame(log, |conn, channel, frame, log| {
            log.lock()
                .unwrap()
                .push((frame.msgno(), frame.mime_headers().to_vec()));
            conn.reply(
                channel,
                frame.msgno(),
                ReplyKind::Rpy,
                frame.payload().clone(),
            )
            .unwrap();
        }),
    );
    let listener = server.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let ctx = client(&[ECHO]);
    let conn = ctx.connect(listener.local_addr(), T).unwrap();
    assert_eq!(conn.peer_profiles(), vec![ECHO.to_owned()]);
    let ch = conn.open_channel(ECHO, ChannelHandlers::new(), T).unwrap();
    assert_eq!(ch % 2, 1, "an initiator's channel is odd");
    // Many MSGs in flight at once; the server must see them in msgno order.
    let payload = b"Content-Type: text/plain\r\n\r\nbody";
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    conn.set_channel_handlers(
        ch,
        ChannelHandlers::new().on_frame(sink, |_c, _ch, f, sink| {
            sink.lock()
                .unwrap()
                .push((f.kind(), f.msgno(), f.body().to_vec()));
        }),
    );
    for _ in 0..200 {
        conn.send(ch, &payload[..]).unwrap();
    }
    wait_until("200 replies", || got.lock().unwrap().len() == 200);
    let got = got.lock().unwrap();
    for (i, (kind, msgno, body)) in got.iter().enumerate() {
        assert_eq!(
            (*kind, *msgno, &body[..]),
            (FrameType::Rpy, i as u32, &b"body"[..])
        );
    }
    let seen = seen.lock().unwrap();
    let msgnos: Vec<u32> = seen.iter().map(|(m, _)| *m).collect();
    assert_eq!(msgnos, (0..200).collect::<Vec<_>>());
    assert_eq!(
        seen[0].1,
        vec![("Content-Type".to_owned(), "text/plain".to_owned())]
    );
    conn.close(T).unwrap();
}

#[test]
fn start_denied_by_the_handler_and_unknown_profile_fail_with_their_codes() {
    let hub = Arc::new(Mutex::new(EventHub::new()));
    let server = BeepContext::new().unwrap().with_hub(hub.clone());
    server.register(Profile::new(ECHO).on_start((), |req, _conn, _| req.deny(421, "no")));
    let listener = server.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let ctx = client(&[ECHO, OTHER]);
    let conn = ctx.connect(listener.local_addr(), T).unwrap();
    match conn.open_channel(ECHO, ChannelHandlers::new(), T) {
        Err(BeepError::Refused { code: 421, .. }) => {}
        other => panic!("expected 421, got {other:?}"),
    }
    match conn.open_channel(OTHER, ChannelHandlers::new(), T) {
        Err(BeepError::Refused { code: 554, .. }) => {}
        other => panic!("expected 554, got {other:?}"),
    }
    let mut names = Vec::new();
    while let Some(ev) = hub.lock().unwrap().poll_event() {
        names.push((ev.kind.name(), ev.severity));
    }
    assert!(
        names.contains(&("beep_start_received", Severity::Info)),
        "{names:?}"
    );
    assert!(
        names.contains(&("beep_start_denied", Severity::Warning)),
        "{names:?}"
    );
    conn.close(T).unwrap();
}

#[test]
fn deferred_start_and_close_decisions_are_answered_from_another_thread() {
    let server = BeepContext::new().unwrap();
    let (starts_tx, starts) = crossbeam_channel::unbounded();
    let (closes_tx, closes) = crossbeam_channel::unbounded();
    server.register(
        echo_profile(ECHO)
            .on_start(starts_tx, |req, _conn, tx| tx.send(req).unwrap())
            .on_close(closes_tx, |req, _conn, tx| tx.send(req).unwrap()),
    );
    let listener = server.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let ctx = client(&[ECHO]);
    let conn = ctx.connect(listener.local_addr(), T).unwrap();

    let opener = {
        let conn = conn.clone();
        std::thread::spawn(move || conn.open_channel(ECHO, ChannelHandlers::new(), T))
    };
    let req = starts.recv_timeout(T).unwrap();
    assert_eq!(req.profile(), ECHO);
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        !opener.is_finished(),
        "the open waits for the deferred decision"
    );
    req.accept();
    let ch = opener.join().unwrap().unwrap();

    // First close: denied later; second: accepted later.
    let closer = {
        let conn = conn.clone();
        std::thread::spawn(move || conn.close_channel(ch, T))
    };
    closes.recv_timeout(T).unwrap().deny(550, "busy");
    match closer.join().unwrap() {
        Err(BeepError::Refused { code: 550, .. }) => {}
        other => panic!("expected 550, got {other:?}"),
    }
    let answer = conn.send_and_wait(ch, &b"\r\nstill open"[..], T).unwrap();
    assert!(matches!(answer, Answer::Rpy(f) if f.body() == b"still open"));
    let closer = {
        let conn = conn.clone();
        std::thread::spawn(move || conn.close_channel(ch, T))
    };
    closes.recv_timeout(T).unwrap().accept();
    closer.join().unwrap().unwrap();
    assert!(matches!(
        conn.send(ch, &b"\r\nx"[..])
            .and_then(|_| conn.send_and_wait(ch, &b"\r\nx"[..], T)),
        Err(BeepError::Send(_) | BeepError::Closed)
    ));
    conn.close(T).unwrap();
}

#[test]
fn on_channel_gets_the_number_or_minus_one() {
    let server = BeepContext::new().unwrap();
    server.register(echo_profile(ECHO));
    let listener = server.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let ctx = client(&[ECHO, OTHER]);
    let conn = ctx.connect(listener.local_addr(), T).unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    for profile in [ECHO, OTHER] {
        let cb = on_channel(tx.clone(), |number, _conn, tx| tx.send(number).unwrap());
        conn.open_channel_async(profile, ChannelHandlers::new(), cb)
            .unwrap();
    }
    let a = rx.recv_timeout(T).unwrap();
    let b = rx.recv_timeout(T).unwrap();
    assert_eq!(a % 2, 1);
    assert_eq!(b, -1, "the unknown profile is refused");
    conn.close(T).unwrap();
}

#[test]
fn replies_from_outside_a_handler_rpy_err_and_ans_nul() {
    let server = BeepContext::new().unwrap();
    let (tx, msgs) = crossbeam_channel::unbounded();
    server.register(Profile::new(ECHO).on_frame(tx, |conn, ch, f, tx| {
        tx.send((conn.clone(), ch, f.msgno(), f.body().to_vec()))
            .unwrap();
    }));
    let listener = server.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let ctx = client(&[ECHO]);
    let conn = ctx.connect(listener.local_addr(), T).unwrap();
    let ch = conn.open_channel(ECHO, ChannelHandlers::new(), T).unwrap();
    let replier = std::thread::spawn(move || {
        for _ in 0..3 {
            let (c, ch, msgno, body) = msgs.recv_timeout(T).unwrap();
            match &body[..] {
                b"rpy" => c.reply(ch, msgno, ReplyKind::Rpy, &b"\r\nok"[..]).unwrap(),
                b"err" => c.reply(ch, msgno, ReplyKind::Err, &b"\r\nno"[..]).unwrap(),
                _ => {
                    c.reply(ch, msgno, ReplyKind::Ans, &b"\r\none"[..]).unwrap();
                    c.reply(ch, msgno, ReplyKind::Ans, &b"\r\ntwo"[..]).unwrap();
                    c.reply(ch, msgno, ReplyKind::Nul, &b""[..]).unwrap();
                }
            }
        }
    });
    assert!(
        matches!(conn.send_and_wait(ch, &b"\r\nrpy"[..], T).unwrap(),
        Answer::Rpy(f) if f.body() == b"ok")
    );
    assert!(
        matches!(conn.send_and_wait(ch, &b"\r\nerr"[..], T).unwrap(),
        Answer::Err(f) if f.body() == b"no")
    );
    match conn.send_and_wait(ch, &b"\r\nans"[..], T).unwrap() {
        Answer::Ans(frames) => {
            let bodies: Vec<_> = frames
                .iter()
                .map(|f| (f.ansno(), f.body().to_vec()))
                .collect();
            assert_eq!(
                bodies,
                vec![(Some(0), b"one".to_vec()), (Some(1), b"two".to_vec())]
            );
        }
        other => panic!("expected answers, got {other:?}"),
    }
    replier.join().unwrap();
    conn.close(T).unwrap();
}

#[test]
fn the_most_specific_handler_wins() {
    let server = BeepContext::new().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let reply = |conn: &hark::beep::Connection, ch: u32, f: &Frame| {
        let _ = conn.reply(ch, f.msgno(), ReplyKind::Rpy, &b"\r\n"[..]);
    };
    server.on_frame(tx.clone(), move |c, ch, f, tx| {
        tx.send("context").unwrap();
        reply(c, ch, f);
    });
    server.register(Profile::new(OTHER));
    server.register(
        Profile::new(ECHO).on_frame(tx.clone(), move |c, ch, f, tx| {
            tx.send("profile").unwrap();
            reply(c, ch, f);
        }),
    );
    // Channels started on ECHO after the first get channel-level handlers.
    let started = Arc::new(AtomicUsize::new(0));
    server.on_start((started, tx), move |req, _c, (started, tx)| {
        if started.fetch_add(1, Ordering::SeqCst) == 0 {
            req.accept();
        } else {
            let tx = tx.clone();
            req.accept_with(ChannelHandlers::new().on_frame(tx, move |c, ch, f, tx| {
                tx.send("channel").unwrap();
                reply(c, ch, f);
            }));
        }
    });
    let listener = server.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let ctx = client(&[ECHO, OTHER]);
    let conn = ctx.connect(listener.local_addr(), T).unwrap();
    let other = conn.open_channel(OTHER, ChannelHandlers::new(), T).unwrap();
    let echo = conn.open_channel(ECHO, ChannelHandlers::new(), T).unwrap();
    for ch in [other, echo] {
        conn.send_and_wait(ch, &b"\r\n"[..], T).unwrap();
    }
    assert_eq!(rx.recv_timeout(T).unwrap(), "context");
    assert_eq!(rx.recv_timeout(T).unwrap(), "channel");
    // The profile-level start handler is absent: the context's ran for both.
    conn.close(T).unwrap();
}

#[test]
fn profile_frame_handler_beats_the_context_one() {
    let server = BeepContext::new().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    server.on_frame(tx.clone(), |_c, _ch, _f, tx| tx.send("context").unwrap());
    server.register(Profile::new(ECHO).on_frame(tx, |c, ch, f, tx| {
        tx.send("profile").unwrap();
        let _ = c.reply(ch, f.msgno(), ReplyKind::Rpy, &b"\r\n"[..]);
    }));
    let listener = server.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let ctx = client(&[ECHO]);
    let conn = ctx.connect(listener.local_addr(), T).unwrap();
    let ch = conn.open_channel(ECHO, ChannelHandlers::new(), T).unwrap();
    conn.send_and_wait(ch, &b"\r\n"[..], T).unwrap();
    assert_eq!(rx.recv_timeout(T).unwrap(), "profile");
    conn.close(T).unwrap();
}

/// Drives a hark-proto initiator session over a blocking socket until `done`.
fn raw_until(
    stream: &mut std::net::TcpStream,
    session: &mut hark_proto::beep::Session,
    mut done: impl FnMut(&mut hark_proto::beep::Session, hark_proto::beep::Event) -> bool,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = Instant::now() + T;
    loop {
        while let Some(n) = session.poll_transmit(Instant::now(), &mut buf) {
            stream.write_all(&buf[..n]).unwrap();
        }
        while let Some(ev) = session.poll_event() {
            if done(session, ev) {
                return;
            }
        }
        assert!(Instant::now() < deadline, "raw peer timed out");
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "server closed");
        let mut at = 0;
        while at < n {
            at += session.handle_bytes(Instant::now(), &buf[at..n]);
            while let Some(ev) = session.poll_event() {
                if done(session, ev) {
                    return;
                }
            }
        }
    }
}

#[test]
fn a_peer_breaking_mid_message_fires_connection_closed_once_and_nothing_leaks() {
    use hark_proto::beep::{Event, Role, Session, SessionConfig};
    let hub = Arc::new(Mutex::new(EventHub::new()));
    let server = BeepContext::new().unwrap().with_hub(hub.clone());
    let closed = Arc::new(AtomicUsize::new(0));
    server.on_connection_closed(closed.clone(), |_c, n| {
        n.fetch_add(1, Ordering::SeqCst);
    });
    // Per-channel user data: its count shows whether the broken connection's state is freed.
    let marker = Arc::new(());
    let frames = Arc::new(AtomicUsize::new(0));
    server.register(echo_profile(ECHO).on_start(
        (marker.clone(), frames.clone()),
        |req, _c, (marker, frames)| {
            let frames = frames.clone();
            req.accept_with(ChannelHandlers::new().on_frame(
                (marker.clone(), frames),
                |c, ch, f, (_, frames)| {
                    frames.fetch_add(1, Ordering::SeqCst);
                    let _ = c.reply(ch, f.msgno(), ReplyKind::Rpy, &b"\r\n"[..]);
                },
            ));
        },
    ));
    let listener = server.listen("127.0.0.1:0".parse().unwrap()).unwrap();

    // An orderly session first: connection_closed must not fire for it.
    let ctx = client(&[ECHO]);
    let conn = ctx.connect(listener.local_addr(), T).unwrap();
    let ch = conn.open_channel(ECHO, ChannelHandlers::new(), T).unwrap();
    conn.send(ch, &b"\r\nx"[..]).unwrap();
    wait_until("one frame", || frames.load(Ordering::SeqCst) == 1);
    conn.close(T).unwrap();

    // A raw peer starts a channel, writes half a 1 MiB MSG, and vanishes.
    let mut stream = std::net::TcpStream::connect(listener.local_addr()).unwrap();
    stream.set_read_timeout(Some(T)).unwrap();
    let mut session = Session::new(
        Instant::now(),
        SessionConfig::new(Role::Initiator)
            .profile(ECHO)
            .window(1 << 20),
    );
    let mut channel = 0;
    raw_until(&mut stream, &mut session, |s, ev| match ev {
        Event::GreetingReceived { .. } => {
            s.start_channel(&[ECHO]).unwrap();
            false
        }
        Event::ChannelStarted { channel: c, .. } => {
            channel = c;
            true
        }
        _ => false,
    });
    session.send(channel, vec![b'z'; 1 << 20]).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let n = session.poll_transmit(Instant::now(), &mut buf).unwrap();
    stream.write_all(&buf[..n / 2]).unwrap();
    drop(stream);

    wait_until("connection_closed", || closed.load(Ordering::SeqCst) == 1);
    wait_until("the channel's user data freed", || {
        Arc::strong_count(&marker) == 2
    });
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        closed.load(Ordering::SeqCst),
        1,
        "fires once, and not for the orderly one"
    );
    assert_eq!(
        frames.load(Ordering::SeqCst),
        1,
        "the half message never reached a handler"
    );
    let mut broken = Vec::new();
    while let Some(ev) = hub.lock().unwrap().poll_event() {
        if ev.kind.name() == "beep_connection_broken" {
            broken.push(ev.severity);
        }
    }
    assert_eq!(broken, vec![Severity::Critical]);
}
