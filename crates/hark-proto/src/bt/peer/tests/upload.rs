//! The peer's side of the transfer: its requests, our choke, serving and cancels.

use super::*;

/// We seed everything, Fast (or not) negotiated, the peer has nothing and is unchoked.
fn seeding(reserved: Reserved) -> Peer {
    let theirs: &[MessageRepr<'_>] = if reserved.fast() {
        &[MessageRepr::HaveNone, MessageRepr::Interested]
    } else {
        &[MessageRepr::Interested]
    };
    let mut p = Peer::open(reserved, PieceSet::full(PIECES), theirs);
    p.s.unchoke(p.now);
    p.expect_sent(&[MessageRepr::Unchoke]);
    p
}

#[test]
fn a_request_is_reported_and_served_byte_exact() {
    let mut p = seeding(fast());
    p.recv(&[MessageRepr::Request(block(4, 0))]);
    p.expect_events(&[Event::BlockRequested(block(4, 0))]);
    let data = vec![0x5a; 1000];
    p.s.serve(p.now, block(4, 0), &data).unwrap();
    p.expect_sent(&[MessageRepr::Piece {
        index: 4,
        begin: 0,
        data: &data,
    }]);
    assert_eq!(p.s.upload_rate(p.now), 1000);
    // Served once: a second serve finds nothing pending.
    assert_eq!(
        p.s.serve(p.now, block(4, 0), &data),
        Err(ServeError::NotPending)
    );
}

#[test]
fn serve_checks_the_length_and_the_send_buffer() {
    let mut p = Peer::fresh(
        SessionConfig {
            max_send_buffer: 20_000,
            ..config(fast())
        },
        PieceSet::full(PIECES),
    );
    p.handshake(fast());
    p.s.unchoke(p.now);
    p.recv(&[
        MessageRepr::Request(block(0, 0)),
        MessageRepr::Request(block(0, BLOCK_LEN)),
    ]);
    p.sent();
    p.events();
    let data = vec![1u8; BLOCK_LEN as usize];
    assert_eq!(
        p.s.serve(p.now, block(0, 0), &data[..10]),
        Err(ServeError::WrongLength {
            got: 10,
            expected: BLOCK_LEN
        })
    );
    p.s.serve(p.now, block(0, 0), &data).unwrap();
    assert_eq!(
        p.s.serve(p.now, block(0, BLOCK_LEN), &data),
        Err(ServeError::SendBufferFull)
    );
    assert_eq!(p.sent().len(), 13 + BLOCK_LEN as usize);
    p.s.serve(p.now, block(0, BLOCK_LEN), &data).unwrap();
}

#[test]
fn under_fast_choking_rejects_pending_requests_except_allowed_fast_ones() {
    let mut p = seeding(fast());
    assert!(p.s.allow_fast(p.now, 2));
    p.expect_sent(&[MessageRepr::AllowedFast { piece: 2 }]);
    p.recv(&[
        MessageRepr::Request(block(1, 0)),
        MessageRepr::Request(block(2, 0)),
    ]);
    p.events();
    p.s.choke(p.now);
    p.expect_sent(&[MessageRepr::Choke, MessageRepr::Reject(block(1, 0))]);
    assert_eq!(p.s.incoming_requests().collect::<Vec<_>>(), [block(2, 0)]);
    // Allowed-fast pieces may still be requested while choked.
    p.recv(&[MessageRepr::Request(block(2, BLOCK_LEN))]);
    p.expect_events(&[Event::BlockRequested(block(2, BLOCK_LEN))]);
    p.expect_sent(&[]);
}

#[test]
fn without_fast_choking_drops_pending_requests_silently() {
    let mut p = seeding(Reserved::NONE);
    p.recv(&[MessageRepr::Request(block(1, 0))]);
    p.events();
    p.s.choke(p.now);
    p.expect_sent(&[MessageRepr::Choke]);
    assert_eq!(p.s.incoming_requests().count(), 0);
    assert!(!p.s.allow_fast(p.now, 1));
}

#[test]
fn a_cancel_from_the_peer_withdraws_its_request_and_fast_answers_with_a_reject() {
    for reserved in [fast(), Reserved::NONE] {
        let mut p = seeding(reserved);
        p.recv(&[
            MessageRepr::Request(block(3, 0)),
            MessageRepr::Cancel(block(3, 0)),
        ]);
        p.expect_events(&[
            Event::BlockRequested(block(3, 0)),
            Event::RequestCancelled(block(3, 0)),
        ]);
        if reserved.fast() {
            p.expect_sent(&[MessageRepr::Reject(block(3, 0))]);
        } else {
            p.expect_sent(&[]);
        }
        assert_eq!(
            p.s.serve(p.now, block(3, 0), &[0; BLOCK_LEN as usize]),
            Err(ServeError::NotPending)
        );
        // A cancel for something already served (or never asked) is a harmless race.
        p.recv(&[MessageRepr::Cancel(block(0, 0))]);
        p.expect_events(&[]);
        p.expect_sent(&[]);
    }
}

#[test]
fn interest_and_have_are_reported_once_per_change() {
    let mut p = Peer::open(fast(), PieceSet::full(PIECES), &[MessageRepr::HaveNone]);
    p.recv(&[
        MessageRepr::Interested,
        MessageRepr::Interested,
        MessageRepr::Have { piece: 3 },
        MessageRepr::Have { piece: 3 },
        MessageRepr::NotInterested,
    ]);
    p.expect_events(&[Event::Interested, Event::Have(3), Event::NotInterested]);
    assert!(p.s.peer_pieces().contains(3));
    assert!(!p.s.peer_interested());
}
