//! Errors of the session's operations and the reasons a session or channel ends.

/// A rule of RFC 3080 section 2.2.1.1 (or RFC 3081 section 3.1) that the peer broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The byte stream is not a well-formed frame (the codec's diagnosis).
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// A frame names a channel that is not open.
    #[error("frame on channel {channel}, which is not open")]
    UnknownChannel {
        /// The channel named.
        channel: u32,
    },
    /// A MSG reuses the msgno of a MSG whose reply is not completely sent.
    #[error("MSG {msgno} on channel {channel} while its reply is still owed")]
    MsgnoInUse {
        /// The channel.
        channel: u32,
        /// The msgno reused.
        msgno: u32,
    },
    /// A reply for a msgno that has no outstanding MSG (never sent, or already answered).
    #[error("reply to msgno {msgno} on channel {channel}, which has no outstanding MSG")]
    UnexpectedReply {
        /// The channel.
        channel: u32,
        /// The msgno answered.
        msgno: u32,
    },
    /// The keyword of a frame differs from the previous frame of the same message.
    #[error("keyword changed within message {msgno} on channel {channel}")]
    KeywordChanged {
        /// The channel.
        channel: u32,
        /// The msgno.
        msgno: u32,
    },
    /// A NUL follows a frame of the same reply that was not an ANS, or an ANS in progress.
    #[error(
        "NUL for msgno {msgno} on channel {channel} after a non-ANS frame or an unfinished ANS"
    )]
    MisplacedNul {
        /// The channel.
        channel: u32,
        /// The msgno.
        msgno: u32,
    },
    /// The previous frame on the channel had `*` and this one belongs to another message.
    #[error("frame for msgno {got} on channel {channel} interrupts message {expected}")]
    Interleaved {
        /// The channel.
        channel: u32,
        /// The msgno whose frames were in progress.
        expected: u32,
        /// The msgno of the interrupting frame.
        got: u32,
    },
    /// The seqno is not the next expected octet of the channel.
    #[error("seqno {got} on channel {channel}, expected {expected}")]
    Seqno {
        /// The channel.
        channel: u32,
        /// The expected seqno.
        expected: u32,
        /// The seqno received.
        got: u32,
    },
    /// The frame goes beyond the window we advertised (RFC 3081 3.1.2).
    #[error("frame on channel {channel} exceeds the window")]
    WindowExceeded {
        /// The channel.
        channel: u32,
    },
    /// A SEQ acknowledges octets never sent (RFC 3081 3.1.3).
    #[error("SEQ on channel {channel} acknowledges unsent octets")]
    AckBeyondSent {
        /// The channel.
        channel: u32,
    },
    /// The first message from the peer was not a greeting (RFC 3080 2.3.1.1).
    #[error("expected a greeting")]
    NoGreeting,
    /// A channel-0 message is not valid BEEP management XML.
    #[error("bad channel-0 message: {0}")]
    Management(String),
    /// A channel-0 reply does not fit the request it answers.
    #[error("channel-0 reply does not match its request")]
    MismatchedManagementReply,
    /// Bytes arrived after the session was released or terminated.
    #[error("data after the session ended")]
    DataAfterClose,
}

/// A local bound that a peer's traffic would exceed; the session ends rather than grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// A message being assembled exceeds `max_message_size`.
    #[error("message on channel {channel} exceeds max_message_size")]
    MessageTooLarge {
        /// The channel.
        channel: u32,
    },
    /// More concurrent unfinished ANS than `max_partial_answers`.
    #[error("too many unfinished ANS on channel {channel}")]
    TooManyPartialAnswers {
        /// The channel.
        channel: u32,
    },
    /// The peer keeps sending MSGs we have not answered (twice `max_pending_replies`
    /// awaiting on one channel; empty MSGs take no window, so the window cannot stop them).
    #[error("too many unanswered MSGs on channel {channel}")]
    TooManyPendingReplies {
        /// The channel.
        channel: u32,
    },
    /// More channels than `max_channels`.
    #[error("too many channels")]
    TooManyChannels,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionCloseReason {
    /// Channel 0 was closed with `<ok/>`: an orderly release (RFC 3080 2.4).
    Released,
    /// The listener refused the session with an ERR greeting.
    Refused {
        /// The reply code (421 for "service not available").
        code: u16,
        /// Diagnostic text.
        text: String,
    },
    /// We refused the session (configured `refuse`).
    RefusedLocally,
    /// The peer broke a framing rule; the session ended without a response.
    ProtocolViolation(ProtocolError),
    /// The peer's traffic would exceed a local bound.
    Limit(LimitError),
    /// The transport ended before an orderly release.
    TransportClosed,
    /// The application aborted the session.
    Aborted,
    /// The server said our SASL authentication completed, but our mechanism could not
    /// verify the server's final message (a SCRAM server signature or a DIGEST-MD5
    /// `rspauth` that does not match): the server may be an impostor, so we end the
    /// session instead of using it.
    SaslServerUnverified(String),
}

