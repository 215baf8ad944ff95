//! Piece picker cost per pick with 10,000 pieces and 200 peers (the figure).
//!
//! The swarm: 200 peers, each holding every piece with probability 1/2 (seeded), 30 % of
//! the pieces already ours, 20 pieces in progress with every block requested (so a pick
//! walks the rarest-first order rather than finishing a partial piece). Each measured
//! iteration picks one block for the next peer and hands it back (`abort_request`), which
//! keeps the state the same for every iteration. A sparse peer (1 % of the pieces) shows
//! the cost of a longer walk; `add_peer` is the cost of a peer joining with a bitfield.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hark_proto::bt::peer::{PieceSet, TorrentShape};
use hark_proto::bt::picker::{PeerKey, PiecePicker};
use hark_proto::netsim::SimRng;
use std::hint::black_box;

const PIECES: u32 = 10_000;
const PEERS: usize = 200;
const PIECE_LEN: u32 = 256 * 1024;

fn random_set(rng: &mut SimRng, p: f64) -> PieceSet {
    let mut set = PieceSet::empty(PIECES);
    for piece in 0..PIECES {
        if rng.chance(p) {
            set.insert(piece);
        }
    }
    set
}

fn swarm() -> (PiecePicker, Vec<PieceSet>) {
    let shape = TorrentShape::new(u64::from(PIECES) * u64::from(PIECE_LEN), PIECE_LEN).unwrap();
    let mut rng = SimRng::new(0x5eed);
    let mut picker = PiecePicker::new(shape, 16 * 1024, &mut rng);
    let peers: Vec<PieceSet> = (0..PEERS).map(|_| random_set(&mut rng, 0.5)).collect();
    for peer in &peers {
        picker.add_peer(peer);
    }
    for piece in 0..PIECES {
        if rng.chance(0.3) {
            picker.piece_passed(piece);
        }
    }
    // 20 pieces in progress, every block asked of a peer outside the measured ones.
    let all = PieceSet::full(PIECES);
    let mut blocks = Vec::new();
    picker.pick(PeerKey(u32::MAX), &all, 20 * 16, &mut blocks);
    (picker, peers)
}

fn bench(c: &mut Criterion) {
    let (mut picker, peers) = swarm();
    let mut group = c.benchmark_group("bt_picker_10000_pieces_200_peers");
    group.throughput(Throughput::Elements(1));
    group.bench_function("pick_one_block", |b| {
        let mut next = 0;
        let mut out = Vec::with_capacity(4);
        b.iter(|| {
            next = (next + 1) % PEERS;
            out.clear();
            picker.pick(PeerKey(next as u32), &peers[next], 1, &mut out);
            let block = out[0];
            picker.abort_request(PeerKey(next as u32), black_box(block));
        })
    });
    let sparse = random_set(&mut SimRng::new(9), 0.01);
    picker.add_peer(&sparse);
    group.bench_function("pick_one_block_sparse_peer", |b| {
        let mut out = Vec::with_capacity(4);
        b.iter(|| {
            out.clear();
            picker.pick(PeerKey(1000), &sparse, 1, &mut out);
            let block = out[0];
            picker.abort_request(PeerKey(1000), black_box(block));
        })
    });
    group.bench_function("add_and_remove_peer", |b| {
        b.iter(|| {
            picker.add_peer(black_box(&peers[7]));
            picker.remove_peer(black_box(&peers[7]));
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
