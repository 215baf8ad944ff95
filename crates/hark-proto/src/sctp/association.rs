//! What the tracker knows about one association.

use hark_wire::sctp::{AssocFeature, PeerAddrState, SockAddr};
use std::time::Instant;

/// The life-cycle state of an association as notifications reveal it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssocState {
    /// Seen in a notification before its `SCTP_COMM_UP` (e.g. a peer address event).
    Pending,
    /// `SCTP_COMM_UP`: established.
    Up,
    /// `SCTP_RESTART`: the peer restarted; the association is up again.
    Restarted,
    /// `SCTP_SHUTDOWN_EVENT`: the peer started a graceful shutdown; no more sends.
    ShuttingDown,
    /// `SCTP_SHUTDOWN_COMP`: gracefully closed.
    ShutDown,
    /// `SCTP_COMM_LOST`: aborted or failed.
    Lost,
    /// `SCTP_CANT_STR_ASSOC`: could not be started.
    CantStart,
}

impl AssocState {
    /// True while data can flow (up or restarted).
    pub fn is_up(self) -> bool {
        matches!(self, AssocState::Up | AssocState::Restarted)
    }

    /// True once the association is gone for good.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            AssocState::ShutDown | AssocState::Lost | AssocState::CantStart
        )
    }
}

/// Why an association ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// Graceful shutdown completed.
    ShutdownComplete,
    /// Communication lost: `sac_error` and `sac_info` (the ABORT's error causes or chunk).
    Lost {
        /// `sac_error`.
        error: u16,
        /// `sac_info` bytes.
        info: Vec<u8>,
    },
    /// The association could not be started: `sac_error`.
    CantStart {
        /// `sac_error`.
        error: u16,
    },
}

/// One peer address and its last reported state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerAddress {
    /// The address.
    pub addr: SockAddr,
    /// Its state from the last `SCTP_PEER_ADDR_CHANGE`.
    pub state: PeerAddrState,
    /// `spc_error` of that notification.
    pub error: u32,
}

/// Everything known about one association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Association {
    /// `sctp_assoc_t`.
    pub assoc_id: u32,
    /// Life-cycle state.
    pub state: AssocState,
    /// When `state` last changed.
    pub since: Instant,
    /// Inbound streams (from COMM_UP/RESTART, updated by stream change events).
    pub inbound_streams: u16,
    /// Outbound streams.
    pub outbound_streams: u16,
    /// Features listed in COMM_UP/RESTART's `sac_info` (FreeBSD/usrsctp; empty on Linux).
    pub features: Vec<AssocFeature>,
    /// Peer addresses (removed ones are dropped), bounded by
    /// [`MAX_PEER_ADDRESSES`](super::MAX_PEER_ADDRESSES).
    pub peer_addresses: Vec<PeerAddress>,
    /// The peer's adaptation indication, if it sent one.
    pub adaptation_indication: Option<u32>,
    /// True after `SCTP_SENDER_DRY_EVENT` until data is reported failed again.
    pub sender_dry: bool,
    /// Number of `SCTP_PARTIAL_DELIVERY_ABORTED` indications.
    pub partial_delivery_aborts: u32,
    /// The active authentication key (from `SCTP_AUTH_NEW_KEY`).
    pub active_key: Option<u16>,
    /// True if the peer does not support AUTH (`SCTP_AUTH_NO_AUTH`).
    pub peer_lacks_auth: bool,
    /// Messages reported failed (`SCTP_SEND_FAILED_EVENT`/`SCTP_SEND_FAILED`).
    pub send_failures: u32,
    /// Why it ended, once it has.
    pub close_reason: Option<CloseReason>,
}

impl Association {
    pub(crate) fn new(assoc_id: u32, now: Instant) -> Self {
        Association {
            assoc_id,
            state: AssocState::Pending,
            since: now,
            inbound_streams: 0,
            outbound_streams: 0,
            features: Vec::new(),
            peer_addresses: Vec::new(),
            adaptation_indication: None,
            sender_dry: false,
            partial_delivery_aborts: 0,
            active_key: None,
            peer_lacks_auth: false,
            send_failures: 0,
            close_reason: None,
        }
    }

    pub(crate) fn set_state(&mut self, state: AssocState, now: Instant) {
        if self.state != state {
            self.state = state;
            self.since = now;
        }
    }

    /// The state of `addr`, if known.
    pub fn peer_state(&self, addr: &SockAddr) -> Option<PeerAddrState> {
        self.peer_addresses
            .iter()
            .find(|p| p.addr == *addr)
            .map(|p| p.state)
    }
}
