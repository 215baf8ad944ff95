//! The lookup structure: every rule flattened into sorted, non-overlapping ranges.
//!
//! Overlapping rules are resolved per address, deterministically and independently of how
//! the rules are ordered across files: the rule with the **lowest level** wins (blocking
//! beats allowing), and among rules of equal level the **earliest** one (lowest index in the
//! list given to [`IpFilter::new`], i.e. file order) wins. Building is a sweep over the range
//! boundaries, `O(n log n)`; a lookup is one binary search, `O(log n)`, without allocation.

use super::parse::{ParseError, parse_rules};
use super::rule::Rule;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::IpAddr;

/// An IP filter: rules plus their flattened IPv4 and IPv6 range tables.
#[derive(Debug, Clone, Default)]
pub struct IpFilter {
    rules: Vec<Rule>,
    v4: RangeTable<u32>,
    v6: RangeTable<u128>,
}

impl IpFilter {
    /// Builds a filter from rules; overlaps are resolved as the module docs say.
    #[must_use]
    pub fn new(rules: Vec<Rule>) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            let rank = (rule.level, index);
            match (rule.first, rule.last) {
                (IpAddr::V4(first), IpAddr::V4(last)) => {
                    v4.push((u32::from(first), u32::from(last), rank));
                }
                (IpAddr::V6(first), IpAddr::V6(last)) => {
                    v6.push((u128::from(first), u128::from(last), rank));
                }
                // A rule mixing families matches nothing (the parser never produces one).
                _ => {}
            }
        }
        IpFilter {
            v4: RangeTable::build(v4),
            v6: RangeTable::build(v6),
            rules,
        }
    }

    /// Parses an eMule-format rule file and builds the filter from it.
    pub fn from_emule(input: &[u8]) -> Result<Self, ParseError> {
        parse_rules(input).map(Self::new)
    }

    /// The rule that decides for `addr`, whatever its level; `None` if no rule covers it.
    /// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked up as IPv4.
    #[must_use]
    pub fn lookup(&self, addr: IpAddr) -> Option<&Rule> {
        let index = match addr.to_canonical() {
            IpAddr::V4(a) => self.v4.lookup(u32::from(a)),
            IpAddr::V6(a) => self.v6.lookup(u128::from(a)),
        }?;
        self.rules.get(index)
    }

    /// The rule that blocks `addr`, if the deciding rule blocks.
    #[must_use]
    pub fn blocking_rule(&self, addr: IpAddr) -> Option<&Rule> {
        self.lookup(addr).filter(|rule| rule.blocks())
    }

    /// Whether `addr` is blocked.
    #[must_use]
    pub fn is_blocked(&self, addr: IpAddr) -> bool {
        self.blocking_rule(addr).is_some()
    }

    /// The rules, in the order given.
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Number of flattened, non-overlapping ranges (IPv4 plus IPv6).
    #[must_use]
    pub fn range_count(&self) -> usize {
        self.v4.segments.len() + self.v6.segments.len()
    }
}

/// An address as an unsigned integer, so ranges can be swept.
trait Key: Copy + Ord {
    fn successor(self) -> Option<Self>;
    fn predecessor(self) -> Option<Self>;
}

