//! Client-to-tracker packets: connect, announce, scrape.

use super::bytes::{array20_at, put, u16_at, u32_at, u64_at};
use super::{Error, action};
use crate::bt::metainfo::InfoHash;
use crate::bt::tracker::AnnounceEvent;
use std::net::Ipv4Addr;

/// The magic constant in a connect request.
pub const PROTOCOL_ID: u64 = 0x0417_2710_1980;

/// Length of a connect request.
pub const CONNECT_LEN: usize = 16;
/// Length of an announce request without BEP 41 options.
pub const ANNOUNCE_LEN: usize = 98;
/// Most info hashes one scrape may carry.
pub const MAX_SCRAPE: usize = 74;

mod field {
    use std::ops::Range;
    pub const CONNECTION_ID: Range<usize> = 0..8;
    pub const ACTION: usize = 8;
    pub const TRANSACTION_ID: usize = 12;
    pub const INFO_HASH: usize = 16;
    pub const PEER_ID: usize = 36;
    pub const DOWNLOADED: usize = 56;
    pub const LEFT: usize = 64;
    pub const UPLOADED: usize = 72;
    pub const EVENT: usize = 80;
    pub const IP: usize = 84;
    pub const KEY: usize = 88;
    pub const NUM_WANT: usize = 92;
    pub const PORT: usize = 96;
    pub const HASHES: usize = 16;
}

/// A checked view of a client-to-tracker packet.
///
/// ```
/// use hark_wire::bt::tracker::udp::{Request, RequestRepr};
///
/// let bytes = [0, 0, 4, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe];
/// let request = Request::new_checked(&bytes[..])?;
/// assert_eq!(request.transaction_id(), 0xcafe_babe);
/// assert_eq!(RequestRepr::parse(&request), RequestRepr::Connect { transaction_id: 0xcafe_babe });
/// # Ok::<(), hark_wire::bt::tracker::udp::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Request<T> {
    /// Checks the length, action, protocol id, event code and scrape count once; no
    /// getter can panic afterwards.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let buf = buffer.as_ref();
        if buf.len() < CONNECT_LEN {
            return Err(Error::Truncated {
                len: buf.len(),
                needed: CONNECT_LEN,
            });
        }
        match u32_at(buf, field::ACTION) {
            action::CONNECT => {
                let id = u64_at(buf, field::CONNECTION_ID.start);
                if id != PROTOCOL_ID {
                    return Err(Error::BadProtocolId(id));
                }
            }
            action::ANNOUNCE => {
                if buf.len() < ANNOUNCE_LEN {
                    return Err(Error::Truncated {
                        len: buf.len(),
                        needed: ANNOUNCE_LEN,
                    });
                }
                let code = u32_at(buf, field::EVENT);
                if AnnounceEvent::from_udp_code(code).is_none() {
                    return Err(Error::BadEvent(code));
                }
            }
            action::SCRAPE => {
                let len = buf.len() - field::HASHES;
                if len % 20 != 0 {
                    return Err(Error::RaggedEntries {
                        action: action::SCRAPE,
                        len,
                        entry: 20,
                    });
                }
                if len == 0 || len / 20 > MAX_SCRAPE {
                    return Err(Error::ScrapeCount(len / 20));
                }
            }
            other => return Err(Error::UnknownAction(other)),
        }
        Ok(Request { buffer })
    }

    fn buf(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The action: 0 connect, 1 announce, 2 scrape.
    #[must_use]
    pub fn action(&self) -> u32 {
        u32_at(self.buf(), field::ACTION)
    }

    /// The connection id (the protocol id for a connect request).
    #[must_use]
    pub fn connection_id(&self) -> u64 {
        u64_at(self.buf(), field::CONNECTION_ID.start)
    }

    /// The transaction id, echoed by the tracker.
    #[must_use]
    pub fn transaction_id(&self) -> u32 {
        u32_at(self.buf(), field::TRANSACTION_ID)
    }

    /// The announce fields, if this is an announce.
    #[must_use]
    pub fn announce(&self) -> Option<AnnounceFields<'_>> {
        (self.action() == action::ANNOUNCE).then(|| AnnounceFields { buf: self.buf() })
    }

    /// The info hashes, if this is a scrape.
    pub fn scrape_info_hashes(&self) -> impl Iterator<Item = InfoHash> + '_ {
        let hashes = if self.action() == action::SCRAPE {
            &self.buf()[field::HASHES..]
        } else {
            &[]
        };
        hashes
            .chunks_exact(20)
            .map(|chunk| InfoHash(array20_at(chunk, 0)))
    }
}

