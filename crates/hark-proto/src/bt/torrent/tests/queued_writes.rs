//! Blocks that arrive while the disk queue is full: held up to `max_queued_write_bytes`
//! and written as disk jobs finish; requests stay within that room, so a burst from every
//! peer at once is never dropped (and downloaded twice).

use std::time::Instant;

use hark_wire::bt::metainfo::Info;
use hark_wire::bt::peer::MessageRepr;
use rand_core::SeedableRng;

use super::fast::{PIECE, PIECES, bytes_of, connect, sent};
use crate::bt::peer::{PieceSet, SessionConfig};
use crate::bt::swarm::make_torrent;
use crate::bt::torrent::{Completion, DiskJob, Torrent, TorrentConfig};

/// A leecher of 20 one-block pieces with room for 2 disk jobs and 2 held blocks, its
/// piece hashes and the torrent's bytes.
fn leecher() -> (Torrent, Info, Vec<u8>, Instant) {
    let (info, data) = make_torrent(9, &[u64::from(PIECE) * u64::from(PIECES)], PIECE);
    let now = Instant::now();
    let mut config = TorrentConfig::new(SessionConfig::new(*b"-HK0001-000000000000"));
    config.session.min_queue_depth = 8;
    config.max_disk_jobs = 2;
    config.max_queued_write_bytes = 2 * PIECE as usize;
    let rng = Box::new(rand_pcg::Pcg32::seed_from_u64(5));
    let mut t = Torrent::new(now, config, &info, PieceSet::empty(PIECES), rng).unwrap();
    while let Some(job) = t.poll_disk_job() {
        t.handle_disk(now, Completion::Done(job.id()));
    }
    while t.poll_event().is_some() {}
    (t, info, data, now)
}

/// Runs every queued disk job (hash checks pass), as long as new ones come; returns the
/// pieces written, in order.
fn run_disk(t: &mut Torrent, info: &Info, now: Instant) -> Vec<u32> {
    let mut written = Vec::new();
    while let Some(job) = t.poll_disk_job() {
        let done = match &job {
            DiskJob::Write { slices, .. } => {
                written.push((slices[0].offset / u64::from(PIECE)) as u32);
                Completion::Done(job.id())
            }
            DiskJob::HashPiece { index, .. } => {
                Completion::Hashed(job.id(), info.pieces[*index as usize])
            }
            other => panic!("unexpected job {other:?}"),
        };
        t.handle_disk(now, done);
    }
    written
}

#[test]
fn requests_stay_within_the_room_and_a_burst_is_held_then_written() {
    let (mut t, info, data, now) = leecher();
    let peer = connect(
        &mut t,
        now,
        info.info_hash.0,
        &[MessageRepr::HaveAll, MessageRepr::Unchoke],
    );
    let requests = |msgs: Vec<String>| -> Vec<u32> {
        msgs.iter()
            .filter_map(|m| {
                let rest = m.strip_prefix("Request(BlockRequest { index: ")?;
                rest.split(',').next()?.parse().ok()
            })
            .collect()
    };
    // Room for 2 disk jobs and 2 held blocks: 4 requests, though the queue wants 8.
    let requested = requests(sent(&mut t, now, peer, true));
    assert_eq!(requested.len(), 4, "{requested:?}");
    // All four in one burst: two write jobs, two held.
    let block = |index: u32| {
        let at = (index * PIECE) as usize;
        &data[at..at + PIECE as usize]
    };
    let pieces: Vec<MessageRepr<'_>> = requested
        .iter()
        .map(|&index| MessageRepr::Piece {
            index,
            begin: 0,
            data: block(index),
        })
        .collect();
    t.handle_peer_bytes(now, peer, &bytes_of(&pieces));
    assert_eq!(t.jobs.len(), 2, "{}", t.debug_state());
    assert_eq!(t.queued_write_bytes, 2 * PIECE as usize);
    // As jobs finish, the held blocks go to disk in arrival order, and every piece passes.
    assert_eq!(
        run_disk(&mut t, &info, now),
        requested,
        "{}",
        t.debug_state()
    );
    assert_eq!(t.queued_write_bytes, 0);
    assert!(t.queued_writes.is_empty());
    for &index in &requested {
        assert!(t.have().contains(index), "{}", t.debug_state());
    }
    // With the room back, four more requests, for other pieces.
    let more = requests(sent(&mut t, now, peer, false));
    assert_eq!(more.len(), 4, "{more:?}");
    assert!(more.iter().all(|p| !requested.contains(p)), "{more:?}");
}
