//! Reading announce and scrape replies.

use super::Error;
use crate::bt::bencode::{self, Limits, Value};
use crate::bt::metainfo::InfoHash;
use crate::bt::tracker::ScrapeStats;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A peer from a tracker, with its id when the tracker sent the dictionary form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    /// Address and port.
    pub addr: SocketAddr,
    /// The peer id (dictionary peers only).
    pub peer_id: Option<[u8; 20]>,
}

/// A dictionary peer whose `ip` is a DNS name (BEP 3 allows it); resolving is the
/// caller's business.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamedPeer {
    /// The host name.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The peer id, if sent.
    pub peer_id: Option<[u8; 20]>,
}

/// A successful announce reply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AnnounceResponse {
    /// Seconds to wait before the next regular announce.
    pub interval: u32,
    /// Seconds the client must wait at least between announces (`min interval`).
    pub min_interval: Option<u32>,
    /// A `warning message`: the announce worked, but the tracker has something to say.
    pub warning_message: Option<String>,
    /// A `tracker id` to send back in later announces.
    pub tracker_id: Option<Vec<u8>>,
    /// Seeders (`complete`).
    pub complete: Option<u32>,
    /// Leechers (`incomplete`).
    pub incomplete: Option<u32>,
    /// Peers, IPv4 (compact `peers`, BEP 23, or dictionaries) then IPv6 (`peers6`, BEP 7).
    pub peers: Vec<Peer>,
    /// Dictionary peers given by host name.
    pub named_peers: Vec<NamedPeer>,
}

/// What a tracker answered to an announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnnounceReply {
    /// Peers and an interval.
    Success(AnnounceResponse),
    /// The tracker refused the announce (`failure reason`).
    Failure {
        /// The tracker's reason.
        reason: String,
    },
}

impl AnnounceReply {
    /// Reads an announce reply body.
    ///
    /// ```
    /// use hark_wire::bt::tracker::http::AnnounceReply;
    ///
    /// let body = b"d8:completei1e10:incompletei0e8:intervali1800e12:min intervali900e\
    ///              5:peers6:\x7f\x00\x00\x01\x1a\xe1e";
    /// let AnnounceReply::Success(reply) = AnnounceReply::parse(body)? else { panic!() };
    /// assert_eq!((reply.interval, reply.min_interval), (1800, Some(900)));
    /// assert_eq!(reply.peers[0].addr, "127.0.0.1:6881".parse().unwrap());
    ///
    /// let refused = AnnounceReply::parse(b"d14:failure reason17:torrent not founde")?;
    /// assert_eq!(refused, AnnounceReply::Failure { reason: "torrent not found".into() });
    /// # Ok::<(), hark_wire::bt::tracker::http::Error>(())
    /// ```
    pub fn parse(body: &[u8]) -> Result<AnnounceReply, Error> {
        let root = decode(body)?;
        if let Some(reason) = root.get(b"failure reason") {
            return Ok(AnnounceReply::Failure {
                reason: lossy(reason, "failure reason")?,
            });
        }
        let interval = count(
            root.get(b"interval")
                .ok_or(Error::Missing { key: "interval" })?,
            "interval",
        )?;
        let mut reply = AnnounceResponse {
            interval,
            min_interval: optional_count(&root, "min interval")?,
            warning_message: root
                .get(b"warning message")
                .map(|value| lossy(value, "warning message"))
                .transpose()?,
            tracker_id: root
                .get(b"tracker id")
                .map(|value| bytes(value, "tracker id").map(<[u8]>::to_vec))
                .transpose()?,
            complete: optional_count(&root, "complete")?,
            incomplete: optional_count(&root, "incomplete")?,
            ..AnnounceResponse::default()
        };
        if let Some(peers) = root.get(b"peers") {
            match peers.as_bytes() {
                Some(compact) => compact_peers(peers.offset(), compact, "peers", &mut reply)?,
                None => dictionary_peers(peers, &mut reply)?,
            }
        }
        if let Some(peers6) = root.get(b"peers6") {
            let compact = bytes(peers6, "peers6")?;
            compact_peers(peers6.offset(), compact, "peers6", &mut reply)?;
        }
        Ok(AnnounceReply::Success(reply))
    }
}

/// Tracker replies are not always canonical: key order is not enforced.
fn decode(body: &[u8]) -> Result<Value<'_>, Error> {
    let limits = Limits {
        sorted_keys: false,
        ..Limits::DEFAULT
    };
    let root = bencode::decode_with(body, &limits)?;
    if root.as_dict().is_none() {
        return Err(wrong(&root, "reply", "a dictionary"));
    }
    Ok(root)
}

fn wrong(value: &Value<'_>, key: &'static str, expected: &'static str) -> Error {
    Error::WrongType {
        key,
        offset: value.offset(),
        expected,
    }
}

fn bytes<'a>(value: &Value<'a>, key: &'static str) -> Result<&'a [u8], Error> {
    value
        .as_bytes()
        .ok_or_else(|| wrong(value, key, "a string"))
}

