//! A sans-IO SCTP association tracker fed by parsed notifications (RFC 6458).
//!
//! The kernel runs the SCTP protocol; what an application sees of it is the stream of
//! notifications. [`AssociationTracker`] turns that stream into per-association state
//! ([`Association`]: [`AssocState`], peer addresses and their states, stream counts,
//! features, sender-dry, partial-delivery aborts, authentication keys) and into
//! [`AssocEvent`]s, including send failures with the undelivered data handed back.
//!
//! Order: after each [`handle_notification`](AssociationTracker::handle_notification),
//! drain [`poll_event`](AssociationTracker::poll_event). No clock is read: `now` comes in.
//!
//! ```
//! use hark_proto::sctp::{AssocEvent, AssocState, AssociationTracker};
//! use hark_wire::sctp::{AssocChange, AssocChangeState, Layout, Notification};
//! use std::time::Instant;
//!
//! let mut tracker = AssociationTracker::new(Layout::Linux);
//! let up = Notification::AssocChange(AssocChange {
//!     sac_flags: 0, sac_state: AssocChangeState::CommUp, sac_error: 0,
//!     sac_outbound_streams: 10, sac_inbound_streams: 5, sac_assoc_id: 3, sac_info: &[],
//! });
//! tracker.handle_notification(Instant::now(), &up);
//! assert_eq!(tracker.association(3).unwrap().state, AssocState::Up);
//! assert!(matches!(tracker.poll_event(), Some(AssocEvent::Up { assoc_id: 3, outbound_streams: 10, .. })));
//! ```

mod association;
mod event;
mod tracker;

pub use association::{AssocState, Association, CloseReason, PeerAddress};
pub use event::{AssocEvent, FailedSend};
pub use tracker::{AssociationTracker, MAX_ASSOCIATIONS, MAX_EVENTS, MAX_PEER_ADDRESSES};

#[cfg(test)]
mod tests;
