//! What the tracker reports.

use super::association::{AssocState, CloseReason};
use hark_wire::sctp::{AuthIndication, PeerAddrState, SndInfo, SockAddr};

/// A message the stack could not deliver, with its data handed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedSend {
    /// The `sctp_sndinfo` it was sent with (from the older `SCTP_SEND_FAILED`: the
    /// stream, flags, ppid and context of its `sctp_sndrcvinfo`).
    pub info: SndInfo,
    /// `ssfe_error`.
    pub error: u32,
    /// True if it had been put on the wire (`SCTP_DATA_SENT`), false if never sent.
    pub was_sent: bool,
    /// The undelivered data.
    pub data: Vec<u8>,
}

/// One thing that happened to an association.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssocEvent {
    /// Established (or re-established after a peer restart).
    Up {
        /// The association.
        assoc_id: u32,
        /// Inbound streams.
        inbound_streams: u16,
        /// Outbound streams.
        outbound_streams: u16,
        /// True for `SCTP_RESTART`.
        restarted: bool,
    },
    /// The peer started a graceful shutdown.
    ShuttingDown {
        /// The association.
        assoc_id: u32,
    },
    /// The association ended.
    Closed {
        /// The association.
        assoc_id: u32,
        /// Why.
        reason: CloseReason,
        /// The state it ended in.
        state: AssocState,
    },
    /// A peer address changed state (added, removed, reachable, unreachable, primary, ...).
    PeerAddress {
        /// The association.
        assoc_id: u32,
        /// The address.
        addr: SockAddr,
        /// Its new state.
        state: PeerAddrState,
    },
    /// The peer sent an ERROR chunk.
    RemoteError {
        /// The association.
        assoc_id: u32,
        /// The cause code.
        error: u16,
        /// The error causes.
        data: Vec<u8>,
    },
    /// The peer's adaptation layer indication.
    Adaptation {
        /// The association.
        assoc_id: u32,
        /// `sai_adaptation_ind`.
        indication: u32,
    },
    /// Everything sent has been acknowledged.
    SenderDry {
        /// The association.
        assoc_id: u32,
    },
    /// A partially delivered message was aborted.
    PartialDeliveryAborted {
        /// The association.
        assoc_id: u32,
        /// `pdapi_stream`.
        stream: u32,
        /// `pdapi_seq`.
        seq: u32,
    },
    /// An authentication key event.
    Auth {
        /// The association.
        assoc_id: u32,
        /// `auth_keynumber`.
        key: u16,
        /// New key, key freed, or no AUTH on this association.
        indication: AuthIndication,
    },
    /// A message could not be delivered; its data is handed back.
    SendFailed {
        /// The association.
        assoc_id: u32,
        /// The message.
        failed: FailedSend,
    },
    /// Streams were reset (`strreset_flags` and the streams; empty = all).
    StreamsReset {
        /// The association.
        assoc_id: u32,
        /// `strreset_flags`.
        flags: u16,
        /// The streams.
        streams: Vec<u16>,
    },
    /// The stream counts changed (`SCTP_STREAM_CHANGE_EVENT`).
    StreamsChanged {
        /// The association.
        assoc_id: u32,
        /// `strchange_flags`.
        flags: u16,
        /// New inbound stream count.
        inbound_streams: u16,
        /// New outbound stream count.
        outbound_streams: u16,
    },
    /// The association's TSNs were reset (`SCTP_ASSOC_RESET_EVENT`).
    AssocReset {
        /// The association.
        assoc_id: u32,
        /// `assocreset_flags`.
        flags: u16,
    },
    /// The stack stopped sending notifications (FreeBSD).
    NotificationsStopped,
    /// A notification for an association beyond [`MAX_ASSOCIATIONS`](super::MAX_ASSOCIATIONS)
    /// open ones; it was not tracked.
    Untracked {
        /// The association.
        assoc_id: u32,
    },
}
