//! Two sessions in memory, a seeder and a leecher, on a virtual clock: the leecher picks
//! blocks with the piece picker and must end with the seeder's bytes.

use super::*;
use crate::bt::picker::{PeerKey, PiecePicker};
use crate::netsim::SimRng;

/// Moves every byte one session has queued into the other.
fn pump(from: &mut PeerSession, to: &mut PeerSession, now: Instant) -> usize {
    let mut buf = [0u8; 4096];
    let mut moved = 0;
    loop {
        let n = from.poll_transmit(now, &mut buf);
        if n == 0 {
            return moved;
        }
        to.handle_bytes(now, &buf[..n]);
        moved += n;
    }
}

#[test]
fn a_leecher_downloads_everything_from_a_seeder_in_memory() {
    let shape = TorrentShape::new(TOTAL, PIECE_LEN).unwrap();
    let data: Vec<u8> = (0..TOTAL).map(|i| (i * 31 % 251) as u8).collect();
    let mut now = Instant::now();
    let both = fast().with_extension_protocol(true);
    let mut seeder =
        PeerSession::new(now, config(both), shape, INFO_HASH, PieceSet::full(PIECES)).unwrap();
    let mut leecher = PeerSession::new(
        now,
        SessionConfig {
            reserved: both,
            ..SessionConfig::new(THEM)
        },
        shape,
        INFO_HASH,
        PieceSet::empty(PIECES),
    )
    .unwrap();
    let mut picker = PiecePicker::new(shape, BLOCK_LEN, &mut SimRng::new(11));
    let mut got = vec![0u8; TOTAL as usize];
    let mut verified = 0;
    for _step in 0..1000 {
        now += Duration::from_millis(10);
        pump(&mut seeder, &mut leecher, now);
        pump(&mut leecher, &mut seeder, now);
        while let Some(event) = seeder.poll_event() {
            match event {
                Event::Interested => seeder.unchoke(now),
                Event::BlockRequested(r) => {
                    let at =
                        (u64::from(r.index) * u64::from(PIECE_LEN) + u64::from(r.begin)) as usize;
                    seeder
                        .serve(now, r, &data[at..at + r.length as usize])
                        .unwrap();
                }
                Event::Closed(error) => panic!("seeder: {error}"),
                _ => {}
            }
        }
        while let Some(event) = leecher.poll_event() {
            match event {
                Event::PeerPieces => {
                    picker.add_peer(leecher.peer_pieces());
                    leecher.set_interested(now, true);
                }
                Event::Block {
                    request,
                    data: block,
                } => {
                    let at = (u64::from(request.index) * u64::from(PIECE_LEN)
                        + u64::from(request.begin)) as usize;
                    got[at..at + block.len()].copy_from_slice(&block);
                    if picker.block_received(PeerKey(0), request).piece_complete {
                        picker.piece_passed(request.index);
                        leecher.have(now, request.index);
                        verified += 1;
                    }
                }
                Event::Closed(error) => panic!("leecher: {error}"),
                _ => {}
            }
        }
        if !leecher.peer_choking() {
            let mut blocks = Vec::new();
            let theirs = leecher.peer_pieces().clone();
            picker.pick(
                PeerKey(0),
                &theirs,
                leecher.wanted_requests(now),
                &mut blocks,
            );
            for block in blocks {
                leecher.request(now, block).unwrap();
            }
        }
        seeder.handle_timeout(now);
        leecher.handle_timeout(now);
        if verified == PIECES {
            break;
        }
    }
    assert_eq!(verified, PIECES);
    assert!(got == data, "the leecher's bytes differ");
    assert!(picker.have().is_full());
    // The seeder heard every `have`.
    pump(&mut leecher, &mut seeder, now);
    assert!(seeder.peer_pieces().is_full());
    assert!(!seeder.is_closed() && !leecher.is_closed());
}
