//! Every hostile input ends the peer with a typed error, or for a request, refuses it with
//! `invalid_request` (and a reject under Fast). Nothing panics and no buffer grows unbounded.

use super::*;
use hark_wire::bt::peer::Error as WireError;

#[test]
fn a_wrong_info_hash_ends_the_peer() {
    let mut p = Peer::fresh(config(fast()), PieceSet::full(PIECES));
    let hs = HandshakeRepr {
        reserved: fast(),
        info_hash: [0x22; 20],
        peer_id: THEM,
    };
    p.s.handle_bytes(p.now, &hs.to_bytes());
    p.expect_closed(PeerError::InfoHashMismatch { got: [0x22; 20] });
}

#[test]
fn a_message_before_the_handshake_ends_the_peer() {
    let mut p = Peer::fresh(config(fast()), PieceSet::full(PIECES));
    p.recv(&[MessageRepr::Interested]);
    p.expect_closed(PeerError::BadHandshake(WireError::BadProtocolLength(0)));
}

#[test]
fn a_piece_never_asked_for_ends_the_peer() {
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::HaveAll]);
    p.recv(&[MessageRepr::Piece {
        index: 0,
        begin: 0,
        data: &[1, 2, 3],
    }]);
    p.expect_closed(PeerError::UnexpectedPiece(BlockRequest {
        index: 0,
        begin: 0,
        length: 3,
    }));
}

#[test]
fn a_reject_for_a_request_never_made_ends_the_peer() {
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::HaveAll]);
    p.recv(&[MessageRepr::Reject(block(1, 0))]);
    p.expect_closed(PeerError::UnexpectedReject(block(1, 0)));
}

/// We seed everything and unchoke the peer.
fn seeder(reserved: Reserved, max_incoming: usize) -> Peer {
    let mut p = Peer::fresh(
        SessionConfig {
            max_incoming_requests: max_incoming,
            ..config(reserved)
        },
        PieceSet::full(PIECES),
    );
    p.handshake(reserved);
    p.sent();
    p.events();
    p
}

#[test]
fn bad_requests_get_invalid_request_and_a_reject_under_fast() {
    let past_piece_end = BlockRequest {
        index: 0,
        begin: PIECE_LEN - 10,
        length: 20,
    };
    let past_last_piece = BlockRequest {
        index: PIECES,
        begin: 0,
        length: 10,
    };
    let empty = BlockRequest {
        index: 0,
        begin: 0,
        length: 0,
    };
    let too_long = BlockRequest {
        index: 0,
        begin: 0,
        length: BLOCK_LEN + 1,
    };
    let cases = [
        (past_piece_end, InvalidRequest::OutOfRange),
        (past_last_piece, InvalidRequest::OutOfRange),
        (empty, InvalidRequest::OutOfRange),
        (too_long, InvalidRequest::TooLong),
        // We have not unchoked the peer yet.
        (block(1, 0), InvalidRequest::Choked),
    ];
    for reserved in [fast(), Reserved::NONE] {
        for (request, reason) in cases {
            let mut p = seeder(reserved, 250);
            p.recv(&[MessageRepr::Request(request)]);
            p.expect_events(&[Event::InvalidRequest { request, reason }]);
            if reserved.fast() {
                p.expect_sent(&[MessageRepr::Reject(request)]);
            } else {
                p.expect_sent(&[]);
            }
            assert!(!p.s.is_closed());
            assert_eq!(p.s.incoming_requests().count(), 0);
        }
    }
}

#[test]
fn a_request_for_a_piece_we_lack_is_refused() {
    let mut ours = PieceSet::empty(PIECES);
    ours.insert(0);
    let mut p = Peer::open(fast(), ours, &[MessageRepr::HaveNone]);
    p.s.unchoke(p.now);
    p.sent();
    p.recv(&[MessageRepr::Request(block(1, 0))]);
    p.expect_events(&[Event::InvalidRequest {
        request: block(1, 0),
        reason: InvalidRequest::DontHave,
    }]);
    p.expect_sent(&[MessageRepr::Reject(block(1, 0))]);
}

#[test]
fn the_incoming_request_queue_is_bounded() {
    let mut p = seeder(fast(), 2);
    p.s.unchoke(p.now);
    p.sent();
    p.recv(&[
        MessageRepr::Request(block(0, 0)),
        MessageRepr::Request(block(0, 0)), // a duplicate takes no room
        MessageRepr::Request(block(0, BLOCK_LEN)),
        MessageRepr::Request(block(1, 0)),
    ]);
    p.expect_events(&[
        Event::BlockRequested(block(0, 0)),
        Event::BlockRequested(block(0, BLOCK_LEN)),
        Event::InvalidRequest {
            request: block(1, 0),
            reason: InvalidRequest::QueueFull,
        },
    ]);
    p.expect_sent(&[MessageRepr::Reject(block(1, 0))]);
}

