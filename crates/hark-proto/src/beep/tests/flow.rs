//! RFC 3081 flow control frame by frame: windows, SEQ, fragmentation, round-robin.

use hark_wire::beep::header::FrameType::{Msg, Rpy};

use super::packets::{F, more, seq};
use super::setup::{Script, config, events, out};
use crate::beep::{Event, ProtocolError, Role, SessionCloseReason, ThrottleCause, WindowError};

fn listener_with(channels: &[u32]) -> Script {
    let mut t = Script::greeted(config(Role::Listener));
    for &c in channels {
        t.open(c);
    }
    t
}

#[test]
fn a_message_is_cut_to_the_peers_4096_octet_window_and_waits_for_seq() {
    let mut t = listener_with(&[1]);
    let body: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
    t.s.send(1, body.clone()).unwrap();
    let first = more(t.mine(Msg, 1, 0, &body[..4096]));
    assert_eq!(out(&mut t.s), vec![first]);
    let ev = events(&mut t.s);
    assert!(matches!(
        ev.as_slice(),
        [Event::Throttled {
            channel: 1,
            cause: ThrottleCause::PeerWindow
        }]
    ));
    // The peer consumed 4096 octets and opens another 4096.
    t.feed(&[seq(1, 4096, 4096)]);
    assert!(matches!(
        events(&mut t.s).as_slice(),
        [Event::Unthrottled {
            channel: 1,
            cause: ThrottleCause::PeerWindow
        }]
    ));
    let second = more(t.mine(Msg, 1, 0, &body[4096..8192]));
    assert_eq!(out(&mut t.s), vec![second]);
    // A window of 10000 from ackno 8192 lets the rest go.
    t.feed(&[seq(1, 8192, 10_000)]);
    let _ = events(&mut t.s);
    let last = t.mine(Msg, 1, 0, &body[8192..]);
    assert_eq!(out(&mut t.s), vec![last]);
}

#[test]
fn seq_goes_out_once_more_than_half_the_window_is_consumed() {
    let mut t = listener_with(&[1]);
    let a = t.peer(Msg, 1, 0, &[7; 2048]);
    t.feed(&[a]);
    let _ = events(&mut t.s);
    assert!(out(&mut t.s).is_empty(), "exactly half: no SEQ yet");
    let b = t.peer(Msg, 1, 1, &[7; 1]);
    t.feed(&[b]);
    assert!(out(&mut t.s).is_empty(), "held until the event is taken");
    let _ = events(&mut t.s);
    assert_eq!(out(&mut t.s), vec![seq(1, 2049, 4096)]);
}

#[test]
fn seq_goes_before_data() {
    let mut t = listener_with(&[1]);
    let m = t.peer(Msg, 1, 0, &[1; 3000]);
    t.feed(&[m]);
    let _ = events(&mut t.s);
    t.s.reply(1, 0, &b"ok"[..]).unwrap();
    let reply = t.mine(Rpy, 1, 0, b"ok");
    assert_eq!(out(&mut t.s), vec![seq(1, 3000, 4096), reply]);
}

#[test]
fn a_grown_window_is_announced_at_once_and_never_shrinks() {
    let mut t = listener_with(&[1]);
    t.s.set_window(1, 1 << 20).unwrap();
    assert_eq!(out(&mut t.s), vec![seq(1, 0, 1 << 20)]);
    assert_eq!(t.s.set_window(1, 8192), Err(WindowError::WouldShrink));
    // The peer may now send a megabyte at once.
    let big = t.peer(Msg, 1, 0, &vec![9; 1 << 20]);
    t.feed(&[big]);
    assert!(
        matches!(events(&mut t.s).as_slice(), [Event::Message { payload, .. }] if payload.len() == 1 << 20)
    );
    assert_eq!(out(&mut t.s), vec![seq(1, 1 << 20, 1 << 20)]);
}

#[test]
fn more_than_the_window_terminates() {
    let mut t = listener_with(&[1]);
    let f = t.peer(Msg, 1, 0, &[0; 4097]);
    t.feed(&[f]);
    let ev = events(&mut t.s);
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::SessionClosed {
            reason: SessionCloseReason::ProtocolViolation(ProtocolError::WindowExceeded {
                channel: 1
            })
        }
    )));
}

