//! What a session reports.

use bytes::Bytes;
pub use hark_wire::beep::header::FrameType;

use super::decision::{ChannelCloseRequest, ChannelStartRequest};
use super::error::{ChannelCloseReason, SessionCloseReason};

/// A reply to one of our MSGs, matched to it by channel and msgno.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A positive reply (payload with its MIME headers).
    Rpy(Bytes),
    /// A negative reply.
    Err(Bytes),
    /// One answer of a one-to-many reply.
    Ans {
        /// The answer number.
        ansno: u32,
        /// The payload.
        payload: Bytes,
    },
    /// The end of a one-to-many reply: the MSG is answered.
    Nul,
}

/// Why a channel is throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleCause {
    /// The peer's window is exhausted: data waits for its SEQ.
    PeerWindow,
    /// Our bounded send queue for the channel is full.
    QueueFull,
}

/// What the driver does with the transport once the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportAction {
    /// Keep reading and writing.
    Keep,
    /// Write what `poll_transmit` still gives, then close the transport.
    CloseAfterFlush,
    /// Wait for the peer to close the transport (then close ours).
    AwaitPeerClose,
}

/// Which TLS role the driver takes at a switch point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsRole {
    /// We asked for TLS (`<ready/>`): we are the TLS client.
    Client,
    /// We answered `<proceed/>`: we are the TLS server.
    Server,
}

/// How a SASL exchange ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaslStatus {
    /// Authentication succeeded.
    Complete {
        /// The authenticated identity (the server's view; the mechanism name on a client
        /// that does not learn it).
        identity: String,
    },
    /// Authentication failed or was aborted.
    Failed {
        /// Diagnostic text.
        reason: String,
    },
}

/// A session event. Drain them with `poll_event` after each input.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// The peer's greeting arrived.
    GreetingReceived {
        /// The profiles the peer offers.
        profiles: Vec<String>,
        /// The `features` tokens.
        features: Vec<String>,
        /// The `localize` language tags.
        localize: Vec<String>,
    },
    /// The peer asks to start a channel: a decision to answer.
    ChannelStartRequested(ChannelStartRequest),
    /// A channel is open (started by either side).
    ChannelStarted {
        /// The channel number.
        channel: u32,
        /// The profile in use.
        profile: String,
        /// Content piggybacked on the peer's `<profile>` reply (if we started it).
        piggyback: Option<String>,
    },
    /// Our start request was refused.
    ChannelRefused {
        /// The channel number we asked for.
        channel: u32,
        /// The reply code (554: no profile supported; 421: refused).
        code: u16,
        /// Diagnostic text.
        text: String,
    },
    /// The peer asks to close a channel: a decision to answer.
    ChannelCloseRequested(ChannelCloseRequest),
    /// A channel is gone.
    ChannelClosed {
        /// The channel number.
        channel: u32,
        /// Why.
        reason: ChannelCloseReason,
    },
    /// Our close request was refused; the channel stays open.
    CloseRefused {
        /// The channel number.
        channel: u32,
        /// The reply code.
        code: u16,
        /// Diagnostic text.
        text: String,
    },
    /// A complete MSG (message delivery).
    Message {
        /// The channel.
        channel: u32,
        /// The msgno to answer with `reply`, `answer` or `finish_answers`.
        msgno: u32,
        /// The payload (MIME headers and body).
        payload: Bytes,
    },
    /// One data frame (frame delivery).
    Frame {
        /// The channel.
        channel: u32,
        /// The keyword (with the ansno of an ANS).
        kind: FrameType,
        /// The msgno.
        msgno: u32,
        /// Whether more frames of this message follow (`*`).
        more: bool,
        /// This frame's payload.
        payload: Bytes,
    },
    /// A complete reply to one of our MSGs (message delivery); for a one-to-many reply,
    /// one event per ANS and one for the NUL.
    Reply {
        /// The channel.
        channel: u32,
        /// The msgno of our MSG.
        msgno: u32,
        /// The reply.
        reply: Reply,
    },
    /// Data on this channel waits.
    Throttled {
        /// The channel.
        channel: u32,
        /// Why.
        cause: ThrottleCause,
    },
    /// The channel can take data again.
    Unthrottled {
        /// The channel.
        channel: u32,
        /// Which throttle ended.
        cause: ThrottleCause,
    },
    /// TLS must start now: the driver writes everything `poll_transmit` gives, puts TLS
    /// under the session in `role`, then calls `reset_after_tls` (or `abort`).
    TlsSwitch {
        /// Our TLS role.
        role: TlsRole,
    },
    /// A SASL exchange ended.
    Sasl {
        /// The SASL channel.
        channel: u32,
        /// The mechanism.
        mechanism: String,
        /// The outcome.
        status: SaslStatus,
    },
    /// The session ended; see `transport_action` for the transport.
    SessionClosed {
        /// Why.
        reason: SessionCloseReason,
    },
}
