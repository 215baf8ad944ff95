//! The piece picker: which blocks to request from which peer.
//!
//! - **Rarest first**: pieces fewer peers have come first; ties are broken by an order
//!   shuffled once with the RNG given at construction, and availability changes keep the
//!   order sorted in O(1) each (pieces of equal availability form contiguous buckets).
//! - **Strict priority for partial pieces**: a piece with blocks requested or received is
//!   finished before a new piece is started, so pieces complete (and can be verified and
//!   shared) as early as possible.
//! - **End game**: once every missing block is requested, a peer may request blocks that
//!   other peers were asked for; when one arrives, [`PiecePicker::block_received`] names the
//!   peers to send a cancel to.
//!
//! - **Held pieces**: [`PiecePicker::hold`] takes a piece out of picking (it is being
//!   hash-checked); [`PiecePicker::pick_piece`] and [`PiecePicker::request_piece`] give a
//!   whole piece to one source (a web seed).
//! - **Who sent what**: the picker is the one owner of block state. Each block is free,
//!   requested (from whom), received (from whom) and then written
//!   ([`PiecePicker::block_written`] says when the whole piece is stored and can be hashed);
//!   [`PiecePicker::senders`] names each block's sender for a corrupt-peer policy, and
//!   [`PiecePicker::set_single_source`] makes a piece's next attempt come from one peer only
//!   (so its result judges that peer alone).
//!
//! The picker owns no clock and no I/O; peers are the caller's [`PeerKey`]s.
//!
//! ```
//! use hark_proto::bt::peer::{PieceSet, TorrentShape};
//! use hark_proto::bt::picker::{PeerKey, PiecePicker};
//! use hark_proto::netsim::SimRng;
//!
//! let shape = TorrentShape::new(4 * 32768, 32768).unwrap(); // 4 pieces, 2 blocks each
//! let mut picker = PiecePicker::new(shape, 16384, &mut SimRng::new(7));
//! let mut seed = PieceSet::full(4);
//! let mut rare = PieceSet::empty(4);
//! rare.insert(2);
//! picker.add_peer(&seed);
//! picker.add_peer(&rare); // piece 2 is now the only piece two peers have
//!
//! let mut blocks = Vec::new();
//! picker.pick(PeerKey(1), &seed, 3, &mut blocks);
//! // Rarest first: not piece 2. The started piece is finished before another begins.
//! assert_eq!(blocks.len(), 3);
//! assert_eq!(blocks[0].index, blocks[1].index);
//! assert!(blocks.iter().all(|b| b.index != 2));
//! # let _ = &mut seed;
//! ```

mod order;
mod progress;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use hark_wire::bt::peer::BlockRequest;
use rand_core::Rng;

use super::peer::{PieceSet, TorrentShape};
use order::AvailabilityOrder;
use progress::{Block, Progress};

/// The caller's name for a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerKey(pub u32);

/// What [`PiecePicker::block_received`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    /// Other peers that were asked for the same block (end game): send them a cancel.
    pub cancel: Vec<PeerKey>,
    /// Every block of the piece is in: hash it, then report
    /// [`PiecePicker::piece_passed`] or [`PiecePicker::piece_failed`].
    pub piece_complete: bool,
    /// The block was not one we were waiting for (a duplicate, or for a piece we have).
    pub unexpected: bool,
}

/// Rarest-first piece picking with strict priority for partial pieces and end game.
#[derive(Debug, Clone)]
pub struct PiecePicker {
    shape: TorrentShape,
    block_len: u32,
    have: PieceSet,
    order: AvailabilityOrder,
    /// Pieces in progress.
    active: HashMap<u32, Progress>,
    /// The pieces in progress, in the order they were started.
    started: Vec<u32>,
    /// Pieces out of picking until released or passed.
    held: PieceSet,
    /// Pieces whose next attempt comes from one peer: that peer, once one was asked.
    single_source: HashMap<u32, Option<PeerKey>>,
    /// Peers a block may be requested from at once in end game.
    max_requesters: usize,
}