fn lossy(value: &Value<'_>, key: &'static str) -> Result<String, Error> {
    Ok(String::from_utf8_lossy(bytes(value, key)?).into_owned())
}

fn count(value: &Value<'_>, key: &'static str) -> Result<u32, Error> {
    let raw = value
        .as_integer()
        .ok_or_else(|| wrong(value, key, "an integer"))?;
    u32::try_from(raw).map_err(|_| Error::OutOfRange {
        key,
        offset: value.offset(),
        value: raw,
    })
}

fn optional_count(root: &Value<'_>, key: &'static str) -> Result<Option<u32>, Error> {
    root.get(key.as_bytes())
        .map(|value| count(value, key))
        .transpose()
}

fn compact_peers(
    offset: usize,
    compact: &[u8],
    key: &'static str,
    reply: &mut AnnounceResponse,
) -> Result<(), Error> {
    let entry = if key == "peers" { 6 } else { 18 };
    if compact.len() % entry != 0 {
        return Err(Error::InvalidCompactPeers {
            key,
            offset,
            len: compact.len(),
            entry,
        });
    }
    reply.peers.reserve(compact.len() / entry);
    for chunk in compact.chunks_exact(entry) {
        let (ip, port) = chunk.split_at(entry - 2);
        let ip = match <[u8; 4]>::try_from(ip) {
            Ok(v4) => IpAddr::V4(Ipv4Addr::from(v4)),
            Err(_) => {
                let mut v6 = [0u8; 16];
                v6.copy_from_slice(ip);
                IpAddr::V6(Ipv6Addr::from(v6))
            }
        };
        reply.peers.push(Peer {
            addr: SocketAddr::new(ip, u16::from_be_bytes([port[0], port[1]])),
            peer_id: None,
        });
    }
    Ok(())
}

fn dictionary_peers(peers: &Value<'_>, reply: &mut AnnounceResponse) -> Result<(), Error> {
    let list = peers
        .as_list()
        .ok_or_else(|| wrong(peers, "peers", "a string or a list"))?;
    for item in list {
        if item.as_dict().is_none() {
            return Err(wrong(item, "peers", "a dictionary"));
        }
        let ip_value = item.get(b"ip").ok_or(Error::Missing { key: "ip" })?;
        let ip_text = lossy(ip_value, "ip")?;
        let port_value = item.get(b"port").ok_or(Error::Missing { key: "port" })?;
        let raw_port = port_value
            .as_integer()
            .ok_or_else(|| wrong(port_value, "port", "an integer"))?;
        let port = u16::try_from(raw_port).map_err(|_| Error::OutOfRange {
            key: "port",
            offset: port_value.offset(),
            value: raw_port,
        })?;
        let peer_id = match item.get(b"peer id") {
            Some(id) => Some(
                <[u8; 20]>::try_from(bytes(id, "peer id")?)
                    .map_err(|_| wrong(id, "peer id", "20 bytes"))?,
            ),
            None => None,
        };
        match ip_text.parse::<IpAddr>() {
            Ok(ip) => reply.peers.push(Peer {
                addr: SocketAddr::new(ip, port),
                peer_id,
            }),
            Err(_) => reply.named_peers.push(NamedPeer {
                host: ip_text,
                port,
                peer_id,
            }),
        }
    }
    Ok(())
}

/// What a tracker answered to a scrape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScrapeReply {
    /// Counts per torrent, in reply order.
    Success(Vec<(InfoHash, ScrapeStats)>),
    /// The tracker refused (`failure reason`).
    Failure {
        /// The tracker's reason.
        reason: String,
    },
}

impl ScrapeReply {
    /// Reads a scrape reply body.
    pub fn parse(body: &[u8]) -> Result<ScrapeReply, Error> {
        let root = decode(body)?;
        if let Some(reason) = root.get(b"failure reason") {
            return Ok(ScrapeReply::Failure {
                reason: lossy(reason, "failure reason")?,
            });
        }
        let files = root.get(b"files").ok_or(Error::Missing { key: "files" })?;
        let entries = files
            .as_dict()
            .ok_or_else(|| wrong(files, "files", "a dictionary"))?;
        let mut out = Vec::with_capacity(entries.len());
        for (key, stats) in entries {
            let hash = key
                .as_bytes()
                .and_then(|raw| <[u8; 20]>::try_from(raw).ok())
                .ok_or(Error::InvalidInfoHash {
                    offset: key.offset(),
                })?;
            if stats.as_dict().is_none() {
                return Err(wrong(stats, "files", "a dictionary"));
            }
            let field = |name: &'static str| -> Result<u32, Error> {
                Ok(optional_count(stats, name)?.unwrap_or(0))
            };
            out.push((
                InfoHash(hash),
                ScrapeStats {
                    complete: field("complete")?,
                    downloaded: field("downloaded")?,
                    incomplete: field("incomplete")?,
                },
            ));
        }
        Ok(ScrapeReply::Success(out))
    }
}
