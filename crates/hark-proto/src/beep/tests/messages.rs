//! RFC 3080 rules, one frame in and the exact frames out.

use hark_wire::beep::channel0::{Channel0Message, Close, ErrorReply, Greeting, Profile};
use hark_wire::beep::header::FrameType::{Ans, Err, Msg, Nul, Rpy};

use super::packets::{data, more};
use super::setup::{ECHO, Script, config, events, feed, mgmt, out, t0};
use crate::beep::{
    ChannelCloseReason, Event, ProtocolError, Reply, Role, Session, SessionCloseReason,
    TransportAction,
};

fn closed_reason(ev: &[Event]) -> Option<&SessionCloseReason> {
    ev.iter().find_map(|e| match e {
        Event::SessionClosed { reason } => Some(reason),
        _ => None,
    })
}

#[test]
fn both_roles_greet_at_once_with_their_profiles() {
    // RFC 3080 2.3.1.1: each peer sends its greeting without waiting for the other's.
    for role in [Role::Initiator, Role::Listener] {
        let mut s = Session::new(t0(), config(role));
        let greeting = Channel0Message::Greeting(Greeting {
            profiles: vec![ECHO.into()],
            ..Greeting::default()
        });
        assert_eq!(out(&mut s), vec![data(Rpy, 0, 0, 0, &mgmt(&greeting))]);
        assert!(events(&mut s).is_empty());
    }
}

#[test]
fn a_refusing_listener_sends_err_421_and_closes() {
    let mut s = Session::new(t0(), config(Role::Listener).refuse(421, "busy"));
    let refusal = Channel0Message::Error(ErrorReply {
        code: 421,
        lang: None,
        text: Some("busy".into()),
    });
    assert_eq!(out(&mut s), vec![data(Err, 0, 0, 0, &mgmt(&refusal))]);
    assert_eq!(s.transport_action(), TransportAction::CloseAfterFlush);
    let ev = events(&mut s);
    assert_eq!(
        closed_reason(&ev),
        Some(&SessionCloseReason::RefusedLocally)
    );
}

#[test]
fn an_initiator_refused_with_421_reports_it() {
    let mut s = Session::new(t0(), config(Role::Initiator));
    let _ = out(&mut s);
    let refusal = Channel0Message::Error(ErrorReply {
        code: 421,
        lang: None,
        text: Some("busy".into()),
    });
    feed(&mut s, &[data(Err, 0, 0, 0, &mgmt(&refusal))]);
    let ev = events(&mut s);
    assert_eq!(
        closed_reason(&ev),
        Some(&SessionCloseReason::Refused {
            code: 421,
            text: "busy".into()
        })
    );
    assert_eq!(s.transport_action(), TransportAction::CloseAfterFlush);
    assert!(out(&mut s).is_empty());
}

#[test]
fn anything_before_the_greeting_terminates() {
    let mut s = Session::new(t0(), config(Role::Listener));
    let _ = out(&mut s);
    feed(&mut s, &[data(Msg, 0, 1, 0, &mgmt(&Channel0Message::Ok))]);
    let ev = events(&mut s);
    assert_eq!(
        closed_reason(&ev),
        Some(&SessionCloseReason::ProtocolViolation(
            ProtocolError::NoGreeting
        ))
    );
    assert!(out(&mut s).is_empty(), "terminated without a response");
}

#[test]
fn an_unknown_profile_gets_554() {
    let mut t = Script::greeted(config(Role::Listener));
    let msgno = t.peer_start(1, &["http://example.org/unknown"]);
    assert!(
        events(&mut t.s).is_empty(),
        "no decision for an unsupported profile"
    );
    let expected = t.err0(msgno, 554, "no requested profile is supported");
    assert_eq!(out(&mut t.s), vec![expected]);
}

#[test]
fn a_refused_or_dropped_start_gets_421() {
    let mut t = Script::greeted(config(Role::Listener));
    let first = t.peer_start(1, &[ECHO]);
    let second = t.peer_start(3, &[ECHO]);
    let mut ev = events(&mut t.s);
    let Some(Event::ChannelStartRequested(b)) = ev.pop() else {
        panic!()
    };
    let Some(Event::ChannelStartRequested(a)) = ev.pop() else {
        panic!()
    };
    // Answered in the opposite order: the replies still go out in msgno order.
    drop(b);
    a.deny(421, "not now");
    let e1 = t.err0(first, 421, "not now");
    let e2 = t.err0(second, 421, "channel start not accepted");
    assert_eq!(out(&mut t.s), vec![e1, e2]);
}

