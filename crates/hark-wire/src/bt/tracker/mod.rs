//! Trackers: the announce event.
//!
//! ```
//! use hark_wire::bt::tracker::AnnounceEvent;
//!
//! assert_eq!(AnnounceEvent::Started.http_name(), Some("started"));
//! assert_eq!(AnnounceEvent::from_udp_code(2), Some(AnnounceEvent::Started));
//! ```

mod event;

pub use event::AnnounceEvent;
