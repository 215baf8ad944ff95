//! The torrent and BEP 6's allowed-fast sets, packet by packet: a seeder sends a peer it
//! chokes the canonical set and serves it those pieces while choked; a leecher choked by
//! a peer requests exactly the pieces that peer allowed fast.

use std::net::SocketAddr;
use std::time::Instant;

use hark_wire::bt::peer::{
    BlockRequest, Decoded, Decoder, Frame, HandshakeRepr, MessageRepr, Reserved,
};
use rand_core::SeedableRng;

use crate::bt::peer::{PieceSet, SessionConfig, allowed_fast_set};
use crate::bt::swarm::make_torrent;
use crate::bt::torrent::{Completion, DiskJob, PeerHandle, Torrent, TorrentConfig};

pub(super) const PIECE: u32 = 16 * 1024;
pub(super) const PIECES: u32 = 20;
const THEM: [u8; 20] = *b"-LT2080-abcdefghijkl";

pub(super) fn peer_addr() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 77], 6881))
}

/// A torrent of 20 one-block pieces whose files are open, and its info hash.
fn torrent(seed: bool) -> (Torrent, [u8; 20], Instant) {
    let (info, _) = make_torrent(9, &[u64::from(PIECE) * u64::from(PIECES)], PIECE);
    let now = Instant::now();
    let config = TorrentConfig::new(SessionConfig::new(*b"-HK0001-000000000000"));
    let have = if seed {
        PieceSet::full(PIECES)
    } else {
        PieceSet::empty(PIECES)
    };
    let rng = Box::new(rand_pcg::Pcg32::seed_from_u64(3));
    let mut t = Torrent::new(now, config, &info, have, rng).unwrap();
    while let Some(job) = t.poll_disk_job() {
        t.handle_disk(now, Completion::Done(job.id()));
    }
    while t.poll_event().is_some() {}
    (t, info.info_hash.0, now)
}

pub(super) fn bytes_of(msgs: &[MessageRepr<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for msg in msgs {
        let mut buf = vec![0; msg.buffer_len()];
        msg.emit(&mut buf).unwrap();
        out.extend_from_slice(&buf);
    }
    out
}

/// Everything the torrent has for `peer`, decoded (after the 68-byte handshake when
/// `skip_handshake`).
pub(super) fn sent(
    t: &mut Torrent,
    now: Instant,
    peer: PeerHandle,
    skip_handshake: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = t.poll_peer_transmit(now, peer, &mut buf);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    let stream = if skip_handshake { &out[68..] } else { &out[..] };
    let mut decoder = Decoder::after_handshake(u32::MAX);
    let mut msgs = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        match decoder.decode(&stream[at..]) {
            Ok(Decoded::Complete {
                value: Frame::Message(m),
                consumed,
            }) => {
                msgs.push(format!("{m:?}"));
                at += consumed;
            }
            other => panic!("undecodable: {other:?}"),
        }
    }
    msgs
}

fn describe(msgs: &[MessageRepr<'_>]) -> Vec<String> {
    msgs.iter().map(|m| format!("{m:?}")).collect()
}

pub(super) fn connect(
    t: &mut Torrent,
    now: Instant,
    info_hash: [u8; 20],
    theirs: &[MessageRepr<'_>],
) -> PeerHandle {
    let peer = t.add_peer(now, peer_addr()).unwrap();
    let hello = HandshakeRepr {
        reserved: Reserved::NONE.with_fast(true),
        info_hash,
        peer_id: THEM,
    };
    let mut input = hello.to_bytes().to_vec();
    input.extend(bytes_of(theirs));
    t.handle_peer_bytes(now, peer, &input);
    peer
}

fn request(index: u32) -> BlockRequest {
    BlockRequest {
        index,
        begin: 0,
        length: PIECE,
    }
}

#[test]
fn a_seeder_sends_the_canonical_set_and_serves_it_while_choking() {
    let (mut t, info_hash, now) = torrent(true);
    let peer = connect(&mut t, now, info_hash, &[MessageRepr::HaveNone]);
    let set = allowed_fast_set(peer_addr().ip(), &info_hash, PIECES, 10);
    assert_eq!(set.len(), 10);
    let mut want = vec![MessageRepr::HaveAll];
    want.extend(set.iter().map(|&piece| MessageRepr::AllowedFast { piece }));
    assert_eq!(sent(&mut t, now, peer, true), describe(&want));
    assert!(t.peer(peer).unwrap().am_choking());
    // While choked (not interested, so the choker leaves it choked): a request in the
    // set becomes a read job and is served; one outside it is rejected.
    let outside = (0..PIECES).find(|i| !set.contains(i)).unwrap();
    t.handle_peer_bytes(
        now,
        peer,
        &bytes_of(&[
            MessageRepr::Request(request(set[0])),
            MessageRepr::Request(request(outside)),
        ]),
    );
    assert_eq!(
        sent(&mut t, now, peer, false),
        describe(&[MessageRepr::Reject(request(outside))])
    );
    let job = t.poll_disk_job().expect("a read job for the allowed piece");
    let DiskJob::Read { id, slices } = job else {
        panic!("not a read: {job:?}");
    };
    assert_eq!(slices[0].offset, u64::from(set[0]) * u64::from(PIECE));
    let data = vec![0x5a; PIECE as usize];
    t.handle_disk(now, Completion::Read(id, data.clone()));
    assert_eq!(
        sent(&mut t, now, peer, false),
        describe(&[MessageRepr::Piece {
            index: set[0],
            begin: 0,
            data: &data
        }])
    );
    assert!(t.peer(peer).unwrap().am_choking());
}

#[test]
fn a_choked_leecher_requests_only_the_pieces_allowed_fast() {
    let (mut t, info_hash, now) = torrent(false);
    let peer = connect(
        &mut t,
        now,
        info_hash,
        &[
            MessageRepr::HaveAll,
            MessageRepr::AllowedFast { piece: 13 },
            MessageRepr::AllowedFast { piece: 4 },
        ],
    );
    let msgs = sent(&mut t, now, peer, true);
    assert_eq!(
        msgs[..2],
        describe(&[MessageRepr::HaveNone, MessageRepr::Interested])
    );
    let mut requested: Vec<String> = msgs[2..].to_vec();
    requested.sort();
    let mut want = describe(&[
        MessageRepr::Request(request(4)),
        MessageRepr::Request(request(13)),
    ]);
    want.sort();
    assert_eq!(requested, want, "only allowed-fast pieces while choked");
    // The queue is full (two requests); once the peer unchokes us and a block arrives,
    // the next requests are for other pieces.
    let data = vec![1u8; PIECE as usize];
    t.handle_peer_bytes(
        now,
        peer,
        &bytes_of(&[
            MessageRepr::Unchoke,
            MessageRepr::Piece {
                index: 4,
                begin: 0,
                data: &data,
            },
        ]),
    );
    let more = sent(&mut t, now, peer, false);
    assert!(!more.is_empty());
    for m in &more {
        assert!(m.starts_with("Request"), "{more:?}");
        assert!(
            !m.contains("index: 4,") && !m.contains("index: 13,"),
            "{more:?}"
        );
    }
}