#[test]
fn a_start_of_the_wrong_parity_gets_501() {
    // The listener's peer is the initiator: odd channels only.
    let mut t = Script::greeted(config(Role::Listener));
    let msgno = t.peer_start(2, &[ECHO]);
    let expected = t.err0(msgno, 501, "channel number of the wrong parity");
    assert_eq!(out(&mut t.s), vec![expected]);
}

#[test]
fn an_accepted_start_replies_with_the_profile() {
    let mut t = Script::greeted(config(Role::Listener));
    t.open(1);
    assert_eq!(t.s.channel_profile(1), Some(ECHO));
}

#[test]
fn our_start_uses_our_parity_and_reports_the_outcome() {
    let mut t = Script::greeted(config(Role::Initiator));
    assert_eq!(t.s.start_channel(&[ECHO]), Ok(1));
    assert_eq!(t.s.start_channel(&[ECHO]), Ok(3));
    let start = |n| {
        mgmt(&Channel0Message::Start(hark_wire::beep::channel0::Start {
            number: n,
            server_name: None,
            profiles: vec![Profile::new(ECHO)],
        }))
    };
    let e1 = t.mine(Msg, 0, 1, &start(1));
    let e2 = t.mine(Msg, 0, 2, &start(3));
    assert_eq!(out(&mut t.s), vec![e1, e2]);
    let ok = t.peer(
        Rpy,
        0,
        1,
        &mgmt(&Channel0Message::Profile(Profile::new(ECHO))),
    );
    let refused = t.peer(
        Err,
        0,
        2,
        &mgmt(&Channel0Message::Error(ErrorReply {
            code: 554,
            lang: None,
            text: None,
        })),
    );
    t.feed(&[ok, refused]);
    let ev = events(&mut t.s);
    assert!(matches!(&ev[0], Event::ChannelStarted { channel: 1, profile, .. } if profile == ECHO));
    assert!(matches!(
        &ev[1],
        Event::ChannelRefused {
            channel: 3,
            code: 554,
            ..
        }
    ));
}

#[test]
fn a_reused_msgno_while_its_reply_is_owed_terminates() {
    let mut t = Script::greeted(config(Role::Listener));
    t.open(1);
    let m1 = t.peer(Msg, 1, 0, b"a");
    let m2 = t.peer(Msg, 1, 0, b"b");
    t.feed(&[m1, m2]);
    let ev = events(&mut t.s);
    assert_eq!(
        closed_reason(&ev),
        Some(&SessionCloseReason::ProtocolViolation(
            ProtocolError::MsgnoInUse {
                channel: 1,
                msgno: 0
            }
        ))
    );
    assert!(out(&mut t.s).is_empty());
}

#[test]
fn replies_go_out_in_msgno_order_whatever_order_they_are_given() {
    let mut t = Script::greeted(config(Role::Listener));
    t.open(1);
    let m = [
        t.peer(Msg, 1, 5, b"a"),
        t.peer(Msg, 1, 2, b"b"),
        t.peer(Msg, 1, 9, b"c"),
    ];
    t.feed(&m);
    assert_eq!(events(&mut t.s).len(), 3);
    t.s.reply(1, 9, &b"C"[..]).unwrap();
    assert!(out(&mut t.s).is_empty(), "9 waits for 5 and 2");
    t.s.reply(1, 2, &b"B"[..]).unwrap();
    assert!(out(&mut t.s).is_empty(), "2 waits for 5");
    t.s.reply_error(1, 5, &b"A"[..]).unwrap();
    let expected = vec![
        t.mine(Err, 1, 5, b"A"),
        t.mine(Rpy, 1, 2, b"B"),
        t.mine(Rpy, 1, 9, b"C"),
    ];
    assert_eq!(out(&mut t.s), expected);
    assert_eq!(
        t.s.reply(1, 5, &b"again"[..]),
        Result::Err(crate::beep::ReplyError::UnknownMessage)
    );
}

#[test]
fn one_to_many_replies_are_ans_then_nul() {
    let mut t = Script::greeted(config(Role::Listener));
    t.open(1);
    let m = t.peer(Msg, 1, 0, b"q");
    t.feed(&[m]);
    let _ = events(&mut t.s);
    assert_eq!(t.s.answer(1, 0, &b"one"[..]), Ok(0));
    assert_eq!(t.s.answer(1, 0, &b"two"[..]), Ok(1));
    assert_eq!(
        t.s.reply(1, 0, &b"x"[..]),
        Result::Err(crate::beep::ReplyError::AnswersInProgress)
    );
    t.s.finish_answers(1, 0).unwrap();
    let expected = vec![
        t.mine(Ans { ansno: 0 }, 1, 0, b"one"),
        t.mine(Ans { ansno: 1 }, 1, 0, b"two"),
        t.mine(Nul, 1, 0, b""),
    ];
    assert_eq!(out(&mut t.s), expected);
}

