//! BEP 6's allowed-fast set on the wire: sent to a peer we choke when both sides speak
//! Fast, honoured for its requests while choked.

use super::*;
use std::net::{IpAddr, Ipv4Addr};

const PEER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7));

fn fast_config(k: usize) -> SessionConfig {
    SessionConfig {
        peer_ip: Some(PEER_IP),
        allowed_fast: k,
        ..config(fast())
    }
}

/// The canonical set for `PEER_IP` (checked against BEP 6's vectors in `fast.rs`).
fn canonical(k: usize) -> Vec<u32> {
    allowed_fast_set(PEER_IP, &INFO_HASH, PIECES, k)
}

fn allowed_msgs(set: &[u32]) -> Vec<MessageRepr<'static>> {
    set.iter()
        .map(|&piece| MessageRepr::AllowedFast { piece })
        .collect()
}

/// A seeder's session with `config`, after the handshake, with everything it sent.
fn seeder_after_handshake(config: SessionConfig, reserved: Reserved) -> (Peer, Vec<u8>) {
    let mut p = Peer::fresh(config, PieceSet::full(PIECES));
    p.handshake(reserved);
    let sent = p.sent();
    p.events();
    (p, sent)
}

#[test]
fn the_canonical_set_follows_our_pieces_message_when_we_choke() {
    let (_, sent) = seeder_after_handshake(fast_config(3), fast());
    let set = canonical(3);
    assert_eq!(set.len(), 3);
    let mut want = vec![MessageRepr::HaveAll];
    want.extend(allowed_msgs(&set));
    assert_eq!(describe(&sent), describe(&bytes_of(&want)));
    assert_eq!(sent, bytes_of(&want));
}

#[test]
fn no_set_without_fast_or_without_the_peer_address_or_with_k_zero() {
    let no_fast = SessionConfig {
        reserved: Reserved::NONE,
        ..fast_config(3)
    };
    let (_, sent) = seeder_after_handshake(no_fast, fast());
    let bits = PieceSet::full(PIECES).as_wire().to_vec();
    assert_eq!(sent, bytes_of(&[MessageRepr::Bitfield(&bits)]));
    // The peer does not speak Fast.
    let (_, sent) = seeder_after_handshake(fast_config(3), Reserved::NONE);
    assert_eq!(sent, bytes_of(&[MessageRepr::Bitfield(&bits)]));
    let unknown = SessionConfig {
        peer_ip: None,
        ..fast_config(3)
    };
    let (_, sent) = seeder_after_handshake(unknown, fast());
    assert_eq!(sent, bytes_of(&[MessageRepr::HaveAll]));
    let (_, sent) = seeder_after_handshake(fast_config(0), fast());
    assert_eq!(sent, bytes_of(&[MessageRepr::HaveAll]));
}

#[test]
fn unchoked_at_the_handshake_the_set_goes_out_with_our_first_choke_only() {
    let mut p = Peer::fresh(fast_config(2), PieceSet::full(PIECES));
    p.s.unchoke(p.now);
    p.handshake(fast());
    p.expect_sent(&[MessageRepr::HaveAll, MessageRepr::Unchoke]);
    p.events();
    let set = canonical(2);
    let outside = (0..PIECES).find(|i| !set.contains(i)).unwrap();
    p.recv(&[
        MessageRepr::Interested,
        MessageRepr::Request(block(set[0], 0)),
        MessageRepr::Request(block(outside, 0)),
    ]);
    p.events();
    // Choke, the set, then the rejects of requests outside it (BEP 6: choke first).
    p.s.choke(p.now);
    let mut want = vec![MessageRepr::Choke];
    want.extend(allowed_msgs(&set));
    want.push(MessageRepr::Reject(block(outside, 0)));
    p.expect_sent(&want);
    assert_eq!(
        p.s.incoming_requests().collect::<Vec<_>>(),
        [block(set[0], 0)]
    );
    // Unchoke and choke again: the set is not sent twice.
    p.s.unchoke(p.now);
    p.s.choke(p.now);
    p.expect_sent(&[MessageRepr::Unchoke, MessageRepr::Choke]);
}

#[test]
fn a_choked_peer_may_request_its_allowed_fast_pieces_and_nothing_else() {
    let (mut p, _) = seeder_after_handshake(fast_config(2), fast());
    let set = canonical(2);
    let outside = (0..PIECES).find(|i| !set.contains(i)).unwrap();
    p.recv(&[MessageRepr::HaveNone, MessageRepr::Interested]);
    p.events();
    p.recv(&[MessageRepr::Request(block(set[1], 0))]);
    p.expect_events(&[Event::BlockRequested(block(set[1], 0))]);
    p.expect_sent(&[]);
    p.recv(&[MessageRepr::Request(block(outside, 0))]);
    p.expect_events(&[Event::InvalidRequest {
        request: block(outside, 0),
        reason: InvalidRequest::Choked,
    }]);
    p.expect_sent(&[MessageRepr::Reject(block(outside, 0))]);
    // Served while still choked.
    let data = vec![7u8; block(set[1], 0).length as usize];
    p.s.serve(p.now, block(set[1], 0), &data).unwrap();
    assert!(p.s.am_choking());
    assert_eq!(p.sent().len(), 13 + data.len());
}

#[test]
fn the_peers_allowed_fast_pieces_are_the_only_ones_we_may_ask_while_choked() {
    let mut p = Peer::open(fast(), PieceSet::empty(PIECES), &[MessageRepr::HaveAll]);
    assert!(p.s.allowed_fast_pieces().is_empty());
    p.recv(&[
        MessageRepr::AllowedFast { piece: 2 },
        MessageRepr::AllowedFast { piece: 3 },
    ]);
    p.expect_events(&[Event::AllowedFast(2), Event::AllowedFast(3)]);
    let allowed = p.s.allowed_fast_pieces();
    assert_eq!(
        (0..PIECES)
            .filter(|&i| allowed.contains(i))
            .collect::<Vec<_>>(),
        [2, 3]
    );
}

#[test]
fn a_leecher_allows_the_pieces_of_the_set_as_it_gets_them() {
    let mut p = Peer::fresh(fast_config(2), PieceSet::empty(PIECES));
    p.handshake(fast());
    p.expect_sent(&[MessageRepr::HaveNone]);
    p.events();
    let set = canonical(2);
    let outside = (0..PIECES).find(|i| !set.contains(i)).unwrap();
    assert!(p.s.have(p.now, outside));
    p.expect_sent(&[MessageRepr::Have { piece: outside }]);
    assert!(p.s.have(p.now, set[1]));
    p.expect_sent(&[
        MessageRepr::Have { piece: set[1] },
        MessageRepr::AllowedFast { piece: set[1] },
    ]);
}
