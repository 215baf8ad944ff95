//! One rule of an IP filter: an inclusive address range, an access level and a description.

use std::fmt;
use std::net::IpAddr;

/// Levels below this value block the addresses of their range (eMule's convention).
pub const BLOCK_BELOW_LEVEL: u32 = 127;

/// One rule of an eMule-format IP filter: `first - last , level , description`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    /// First address of the range (inclusive).
    pub first: IpAddr,
    /// Last address of the range (inclusive); same family as `first`, never below it.
    pub last: IpAddr,
    /// Access level: below [`BLOCK_BELOW_LEVEL`] the range is blocked.
    pub level: u32,
    /// Free text describing the range (may be empty).
    pub description: String,
    /// 1-based line of the rule in its source file (0 for rules built in code).
    pub line: usize,
}

impl Rule {
    /// Whether addresses matched by this rule are blocked (`level < 127`).
    #[must_use]
    pub fn blocks(&self) -> bool {
        self.level < BLOCK_BELOW_LEVEL
    }

    /// Whether `addr` lies in this rule's range (IPv4-mapped IPv6 addresses count as IPv4).
    #[must_use]
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.first, self.last, addr.to_canonical()) {
            (IpAddr::V4(first), IpAddr::V4(last), IpAddr::V4(a)) => first <= a && a <= last,
            (IpAddr::V6(first), IpAddr::V6(last), IpAddr::V6(a)) => first <= a && a <= last,
            _ => false,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} - {} , {}", self.first, self.last, self.level)?;
        if !self.description.is_empty() {
            write!(f, " , {}", self.description)?;
        }
        if self.line > 0 {
            write!(f, " (line {})", self.line)?;
        }
        Ok(())
    }
}