impl PiecePicker {
    /// A picker for `shape` in blocks of `block_len` bytes (16 KiB in practice), with the
    /// tie-break order drawn from `rng`. A `block_len` of zero is taken as 16 KiB.
    pub fn new<R: Rng + ?Sized>(shape: TorrentShape, block_len: u32, rng: &mut R) -> Self {
        let count = shape.piece_count();
        let mut shuffled: Vec<u32> = (0..count).collect();
        // Fisher-Yates with a multiply-shift draw (no modulo bias worth the name).
        for i in (1..shuffled.len()).rev() {
            let j = ((u128::from(rng.next_u64()) * (i as u128 + 1)) >> 64) as usize;
            shuffled.swap(i, j);
        }
        Self {
            shape,
            block_len: if block_len == 0 { 16 * 1024 } else { block_len },
            have: PieceSet::empty(count),
            order: AvailabilityOrder::new(shuffled),
            active: HashMap::new(),
            started: Vec::new(),
            held: PieceSet::empty(count),
            single_source: HashMap::new(),
            max_requesters: usize::MAX,
        }
    }

    /// Limits how many peers one block may be requested from at once in end game (at
    /// least 1; unlimited by default).
    pub fn set_end_game_requesters(&mut self, max: usize) {
        self.max_requesters = max.max(1);
    }

    /// The pieces we have (passed their hash check).
    pub fn have(&self) -> &PieceSet {
        &self.have
    }

    /// How many connected peers have `piece`.
    pub fn availability(&self, piece: u32) -> u32 {
        self.order.availability(piece)
    }

    /// Whether every missing block is requested (or its piece held), so picks may duplicate
    /// requests.
    pub fn is_end_game(&self) -> bool {
        let count = self.shape.piece_count();
        let held_idle = if self.held.is_empty() {
            0
        } else {
            (0..count)
                .filter(|&p| {
                    self.held.contains(p) && !self.have.contains(p) && !self.active.contains_key(&p)
                })
                .count()
        };
        !self.have.is_full()
            && self.active.len() + held_idle + self.have.len() as usize == count as usize
            && self.active.values().all(|p| !p.has_free())
    }

    /// Takes `piece` out of picking: [`PiecePicker::pick`] hands out none of its blocks
    /// (not even in end game) and [`PiecePicker::pick_piece`] skips it, until
    /// [`PiecePicker::release`] or [`PiecePicker::piece_passed`]. Blocks already requested
    /// stay requested. For a piece being hash-checked.
    pub fn hold(&mut self, piece: u32) {
        self.held.insert(piece);
    }

    /// Puts a held `piece` back into picking.
    pub fn release(&mut self, piece: u32) {
        self.held.remove(piece);
    }

    /// Whether `piece` is held out of picking.
    pub fn is_held(&self, piece: u32) -> bool {
        self.held.contains(piece)
    }

    /// The rarest piece of `theirs` that is not ours, not in progress and not held (ties
    /// in the seeded order), or `None`. Pieces no connected peer has count too (a web seed
    /// has every piece). Nothing is marked: [`PiecePicker::request_piece`] does that.
    pub fn pick_piece(&self, theirs: &PieceSet) -> Option<u32> {
        self.order.iter().find(|&piece| {
            theirs.contains(piece)
                && !self.have.contains(piece)
                && !self.held.contains(piece)
                && !self.active.contains_key(&piece)
        })
    }

    /// Starts `piece` (if it is not in progress) and marks every free block of it requested
    /// by `peer`, appending them to `out`; returns how many. For a source that sends whole
    /// pieces (a web seed). Nothing for a piece we have or one that is held.
    pub fn request_piece(
        &mut self,
        peer: PeerKey,
        piece: u32,
        out: &mut Vec<BlockRequest>,
    ) -> usize {
        if piece >= self.shape.piece_count()
            || self.have.contains(piece)
            || self.held.contains(piece)
        {
            return 0;
        }
        self.start(piece, peer);
        self.take_free(piece, peer, usize::MAX, out)
    }

