//! UDP trackers (BEP 15): connect, announce, scrape and error packets.
//!
//! Requests ([`Request`], [`RequestRepr`]) go from client to tracker, replies
//! ([`Response`], [`ResponseRepr`]) back. An announce reply's peers are 6-byte IPv4 or
//! 18-byte IPv6 entries depending on the socket's family, so [`Response::new_checked`]
//! takes the [`Family`]. Transaction ids are chosen by the caller (randomness is an
//! input); matching replies to requests is the announcer's job.
//!
//! ```
//! use hark_wire::bt::tracker::udp::{Family, RequestRepr, Response, ResponseRepr};
//!
//! let mut buf = [0u8; 64];
//! let len = RequestRepr::Connect { transaction_id: 7 }.emit(&mut buf)?;
//! assert_eq!(&buf[..len], b"\0\0\x04\x17\x27\x10\x19\x80\0\0\0\0\0\0\0\x07");
//!
//! let reply = ResponseRepr::Announce {
//!     transaction_id: 8,
//!     interval: 1800,
//!     leechers: 1,
//!     seeders: 2,
//!     peers: vec!["127.0.0.1:6881".parse().unwrap()],
//! };
//! let len = reply.emit(&mut buf)?;
//! assert_eq!(len, reply.buffer_len());
//! let view = Response::new_checked(&buf[..len], Family::V4)?;
//! assert_eq!(ResponseRepr::parse(&view), reply);
//! # Ok::<(), hark_wire::bt::tracker::udp::Error>(())
//! ```

mod bytes;
mod error;
mod request;
mod response;

pub use error::Error;
pub use request::{
    ANNOUNCE_LEN, AnnounceFields, CONNECT_LEN, MAX_SCRAPE, PROTOCOL_ID, Request, RequestRepr,
    UdpAnnounce,
};
pub use response::{
    ANNOUNCE_RESPONSE_LEN, CONNECT_RESPONSE_LEN, Family, RESPONSE_HEADER_LEN, Response,
    ResponseRepr,
};

/// BEP 15 action codes.
pub mod action {
    /// Connect.
    pub const CONNECT: u32 = 0;
    /// Announce.
    pub const ANNOUNCE: u32 = 1;
    /// Scrape.
    pub const SCRAPE: u32 = 2;
    /// Error (tracker to client only).
    pub const ERROR: u32 = 3;
}
