//! TLS tuning's switch point, delivery modes and queue backpressure, frame by frame.

use hark_wire::beep::channel0::{Channel0Message, Greeting, Profile, Start};
use hark_wire::beep::header::FrameType::{Msg, Rpy};

use super::packets::{F, data, more};
use super::setup::{ECHO, Script, config, events, mgmt, out, t0};
use crate::beep::{
    Delivery, Event, Role, SendError, StartError, TLS_PROFILE, ThrottleCause, TlsRole,
};

fn tls_profile(content: &str) -> Profile {
    Profile {
        content: Some(content.into()),
        ..Profile::new(TLS_PROFILE)
    }
}

#[test]
fn tls_initiator_holds_output_after_ready_and_stops_reading_at_proceed() {
    let mut t = Script::greeted(config(Role::Initiator).tls(true));
    assert_eq!(t.s.start_tls(Some("example.org".into())), Ok(1));
    let start = Channel0Message::Start(Start {
        number: 1,
        server_name: Some("example.org".into()),
        profiles: vec![tls_profile("<ready />")],
    });
    let expected = t.mine(Msg, 0, 1, &mgmt(&start));
    assert_eq!(out(&mut t.s), vec![expected]);
    // One tuning exchange at a time, and nothing else goes out meanwhile.
    assert_eq!(
        t.s.start_channel(&[ECHO]),
        Err(StartError::TuningInProgress)
    );
    assert_eq!(t.s.start_tls(None), Err(StartError::TuningInProgress));
    // The proceed, then the peer's first TLS bytes in the same read.
    let proceed = t.peer(
        Rpy,
        0,
        1,
        &mgmt(&Channel0Message::Profile(tls_profile("<proceed />"))),
    );
    let mut bytes = proceed.bytes();
    let frame_len = bytes.len();
    bytes.extend_from_slice(b"\x16\x03\x01 TLS ClientHello");
    assert_eq!(t.s.handle_bytes(t0(), &bytes), frame_len, "the rest is TLS");
    assert!(matches!(
        events(&mut t.s).as_slice(),
        [Event::TlsSwitch {
            role: TlsRole::Client
        }]
    ));
    assert_eq!(t.s.handle_bytes(t0(), &bytes[frame_len..]), 0);
    assert!(out(&mut t.s).is_empty());
    // After the handshake both sides greet again, from seqno 0, without TLS on offer.
    t.s.reset_after_tls(t0());
    assert!(t.s.is_tls());
    let greeting = Channel0Message::Greeting(Greeting {
        profiles: vec![ECHO.into()],
        ..Greeting::default()
    });
    assert_eq!(out(&mut t.s), vec![data(Rpy, 0, 0, 0, &mgmt(&greeting))]);
    assert_eq!(
        t.s.start_tls(None),
        Err(StartError::TlsNotAllowed),
        "TLS is on already"
    );
}

#[test]
fn tls_listener_switches_after_its_proceed_went_out() {
    let mut cfg = config(Role::Listener).tls(true);
    cfg.features = vec![];
    let mut t = Script::greeted(cfg);
    let start = Channel0Message::Start(Start {
        number: 1,
        server_name: None,
        profiles: vec![tls_profile("<ready />")],
    });
    let f = t.peer(Msg, 0, 1, &mgmt(&start));
    t.feed(&[f]);
    let mut ev = events(&mut t.s);
    let Some(Event::ChannelStartRequested(req)) = ev.pop() else {
        panic!("{ev:?}")
    };
    assert_eq!(req.profiles()[0].uri, TLS_PROFILE);
    assert!(req.accept());
    let proceed = t.rpy0(1, &Channel0Message::Profile(tls_profile("<proceed />")));
    assert_eq!(out(&mut t.s), vec![proceed]);
    assert!(matches!(
        events(&mut t.s).as_slice(),
        [Event::TlsSwitch {
            role: TlsRole::Server
        }]
    ));
    assert_eq!(
        t.s.handle_bytes(t0(), b"\x16\x03\x01"),
        0,
        "TLS bytes are not BEEP"
    );
    t.s.reset_after_tls(t0());
    assert_eq!(out(&mut t.s).len(), 1, "a new greeting");
}

#[test]
fn a_tls_start_without_ready_is_not_tls() {
    let mut t = Script::greeted(config(Role::Listener).tls(true));
    let msgno = t.peer_start(1, &[TLS_PROFILE]);
    assert!(events(&mut t.s).is_empty());
    let expected = t.err0(msgno, 554, "no requested profile is supported");
    assert_eq!(out(&mut t.s), vec![expected]);
}

#[test]
fn frame_delivery_reports_each_frame_and_holds_its_window() {
    let mut t = Script::greeted(config(Role::Listener).delivery(Delivery::Frames));
    t.open(1);
    let f = [
        more(t.peer(Msg, 1, 0, &[1; 3000])),
        t.peer(Msg, 1, 0, &[2; 1000]),
    ];
    t.feed(&f);
    assert!(
        out(&mut t.s).is_empty(),
        "4000 octets held by unpolled events"
    );
    let ev = events(&mut t.s);
    assert!(matches!(
        ev.as_slice(),
        [
            Event::Frame { channel: 1, kind: Msg, msgno: 0, more: true, payload: a },
            Event::Frame { channel: 1, kind: Msg, msgno: 0, more: false, payload: b },
        ] if a.len() == 3000 && b.len() == 1000
    ));
    assert_eq!(out(&mut t.s), vec![super::packets::seq(1, 4000, 4096)]);
    t.s.reply(1, 0, &b"ok"[..]).unwrap();
    let r = t.mine(Rpy, 1, 0, b"ok");
    assert_eq!(out(&mut t.s), vec![r]);
}

#[test]
fn a_full_send_queue_throttles_until_it_drains() {
    let mut cfg = config(Role::Listener);
    cfg.send_queue_limit = 100;
    let mut t = Script::greeted(cfg);
    t.open(1);
    assert_eq!(t.s.send(1, vec![0u8; 150]), Ok(0));
    assert_eq!(t.s.send(1, vec![0u8; 1]), Err(SendError::QueueFull));
    assert!(matches!(
        events(&mut t.s).as_slice(),
        [Event::Throttled {
            channel: 1,
            cause: ThrottleCause::QueueFull
        }]
    ));
    let frames = out(&mut t.s);
    assert!(matches!(frames.as_slice(), [F::Data { .. }]));
    assert!(matches!(
        events(&mut t.s).as_slice(),
        [Event::Unthrottled {
            channel: 1,
            cause: ThrottleCause::QueueFull
        }]
    ));
    assert_eq!(t.s.send(1, vec![0u8; 1]), Ok(1));
}