    /// The pieces of `pieces` sorted by their place in the order.
    fn by_position(&self, pieces: &PieceSet) -> Vec<u32> {
        let mut list: Vec<u32> = (0..pieces.capacity().min(self.shape.piece_count()))
            .filter(|&piece| pieces.contains(piece))
            .collect();
        list.sort_unstable_by_key(|&piece| self.order.position(piece));
        list
    }

    /// A peer joined with these pieces. They move up in the order from the back, so a
    /// whole bitfield keeps the tie-break order among the pieces it holds.
    pub fn add_peer(&mut self, pieces: &PieceSet) {
        for piece in self.by_position(pieces).into_iter().rev() {
            self.order.increment(piece);
        }
    }

    /// A peer with these pieces left. Its requests should be returned first, with
    /// [`PiecePicker::abort_request`] or [`PiecePicker::drop_peer`].
    pub fn remove_peer(&mut self, pieces: &PieceSet) {
        for piece in self.by_position(pieces) {
            self.order.decrement(piece);
        }
    }

    /// A peer announced one more piece (`have`).
    pub fn peer_has(&mut self, piece: u32) {
        self.order.increment(piece);
    }

    fn blocks_in(&self, piece: u32) -> u32 {
        self.shape
            .piece_len(piece)
            .map_or(0, |len| len.div_ceil(self.block_len))
    }

    fn block(&self, piece: u32, block: u32) -> BlockRequest {
        let len = self.shape.piece_len(piece).unwrap_or(0);
        let begin = block * self.block_len;
        BlockRequest {
            index: piece,
            begin,
            length: self.block_len.min(len.saturating_sub(begin)),
        }
    }

    /// Whether `peer` may take blocks of `piece`: not held, and not a single-source piece
    /// another peer is sending.
    fn open_to(&self, piece: u32, peer: PeerKey) -> bool {
        !self.held.contains(piece)
            && self
                .single_source
                .get(&piece)
                .is_none_or(|s| s.is_none_or(|s| s == peer))
    }

    /// Makes `piece` active (if it is not) with `peer` as its single source when it has to
    /// have one.
    fn start(&mut self, piece: u32, peer: PeerKey) {
        if !self.active.contains_key(&piece) {
            let progress = Progress::new(self.blocks_in(piece) as usize);
            self.active.insert(piece, progress);
            self.started.push(piece);
        }
        if let Some(source @ None) = self.single_source.get_mut(&piece) {
            *source = Some(peer);
        }
    }