#[test]
fn a_bitfield_with_spare_bits_or_the_wrong_length_ends_the_peer() {
    let cases: [(&[u8], BitfieldError); 3] = [
        (&[0b1111_1100], BitfieldError::SpareBits { pieces: PIECES }),
        (
            &[0b1111_1000, 0],
            BitfieldError::Length {
                got: 2,
                expected: 1,
            },
        ),
        (
            &[],
            BitfieldError::Length {
                got: 0,
                expected: 1,
            },
        ),
    ];
    for (bits, error) in cases {
        let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[]);
        p.recv(&[MessageRepr::Bitfield(bits)]);
        p.expect_closed(PeerError::Bitfield(error));
    }
}

#[test]
fn a_late_or_second_pieces_message_ends_the_peer() {
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::HaveAll]);
    p.recv(&[MessageRepr::HaveNone]);
    p.expect_closed(PeerError::LateBitfield {
        message: "have_none",
    });
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::Unchoke]);
    p.recv(&[MessageRepr::Bitfield(&[0b1000_0000])]);
    p.expect_closed(PeerError::LateBitfield {
        message: "bitfield",
    });
    // A late bitfield that takes back a piece the peer said it had.
    let mut p = Peer::open(
        fast(),
        PieceSet::empty(PIECES),
        &[MessageRepr::HaveAll, MessageRepr::Unchoke],
    );
    p.recv(&[MessageRepr::Bitfield(&[0b1000_0000])]);
    p.expect_closed(PeerError::LateBitfield {
        message: "bitfield",
    });
}

#[test]
fn a_later_bitfield_that_only_adds_pieces_counts_as_haves() {
    // aria2 1.36: have_none, then a bitfield once it has a piece.
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::HaveNone]);
    p.recv(&[MessageRepr::Bitfield(&[0b0100_0000])]);
    p.expect_events(&[Event::Have(1)]);
    p.recv(&[MessageRepr::Bitfield(&[0b0110_0000])]);
    p.expect_events(&[Event::Have(2)]);
    assert!(!p.s.is_closed());
}

#[test]
fn an_oversize_length_ends_the_peer_before_its_body() {
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[]);
    p.s.handle_bytes(p.now, &[0x7f, 0xff, 0xff, 0xff]);
    p.expect_closed(PeerError::Wire(WireError::MessageTooLong {
        len: 0x7fff_ffff,
        max: 128 * 1024 + 9,
    }));
}

#[test]
fn a_malformed_message_ends_the_peer() {
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[]);
    // A `have` whose length prefix says 3.
    p.s.handle_bytes(p.now, &[0, 0, 0, 3, 4, 0, 0]);
    assert!(matches!(
        p.events().as_slice(),
        [Event::Closed(PeerError::Wire(
            WireError::BadMessageLength { id: 4, .. }
        ))]
    ));
}

#[test]
fn pieces_past_the_end_end_the_peer() {
    for msg in [
        MessageRepr::Have { piece: PIECES },
        MessageRepr::Suggest { piece: PIECES },
        MessageRepr::AllowedFast { piece: u32::MAX },
    ] {
        let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::HaveNone]);
        p.recv(&[msg]);
        let piece = match msg {
            MessageRepr::AllowedFast { piece } => piece,
            _ => PIECES,
        };
        p.expect_closed(PeerError::PieceOutOfRange {
            message: msg.name(),
            piece,
            count: PIECES,
        });
    }
}

#[test]
fn fast_and_extended_messages_need_their_bits() {
    for msg in [
        MessageRepr::HaveAll,
        MessageRepr::HaveNone,
        MessageRepr::Suggest { piece: 0 },
        MessageRepr::AllowedFast { piece: 0 },
        MessageRepr::Reject(block(0, 0)),
    ] {
        let mut p = Peer::open(Reserved::NONE, PieceSet::empty(PIECES), &[]);
        p.recv(&[msg]);
        p.expect_closed(PeerError::FastNotNegotiated {
            message: msg.name(),
        });
    }
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[]);
    p.recv(&[MessageRepr::Extended {
        id: 0,
        payload: b"de",
    }]);
    p.expect_closed(PeerError::ExtensionNotNegotiated);
}

#[test]
fn unknown_message_ids_are_ignored() {
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::HaveNone]);
    p.recv(&[MessageRepr::Unknown {
        id: 21,
        payload: &[1, 2, 3],
    }]);
    p.expect_events(&[]);
    assert!(!p.s.is_closed());
}