/// The fields of a checked announce request.
#[derive(Debug, Clone, Copy)]
pub struct AnnounceFields<'b> {
    buf: &'b [u8],
}

impl AnnounceFields<'_> {
    /// The torrent.
    #[must_use]
    pub fn info_hash(&self) -> InfoHash {
        InfoHash(array20_at(self.buf, field::INFO_HASH))
    }
    /// The client's peer id.
    #[must_use]
    pub fn peer_id(&self) -> [u8; 20] {
        array20_at(self.buf, field::PEER_ID)
    }
    /// Bytes downloaded.
    #[must_use]
    pub fn downloaded(&self) -> u64 {
        u64_at(self.buf, field::DOWNLOADED)
    }
    /// Bytes left.
    #[must_use]
    pub fn left(&self) -> u64 {
        u64_at(self.buf, field::LEFT)
    }
    /// Bytes uploaded.
    #[must_use]
    pub fn uploaded(&self) -> u64 {
        u64_at(self.buf, field::UPLOADED)
    }
    /// The event (validated by `new_checked`).
    #[must_use]
    pub fn event(&self) -> AnnounceEvent {
        AnnounceEvent::from_udp_code(u32_at(self.buf, field::EVENT)).unwrap_or_default()
    }
    /// The IPv4 address field (0: the packet's source address).
    #[must_use]
    pub fn ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32_at(self.buf, field::IP))
    }
    /// The key.
    #[must_use]
    pub fn key(&self) -> u32 {
        u32_at(self.buf, field::KEY)
    }
    /// Peers wanted (-1: the tracker's default).
    #[must_use]
    pub fn num_want(&self) -> i32 {
        u32_at(self.buf, field::NUM_WANT) as i32
    }
    /// The client's port.
    #[must_use]
    pub fn port(&self) -> u16 {
        u16_at(self.buf, field::PORT)
    }
    /// BEP 41 option bytes after the fixed fields (not interpreted).
    #[must_use]
    pub fn options(&self) -> &[u8] {
        &self.buf[ANNOUNCE_LEN..]
    }
}

/// An announce request's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpAnnounce {
    /// From the connect response.
    pub connection_id: u64,
    /// Chosen by the client, echoed by the tracker.
    pub transaction_id: u32,
    /// The torrent.
    pub info_hash: InfoHash,
    /// Our peer id.
    pub peer_id: [u8; 20],
    /// Bytes downloaded.
    pub downloaded: u64,
    /// Bytes left.
    pub left: u64,
    /// Bytes uploaded.
    pub uploaded: u64,
    /// Why we announce.
    pub event: AnnounceEvent,
    /// Our IPv4 address, or `None` for the packet's source (sent as 0).
    pub ip: Option<Ipv4Addr>,
    /// Our key.
    pub key: u32,
    /// Peers wanted, or `None` for the tracker's default (sent as -1).
    pub num_want: Option<u32>,
    /// Our port.
    pub port: u16,
}

/// An owned client-to-tracker packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestRepr {
    /// Asks for a connection id.
    Connect {
        /// Chosen by the client.
        transaction_id: u32,
    },
    /// An announce.
    Announce(UdpAnnounce),
    /// Counts for up to 74 torrents.
    Scrape {
        /// From the connect response.
        connection_id: u64,
        /// Chosen by the client.
        transaction_id: u32,
        /// The torrents.
        info_hashes: Vec<InfoHash>,
    },
}

