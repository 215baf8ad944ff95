//! Trackers: HTTP (BEP 3, 7, 23, 48) and UDP (BEP 15) codecs, and the announce event.
//!
//! ```
//! use hark_wire::bt::tracker::AnnounceEvent;
//!
//! assert_eq!(AnnounceEvent::Started.http_name(), Some("started"));
//! assert_eq!(AnnounceEvent::from_udp_code(2), Some(AnnounceEvent::Started));
//! ```

mod event;
pub mod http;
mod stats;
pub mod udp;

pub use event::AnnounceEvent;
pub use stats::ScrapeStats;