#[test]
fn a_request_flood_we_do_not_drain_is_bounded() {
    let mut p = seeder(fast(), 250);
    let bad = MessageRepr::Request(BlockRequest {
        index: PIECES,
        begin: 0,
        length: 1,
    });
    let flood = bytes_of(&[bad]).repeat(30_000);
    p.s.handle_bytes(p.now, &flood);
    assert!(p.s.send_buffer_len() <= 256 * 1024 + 64 * 1024);
    let events = p.events();
    assert_eq!(
        events.last(),
        Some(&Event::Closed(PeerError::SendBufferOverflow))
    );
    // Each reject is 17 bytes: the buffer and its headroom hold this many of them.
    assert_eq!(events.len(), (256 * 1024 + 64 * 1024) / 17 + 1);
}

#[test]
fn nothing_is_processed_after_the_end() {
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::HaveAll]);
    p.recv(&[MessageRepr::Reject(block(0, 0)), MessageRepr::Unchoke]);
    p.expect_closed(PeerError::UnexpectedReject(block(0, 0)));
    p.recv(&[MessageRepr::Unchoke]);
    p.advance(Duration::from_secs(1000));
    p.expect_events(&[]);
    assert_eq!(p.s.request(p.now, block(0, 0)), Err(RequestError::Closed));
}

proptest::proptest! {
    #[test]
    fn any_bytes_after_the_handshake_never_panic_and_stay_bounded(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        fast_on in proptest::prelude::any::<bool>(),
    ) {
        let reserved = if fast_on { fast() } else { Reserved::NONE };
        let mut p = seeder(reserved, 4);
        p.s.unchoke(p.now);
        for chunk in bytes.chunks(7) {
            p.s.handle_bytes(p.now, chunk);
            proptest::prop_assert!(p.s.incoming_requests().count() <= 4);
            proptest::prop_assert!(p.s.send_buffer_len() <= 256 * 1024 + 64 * 1024);
        }
        let closed = p.events().iter().filter(|e| matches!(e, Event::Closed(_))).count();
        proptest::prop_assert!(closed <= 1);
    }
}

/// The bytes of a handshake, some messages (one of them a 16 KiB piece nobody asked for,
/// which ends the session) and bytes after the end.
fn split_stream() -> Vec<u8> {
    let theirs = HandshakeRepr {
        reserved: fast(),
        info_hash: INFO_HASH,
        peer_id: THEM,
    };
    let data = vec![7u8; BLOCK_LEN as usize];
    let mut stream = theirs.to_bytes().to_vec();
    stream.extend(bytes_of(&[
        MessageRepr::HaveAll,
        MessageRepr::Unchoke,
        MessageRepr::KeepAlive,
        MessageRepr::Interested,
        MessageRepr::Choke,
        MessageRepr::Piece {
            index: 1,
            begin: 0,
            data: &data,
        },
        MessageRepr::Unchoke,
    ]));
    stream
}

/// Everything a session sent and reported after taking `stream` in pieces that end at
/// `cuts`.
fn fed_in_pieces(stream: &[u8], cuts: &[usize]) -> (Vec<u8>, Vec<Event>) {
    let mut p = Peer::fresh(config(fast()), PieceSet::empty(PIECES));
    let mut at = 0;
    for &cut in cuts.iter().chain([stream.len()].iter()) {
        let cut = cut.clamp(at, stream.len());
        p.s.handle_bytes(p.now, &stream[at..cut]);
        at = cut;
    }
    (p.sent(), p.events())
}

proptest::proptest! {
    #[test]
    fn frames_split_anywhere_decode_as_in_one_piece(
        mut cuts in proptest::collection::vec(0usize..17_000, 0..12),
    ) {
        cuts.sort_unstable();
        let stream = split_stream();
        let whole = fed_in_pieces(&stream, &[]);
        proptest::prop_assert!(matches!(whole.1.last(), Some(Event::Closed(_))));
        proptest::prop_assert_eq!(fed_in_pieces(&stream, &cuts), whole);
    }
}

#[test]
fn frames_fed_byte_by_byte_decode_as_in_one_piece() {
    let stream = split_stream();
    let cuts: Vec<usize> = (1..stream.len()).collect();
    assert_eq!(fed_in_pieces(&stream, &cuts), fed_in_pieces(&stream, &[]));
}

#[test]
fn a_malformed_extended_handshake_ends_the_peer() {
    let both = fast().with_extension_protocol(true);
    let mut p = Peer::open(both, PieceSet::empty(PIECES), &[]);
    p.recv(&[MessageRepr::Extended {
        id: 0,
        payload: b"d4:reqqi-5ee",
    }]);
    p.expect_closed(PeerError::BadExtendedHandshake(
        WireError::BadExtendedHandshake { field: "reqq" },
    ));
}
