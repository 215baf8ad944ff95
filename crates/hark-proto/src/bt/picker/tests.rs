//! The picker's rules, each on a small torrent.

use super::*;
use crate::netsim::SimRng;

/// `n` pieces of two 16 KiB blocks.
fn picker(n: u32, seed: u64) -> PiecePicker {
    let shape = TorrentShape::new(u64::from(n) * 32768, 32768).unwrap();
    PiecePicker::new(shape, 16384, &mut SimRng::new(seed))
}

fn set(n: u32, pieces: &[u32]) -> PieceSet {
    let mut s = PieceSet::empty(n);
    for &p in pieces {
        s.insert(p);
    }
    s
}

fn pick(p: &mut PiecePicker, peer: u32, theirs: &PieceSet, max: usize) -> Vec<BlockRequest> {
    let mut out = Vec::new();
    p.pick(PeerKey(peer), theirs, max, &mut out);
    out
}

fn b(index: u32, block: u32) -> BlockRequest {
    BlockRequest {
        index,
        begin: block * 16384,
        length: 16384,
    }
}

#[test]
fn the_rarest_piece_comes_first() {
    let mut p = picker(8, 1);
    let all = PieceSet::full(8);
    p.add_peer(&all);
    p.add_peer(&all);
    p.add_peer(&set(8, &[0, 1, 2, 3, 4, 6, 7])); // piece 5 is the rarest
    assert_eq!(pick(&mut p, 1, &all, 2), [b(5, 0), b(5, 1)]);
}

#[test]
fn ties_are_broken_by_the_seeded_order() {
    let all = PieceSet::full(64);
    let first = |seed| {
        let mut p = picker(64, seed);
        p.add_peer(&all);
        pick(&mut p, 1, &all, 1)[0].index
    };
    // The same seed picks the same piece; different seeds spread the first picks.
    assert_eq!(first(3), first(3));
    let firsts: std::collections::HashSet<u32> = (0..20).map(first).collect();
    assert!(firsts.len() > 10, "{firsts:?}");
}

#[test]
fn partial_pieces_have_strict_priority() {
    let mut p = picker(8, 2);
    let all = PieceSet::full(8);
    p.add_peer(&all);
    p.add_peer(&set(8, &[0, 1, 2, 3, 4, 5, 6])); // piece 7 is the rarest
    // Peer 1 starts piece 7 with one block.
    assert_eq!(pick(&mut p, 1, &all, 1), [b(7, 0)]);
    // Peer 2 finishes the started piece before starting the next rarest.
    let got = pick(&mut p, 2, &all, 3);
    assert_eq!(got[0], b(7, 1));
    assert_eq!(got[1].index, got[2].index);
    assert_ne!(got[1].index, 7);
}

#[test]
fn a_peer_gets_only_pieces_it_has_and_we_lack() {
    let mut p = picker(4, 3);
    let theirs = set(4, &[1, 2]);
    p.add_peer(&theirs);
    p.piece_passed(1);
    assert_eq!(pick(&mut p, 1, &theirs, 10), [b(2, 0), b(2, 1)]);
    assert!(
        pick(&mut p, 1, &set(4, &[0, 3]), 10).is_empty(),
        "nobody has 0 or 3"
    );
}

#[test]
fn aborted_requests_free_their_blocks() {
    let mut p = picker(2, 4);
    let all = PieceSet::full(2);
    p.add_peer(&all);
    let got = pick(&mut p, 1, &all, 1);
    p.abort_request(PeerKey(1), got[0]);
    assert_eq!(pick(&mut p, 2, &all, 1), got);
}

#[test]
fn end_game_duplicates_requests_and_names_the_peers_to_cancel() {
    let mut p = picker(2, 5);
    let all = PieceSet::full(2);
    p.add_peer(&all);
    p.add_peer(&all);
    let first = pick(&mut p, 1, &all, 4);
    assert_eq!(first.len(), 4);
    assert!(p.is_end_game());
    // Peer 2 gets the same blocks (never one it already asked for).
    let mut second = pick(&mut p, 2, &all, 10);
    second.sort();
    let mut want = first.clone();
    want.sort();
    assert_eq!(second, want);
    assert!(pick(&mut p, 2, &all, 10).is_empty());
    // A block from peer 2: peer 1 gets a cancel.
    let got = p.block_received(PeerKey(2), first[0]);
    assert_eq!(got.cancel, [PeerKey(1)]);
    assert!(!got.piece_complete && !got.unexpected);
    // The same block again is unexpected.
    assert!(p.block_received(PeerKey(1), first[0]).unexpected);
}

