//! Event categories and the bitmask that selects them, in the spirit of libtorrent's alert
//! mask.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// What an event is about. Each kind belongs to exactly one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Listening sockets and connection attempts.
    Connection,
    /// Peers: identification, handshakes, disconnections.
    Peer,
    /// Byte counts in and out of connections.
    TransportStats,
    /// Storage: files opened, read, written, closed, and their errors.
    Storage,
    /// Trackers: announces, replies, failures and warnings.
    Tracker,
    /// Addresses blocked by the IP filter.
    IpBlock,
    /// The event system and other performance warnings.
    Performance,
    /// Verbose protocol logs such as whole packets.
    Log,
    /// Torrents: added, paused, resumed, finished, and piece verification.
    Torrent,
}

impl Category {
    /// Every category, in bit order.
    pub const ALL: [Category; 9] = [
        Category::Connection,
        Category::Peer,
        Category::TransportStats,
        Category::Storage,
        Category::Tracker,
        Category::IpBlock,
        Category::Performance,
        Category::Log,
        Category::Torrent,
    ];

    /// The stable snake_case name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Category::Connection => "connection",
            Category::Peer => "peer",
            Category::TransportStats => "transport_stats",
            Category::Storage => "storage",
            Category::Tracker => "tracker",
            Category::IpBlock => "ip_block",
            Category::Performance => "performance",
            Category::Log => "log",
            Category::Torrent => "torrent",
        }
    }

    /// The mask selecting only this category.
    #[must_use]
    pub const fn mask(self) -> CategoryMask {
        CategoryMask(1 << self as u8)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of categories, as a bitmask.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CategoryMask(u16);

impl CategoryMask {
    /// No category.
    pub const NONE: CategoryMask = CategoryMask(0);
    /// Every category.
    pub const ALL: CategoryMask = CategoryMask((1 << Category::ALL.len()) - 1);

    /// Whether `category` is in the set.
    #[must_use]
    pub const fn contains(self, category: Category) -> bool {
        self.0 & category.mask().0 != 0
    }

    /// The set with `category` added.
    #[must_use]
    pub const fn with(self, category: Category) -> CategoryMask {
        CategoryMask(self.0 | category.mask().0)
    }

    /// The set with `category` removed.
    #[must_use]
    pub const fn without(self, category: Category) -> CategoryMask {
        CategoryMask(self.0 & !category.mask().0)
    }

    /// The raw bits (bit `n` is the `n`th entry of [`Category::ALL`]).
    #[must_use]
    pub const fn bits(self) -> u16 {
        self.0
    }
}

impl From<Category> for CategoryMask {
    fn from(category: Category) -> Self {
        category.mask()
    }
}

impl<T: Into<CategoryMask>> BitOr<T> for CategoryMask {
    type Output = CategoryMask;
    fn bitor(self, rhs: T) -> CategoryMask {
        CategoryMask(self.0 | rhs.into().0)
    }
}

impl BitOr for Category {
    type Output = CategoryMask;
    fn bitor(self, rhs: Category) -> CategoryMask {
        self.mask() | rhs
    }
}

impl<T: Into<CategoryMask>> BitOrAssign<T> for CategoryMask {
    fn bitor_assign(&mut self, rhs: T) {
        self.0 |= rhs.into().0;
    }
}

impl fmt::Debug for CategoryMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = Category::ALL
            .iter()
            .filter(|category| self.contains(**category))
            .map(|category| category.name());
        f.debug_set().entries(names).finish()
    }
}
