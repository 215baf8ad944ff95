//! The tracker announcer's events as hub events: one `tracker_*` kind per variant.

use super::kinds::{
    EventKind, TrackerAnnounce, TrackerFailure, TrackerRead, TrackerSuccess, TrackerWarning,
    TrackerWrite,
};
use hark_proto::bt::announce::TrackerEvent;
use hark_wire::bt::metainfo::InfoHash;

/// The hub event for an event of `torrent`'s [`Announcer`](hark_proto::bt::announce::Announcer):
/// `Announce` is `tracker_announce`, `Success` `tracker_success`, `Failure`
/// `tracker_failure` (with `times_in_row` and `status_code`), `Warning`
/// `tracker_warning`, `Write` `tracker_write`, `Read` `tracker_read`.
///
/// ```
/// use hark::events::{EventKind, tracker_event_kind};
/// use hark_proto::bt::announce::TrackerEvent;
/// use hark_wire::bt::metainfo::InfoHash;
///
/// let failure = TrackerEvent::Failure {
///     url: "udp://127.0.0.1:6969".into(),
///     times_in_row: 3,
///     status_code: 0,
///     reason: "timed out".into(),
/// };
/// let kind = tracker_event_kind(InfoHash([1; 20]), failure);
/// assert_eq!(kind.name(), "tracker_failure");
/// assert!(matches!(kind, EventKind::TrackerFailure(f) if f.times_in_row == 3));
/// ```
#[must_use]
pub fn tracker_event_kind(torrent: InfoHash, event: TrackerEvent) -> EventKind {
    match event {
        TrackerEvent::Announce { url, event } => TrackerAnnounce {
            torrent,
            url,
            event,
        }
        .into(),
        TrackerEvent::Success {
            url,
            peers,
            interval,
            ..
        } => TrackerSuccess {
            torrent,
            url,
            peers: peers.len(),
            interval,
        }
        .into(),
        TrackerEvent::Failure {
            url,
            times_in_row,
            status_code,
            reason,
        } => TrackerFailure {
            torrent,
            url,
            times_in_row,
            status_code,
            reason,
        }
        .into(),
        TrackerEvent::Warning { url, message } => TrackerWarning {
            torrent,
            url,
            message,
        }
        .into(),
        TrackerEvent::Write { url, length } => TrackerWrite {
            torrent,
            url,
            length,
        }
        .into(),
        TrackerEvent::Read { url, length } => TrackerRead {
            torrent,
            url,
            length,
        }
        .into(),
    }
}