#[test]
fn a_complete_piece_is_reported_and_a_failed_one_is_picked_again() {
    let mut p = picker(1, 6);
    let all = PieceSet::full(1);
    p.add_peer(&all);
    let got = pick(&mut p, 1, &all, 2);
    assert!(!p.block_received(PeerKey(1), got[0]).piece_complete);
    assert!(p.block_received(PeerKey(1), got[1]).piece_complete);
    p.piece_failed(0);
    assert_eq!(pick(&mut p, 1, &all, 2), got);
    p.block_received(PeerKey(1), got[0]);
    p.block_received(PeerKey(1), got[1]);
    p.piece_passed(0);
    assert!(p.have().is_full());
    assert!(!p.is_end_game());
    assert!(pick(&mut p, 1, &all, 2).is_empty());
}

#[test]
fn the_short_last_piece_has_a_short_last_block() {
    let shape = TorrentShape::new(32768 + 20000, 32768).unwrap();
    let mut p = PiecePicker::new(shape, 16384, &mut SimRng::new(1));
    let theirs = set(2, &[1]);
    p.add_peer(&theirs);
    assert_eq!(
        pick(&mut p, 1, &theirs, 5),
        [
            b(1, 0),
            BlockRequest {
                index: 1,
                begin: 16384,
                length: 20000 - 16384
            }
        ]
    );
}

#[test]
fn availability_follows_peers_joining_and_leaving() {
    let mut p = picker(3, 7);
    let a = set(3, &[0, 1]);
    p.add_peer(&a);
    p.peer_has(2);
    assert_eq!((p.availability(0), p.availability(2)), (1, 1));
    p.remove_peer(&a);
    assert_eq!((p.availability(0), p.availability(1)), (0, 0));
}

#[test]
fn a_held_piece_is_never_picked_until_released() {
    let mut p = picker(3, 4);
    let all = PieceSet::full(3);
    p.add_peer(&all);
    p.hold(1);
    assert!(p.is_held(1));
    let blocks = pick(&mut p, 1, &all, 100);
    assert_eq!(blocks.len(), 4, "two pieces of two blocks: {blocks:?}");
    assert!(blocks.iter().all(|b| b.index != 1));
    assert_eq!(p.pick_piece(&all), None);
    p.release(1);
    assert!(!p.is_held(1));
    assert_eq!(p.pick_piece(&all), Some(1));
    assert_eq!(pick(&mut p, 1, &all, 100), vec![b(1, 0), b(1, 1)]);
}

#[test]
fn a_held_piece_in_progress_gives_no_blocks_even_in_end_game() {
    let mut p = picker(2, 5);
    let all = PieceSet::full(2);
    p.add_peer(&all);
    p.add_peer(&all);
    assert_eq!(pick(&mut p, 1, &all, 4).len(), 4);
    assert!(p.is_end_game());
    // Piece 0 is held (say, being hashed) with its blocks still requested.
    p.hold(0);
    assert!(p.is_end_game());
    let dup = pick(&mut p, 2, &all, 10);
    assert_eq!(
        dup,
        vec![b(1, 0), b(1, 1)],
        "end game duplicates piece 1 only"
    );
    // It passes: held no more, ours.
    p.piece_passed(0);
    assert!(!p.is_held(0));
    assert!(p.have().contains(0));
}

#[test]
fn pick_piece_is_rarest_first_and_marks_nothing() {
    let mut p = picker(6, 6);
    let all = PieceSet::full(6);
    p.add_peer(&all);
    p.add_peer(&set(6, &[0, 1, 2, 4, 5])); // piece 3 is the rarest the peer has
    p.add_peer(&set(6, &[0, 1, 2, 3, 5])); // and piece 4 too
    p.peer_has(4);
    assert_eq!(p.pick_piece(&all), Some(3));
    assert_eq!(p.pick_piece(&all), Some(3), "picking alone marks nothing");
    p.hold(3);
    assert_eq!(p.pick_piece(&all), Some(4));
    // Only pieces the peer has; a piece no connected peer has still counts.
    let lone = set(6, &[2]);
    p.piece_passed(4);
    assert_eq!(p.pick_piece(&lone), Some(2));
    let mut fresh = picker(2, 7);
    assert!(fresh.pick_piece(&PieceSet::full(2)).is_some());
    fresh.piece_passed(0);
    fresh.piece_passed(1);
    assert_eq!(fresh.pick_piece(&PieceSet::full(2)), None);
}

