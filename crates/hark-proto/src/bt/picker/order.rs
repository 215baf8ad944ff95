//! Pieces ordered by availability, kept sorted in O(1) per change (libtorrent's bucket
//! trick): pieces of equal availability form a contiguous bucket, and moving a piece one
//! bucket up or down is one swap with the bucket's edge.

/// The pieces sorted by how many peers have them, fewest first.
#[derive(Debug, Clone)]
pub(super) struct AvailabilityOrder {
    /// Piece indices, sorted by availability.
    order: Vec<u32>,
    /// Where each piece sits in `order`.
    pos: Vec<u32>,
    /// How many peers have each piece.
    avail: Vec<u32>,
    /// `starts[a]`: the first position whose availability is at least `a`.
    /// `starts.len()` is one more than the highest availability (plus one).
    starts: Vec<u32>,
}

impl AvailabilityOrder {
    /// `shuffled` is every piece index once, in the tie-break order.
    pub(super) fn new(shuffled: Vec<u32>) -> Self {
        let n = shuffled.len();
        let mut pos = vec![0; n];
        for (at, &piece) in shuffled.iter().enumerate() {
            pos[piece as usize] = at as u32;
        }
        Self {
            order: shuffled,
            pos,
            avail: vec![0; n],
            // Bucket 0 starts at 0; bucket 1 (empty) at the end.
            starts: vec![0, n as u32],
        }
    }

    pub(super) fn availability(&self, piece: u32) -> u32 {
        self.avail.get(piece as usize).copied().unwrap_or(0)
    }

    /// Where `piece` sits in the order.
    pub(super) fn position(&self, piece: u32) -> u32 {
        self.pos.get(piece as usize).copied().unwrap_or(0)
    }

    /// The pieces, rarest first.
    pub(super) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.order.iter().copied()
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.order.swap(a, b);
        self.pos[self.order[a] as usize] = a as u32;
        self.pos[self.order[b] as usize] = b as u32;
    }

    /// One more peer has `piece`.
    pub(super) fn increment(&mut self, piece: u32) {
        let Some(&a) = self.avail.get(piece as usize) else {
            return;
        };
        let a = a as usize;
        if self.starts.len() < a + 3 {
            let end = self.order.len() as u32;
            self.starts.resize(a + 3, end);
        }
        // The last position of bucket a becomes the first of bucket a + 1.
        let last = self.starts[a + 1] as usize - 1;
        self.swap(self.pos[piece as usize] as usize, last);
        self.starts[a + 1] -= 1;
        self.avail[piece as usize] += 1;
    }

    /// One peer fewer has `piece`.
    pub(super) fn decrement(&mut self, piece: u32) {
        let Some(&a) = self.avail.get(piece as usize) else {
            return;
        };
        if a == 0 {
            return;
        }
        let a = a as usize;
        // The first position of bucket a becomes the last of bucket a - 1.
        let first = self.starts[a] as usize;
        self.swap(self.pos[piece as usize] as usize, first);
        self.starts[a] += 1;
        self.avail[piece as usize] -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(order: &AvailabilityOrder) -> bool {
        order
            .iter()
            .collect::<Vec<_>>()
            .windows(2)
            .all(|w| order.availability(w[0]) <= order.availability(w[1]))
    }

    #[test]
    fn stays_sorted_under_any_changes() {
        let mut order = AvailabilityOrder::new((0..50).rev().collect());
        let mut state = 12345u64;
        let mut model = [0u32; 50];
        for _ in 0..5000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let piece = ((state >> 33) % 50) as u32;
            if (state >> 20) & 1 == 0 || model[piece as usize] == 0 {
                order.increment(piece);
                model[piece as usize] += 1;
            } else {
                order.decrement(piece);
                model[piece as usize] -= 1;
            }
            assert!(sorted(&order));
            for p in 0..50u32 {
                assert_eq!(order.availability(p), model[p as usize]);
                assert_eq!(order.order[order.pos[p as usize] as usize], p);
            }
        }
    }
}
