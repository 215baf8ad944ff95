//! Timers: handshake and idle timeouts, keep-alives, request timeouts and snubbing.

use super::*;

#[test]
fn no_handshake_within_the_timeout_ends_the_peer() {
    let mut p = Peer::fresh(config(fast()), PieceSet::empty(PIECES));
    assert_eq!(p.s.poll_timeout(), Some(p.now + Duration::from_secs(10)));
    // A spurious wakeup does nothing.
    p.advance(Duration::from_secs(9));
    p.expect_events(&[]);
    p.advance(Duration::from_secs(1));
    p.expect_closed(PeerError::HandshakeTimeout);
}

#[test]
fn a_keep_alive_follows_the_opening_after_a_second_then_each_minute_of_our_silence() {
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::HaveAll]);
    let start = p.now;
    // The nudge for transmission 3.00 (see OPENING_NUDGE).
    assert_eq!(p.s.poll_timeout(), Some(start + Duration::from_secs(1)));
    p.advance(Duration::from_secs(1));
    p.expect_sent(&[MessageRepr::KeepAlive]);
    assert_eq!(p.s.poll_timeout(), Some(start + Duration::from_secs(61)));
    p.advance(Duration::from_secs(59));
    p.expect_sent(&[]);
    p.advance(Duration::from_secs(1));
    p.expect_sent(&[MessageRepr::KeepAlive]);
    // The next keep-alive would be at 121 s; the peer's silence ends it at 120 s first.
    assert_eq!(p.s.poll_timeout(), Some(start + Duration::from_secs(120)));
}

#[test]
fn no_opening_nudge_when_something_else_follows_the_opening() {
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::HaveAll]);
    let start = p.now;
    p.s.set_interested(p.now, true);
    p.expect_sent(&[MessageRepr::Interested]);
    assert_eq!(p.s.poll_timeout(), Some(start + Duration::from_secs(60)));
}

#[test]
fn silence_from_the_peer_ends_it_and_any_byte_resets_the_clock() {
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::HaveAll]);
    p.advance(Duration::from_secs(100));
    p.recv(&[MessageRepr::KeepAlive]);
    p.advance(Duration::from_secs(100));
    assert!(!p.s.is_closed());
    p.sent();
    p.events();
    p.advance(Duration::from_secs(20));
    p.expect_closed(PeerError::IdleTimeout);
}

#[test]
fn a_request_timeout_cancels_snubs_and_hands_the_blocks_back() {
    let mut p = Peer::open(
        fast(),
        PieceSet::empty(PIECES),
        &[MessageRepr::HaveAll, MessageRepr::Unchoke],
    );
    p.s.request(p.now, block(0, 0)).unwrap();
    p.s.request(p.now, block(0, BLOCK_LEN)).unwrap();
    p.sent();
    let sent_at = p.now;
    assert_eq!(p.s.poll_timeout(), Some(sent_at + Duration::from_secs(20)));
    p.advance(Duration::from_secs(20));
    p.expect_sent(&[
        MessageRepr::Cancel(block(0, 0)),
        MessageRepr::Cancel(block(0, BLOCK_LEN)),
    ]);
    p.expect_events(&[
        Event::RequestTimedOut(block(0, 0)),
        Event::RequestTimedOut(block(0, BLOCK_LEN)),
        Event::Snubbed,
    ]);
    assert!(p.s.is_snubbed());
    assert_eq!(p.s.queue_depth(p.now), 1);
    // Re-requesting: one at a time while snubbed.
    p.s.request(p.now, block(0, 0)).unwrap();
    p.s.request(p.now, block(1, 0)).unwrap();
    p.expect_sent(&[MessageRepr::Request(block(0, 0))]);
    // The late answer to the first, cancelled request still counts; so does the second.
    let data = vec![3u8; BLOCK_LEN as usize];
    p.recv(&[MessageRepr::Piece {
        index: 0,
        begin: BLOCK_LEN,
        data: &data,
    }]);
    p.expect_events(&[
        Event::Unsnubbed,
        Event::Block {
            request: block(0, BLOCK_LEN),
            data: data.clone(),
        },
    ]);
    assert!(!p.s.is_snubbed());
    p.expect_sent(&[MessageRepr::Request(block(1, 0))]);
}

#[test]
fn a_steady_peer_never_times_out() {
    let mut p = Peer::open(
        fast(),
        PieceSet::empty(PIECES),
        &[MessageRepr::HaveAll, MessageRepr::Unchoke],
    );
    let data = vec![0u8; BLOCK_LEN as usize];
    // A block every 15 s keeps the oldest request alive although it is older than 20 s.
    p.s.request(p.now, block(0, 0)).unwrap();
    p.s.request(p.now, block(0, BLOCK_LEN)).unwrap();
    p.sent();
    p.advance(Duration::from_secs(15));
    p.recv(&[MessageRepr::Piece {
        index: 0,
        begin: BLOCK_LEN,
        data: &data,
    }]);
    p.advance(Duration::from_secs(15));
    assert!(!p.s.is_snubbed());
    assert_eq!(p.s.outstanding_requests().count(), 1);
    let events = p.events();
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, Event::RequestTimedOut(_))),
        "{events:?}"
    );
}
