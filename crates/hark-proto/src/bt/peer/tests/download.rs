//! Our side of the transfer: requests, pipelining, choke and Fast rules, cancels.

use super::*;

/// Open with Fast negotiated (or not); the peer has every piece and unchokes us.
fn downloading(reserved: Reserved) -> Peer {
    let have_all: &[MessageRepr<'_>] = if reserved.fast() {
        &[MessageRepr::HaveAll, MessageRepr::Unchoke]
    } else {
        &[MessageRepr::Bitfield(&[0b1111_1000]), MessageRepr::Unchoke]
    };
    Peer::open(reserved, PieceSet::empty(PIECES), have_all)
}

fn piece<'a>(r: BlockRequest, data: &'a [u8]) -> MessageRepr<'a> {
    MessageRepr::Piece {
        index: r.index,
        begin: r.begin,
        data,
    }
}

#[test]
fn requests_wait_for_unchoke_then_fill_the_minimum_depth() {
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::HaveAll]);
    p.s.set_interested(p.now, true);
    p.expect_sent(&[MessageRepr::Interested]);
    for r in [block(0, 0), block(0, BLOCK_LEN), block(1, 0)] {
        p.s.request(p.now, r).unwrap();
    }
    p.expect_sent(&[]); // choked
    p.recv(&[MessageRepr::Unchoke]);
    p.expect_events(&[Event::Unchoked]);
    // Depth 2 until a rate is measured.
    p.expect_sent(&[
        MessageRepr::Request(block(0, 0)),
        MessageRepr::Request(block(0, BLOCK_LEN)),
    ]);
    let data = vec![7u8; BLOCK_LEN as usize];
    p.recv(&[piece(block(0, 0), &data)]);
    p.expect_events(&[Event::Block {
        request: block(0, 0),
        data: data.clone(),
    }]);
    p.expect_sent(&[MessageRepr::Request(block(1, 0))]);
}

#[test]
fn the_queue_depth_follows_the_measured_rate() {
    let mut p = downloading(fast());
    assert_eq!(p.s.queue_depth(p.now), 2);
    let data = vec![1u8; BLOCK_LEN as usize];
    // 32 blocks (512 KiB) within one second: 3 s of that is 96 blocks.
    for i in 0..32u32 {
        let r = block(i % 4, (i / 4 % 2) * BLOCK_LEN);
        p.s.request(p.now, r).unwrap();
        p.sent();
        p.recv(&[piece(r, &data)]);
        p.events();
    }
    assert_eq!(p.s.download_rate(p.now), 32 * u64::from(BLOCK_LEN));
    assert_eq!(p.s.queue_depth(p.now), 96);
    assert_eq!(p.s.wanted_requests(p.now), 96);
    // The peer's reqq caps it.
    p.s.set_peer_reqq(p.now, 10);
    assert_eq!(p.s.queue_depth(p.now), 10);
    // Five silent seconds later the rate is gone and the depth back at the minimum.
    p.advance(Duration::from_secs(6));
    assert_eq!(p.s.queue_depth(p.now), 2);
}

#[test]
fn without_fast_a_choke_requeues_requests_and_the_unchoke_sends_them_again() {
    let mut p = downloading(Reserved::NONE);
    p.s.request(p.now, block(2, 0)).unwrap();
    p.s.request(p.now, block(2, BLOCK_LEN)).unwrap();
    p.expect_sent(&[
        MessageRepr::Request(block(2, 0)),
        MessageRepr::Request(block(2, BLOCK_LEN)),
    ]);
    p.recv(&[MessageRepr::Choke]);
    p.expect_events(&[Event::Choked]);
    assert_eq!(p.s.outstanding_requests().count(), 0);
    assert_eq!(p.s.pending_requests().count(), 2);
    p.recv(&[MessageRepr::Unchoke]);
    p.expect_events(&[Event::Unchoked]);
    p.expect_sent(&[
        MessageRepr::Request(block(2, 0)),
        MessageRepr::Request(block(2, BLOCK_LEN)),
    ]);
}

