//! The handshake, reserved-bit negotiation and the first messages.

use super::*;

#[test]
fn the_peers_handshake_completes_and_negotiates_the_common_bits() {
    let ours = fast().with_extension_protocol(true);
    let mut p = Peer::fresh(config(ours), PieceSet::empty(PIECES));
    p.handshake(Reserved::NONE.with_fast(true).with_dht(true));
    p.expect_events(&[
        Event::PeerId(THEM),
        Event::HandshakeComplete { reserved: fast() },
    ]);
    assert_eq!(p.s.negotiated(), fast());
    assert_eq!(p.s.peer_id(), Some(THEM));
    // Fast on and nothing to offer: have_none.
    p.expect_sent(&[MessageRepr::HaveNone]);
}

#[test]
fn the_first_message_says_what_we_have() {
    let mut half = PieceSet::empty(PIECES);
    half.insert(0);
    half.insert(4);
    let cases: [(Reserved, PieceSet, Vec<u8>); 5] = [
        (
            fast(),
            PieceSet::full(PIECES),
            bytes_of(&[MessageRepr::HaveAll]),
        ),
        (
            fast(),
            PieceSet::empty(PIECES),
            bytes_of(&[MessageRepr::HaveNone]),
        ),
        (
            fast(),
            half.clone(),
            bytes_of(&[MessageRepr::Bitfield(&[0b1000_1000])]),
        ),
        (
            Reserved::NONE,
            PieceSet::full(PIECES),
            bytes_of(&[MessageRepr::Bitfield(&[0b1111_1000])]),
        ),
        (Reserved::NONE, PieceSet::empty(PIECES), Vec::new()),
    ];
    for (reserved, ours, want) in cases {
        let mut p = Peer::fresh(config(reserved), ours);
        p.handshake(reserved);
        assert_eq!(p.sent(), want, "{reserved:?}");
    }
}

#[test]
fn choices_made_before_the_handshake_follow_the_pieces_message() {
    let mut p = Peer::fresh(config(fast()), PieceSet::full(PIECES));
    p.s.unchoke(p.now);
    p.s.set_interested(p.now, true);
    p.expect_sent(&[]);
    p.handshake(fast());
    p.expect_sent(&[
        MessageRepr::HaveAll,
        MessageRepr::Unchoke,
        MessageRepr::Interested,
    ]);
}

#[test]
fn the_handshake_may_arrive_a_byte_at_a_time_with_messages_behind_it() {
    let mut p = Peer::fresh(config(fast()), PieceSet::empty(PIECES));
    let hs = HandshakeRepr {
        reserved: fast(),
        info_hash: INFO_HASH,
        peer_id: THEM,
    };
    let mut stream = hs.to_bytes().to_vec();
    stream.extend(bytes_of(&[MessageRepr::HaveAll, MessageRepr::Unchoke]));
    for byte in &stream {
        p.s.handle_bytes(p.now, std::slice::from_ref(byte));
    }
    p.expect_events(&[
        Event::PeerId(THEM),
        Event::HandshakeComplete { reserved: fast() },
        Event::PeerPieces,
        Event::Unchoked,
    ]);
    assert!(p.s.peer_pieces().is_full());
}

#[test]
fn the_extended_handshake_may_precede_the_pieces_message() {
    // libtorrent's order (see hark-wire's recorded stream): extended, have_all, port.
    let both = fast().with_extension_protocol(true);
    let mut p = Peer::open(both, PieceSet::empty(PIECES), &[]);
    p.recv(&[
        MessageRepr::Extended {
            id: 0,
            payload: b"de",
        },
        MessageRepr::HaveAll,
        MessageRepr::Port(6881),
    ]);
    p.expect_events(&[
        Event::ExtendedHandshake(ExtendedHandshake::default()),
        Event::PeerPieces,
        Event::Port(6881),
    ]);
    assert!(p.s.peer_pieces().is_full());
    p.expect_sent(&[]);
}

#[test]
fn our_extended_handshake_goes_first_when_both_speak_it() {
    let both = fast().with_extension_protocol(true);
    let mut p = Peer::fresh(
        SessionConfig {
            extensions: [("ut_pex".to_string(), 1)].into_iter().collect(),
            client: Some("hark/test".into()),
            listen_port: Some(6881),
            peer_ip: Some(std::net::Ipv4Addr::LOCALHOST.into()),
            max_incoming_requests: 100,
            ..config(both)
        },
        PieceSet::empty(PIECES),
    );
    p.handshake(both);
    p.expect_sent(&[
        MessageRepr::Extended {
            id: 0,
            payload: b"d1:md6:ut_pexi1ee1:pi6881e4:reqqi100e1:v9:hark/test6:yourip4:\x7f\0\0\x01e",
        },
        MessageRepr::HaveNone,
    ]);
}

#[test]
fn the_peers_reqq_caps_our_queue_depth() {
    let both = fast().with_extension_protocol(true);
    let mut p = Peer::open(both, PieceSet::empty(PIECES), &[]);
    let theirs = ExtendedHandshake {
        reqq: Some(1),
        v: Some("libtorrent/2.0.8.0".into()),
        ..ExtendedHandshake::default()
    };
    let payload = theirs.to_vec();
    p.recv(&[
        MessageRepr::Extended {
            id: 0,
            payload: &payload,
        },
        MessageRepr::HaveAll,
        MessageRepr::Unchoke,
    ]);
    assert_eq!(
        p.events(),
        [
            Event::ExtendedHandshake(theirs.clone()),
            Event::PeerPieces,
            Event::Unchoked
        ]
    );
    assert_eq!(p.s.peer_extensions(), Some(&theirs));
    assert_eq!(p.s.queue_depth(p.now), 1);
    p.s.request(p.now, block(0, 0)).unwrap();
    p.s.request(p.now, block(1, 0)).unwrap();
    p.expect_sent(&[MessageRepr::Request(block(0, 0))]);
    // Other extended ids pass through.
    p.recv(&[MessageRepr::Extended {
        id: 1,
        payload: b"x",
    }]);
    p.expect_events(&[Event::Extended {
        id: 1,
        payload: b"x".to_vec(),
    }]);
}
