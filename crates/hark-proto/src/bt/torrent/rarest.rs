//! Which piece to start next (rarest first, uniform random tie-break), for the torrent's
//! block layer, which adds the corrupt-peer policy's single-source pieces on top.
//!
//! The picker counts how many connected peers have each piece (their availability) and
//! remembers the pieces we have and the ones in progress. [`Picker::pick`] returns the
//! piece a given peer has that the fewest peers have, among those neither ours nor in
//! progress; ties are broken uniformly at random with the given RNG (reservoir sampling), so
//! leechers that see the same swarm do not all start on the same piece. Pieces in progress
//! are the torrent's to finish first (strict priority), and end game (requesting blocks
//! already requested elsewhere) is the torrent's too: the picker only chooses new pieces.
//!

use rand_core::Rng;

use crate::bt::peer::PieceSet;

/// Rarest-first piece selection over one torrent's pieces.
#[derive(Debug, Clone)]
pub(crate) struct Picker {
    availability: Vec<u32>,
    have: PieceSet,
    in_progress: PieceSet,
}

impl Picker {
    /// A picker for `count` pieces, none of them ours, no peers.
    pub fn new(count: u32) -> Self {
        Self {
            availability: vec![0; count as usize],
            have: PieceSet::empty(count),
            in_progress: PieceSet::empty(count),
        }
    }

    /// How many peers have piece `index` (0 past the end).
    pub fn availability(&self, index: u32) -> u32 {
        self.availability.get(index as usize).copied().unwrap_or(0)
    }

    /// A peer with these pieces joined.
    pub fn add_peer(&mut self, pieces: &PieceSet) {
        for (i, count) in self.availability.iter_mut().enumerate() {
            if pieces.contains(i as u32) {
                *count += 1;
            }
        }
    }

    /// A peer with these pieces left.
    pub fn remove_peer(&mut self, pieces: &PieceSet) {
        for (i, count) in self.availability.iter_mut().enumerate() {
            if pieces.contains(i as u32) {
                *count = count.saturating_sub(1);
            }
        }
    }

    /// A peer announced piece `index` (`have`).
    pub fn peer_has(&mut self, index: u32) {
        if let Some(count) = self.availability.get_mut(index as usize) {
            *count += 1;
        }
    }

    /// We have piece `index` now (or no longer, after a failed check with `false`).
    pub fn set_have(&mut self, index: u32, have: bool) {
        if have {
            self.have.insert(index);
            self.in_progress.remove(index);
        } else {
            self.have.remove(index);
        }
    }

    /// Marks piece `index` as started (or no longer), so [`Picker::pick`] skips it.
    pub fn set_in_progress(&mut self, index: u32, in_progress: bool) {
        if in_progress {
            self.in_progress.insert(index);
        } else {
            self.in_progress.remove(index);
        }
    }

    /// The pieces we have.
    pub fn have_set(&self) -> &PieceSet {
        &self.have
    }

    /// The rarest piece in `peer` that is neither ours nor in progress; ties broken uniformly
    /// at random. `None` when the peer has nothing new for us.
    pub fn pick(&self, peer: &PieceSet, rng: &mut dyn Rng) -> Option<u32> {
        let mut best: Option<u32> = None;
        let mut best_avail = u32::MAX;
        let mut ties = 0u32;
        let bits = peer.as_wire();
        let ours = self.have.as_wire();
        let busy = self.in_progress.as_wire();
        for (byte, ((&theirs, &mine), &taken)) in bits.iter().zip(ours).zip(busy).enumerate() {
            let wanted = theirs & !mine & !taken;
            if wanted == 0 {
                continue;
            }
            for bit in 0..8 {
                if wanted & (0x80 >> bit) == 0 {
                    continue;
                }
                let index = (byte * 8 + bit) as u32;
                let avail = self.availability(index);
                if avail < best_avail {
                    best_avail = avail;
                    best = Some(index);
                    ties = 1;
                } else if avail == best_avail {
                    ties += 1;
                    // Reservoir sampling: the k-th tie replaces the choice with chance 1/k.
                    if (u64::from(rng.next_u32()) * u64::from(ties)) >> 32 == 0 {
                        best = Some(index);
                    }
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;
    use rand_pcg::Pcg32;

    fn set(count: u32, pieces: &[u32]) -> PieceSet {
        let mut s = PieceSet::empty(count);
        for &p in pieces {
            s.insert(p);
        }
        s
    }

    #[test]
    fn rarest_first() {
        let mut p = Picker::new(10);
        p.add_peer(&PieceSet::full(10));
        p.add_peer(&set(10, &[3, 4, 5]));
        p.add_peer(&set(10, &[4, 5]));
        let mut rng = Pcg32::seed_from_u64(7);
        let seeder = PieceSet::full(10);
        for _ in 0..50 {
            let pick = p.pick(&seeder, &mut rng).unwrap();
            assert!(!(3..=5).contains(&pick), "picked {pick}, which is common");
        }
        // Only pieces the peer has.
        assert_eq!(p.pick(&set(10, &[4, 5, 3]), &mut rng), Some(3));
    }

    #[test]
    fn ties_are_broken_at_random_and_cover_every_candidate() {
        let mut p = Picker::new(16);
        p.add_peer(&PieceSet::full(16));
        let mut rng = Pcg32::seed_from_u64(42);
        let mut seen = [0u32; 16];
        for _ in 0..1600 {
            seen[p.pick(&PieceSet::full(16), &mut rng).unwrap() as usize] += 1;
        }
        for (i, &n) in seen.iter().enumerate() {
            assert!(
                (50..=150).contains(&n),
                "piece {i} picked {n} times in 1600"
            );
        }
    }

    #[test]
    fn skips_pieces_we_have_and_pieces_in_progress() {
        let mut p = Picker::new(9);
        let all = PieceSet::full(9);
        p.add_peer(&all);
        let mut rng = Pcg32::seed_from_u64(1);
        for i in 0..8 {
            if i % 2 == 0 {
                p.set_have(i, true);
            } else {
                p.set_in_progress(i, true);
            }
        }
        assert_eq!(p.pick(&all, &mut rng), Some(8));
        p.set_in_progress(8, true);
        assert_eq!(p.pick(&all, &mut rng), None);
        p.set_in_progress(3, false);
        assert_eq!(p.pick(&all, &mut rng), Some(3));
    }

    #[test]
    fn availability_follows_peers_and_haves() {
        let mut p = Picker::new(3);
        let a = set(3, &[0, 2]);
        p.add_peer(&a);
        p.peer_has(1);
        p.peer_has(99);
        assert_eq!(
            (p.availability(0), p.availability(1), p.availability(2)),
            (1, 1, 1)
        );
        p.remove_peer(&a);
        assert_eq!((p.availability(0), p.availability(2)), (0, 0));
        p.remove_peer(&a);
        assert_eq!(p.availability(0), 0);
    }
}