    /// Appends up to `max` blocks for `peer` (which has `theirs`) to `out`: free blocks of
    /// pieces in progress first (oldest first), then blocks of the rarest pieces not
    /// started, then, in end game, blocks other peers were asked for (never of a
    /// single-source piece).
    pub fn pick(
        &mut self,
        peer: PeerKey,
        theirs: &PieceSet,
        max: usize,
        out: &mut Vec<BlockRequest>,
    ) {
        let mut left = max;
        // 1. Pieces in progress, in the order they were started.
        for at in 0..self.started.len() {
            if left == 0 {
                return;
            }
            let piece = self.started[at];
            if theirs.contains(piece) && self.open_to(piece, peer) {
                let taken = self.take_free(piece, peer, left, out);
                if taken > 0 {
                    self.start(piece, peer);
                }
                left -= taken;
            }
        }
        // 2. The rarest pieces nobody started yet.
        while left > 0 {
            let next = self.order.iter().find(|&piece| {
                theirs.contains(piece)
                    && !self.have.contains(piece)
                    && !self.active.contains_key(&piece)
                    && self.open_to(piece, peer)
                    && self.order.availability(piece) > 0
            });
            let Some(piece) = next else { break };
            self.start(piece, peer);
            left -= self.take_free(piece, peer, left, out);
        }
        // 3. End game: blocks requested from others, fewest requesters first.
        if left > 0 && self.is_end_game() {
            let mut candidates: Vec<(usize, u32, u32)> = Vec::new();
            for &piece in &self.started {
                if !theirs.contains(piece)
                    || self.held.contains(piece)
                    || self.single_source.contains_key(&piece)
                {
                    continue;
                }
                let Some(progress) = self.active.get(&piece) else {
                    continue;
                };
                for (i, block) in progress.blocks.iter().enumerate() {
                    if let Block::Requested(peers) = block
                        && !peers.contains(&peer)
                        && peers.len() < self.max_requesters
                    {
                        candidates.push((peers.len(), piece, i as u32));
                    }
                }
            }
            candidates.sort_by_key(|&(n, _, _)| n);
            for (_, piece, i) in candidates.into_iter().take(left) {
                if let Some(Block::Requested(peers)) = self
                    .active
                    .get_mut(&piece)
                    .and_then(|p| p.blocks.get_mut(i as usize))
                {
                    peers.push(peer);
                }
                out.push(self.block(piece, i));
            }
        }
    }

    /// Marks up to `max` free blocks of `piece` requested by `peer`; returns how many.
    fn take_free(
        &mut self,
        piece: u32,
        peer: PeerKey,
        max: usize,
        out: &mut Vec<BlockRequest>,
    ) -> usize {
        let mut taken = Vec::new();
        if let Some(progress) = self.active.get_mut(&piece) {
            for (i, block) in progress.blocks.iter_mut().enumerate() {
                if taken.len() == max {
                    break;
                }
                if *block == Block::Free {
                    *block = Block::Requested(vec![peer]);
                    taken.push(i as u32);
                }
            }
        }
        for &i in &taken {
            out.push(self.block(piece, i));
        }
        taken.len()
    }

    fn locate(&self, request: BlockRequest) -> Option<(u32, usize)> {
        if request.begin % self.block_len != 0 {
            return None;
        }
        let i = (request.begin / self.block_len) as usize;
        (self.block(request.index, i as u32) == request).then_some((request.index, i))
    }

    fn block_state(&self, request: BlockRequest) -> Option<&Block> {
        let (piece, i) = self.locate(request)?;
        self.active.get(&piece)?.blocks.get(i)
    }

    /// Whether `request` is one `peer` was asked for and has not been answered: a block
    /// from `peer` that is not is unwanted (a late answer to a cancel, or a block of a
    /// piece started over).
    pub fn is_requested_from(&self, peer: PeerKey, request: BlockRequest) -> bool {
        matches!(self.block_state(request), Some(Block::Requested(peers)) if peers.contains(&peer))
    }

    /// A block arrived from `peer`, who is now its sender.
    pub fn block_received(&mut self, peer: PeerKey, request: BlockRequest) -> Received {
        let Some((piece, i)) = self.locate(request) else {
            return Received {
                unexpected: true,
                ..Received::default()
            };
        };
        let Some(progress) = self.active.get_mut(&piece) else {
            return Received {
                unexpected: true,
                ..Received::default()
            };
        };
        let Some(block) = progress.blocks.get_mut(i) else {
            return Received {
                unexpected: true,
                ..Received::default()
            };
        };
        if matches!(block, Block::Received { .. }) {
            return Received {
                unexpected: true,
                ..Received::default()
            };
        }
        let previous = std::mem::replace(
            block,
            Block::Received {
                from: peer,
                written: false,
            },
        );
        let cancel = match previous {
            Block::Requested(peers) => peers.into_iter().filter(|p| *p != peer).collect(),
            _ => Vec::new(),
        };
        Received {
            cancel,
            piece_complete: progress.complete(),
            unexpected: false,
        }
    }

