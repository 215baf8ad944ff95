//! Tracker-to-client packets: connect, announce, scrape and error replies.

use super::bytes::{put, u16_at, u32_at, u64_at};
use super::{Error, action};
use crate::bt::tracker::ScrapeStats;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The address family of the socket a reply came over: it sets the size of the peer
/// entries in an announce reply (6 bytes for IPv4, 18 for IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4: 4-byte address, 2-byte port.
    V4,
    /// IPv6: 16-byte address, 2-byte port.
    V6,
}

impl Family {
    /// The family of `addr`.
    #[must_use]
    pub fn of(addr: &SocketAddr) -> Family {
        if addr.is_ipv4() {
            Family::V4
        } else {
            Family::V6
        }
    }

    /// Bytes per peer entry.
    #[must_use]
    pub const fn entry_len(self) -> usize {
        match self {
            Family::V4 => 6,
            Family::V6 => 18,
        }
    }
}

/// Length of the common header (action, transaction id).
pub const RESPONSE_HEADER_LEN: usize = 8;
/// Length of a connect reply.
pub const CONNECT_RESPONSE_LEN: usize = 16;
/// Length of an announce reply without peers.
pub const ANNOUNCE_RESPONSE_LEN: usize = 20;

mod field {
    pub const ACTION: usize = 0;
    pub const TRANSACTION_ID: usize = 4;
    pub const CONNECTION_ID: usize = 8;
    pub const INTERVAL: usize = 8;
    pub const LEECHERS: usize = 12;
    pub const SEEDERS: usize = 16;
    pub const PEERS: usize = 20;
    pub const BODY: usize = 8;
}

/// A checked view of a tracker-to-client packet.
///
/// ```
/// use hark_wire::bt::tracker::udp::{Family, Response, ResponseRepr};
///
/// let bytes = [0, 0, 0, 3, 0, 0, 0, 9, b'n', b'o'];
/// let response = Response::new_checked(&bytes[..], Family::V4)?;
/// assert_eq!(response.action(), 3);
/// assert_eq!(
///     ResponseRepr::parse(&response),
///     ResponseRepr::Error { transaction_id: 9, message: "no".into() }
/// );
/// # Ok::<(), hark_wire::bt::tracker::udp::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<T: AsRef<[u8]>> {
    buffer: T,
    family: Family,
}

impl<T: AsRef<[u8]>> Response<T> {
    /// Checks the length against the action (and, for announce replies, that the peers
    /// are whole entries of `family`); no getter can panic afterwards.
    pub fn new_checked(buffer: T, family: Family) -> Result<Self, Error> {
        let buf = buffer.as_ref();
        let len = buf.len();
        let truncated = |needed| Error::Truncated { len, needed };
        if len < RESPONSE_HEADER_LEN {
            return Err(truncated(RESPONSE_HEADER_LEN));
        }
        let action = u32_at(buf, field::ACTION);
        let (start, entry) = match action {
            action::CONNECT if len < CONNECT_RESPONSE_LEN => {
                return Err(truncated(CONNECT_RESPONSE_LEN));
            }
            action::CONNECT | action::ERROR => (len, 1),
            action::ANNOUNCE if len < ANNOUNCE_RESPONSE_LEN => {
                return Err(truncated(ANNOUNCE_RESPONSE_LEN));
            }
            action::ANNOUNCE => (field::PEERS, family.entry_len()),
            action::SCRAPE => (field::BODY, 12),
            other => return Err(Error::UnknownAction(other)),
        };
        if (len - start) % entry != 0 {
            return Err(Error::RaggedEntries {
                action,
                len: len - start,
                entry,
            });
        }
        Ok(Response { buffer, family })
    }

    fn buf(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The action: 0 connect, 1 announce, 2 scrape, 3 error.
    #[must_use]
    pub fn action(&self) -> u32 {
        u32_at(self.buf(), field::ACTION)
    }

    /// The transaction id of the request answered.
    #[must_use]
    pub fn transaction_id(&self) -> u32 {
        u32_at(self.buf(), field::TRANSACTION_ID)
    }

    /// The connection id (connect replies).
    #[must_use]
    pub fn connection_id(&self) -> Option<u64> {
        (self.action() == action::CONNECT).then(|| u64_at(self.buf(), field::CONNECTION_ID))
    }

    /// Interval, leechers and seeders (announce replies).
    #[must_use]
    pub fn announce_counts(&self) -> Option<(u32, u32, u32)> {
        (self.action() == action::ANNOUNCE).then(|| {
            (
                u32_at(self.buf(), field::INTERVAL),
                u32_at(self.buf(), field::LEECHERS),
                u32_at(self.buf(), field::SEEDERS),
            )
        })
    }

    /// The peers of an announce reply (none for other actions).
    pub fn peers(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        let entries = if self.action() == action::ANNOUNCE {
            &self.buf()[field::PEERS..]
        } else {
            &[]
        };
        let family = self.family;
        entries.chunks_exact(family.entry_len()).map(move |entry| {
            let port = u16_at(entry, entry.len() - 2);
            let ip = match family {
                Family::V4 => IpAddr::V4(Ipv4Addr::from(u32_at(entry, 0))),
                Family::V6 => {
                    let mut octets = [0u8; 16];
                    octets.copy_from_slice(&entry[..16]);
                    IpAddr::V6(Ipv6Addr::from(octets))
                }
            };
            SocketAddr::new(ip, port)
        })
    }

    /// The counts of a scrape reply, in request order (none for other actions).
    pub fn scrape_stats(&self) -> impl Iterator<Item = ScrapeStats> + '_ {
        let entries = if self.action() == action::SCRAPE {
            &self.buf()[field::BODY..]
        } else {
            &[]
        };
        entries.chunks_exact(12).map(|entry| ScrapeStats {
            complete: u32_at(entry, 0),
            downloaded: u32_at(entry, 4),
            incomplete: u32_at(entry, 8),
        })
    }