/// A listener with channel 1 open and our MSG 0 sent on it.
fn with_outstanding_msg() -> Script {
    let mut t = Script::greeted(config(Role::Listener));
    t.open(1);
    assert_eq!(t.s.send(1, &b"ask"[..]), Ok(0));
    let expected = t.mine(Msg, 1, 0, b"ask");
    assert_eq!(out(&mut t.s), vec![expected]);
    t
}

#[test]
fn answers_of_different_ansno_may_interleave_and_are_matched() {
    let mut t = with_outstanding_msg();
    let f = [
        more(t.peer(Ans { ansno: 7 }, 1, 0, b"se")),
        more(t.peer(Ans { ansno: 8 }, 1, 0, b"ei")),
        t.peer(Ans { ansno: 7 }, 1, 0, b"ven"),
        t.peer(Ans { ansno: 8 }, 1, 0, b"ght"),
        t.peer(Nul, 1, 0, b""),
    ];
    t.feed(&f);
    let ev = events(&mut t.s);
    let replies: Vec<&Reply> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Reply {
                channel: 1,
                msgno: 0,
                reply,
            } => Some(reply),
            _ => None,
        })
        .collect();
    assert_eq!(
        replies,
        [
            &Reply::Ans {
                ansno: 7,
                payload: "seven".into()
            },
            &Reply::Ans {
                ansno: 8,
                payload: "eight".into()
            },
            &Reply::Nul
        ]
    );
    assert!(!t.s.is_closed());
}

#[test]
fn frames_of_two_messages_may_not_interleave() {
    let mut t = Script::greeted(config(Role::Listener));
    t.open(1);
    let f = [more(t.peer(Msg, 1, 0, b"a")), t.peer(Msg, 1, 1, b"b")];
    t.feed(&f);
    let ev = events(&mut t.s);
    assert_eq!(
        closed_reason(&ev),
        Some(&SessionCloseReason::ProtocolViolation(
            ProtocolError::Interleaved {
                channel: 1,
                expected: 0,
                got: 1
            }
        ))
    );
}

#[test]
fn a_wrong_seqno_terminates() {
    let mut t = Script::greeted(config(Role::Listener));
    t.open(1);
    t.feed(&[data(Msg, 1, 0, 3, b"x")]);
    let ev = events(&mut t.s);
    assert_eq!(
        closed_reason(&ev),
        Some(&SessionCloseReason::ProtocolViolation(
            ProtocolError::Seqno {
                channel: 1,
                expected: 0,
                got: 3
            }
        ))
    );
    assert_eq!(t.s.transport_action(), TransportAction::CloseAfterFlush);
}

#[test]
fn a_frame_on_a_channel_that_is_not_open_terminates() {
    let mut t = Script::greeted(config(Role::Listener));
    let f = t.peer(Msg, 5, 0, b"x");
    t.feed(&[f]);
    let ev = events(&mut t.s);
    assert_eq!(
        closed_reason(&ev),
        Some(&SessionCloseReason::ProtocolViolation(
            ProtocolError::UnknownChannel { channel: 5 }
        ))
    );
}

#[test]
fn a_malformed_frame_terminates_without_a_response() {
    let mut t = Script::greeted(config(Role::Listener));
    t.open(1);
    assert_eq!(t.s.handle_bytes(t0(), b"FOO 1 0 . 0 0\r\nEND\r\n"), 20);
    let ev = events(&mut t.s);
    assert!(matches!(
        closed_reason(&ev),
        Some(SessionCloseReason::ProtocolViolation(
            ProtocolError::Malformed(_)
        ))
    ));
    assert!(out(&mut t.s).is_empty());
}