#[test]
fn under_fast_a_choke_keeps_requests_until_the_peer_rejects_them() {
    let mut p = downloading(fast());
    p.s.request(p.now, block(3, 0)).unwrap();
    p.sent();
    p.recv(&[MessageRepr::Choke]);
    p.expect_events(&[Event::Choked]);
    assert_eq!(
        p.s.outstanding_requests().collect::<Vec<_>>(),
        [block(3, 0)]
    );
    p.recv(&[MessageRepr::Reject(block(3, 0))]);
    p.expect_events(&[Event::Rejected(block(3, 0))]);
    assert_eq!(p.s.outstanding_requests().count(), 0);
    p.expect_sent(&[]);
}

#[test]
fn allowed_fast_pieces_are_requested_while_choked() {
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::HaveAll]);
    p.recv(&[MessageRepr::AllowedFast { piece: 4 }]);
    p.expect_events(&[Event::AllowedFast(4)]);
    p.s.request(p.now, block(1, 0)).unwrap();
    p.s.request(p.now, block(4, 0)).unwrap();
    // Only the allowed-fast piece goes out while choked.
    p.expect_sent(&[MessageRepr::Request(block(4, 0))]);
    p.recv(&[MessageRepr::Unchoke]);
    p.expect_sent(&[MessageRepr::Request(block(1, 0))]);
}

#[test]
fn a_cancel_goes_out_and_its_answer_is_not_an_error() {
    let mut p = downloading(fast());
    p.s.request(p.now, block(0, 0)).unwrap();
    p.s.request(p.now, block(1, 0)).unwrap();
    p.sent();
    assert!(p.s.cancel(p.now, block(0, 0)));
    assert!(p.s.cancel(p.now, block(1, 0)));
    assert!(!p.s.cancel(p.now, block(1, 0)));
    p.expect_sent(&[
        MessageRepr::Cancel(block(0, 0)),
        MessageRepr::Cancel(block(1, 0)),
    ]);
    // BEP 6: the peer answers a cancel with a reject or the piece; neither is an error.
    let data = vec![0u8; BLOCK_LEN as usize];
    p.recv(&[MessageRepr::Reject(block(0, 0)), piece(block(1, 0), &data)]);
    p.expect_events(&[Event::Block {
        request: block(1, 0),
        data,
    }]);
    assert!(!p.s.is_closed());
    // A request not sent yet is simply dropped.
    p.recv(&[MessageRepr::Choke]);
    p.events();
    p.s.request(p.now, block(2, 0)).unwrap();
    assert!(p.s.cancel(p.now, block(2, 0)));
    p.expect_sent(&[]);
}

#[test]
fn requests_are_checked_against_the_torrent_and_the_peer() {
    let mut p = Peer::open(
        fast(),
        PieceSet::empty(PIECES),
        &[MessageRepr::Bitfield(&[0b1000_0000])],
    );
    assert_eq!(
        p.s.request(p.now, block(1, 0)),
        Err(RequestError::PeerLacksPiece)
    );
    let past_end = BlockRequest {
        index: 4,
        begin: 0,
        length: 1001,
    };
    assert_eq!(p.s.request(p.now, past_end), Err(RequestError::OutOfRange));
    p.s.request(p.now, block(0, 0)).unwrap();
    assert_eq!(
        p.s.request(p.now, block(0, 0)),
        Err(RequestError::AlreadyRequested)
    );
}

#[test]
fn our_request_queue_is_bounded() {
    let mut p = Peer::fresh(
        SessionConfig {
            max_queue_depth: 3,
            ..config(fast())
        },
        PieceSet::empty(PIECES),
    );
    p.handshake(fast());
    p.recv(&[MessageRepr::HaveAll]);
    for r in [block(0, 0), block(0, BLOCK_LEN), block(1, 0)] {
        p.s.request(p.now, r).unwrap();
    }
    assert_eq!(
        p.s.request(p.now, block(2, 0)),
        Err(RequestError::QueueFull)
    );
}
