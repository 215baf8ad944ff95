//! 16-bit sequence number arithmetic: every comparison wraps.

/// True if `a` comes strictly before `b` in wrapping 16-bit order.
#[inline]
pub fn seq_less(a: u16, b: u16) -> bool {
    a != b && b.wrapping_sub(a) < 0x8000
}

/// True if `a` comes before or equals `b` in wrapping 16-bit order.
#[inline]
pub fn seq_less_eq(a: u16, b: u16) -> bool {
    a == b || seq_less(a, b)
}

/// Forward distance from `from` to `to` (how many increments take `from` to `to`).
#[inline]
pub fn seq_distance(from: u16, to: u16) -> u16 {
    to.wrapping_sub(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_wraps_at_65535() {
        assert!(seq_less(65535, 0));
        assert!(seq_less(65530, 4));
        assert!(!seq_less(4, 65530));
        assert!(!seq_less(7, 7));
        assert!(seq_less_eq(7, 7));
        assert_eq!(seq_distance(65534, 2), 4);
        assert!(seq_less(0, 0x7fff));
        assert!(!seq_less(0, 0x8000));
    }
}