#[test]
fn pieces_in_progress_are_not_picked_as_new_pieces() {
    let mut p = picker(2, 8);
    let all = PieceSet::full(2);
    p.add_peer(&all);
    let first = pick(&mut p, 1, &all, 1);
    assert_eq!(first.len(), 1);
    let other = 1 - first[0].index;
    assert_eq!(p.pick_piece(&all), Some(other));
}

#[test]
fn senders_and_writes_are_tracked_until_the_piece_is_stored() {
    let mut p = picker(1, 9);
    let all = PieceSet::full(1);
    p.add_peer(&all);
    p.add_peer(&all);
    let got = pick(&mut p, 1, &all, 1);
    let other = pick(&mut p, 2, &all, 1);
    assert!(p.is_requested_from(PeerKey(1), got[0]));
    assert!(!p.is_requested_from(PeerKey(2), got[0]));
    p.block_received(PeerKey(1), got[0]);
    p.block_received(PeerKey(2), other[0]);
    assert_eq!(p.senders(0), [Some(PeerKey(1)), Some(PeerKey(2))]);
    assert_eq!(p.contributors(0), [PeerKey(1), PeerKey(2)]);
    // A write reported for another sender is not this block's.
    assert!(!p.block_written(PeerKey(2), got[0]));
    assert!(!p.block_written(PeerKey(1), got[0]));
    assert!(p.block_written(PeerKey(2), other[0]), "both stored");
    p.piece_failed(0);
    assert!(p.senders(0).is_empty());
    assert!(!p.block_written(PeerKey(2), other[0]), "started over");
}

#[test]
fn a_single_source_piece_comes_from_one_peer_and_restarts_when_it_leaves() {
    let mut p = picker(2, 10);
    let all = PieceSet::full(2);
    let only0 = set(2, &[0]);
    p.add_peer(&all);
    p.add_peer(&all);
    p.set_single_source(0);
    assert_eq!(p.single_source(0), Some(None));
    // Peer 1 takes one block of piece 0 and becomes its source.
    assert_eq!(pick(&mut p, 1, &only0, 1), [b(0, 0)]);
    assert_eq!(p.single_source(0), Some(Some(PeerKey(1))));
    // Peer 2 gets no block of piece 0, not even in end game.
    assert!(pick(&mut p, 2, &only0, 4).is_empty());
    p.block_received(PeerKey(1), b(0, 0));
    // The source leaves: the piece starts over, for any one peer.
    p.drop_peer(PeerKey(1));
    assert_eq!(p.single_source(0), Some(None));
    assert!(p.senders(0).is_empty());
    assert_eq!(pick(&mut p, 2, &only0, 4), [b(0, 0), b(0, 1)]);
    assert_eq!(p.single_source(0), Some(Some(PeerKey(2))));
    p.piece_passed(0);
    assert_eq!(p.single_source(0), None);
}

#[test]
fn a_leaving_peer_frees_its_requests() {
    let mut p = picker(1, 11);
    let all = PieceSet::full(1);
    p.add_peer(&all);
    let got = pick(&mut p, 1, &all, 2);
    p.block_received(PeerKey(1), got[0]);
    p.drop_peer(PeerKey(1));
    // The received block stays received; the requested one is free again.
    assert_eq!(pick(&mut p, 2, &all, 2), [got[1]]);
    assert_eq!(p.senders(0), [Some(PeerKey(1)), None]);
}

#[test]
fn a_whole_piece_for_one_source_and_the_end_game_requester_limit() {
    let mut p = picker(2, 12);
    let all = PieceSet::full(2);
    p.add_peer(&all);
    p.add_peer(&all);
    p.add_peer(&all);
    p.set_end_game_requesters(2);
    let piece = p.pick_piece(&all).unwrap();
    let mut whole = Vec::new();
    assert_eq!(p.request_piece(PeerKey(9), piece, &mut whole), 2);
    assert_eq!(whole, [b(piece, 0), b(piece, 1)]);
    assert_eq!(p.pick_piece(&all), Some(1 - piece));
    assert_eq!(pick(&mut p, 1, &all, 2).len(), 2);
    assert!(p.is_end_game());
    // Each block has one requester: peer 2 joins all four, peer 3 none (limit 2).
    assert_eq!(pick(&mut p, 2, &all, 10).len(), 4);
    assert!(pick(&mut p, 3, &all, 10).is_empty());
    // The whole-piece source's blocks arrive: peer 2 gets cancels.
    assert_eq!(p.block_received(PeerKey(9), whole[0]).cancel, [PeerKey(2)]);
}