#[test]
fn a_poorly_formed_reply_closes_only_its_channel() {
    // RFC 3080 2.2.1.1: a reply to a msgno never sent, on a channel other than 0.
    let mut t = with_outstanding_msg();
    let f = t.peer(Rpy, 1, 4, b"?");
    t.feed(&[f]);
    let ev = events(&mut t.s);
    assert!(matches!(
        ev.as_slice(),
        [Event::ChannelClosed {
            channel: 1,
            reason: ChannelCloseReason::PoorlyFormedReply(ProtocolError::UnexpectedReply {
                channel: 1,
                msgno: 4
            })
        }]
    ));
    assert!(!t.s.is_closed());
    let close = Channel0Message::Close(Close {
        number: 1,
        code: 550,
        lang: None,
        text: None,
    });
    let expected = t.mine(Msg, 0, 1, &mgmt(&close));
    assert_eq!(out(&mut t.s), vec![expected]);
    // The channel's later frames are counted and dropped; the peer's ok forgets it.
    let late = t.peer(Rpy, 1, 0, b"late");
    let ok = t.peer(Rpy, 0, 1, &mgmt(&Channel0Message::Ok));
    t.feed(&[late, ok]);
    assert!(events(&mut t.s).is_empty());
    assert_eq!(t.s.channels().collect::<Vec<_>>(), [0]);
}

#[test]
fn a_nul_after_an_rpy_frame_closes_only_its_channel() {
    let mut t = with_outstanding_msg();
    let f = [more(t.peer(Rpy, 1, 0, b"par")), t.peer(Nul, 1, 0, b"")];
    t.feed(&f);
    let ev = events(&mut t.s);
    assert!(matches!(
        ev.as_slice(),
        [Event::ChannelClosed {
            channel: 1,
            reason: ChannelCloseReason::PoorlyFormedReply(ProtocolError::MisplacedNul { .. })
        }]
    ));
    assert!(!t.s.is_closed());
}

#[test]
fn a_reply_already_received_closes_only_its_channel() {
    let mut t = with_outstanding_msg();
    let f = [t.peer(Rpy, 1, 0, b"one"), t.peer(Rpy, 1, 0, b"two")];
    t.feed(&f);
    let ev = events(&mut t.s);
    assert!(
        matches!(&ev[0], Event::Reply { channel: 1, msgno: 0, reply: Reply::Rpy(p) } if p == "one")
    );
    assert!(matches!(
        &ev[1],
        Event::ChannelClosed {
            channel: 1,
            reason: ChannelCloseReason::PoorlyFormedReply(ProtocolError::UnexpectedReply { .. })
        }
    ));
}

#[test]
fn a_close_waits_until_every_msg_is_answered() {
    let mut t = Script::greeted(config(Role::Listener));
    t.open(1);
    let m = t.peer(Msg, 1, 0, b"q");
    t.feed(&[m]);
    let _ = events(&mut t.s);
    let close_msgno = t.peer_close(1);
    let mut ev = events(&mut t.s);
    let Some(Event::ChannelCloseRequested(req)) = ev.pop() else {
        panic!("{ev:?}")
    };
    drop(req); // Vortex's default: accept.
    assert!(out(&mut t.s).is_empty(), "MSG 0 is not answered yet");
    t.s.reply(1, 0, &b"a"[..]).unwrap();
    let reply = t.mine(Rpy, 1, 0, b"a");
    let ok = t.rpy0(close_msgno, &Channel0Message::Ok);
    assert_eq!(out(&mut t.s), vec![reply, ok]);
    let ev = events(&mut t.s);
    assert!(matches!(
        ev.as_slice(),
        [Event::ChannelClosed {
            channel: 1,
            reason: ChannelCloseReason::ClosedByPeer
        }]
    ));
}

#[test]
fn a_denied_close_keeps_the_channel() {
    let mut t = Script::greeted(config(Role::Listener));
    t.open(1);
    let close_msgno = t.peer_close(1);
    let mut ev = events(&mut t.s);
    let Some(Event::ChannelCloseRequested(req)) = ev.pop() else {
        panic!()
    };
    req.deny(550, "still working");
    let expected = t.err0(close_msgno, 550, "still working");
    assert_eq!(out(&mut t.s), vec![expected]);
    assert_eq!(t.s.channel_profile(1), Some(ECHO));
}

#[test]
fn our_close_waits_for_our_replies_then_asks() {
    let mut t = with_outstanding_msg();
    t.s.close_channel(1, 200).unwrap();
    assert_eq!(
        t.s.send(1, &b"more"[..]),
        Result::Err(crate::beep::SendError::Closing)
    );
    assert!(out(&mut t.s).is_empty(), "MSG 0 awaits its reply");
    let f = t.peer(Rpy, 1, 0, b"r");
    t.feed(&[f]);
    let close = Channel0Message::Close(Close {
        number: 1,
        code: 200,
        lang: None,
        text: None,
    });
    let expected = t.mine(Msg, 0, 1, &mgmt(&close));
    assert_eq!(out(&mut t.s), vec![expected]);
    let ok = t.peer(Rpy, 0, 1, &mgmt(&Channel0Message::Ok));
    t.feed(&[ok]);
    let ev = events(&mut t.s);
    assert!(matches!(
        ev.last(),
        Some(Event::ChannelClosed {
            channel: 1,
            reason: ChannelCloseReason::ClosedByUs
        })
    ));
}