impl Key for u32 {
    fn successor(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn predecessor(self) -> Option<Self> {
        self.checked_sub(1)
    }
}

impl Key for u128 {
    fn successor(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn predecessor(self) -> Option<Self> {
        self.checked_sub(1)
    }
}

/// `(level, index)`: the lower, the stronger.
type Rank = (u32, usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment<K> {
    first: K,
    last: K,
    rule: usize,
}

#[derive(Debug, Clone)]
struct RangeTable<K> {
    /// Sorted by `first`, non-overlapping, adjacent segments with one rule merged.
    segments: Vec<Segment<K>>,
}

impl<K> Default for RangeTable<K> {
    fn default() -> Self {
        RangeTable {
            segments: Vec::new(),
        }
    }
}

impl<K: Key> RangeTable<K> {
    fn build(mut ranges: Vec<(K, K, Rank)>) -> Self {
        ranges.retain(|(first, last, _)| first <= last);
        ranges.sort_unstable_by_key(|&(first, _, rank)| (first, rank));
        let mut boundaries: Vec<K> = Vec::with_capacity(ranges.len() * 2);
        for &(first, last, _) in &ranges {
            boundaries.push(first);
            boundaries.extend(last.successor());
        }
        boundaries.sort_unstable();
        boundaries.dedup();

        let mut segments: Vec<Segment<K>> = Vec::new();
        let mut active: BinaryHeap<Reverse<(Rank, K)>> = BinaryHeap::new();
        let mut next_range = ranges.iter().peekable();
        for (at, &start) in boundaries.iter().enumerate() {
            while let Some(&&(first, last, rank)) = next_range.peek() {
                if first != start {
                    break;
                }
                active.push(Reverse((rank, last)));
                next_range.next();
            }
            while active
                .peek()
                .is_some_and(|Reverse((_, last))| *last < start)
            {
                active.pop();
            }
            let Some(&Reverse(((_, rule), winner_last))) = active.peek() else {
                continue;
            };
            // The segment ends just before the next boundary (every range ending earlier has
            // its successor as a boundary); with none left, the winner runs to its own end.
            let end = match boundaries.get(at + 1).and_then(|next| next.predecessor()) {
                Some(before_next) => before_next,
                None => winner_last,
            };
            match segments.last_mut() {
                Some(prev) if prev.rule == rule && prev.last.successor() == Some(start) => {
                    prev.last = end;
                }
                _ => segments.push(Segment {
                    first: start,
                    last: end,
                    rule,
                }),
            }
        }
        RangeTable { segments }
    }

    fn lookup(&self, key: K) -> Option<usize> {
        let at = self.segments.partition_point(|segment| segment.last < key);
        let segment = self.segments.get(at)?;
        (segment.first <= key).then_some(segment.rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn rule(first: IpAddr, last: IpAddr, level: u32) -> Rule {
        Rule {
            first,
            last,
            level,
            description: format!("level {level}"),
            line: 0,
        }
    }

    fn v4(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(n))
    }

    /// The definition the table must agree with: among the rules covering `addr`, the lowest
    /// level, then the earliest.
    fn naive(rules: &[Rule], addr: IpAddr) -> Option<usize> {
        (0..rules.len())
            .filter(|&i| rules[i].contains(addr))
            .min_by_key(|&i| (rules[i].level, i))
    }

    #[test]
    fn lower_level_wins_inside_an_allowing_range() {
        let filter = IpFilter::new(vec![rule(v4(100), v4(200), 200), rule(v4(150), v4(160), 5)]);
        assert_eq!(filter.lookup(v4(149)).map(|r| r.level), Some(200));
        assert_eq!(filter.blocking_rule(v4(150)).map(|r| r.level), Some(5));
        assert_eq!(filter.blocking_rule(v4(160)).map(|r| r.level), Some(5));
        assert_eq!(filter.lookup(v4(161)).map(|r| r.level), Some(200));
        assert!(!filter.is_blocked(v4(200)));
        assert_eq!(filter.lookup(v4(201)), None);
        assert_eq!(filter.lookup(v4(99)), None);
        assert_eq!(filter.range_count(), 3);
    }

    #[test]
    fn equal_levels_resolve_to_the_earliest_rule() {
        let rules = vec![rule(v4(10), v4(20), 0), rule(v4(0), v4(30), 0)];
        let filter = IpFilter::new(rules);
        assert_eq!(filter.lookup(v4(15)).map(|r| r.first), Some(v4(10)));
        assert_eq!(filter.lookup(v4(5)).map(|r| r.first), Some(v4(0)));
    }

    #[test]
    fn covers_the_ends_of_the_address_space() {
        let filter = IpFilter::new(vec![
            rule(v4(0), v4(u32::MAX), 1),
            rule(
                IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                IpAddr::V6(Ipv6Addr::from(u128::MAX)),
                1,
            ),
        ]);
        assert!(filter.is_blocked(v4(0)));
        assert!(filter.is_blocked(v4(u32::MAX)));
        assert!(filter.is_blocked(IpAddr::V6(Ipv6Addr::from(u128::MAX))));
        assert_eq!(filter.range_count(), 2);
    }

    #[test]
    fn ipv4_mapped_ipv6_addresses_use_the_ipv4_rules() {
        let filter = IpFilter::new(vec![rule(v4(0x0A00_0000), v4(0x0AFF_FFFF), 0)]);
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().expect("literal");
        assert!(filter.is_blocked(mapped));
    }

    proptest! {
        #[test]
        fn table_agrees_with_the_naive_definition(
            spans in proptest::collection::vec((0u32..64, 0u32..16, 0u32..4), 0..12),
            probes in proptest::collection::vec(0u32..90, 1..40),
        ) {
            let rules: Vec<Rule> = spans
                .iter()
                .map(|&(first, len, level)| rule(v4(first), v4(first + len), level * 100))
                .collect();
            let filter = IpFilter::new(rules.clone());
            for probe in probes {
                let expected = naive(&rules, v4(probe)).map(|i| &rules[i]);
                prop_assert_eq!(filter.lookup(v4(probe)), expected, "probe {}", probe);
            }
        }
    }
}