    /// The caller stored the block `peer` sent. True when every block of its piece is
    /// received and stored: the piece is ready to be hashed. A block not received from
    /// `peer` (its piece was started over since) is ignored.
    pub fn block_written(&mut self, peer: PeerKey, request: BlockRequest) -> bool {
        let Some((piece, i)) = self.locate(request) else {
            return false;
        };
        let Some(progress) = self.active.get_mut(&piece) else {
            return false;
        };
        if let Some(Block::Received { from, written }) = progress.blocks.get_mut(i)
            && *from == peer
        {
            *written = true;
            return progress.written();
        }
        false
    }

    /// The sender of each block of `piece` received so far, in block order (`None` for
    /// blocks not received); empty for a piece not in progress.
    pub fn senders(&self, piece: u32) -> Vec<Option<PeerKey>> {
        self.active
            .get(&piece)
            .map_or_else(Vec::new, Progress::senders)
    }

    /// The distinct senders of `piece`'s blocks received so far, sorted.
    pub fn contributors(&self, piece: u32) -> Vec<PeerKey> {
        let mut out: Vec<PeerKey> = self.senders(piece).into_iter().flatten().collect();
        out.sort();
        out.dedup();
        out
    }

    /// A request of `peer` will not be answered (rejected, timed out, cancelled, or the
    /// peer left): the block is free again unless others were asked for it too.
    pub fn abort_request(&mut self, peer: PeerKey, request: BlockRequest) {
        let Some((piece, i)) = self.locate(request) else {
            return;
        };
        let Some(progress) = self.active.get_mut(&piece) else {
            return;
        };
        if let Some(block) = progress.blocks.get_mut(i)
            && let Block::Requested(peers) = block
        {
            peers.retain(|p| *p != peer);
            if peers.is_empty() {
                *block = Block::Free;
            }
        }
        if progress.idle() {
            self.forget(piece);
        }
    }

    /// `peer` left: every request of its is aborted, and a single-source piece it was
    /// sending (not held) starts over, to come from another peer.
    pub fn drop_peer(&mut self, peer: PeerKey) {
        let pieces: Vec<u32> = self.started.clone();
        for piece in pieces {
            let restart =
                !self.held.contains(piece) && self.single_source.get(&piece) == Some(&Some(peer));
            let Some(progress) = self.active.get_mut(&piece) else {
                continue;
            };
            progress.drop_requests(peer);
            if restart || progress.idle() {
                self.forget(piece);
            }
        }
    }

    /// The next attempt at `piece` comes from one peer only (the first one picked for
    /// it), and end game never duplicates its blocks, until it passes.
    pub fn set_single_source(&mut self, piece: u32) {
        if piece < self.shape.piece_count() && !self.have.contains(piece) {
            self.single_source.entry(piece).or_insert(None);
        }
    }

    /// Whether `piece` must come from one peer, and which, once one was asked.
    pub fn single_source(&self, piece: u32) -> Option<Option<PeerKey>> {
        self.single_source.get(&piece).copied()
    }

    /// Drops `piece`'s progress: every block is free (and its single source, if any, is
    /// chosen again).
    fn forget(&mut self, piece: u32) {
        if self.active.remove(&piece).is_some() {
            self.started.retain(|&p| p != piece);
        }
        if let Some(source) = self.single_source.get_mut(&piece) {
            *source = None;
        }
    }

    /// The pieces in progress, oldest first.
    pub fn in_progress(&self) -> impl Iterator<Item = u32> + '_ {
        self.started.iter().copied()
    }

    /// `piece` passed its hash check: we have it.
    pub fn piece_passed(&mut self, piece: u32) {
        self.forget(piece);
        self.single_source.remove(&piece);
        self.held.remove(piece);
        self.have.insert(piece);
    }

    /// `piece` failed its hash check (or is started over): every block of it is wanted
    /// again. A held piece stays held.
    pub fn piece_failed(&mut self, piece: u32) {
        self.forget(piece);
    }
}