#[test]
fn session_release_the_listener_closes_the_transport_first() {
    // The initiator asks, the listener accepts: after <ok/> the listener closes TCP and
    // the initiator waits for it.
    let mut i = Script::greeted(config(Role::Initiator));
    i.s.close_session().unwrap();
    let close0 = Channel0Message::Close(Close {
        number: 0,
        code: 200,
        lang: None,
        text: None,
    });
    let expected = i.mine(Msg, 0, 1, &mgmt(&close0));
    assert_eq!(out(&mut i.s), vec![expected]);

    let mut l = Script::greeted(config(Role::Listener));
    let msgno = l.peer_close(0);
    let mut ev = events(&mut l.s);
    let Some(Event::ChannelCloseRequested(req)) = ev.pop() else {
        panic!()
    };
    assert_eq!(req.channel(), 0);
    req.accept();
    let ok = l.rpy0(msgno, &Channel0Message::Ok);
    assert_eq!(out(&mut l.s), vec![ok]);
    assert_eq!(l.s.transport_action(), TransportAction::CloseAfterFlush);
    let ev = events(&mut l.s);
    assert_eq!(closed_reason(&ev), Some(&SessionCloseReason::Released));

    let ok = i.peer(Rpy, 0, 1, &mgmt(&Channel0Message::Ok));
    i.feed(&[ok]);
    let ev = events(&mut i.s);
    assert_eq!(closed_reason(&ev), Some(&SessionCloseReason::Released));
    assert_eq!(i.s.transport_action(), TransportAction::AwaitPeerClose);
}

#[test]
fn msgnos_of_our_msgs_are_unique_among_outstanding_ones() {
    let mut t = Script::greeted(config(Role::Listener));
    t.open(1);
    assert_eq!(t.s.send(1, &b"a"[..]), Ok(0));
    assert_eq!(t.s.send(1, &b"b"[..]), Ok(1));
    let e = [t.mine(Msg, 1, 0, b"a"), t.mine(Msg, 1, 1, b"b")];
    assert_eq!(out(&mut t.s), e);
    let r = t.peer(Rpy, 1, 0, b"r");
    t.feed(&[r]);
    assert_eq!(t.s.send(1, &b"c"[..]), Ok(2));
}

#[test]
fn a_flood_of_empty_msgs_that_we_do_not_answer_ends_the_session() {
    // Empty MSGs take no window, so only a count bounds them.
    let mut cfg = config(Role::Listener);
    cfg.max_pending_replies = 2;
    let mut t = Script::greeted(cfg);
    t.open(1);
    let flood: Vec<_> = (0..5).map(|m| t.peer(Msg, 1, m, b"")).collect();
    t.feed(&flood);
    let ev = events(&mut t.s);
    assert_eq!(
        closed_reason(&ev),
        Some(&SessionCloseReason::Limit(
            crate::beep::LimitError::TooManyPendingReplies { channel: 1 }
        ))
    );
}

#[test]
fn a_missing_greeting_times_out() {
    let mut s = Session::new(t0(), config(Role::Initiator));
    let _ = out(&mut s);
    let deadline = s.poll_timeout().expect("a greeting deadline");
    s.handle_timeout(deadline - std::time::Duration::from_millis(1));
    assert!(events(&mut s).is_empty(), "a spurious wakeup does nothing");
    s.handle_timeout(deadline);
    let ev = events(&mut s);
    assert_eq!(
        closed_reason(&ev),
        Some(&SessionCloseReason::ProtocolViolation(
            ProtocolError::NoGreeting
        ))
    );
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_start_decided_later_on_another_thread_is_applied_at_the_next_poll() {
    let mut t = Script::greeted(config(Role::Listener));
    let msgno = t.peer_start(1, &[ECHO]);
    let mut ev = events(&mut t.s);
    let Some(Event::ChannelStartRequested(req)) = ev.pop() else {
        panic!("{ev:?}")
    };
    assert!(out(&mut t.s).is_empty(), "undecided: no reply yet");
    std::thread::spawn(move || assert!(req.accept()))
        .join()
        .unwrap();
    let expected = t.rpy0(msgno, &Channel0Message::Profile(Profile::new(ECHO)));
    assert_eq!(out(&mut t.s), vec![expected]);
    assert!(matches!(
        events(&mut t.s).as_slice(),
        [Event::ChannelStarted { channel: 1, .. }]
    ));
}