/// Why a channel ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelCloseReason {
    /// We asked and the peer answered `<ok/>`.
    ClosedByUs,
    /// The peer asked and we answered `<ok/>`.
    ClosedByPeer,
    /// The peer sent a poorly-formed reply on this channel (RFC 3080 2.2.1.1); the channel
    /// was dropped and a close sent.
    PoorlyFormedReply(ProtocolError),
    /// The session ended or was reset by tuning.
    SessionEnded,
}

/// Why a message or reply could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// No open channel has this number.
    #[error("unknown channel")]
    UnknownChannel,
    /// The channel is closing: no new MSG may be sent.
    #[error("channel is closing")]
    Closing,
    /// Channel 0 carries only the session's own management messages.
    #[error("channel 0 is reserved for channel management")]
    ManagementChannel,
    /// The channel's bounded send queue is full; wait for `Unthrottled`.
    #[error("send queue full")]
    QueueFull,
    /// `max_outstanding` MSGs await replies on this channel.
    #[error("too many MSGs awaiting replies")]
    TooManyOutstanding,
    /// The payload is larger than 2^31 - 1 octets... or than `max_message_size`.
    #[error("payload too large")]
    TooLarge,
    /// The session has ended or is switching to TLS.
    #[error("session not usable")]
    SessionClosed,
}

/// Why a reply could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// No open channel has this number.
    #[error("unknown channel")]
    UnknownChannel,
    /// No received MSG with this msgno awaits a reply.
    #[error("no MSG with this msgno awaits a reply")]
    UnknownMessage,
    /// This MSG was already answered with RPY, ERR or NUL, or with ANS and then RPY/ERR.
    #[error("MSG already answered")]
    AlreadyAnswered,
    /// A one-to-many reply was started: only ANS and NUL may follow.
    #[error("one-to-many reply in progress")]
    AnswersInProgress,
    /// The channel's bounded send queue is full; wait for `Unthrottled`.
    #[error("send queue full")]
    QueueFull,
    /// The payload is larger than 2^31 - 1 octets.
    #[error("payload too large")]
    TooLarge,
    /// The session has ended.
    #[error("session not usable")]
    SessionClosed,
}

/// Why a channel could not be started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The session has ended, or is being released.
    #[error("session not usable")]
    SessionClosed,
    /// `max_channels` are open or being started.
    #[error("too many channels")]
    TooManyChannels,
    /// No profile given, or a tuning profile given to `start_channel`.
    #[error("bad profile list")]
    BadProfiles,
    /// A tuning exchange is in progress (one tuning channel at a time).
    #[error("tuning in progress")]
    TuningInProgress,
    /// TLS is already active, or a SASL security layer forbids it.
    #[error("TLS not allowed now")]
    TlsNotAllowed,
    /// The session is already authenticated (RFC 4422: no second authentication).
    #[error("already authenticated")]
    AlreadyAuthenticated,
}

/// Why a close could not be requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CloseError {
    /// No open channel has this number.
    #[error("unknown channel")]
    UnknownChannel,
    /// A close of this channel is already pending.
    #[error("already closing")]
    AlreadyClosing,
    /// The session has ended.
    #[error("session not usable")]
    SessionClosed,
}

/// Why a window could not be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WindowError {
    /// No open channel has this number.
    #[error("unknown channel")]
    UnknownChannel,
    /// Windows never shrink (RFC 3081 3.1.3).
    #[error("a window cannot shrink")]
    WouldShrink,
}
