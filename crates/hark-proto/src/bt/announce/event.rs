//! What the announcer asks the driver to do, and what it reports.

use hark_wire::bt::tracker::AnnounceEvent;
use std::net::SocketAddr;
use std::time::Duration;

/// Identifies one request; replies to an older request are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// I/O the driver performs for the announcer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackerRequest {
    /// GET `url` over HTTP(S); answer with
    /// [`Announcer::handle_http_response`](super::Announcer::handle_http_response) or
    /// [`Announcer::handle_request_failed`](super::Announcer::handle_request_failed).
    Http {
        /// The request.
        id: RequestId,
        /// The full announce URL.
        url: String,
    },
    /// Send `payload` to the UDP tracker at `host:port` (resolved by the driver); feed
    /// replies from it to [`Announcer::handle_datagram`](super::Announcer::handle_datagram),
    /// and a failed lookup or send to
    /// [`Announcer::handle_request_failed`](super::Announcer::handle_request_failed).
    Udp {
        /// The request.
        id: RequestId,
        /// The tracker's `host:port`, from its `udp://` URL.
        host_port: String,
        /// The BEP 15 packet.
        payload: Vec<u8>,
    },
}

/// What happened, one variant per tracker event kind of the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackerEvent {
    /// An announce is being sent (`tracker_announce`).
    Announce {
        /// The tracker.
        url: String,
        /// Why.
        event: AnnounceEvent,
    },
    /// A tracker answered (`tracker_success`).
    Success {
        /// The tracker.
        url: String,
        /// The peers it gave.
        peers: Vec<SocketAddr>,
        /// The interval that will be used until the next regular announce (zero for the
        /// reply to `stopped`, after which none follows).
        interval: Duration,
        /// Seeders, if the tracker said.
        seeders: Option<u32>,
        /// Leechers, if the tracker said.
        leechers: Option<u32>,
    },
    /// A tracker failed (`tracker_failure`).
    Failure {
        /// The tracker.
        url: String,
        /// Failures of this tracker in a row, this one included.
        times_in_row: u32,
        /// The HTTP status; 0 on a timeout, a failed connection, or a UDP tracker.
        status_code: u16,
        /// What went wrong.
        reason: String,
    },
    /// A tracker's reply carried a warning (`tracker_warning`).
    Warning {
        /// The tracker.
        url: String,
        /// The warning.
        message: String,
    },
    /// Bytes went to a tracker: a UDP packet, or an HTTP request line (`tracker_write`).
    Write {
        /// The tracker.
        url: String,
        /// Bytes sent.
        length: usize,
    },
    /// Bytes came from a tracker: a UDP packet, or an HTTP body (`tracker_read`).
    Read {
        /// The tracker.
        url: String,
        /// Bytes received.
        length: usize,
    },
}
