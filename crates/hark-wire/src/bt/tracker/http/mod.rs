//! HTTP trackers: announce and scrape URLs, and their bencoded replies.
//!
//! [`AnnounceRequest`] builds the announce URL (URL-encoded info hash and peer id,
//! `compact=1`, `event`, `numwant`, `key`, `trackerid`, BEP 7's `ipv4`/`ipv6`);
//! [`scrape_url`] derives a scrape URL. [`AnnounceReply::parse`] reads compact IPv4 peers
//! (BEP 23), compact IPv6 `peers6` (BEP 7) and dictionary peers, `interval`,
//! `min interval`, `failure reason`, `warning message` and `tracker id`;
//! [`ScrapeReply::parse`] reads scrape counts. Replies are decoded with the bencode
//! limits, but without requiring sorted keys, since trackers do not all sort them.

mod error;
mod percent;
mod request;
mod response;

pub use error::Error;
pub use request::{AnnounceRequest, scrape_url};
pub use response::{AnnounceReply, AnnounceResponse, NamedPeer, Peer, ScrapeReply};