    /// The message of an error reply.
    #[must_use]
    pub fn error_message(&self) -> Option<&[u8]> {
        (self.action() == action::ERROR).then(|| &self.buf()[field::BODY..])
    }
}

/// An owned tracker-to-client packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseRepr {
    /// A connection id, valid for about a minute (BEP 15).
    Connect {
        /// The request's transaction id.
        transaction_id: u32,
        /// The connection id.
        connection_id: u64,
    },
    /// Peers and counts.
    Announce {
        /// The request's transaction id.
        transaction_id: u32,
        /// Seconds until the next regular announce.
        interval: u32,
        /// Leechers.
        leechers: u32,
        /// Seeders.
        seeders: u32,
        /// Peers, all of one family.
        peers: Vec<SocketAddr>,
    },
    /// Counts per torrent, in request order.
    Scrape {
        /// The request's transaction id.
        transaction_id: u32,
        /// The counts.
        stats: Vec<ScrapeStats>,
    },
    /// The tracker refused the request.
    Error {
        /// The request's transaction id.
        transaction_id: u32,
        /// The tracker's message (invalid UTF-8 replaced).
        message: String,
    },
}

impl ResponseRepr {
    /// Reads a checked reply.
    #[must_use]
    pub fn parse<T: AsRef<[u8]>>(response: &Response<T>) -> ResponseRepr {
        let transaction_id = response.transaction_id();
        if let Some(connection_id) = response.connection_id() {
            return ResponseRepr::Connect {
                transaction_id,
                connection_id,
            };
        }
        if let Some((interval, leechers, seeders)) = response.announce_counts() {
            return ResponseRepr::Announce {
                transaction_id,
                interval,
                leechers,
                seeders,
                peers: response.peers().collect(),
            };
        }
        if let Some(message) = response.error_message() {
            return ResponseRepr::Error {
                transaction_id,
                message: String::from_utf8_lossy(message).into_owned(),
            };
        }
        ResponseRepr::Scrape {
            transaction_id,
            stats: response.scrape_stats().collect(),
        }
    }

    /// Bytes [`ResponseRepr::emit`] writes.
    #[must_use]
    pub fn buffer_len(&self) -> usize {
        match self {
            ResponseRepr::Connect { .. } => CONNECT_RESPONSE_LEN,
            ResponseRepr::Announce { peers, .. } => {
                ANNOUNCE_RESPONSE_LEN
                    + peers
                        .iter()
                        .map(|peer| Family::of(peer).entry_len())
                        .sum::<usize>()
            }
            ResponseRepr::Scrape { stats, .. } => RESPONSE_HEADER_LEN + 12 * stats.len(),
            ResponseRepr::Error { message, .. } => RESPONSE_HEADER_LEN + message.len(),
        }
    }

    /// Writes the packet into `buf`, returning its length. Never allocates.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let required = self.buffer_len();
        if let ResponseRepr::Announce { peers, .. } = self {
            if let Some(first) = peers.first() {
                if peers.iter().any(|peer| peer.is_ipv4() != first.is_ipv4()) {
                    return Err(Error::MixedFamilies);
                }
            }
        }
        let buf = buf
            .get_mut(..required)
            .ok_or(Error::BufferTooSmall { required })?;
        let (code, transaction_id) = match self {
            ResponseRepr::Connect { transaction_id, .. } => (action::CONNECT, transaction_id),
            ResponseRepr::Announce { transaction_id, .. } => (action::ANNOUNCE, transaction_id),
            ResponseRepr::Scrape { transaction_id, .. } => (action::SCRAPE, transaction_id),
            ResponseRepr::Error { transaction_id, .. } => (action::ERROR, transaction_id),
        };
        put(buf, field::ACTION, &code.to_be_bytes());
        put(buf, field::TRANSACTION_ID, &transaction_id.to_be_bytes());
        match self {
            ResponseRepr::Connect { connection_id, .. } => {
                put(buf, field::CONNECTION_ID, &connection_id.to_be_bytes());
            }
            ResponseRepr::Announce {
                interval,
                leechers,
                seeders,
                peers,
                ..
            } => {
                put(buf, field::INTERVAL, &interval.to_be_bytes());
                put(buf, field::LEECHERS, &leechers.to_be_bytes());
                put(buf, field::SEEDERS, &seeders.to_be_bytes());
                let mut at = field::PEERS;
                for peer in peers {
                    match peer.ip() {
                        IpAddr::V4(ip) => put(buf, at, &ip.octets()),
                        IpAddr::V6(ip) => put(buf, at, &ip.octets()),
                    }
                    at += Family::of(peer).entry_len();
                    put(buf, at - 2, &peer.port().to_be_bytes());
                }
            }
            ResponseRepr::Scrape { stats, .. } => {
                for (i, stat) in stats.iter().enumerate() {
                    let at = field::BODY + 12 * i;
                    put(buf, at, &stat.complete.to_be_bytes());
                    put(buf, at + 4, &stat.downloaded.to_be_bytes());
                    put(buf, at + 8, &stat.incomplete.to_be_bytes());
                }
            }
            ResponseRepr::Error { message, .. } => put(buf, field::BODY, message.as_bytes()),
        }
        Ok(required)
    }
}
