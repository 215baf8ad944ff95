//! The tracker announcer (BEP 3, 12, 15), sans I/O: which tracker to ask, when, with
//! which event, and what its replies mean. The driver performs the HTTP requests and UDP
//! sends it asks for and feeds back replies, failures and time; every step comes out as
//! a [`TrackerEvent`] that maps onto one of the hub's `tracker_*` kinds.
//!
//! ```
//! use hark_proto::bt::announce::{
//!     Announcer, AnnouncerConfig, Stats, TorrentParams, TrackerEvent, TrackerRequest,
//! };
//! use hark_proto::netsim::SimRng;
//! use hark_wire::bt::metainfo::InfoHash;
//! use std::time::{Duration, Instant};
//!
//! let torrent = TorrentParams { info_hash: InfoHash([1; 20]), peer_id: [2; 20], port: 6881 };
//! let tiers = vec![vec!["http://127.0.0.1:6969/announce".to_owned()]];
//! let mut announcer =
//!     Announcer::new(AnnouncerConfig::default(), torrent, &tiers, Box::new(SimRng::new(7)))?;
//! let now = Instant::now();
//! announcer.start(now, Stats { left: 1000, ..Stats::default() });
//! let Some(TrackerRequest::Http { id, url }) = announcer.poll_request() else { panic!() };
//! assert!(url.contains("&event=started"));
//!
//! // The tracker does not answer within 30 s: a failure with status 0, retried later.
//! announcer.handle_timeout(now + Duration::from_secs(30));
//! let events: Vec<_> = std::iter::from_fn(|| announcer.poll_event()).collect();
//! assert!(matches!(
//!     events.last(),
//!     Some(TrackerEvent::Failure { times_in_row: 1, status_code: 0, .. })
//! ));
//! assert_eq!(announcer.poll_timeout(), Some(now + Duration::from_secs(90)));
//! # let _ = id;
//! # Ok::<(), hark_proto::bt::announce::AnnouncerError>(())
//! ```

mod announcer;
mod config;
mod event;
mod tracker;

pub use announcer::{Announcer, EVENT_CAPACITY};
pub use config::{AnnouncerConfig, Stats, TorrentParams};
pub use event::{RequestId, TrackerEvent, TrackerRequest};

/// Why an announcer could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnnouncerError {
    /// No tracker URL with a scheme hark can reach (`http`, `https`, `udp`).
    #[error("no usable tracker URL")]
    NoTrackers,
}