impl RequestRepr {
    /// Reads a checked request.
    #[must_use]
    pub fn parse<T: AsRef<[u8]>>(request: &Request<T>) -> RequestRepr {
        let transaction_id = request.transaction_id();
        if let Some(fields) = request.announce() {
            let ip = fields.ip();
            let num_want = fields.num_want();
            return RequestRepr::Announce(UdpAnnounce {
                connection_id: request.connection_id(),
                transaction_id,
                info_hash: fields.info_hash(),
                peer_id: fields.peer_id(),
                downloaded: fields.downloaded(),
                left: fields.left(),
                uploaded: fields.uploaded(),
                event: fields.event(),
                ip: (!ip.is_unspecified()).then_some(ip),
                key: fields.key(),
                num_want: u32::try_from(num_want).ok(),
                port: fields.port(),
            });
        }
        if request.action() == action::SCRAPE {
            return RequestRepr::Scrape {
                connection_id: request.connection_id(),
                transaction_id,
                info_hashes: request.scrape_info_hashes().collect(),
            };
        }
        RequestRepr::Connect { transaction_id }
    }

    /// Bytes [`RequestRepr::emit`] writes.
    #[must_use]
    pub fn buffer_len(&self) -> usize {
        match self {
            RequestRepr::Connect { .. } => CONNECT_LEN,
            RequestRepr::Announce(_) => ANNOUNCE_LEN,
            RequestRepr::Scrape { info_hashes, .. } => field::HASHES + 20 * info_hashes.len(),
        }
    }

    /// Writes the packet into `buf`, returning its length. Never allocates.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let required = self.buffer_len();
        if let RequestRepr::Scrape { info_hashes, .. } = self {
            if info_hashes.is_empty() || info_hashes.len() > MAX_SCRAPE {
                return Err(Error::ScrapeCount(info_hashes.len()));
            }
        }
        if let RequestRepr::Announce(announce) = self {
            if let Some(n) = announce.num_want.filter(|&n| i32::try_from(n).is_err()) {
                return Err(Error::NumWantTooLarge(n));
            }
        }
        let buf = buf
            .get_mut(..required)
            .ok_or(Error::BufferTooSmall { required })?;
        match self {
            RequestRepr::Connect { transaction_id } => {
                put(buf, 0, &PROTOCOL_ID.to_be_bytes());
                put(buf, field::ACTION, &action::CONNECT.to_be_bytes());
                put(buf, field::TRANSACTION_ID, &transaction_id.to_be_bytes());
            }
            RequestRepr::Announce(a) => {
                put(buf, 0, &a.connection_id.to_be_bytes());
                put(buf, field::ACTION, &action::ANNOUNCE.to_be_bytes());
                put(buf, field::TRANSACTION_ID, &a.transaction_id.to_be_bytes());
                put(buf, field::INFO_HASH, a.info_hash.as_bytes());
                put(buf, field::PEER_ID, &a.peer_id);
                put(buf, field::DOWNLOADED, &a.downloaded.to_be_bytes());
                put(buf, field::LEFT, &a.left.to_be_bytes());
                put(buf, field::UPLOADED, &a.uploaded.to_be_bytes());
                put(buf, field::EVENT, &a.event.udp_code().to_be_bytes());
                let ip = a.ip.map_or(0, u32::from);
                put(buf, field::IP, &ip.to_be_bytes());
                put(buf, field::KEY, &a.key.to_be_bytes());
                let num_want = a.num_want.map_or(-1, |n| n as i32);
                put(buf, field::NUM_WANT, &num_want.to_be_bytes());
                put(buf, field::PORT, &a.port.to_be_bytes());
            }
            RequestRepr::Scrape {
                connection_id,
                transaction_id,
                info_hashes,
            } => {
                put(buf, 0, &connection_id.to_be_bytes());
                put(buf, field::ACTION, &action::SCRAPE.to_be_bytes());
                put(buf, field::TRANSACTION_ID, &transaction_id.to_be_bytes());
                for (i, hash) in info_hashes.iter().enumerate() {
                    put(buf, field::HASHES + 20 * i, hash.as_bytes());
                }
            }
        }
        Ok(required)
    }
}
