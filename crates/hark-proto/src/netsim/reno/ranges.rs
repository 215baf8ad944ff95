//! A bounded set of disjoint byte ranges, for out-of-order data and SACK scoreboards.

use std::collections::BTreeMap;

/// Disjoint, non-adjacent half-open ranges `[start, end)`, keyed by start.
#[derive(Debug, Clone, Default)]
pub(crate) struct RangeSet {
    ranges: BTreeMap<u64, u64>,
    limit: usize,
}

impl RangeSet {
    /// A set holding at most `limit` separate ranges.
    pub(crate) fn with_limit(limit: usize) -> Self {
        Self {
            ranges: BTreeMap::new(),
            limit,
        }
    }

    /// Adds `[start, end)`, merging with overlapping or touching ranges. Returns the merged
    /// range, or `None` if it was empty or the set is full.
    pub(crate) fn insert(&mut self, mut start: u64, mut end: u64) -> Option<(u64, u64)> {
        if start >= end {
            return None;
        }
        if let Some((&prev_start, &prev_end)) = self.ranges.range(..=start).next_back() {
            if prev_end >= start {
                start = prev_start;
                end = end.max(prev_end);
                self.ranges.remove(&prev_start);
            }
        }
        while let Some((&next_start, &next_end)) = self.ranges.range(start..).next() {
            if next_start > end {
                break;
            }
            end = end.max(next_end);
            self.ranges.remove(&next_start);
        }
        if self.ranges.len() >= self.limit {
            return None;
        }
        self.ranges.insert(start, end);
        Some((start, end))
    }

    /// Forgets everything below `point`, trimming a range that straddles it.
    pub(crate) fn remove_below(&mut self, point: u64) {
        while let Some((&start, &end)) = self.ranges.first_key_value() {
            if start >= point {
                break;
            }
            self.ranges.remove(&start);
            if end > point {
                self.ranges.insert(point, end);
                break;
            }
        }
    }

    /// If `[start, ..)` begins at or below `point` and its first range covers `point`,
    /// removes that range and returns its end.
    pub(crate) fn take_covering(&mut self, point: u64) -> Option<u64> {
        let (&start, &end) = self.ranges.first_key_value()?;
        if start <= point {
            self.ranges.remove(&start);
            Some(end.max(point))
        } else {
            None
        }
    }

    /// The end of the range containing `point`, if any.
    pub(crate) fn covering_end(&self, point: u64) -> Option<u64> {
        let (_, &end) = self.ranges.range(..=point).next_back()?;
        (end > point).then_some(end)
    }

    /// The first gap at or after `from` that lies below the start of the last range:
    /// `[gap_start, gap_end)`.
    pub(crate) fn next_gap(&self, from: u64) -> Option<(u64, u64)> {
        let (&last_start, _) = self.ranges.last_key_value()?;
        let mut cursor = from;
        if let Some(end) = self.covering_end(cursor) {
            cursor = end;
        }
        if cursor >= last_start {
            return None;
        }
        let (&next_start, _) = self.ranges.range(cursor..).next()?;
        Some((cursor, next_start))
    }

    /// Bytes of `[from, to)` covered by the set.
    pub(crate) fn covered_between(&self, from: u64, to: u64) -> u64 {
        if from >= to {
            return 0;
        }
        let first = self
            .ranges
            .range(..=from)
            .next_back()
            .map_or(from, |(&start, _)| start);
        self.ranges
            .range(first..to)
            .map(|(&start, &end)| end.min(to).saturating_sub(start.max(from)))
            .sum()
    }

    /// The end of the highest range.
    pub(crate) fn highest_end(&self) -> Option<u64> {
        self.ranges.last_key_value().map(|(_, &end)| end)
    }

    /// The ranges in ascending order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.ranges.iter().map(|(&s, &e)| (s, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_overlapping_and_touching_ranges() {
        let mut set = RangeSet::with_limit(10);
        set.insert(10, 20);
        set.insert(30, 40);
        assert_eq!(set.insert(20, 30), Some((10, 40)));
        assert_eq!(set.insert(5, 12), Some((5, 40)));
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![(5, 40)]);
        assert_eq!(set.insert(7, 7), None);
    }

    #[test]
    fn gaps_and_trimming() {
        let mut set = RangeSet::with_limit(10);
        set.insert(10, 20);
        set.insert(30, 40);
        assert_eq!(set.next_gap(0), Some((0, 10)));
        assert_eq!(set.next_gap(12), Some((20, 30)));
        assert_eq!(set.next_gap(30), None);
        assert_eq!(set.covering_end(15), Some(20));
        assert_eq!(set.covering_end(20), None);
        set.remove_below(15);
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![(15, 20), (30, 40)]);
        assert_eq!(set.covered_between(0, 100), 15);
        assert_eq!(set.covered_between(17, 35), 8);
        assert_eq!(set.covered_between(20, 30), 0);
        assert_eq!(set.highest_end(), Some(40));
        assert_eq!(set.take_covering(15), Some(20));
        assert_eq!(set.take_covering(15), None);
    }

    #[test]
    fn respects_its_limit() {
        let mut set = RangeSet::with_limit(2);
        assert!(set.insert(0, 1).is_some());
        assert!(set.insert(2, 3).is_some());
        assert!(set.insert(4, 5).is_none());
        assert!(set.insert(1, 2).is_some());
    }
}