#[test]
fn a_seq_acknowledging_unsent_octets_terminates() {
    let mut t = listener_with(&[1]);
    t.feed(&[seq(1, 10, 4096)]);
    let ev = events(&mut t.s);
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::SessionClosed {
            reason: SessionCloseReason::ProtocolViolation(ProtocolError::AckBeyondSent {
                channel: 1
            })
        }
    )));
}

#[test]
fn frames_respect_the_maximum_frame_size() {
    let mut cfg = config(Role::Listener);
    cfg.max_frame_payload = 1000;
    let mut t = Script::greeted(cfg);
    t.open(1);
    t.s.send(1, vec![3u8; 2500]).unwrap();
    let e = vec![
        more(t.mine(Msg, 1, 0, &[3; 1000])),
        more(t.mine(Msg, 1, 0, &[3; 1000])),
        t.mine(Msg, 1, 0, &[3; 500]),
    ];
    assert_eq!(out(&mut t.s), e);
}

#[test]
fn channels_with_data_take_turns() {
    let mut cfg = config(Role::Listener);
    cfg.max_frame_payload = 100;
    let mut t = Script::greeted(cfg);
    t.open(1);
    t.open(3);
    t.s.send(1, vec![1u8; 200]).unwrap();
    t.s.send(3, vec![3u8; 200]).unwrap();
    let frames = out(&mut t.s);
    let order: Vec<u32> = frames
        .iter()
        .map(|f| match f {
            F::Data { channel, .. } => *channel,
            F::Seq { channel, .. } => *channel,
        })
        .collect();
    assert_eq!(order, [1, 3, 1, 3]);
}

#[test]
fn a_peer_that_never_sends_seq_stalls_only_its_own_channel() {
    let mut t = listener_with(&[1, 3]);
    t.s.send(1, vec![1u8; 8192]).unwrap();
    t.s.send(3, vec![3u8; 8192]).unwrap();
    let first = out(&mut t.s);
    assert_eq!(first.len(), 2, "4096 octets on each channel");
    let _ = events(&mut t.s);
    // SEQ for channel 3 only: channel 3 finishes, channel 1 stays stalled.
    t.feed(&[seq(3, 4096, 4096)]);
    let next = out(&mut t.s);
    assert!(matches!(
        next.as_slice(),
        [F::Data {
            channel: 3,
            more: false,
            ..
        }]
    ));
    assert_eq!(t.s.queued(1), 4096);
    assert!(out(&mut t.s).is_empty());
}

#[test]
fn seqnos_wrap_modulo_2_pow_32() {
    let mut t = listener_with(&[1]);
    // Pretend 2^32 - 10 octets went each way already.
    let start = u32::MAX - 9;
    t.s.test_set_seqnos(1, start, start);
    t.peer.skip(1, start);
    t.mine.skip(1, start);
    let m = t.peer(Msg, 1, 0, &[5; 100]);
    assert!(matches!(&m, F::Data { seqno, .. } if *seqno == start));
    t.feed(&[m]);
    assert!(matches!(
        events(&mut t.s).as_slice(),
        [Event::Message { .. }]
    ));
    t.s.reply(1, 0, vec![6u8; 100]).unwrap();
    let r = t.mine(Rpy, 1, 0, &[6; 100]);
    assert_eq!(out(&mut t.s), vec![r]);
    assert_eq!(t.mine.next(1), 90, "wrapped past zero");
    let m2 = t.peer(Msg, 1, 1, &[5; 10]);
    t.feed(&[m2]);
    assert!(!t.s.is_closed());
}

#[test]
fn a_larger_window_is_announced_only_after_the_profile_reply() {
    use hark_wire::beep::channel0::{Channel0Message, Profile};
    let mut t = Script::greeted(
        crate::beep::SessionConfig::new(Role::Listener)
            .profile_with_window(super::setup::ECHO, 1 << 20),
    );
    let msgno = t.peer_start(1, &[super::setup::ECHO]);
    let mut ev = events(&mut t.s);
    let Some(Event::ChannelStartRequested(req)) = ev.pop() else {
        panic!("{ev:?}")
    };
    assert!(req.accept());
    let rpy = t.rpy0(
        msgno,
        &Channel0Message::Profile(Profile::new(super::setup::ECHO)),
    );
    assert_eq!(out(&mut t.s), vec![rpy, seq(1, 0, 1 << 20)]);
}
