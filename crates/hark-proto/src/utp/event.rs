//! What a connection reports to the application.

/// A connection's state, as libutp names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// Created, nothing sent.
    Idle,
    /// SYN sent, waiting for the SYN-ACK.
    SynSent,
    /// SYN received and accepted, waiting for the initiator's first packet.
    SynReceived,
    /// Established.
    Connected,
    /// Established, and the send buffer is full.
    ConnectedFull,
    /// A FIN was sent or received (libutp's EOF / FIN states).
    Closing,
    /// Reset by the peer or by us.
    Reset,
    /// About to be removed; its handle becomes invalid after the `Destroying` event.
    /// After an orderly close this comes [`ConnectionConfig::linger`] (2 s by default, at
    /// least one RTO) after both FINs were acknowledged: the connection keeps answering a
    /// peer whose last ACK got lost. Time a transfer to [`Event::FinAcked`] (the sender)
    /// or [`Event::Eof`] (the receiver), not to this.
    ///
    /// [`ConnectionConfig::linger`]: super::ConnectionConfig::linger
    Destroying,
}

/// Why a connection failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The peer answered our SYN with a RESET.
    #[error("connection refused")]
    Refused,
    /// The peer reset an established connection.
    #[error("connection reset by peer")]
    Reset,
    /// Retransmissions, SYN retries or the idle timeout ran out.
    #[error("connection timed out")]
    TimedOut,
    /// The peer contradicted itself: its cumulative ACK went back below data it had
    /// acknowledged (which was then freed), so the stream cannot be completed.
    #[error("peer's acknowledgements went backwards")]
    Protocol,
    /// The connection requires the integrity extension and the peer did not accept it
    /// (or its SYN-ACK arrived too damaged to tell).
    #[error("peer does not checksum its packets and integrity is required")]
    IntegrityRequired,
    /// The peer's checksummed SYN-ACK acknowledged a SYN we never sent: our SYN was
    /// damaged on the way, so the peer's view of the connection is wrong.
    #[error("the handshake was damaged on the way: the peer acknowledged another SYN")]
    CorruptHandshake,
    /// ICMP reported the peer unreachable while connecting
    /// ([`Endpoint::handle_icmp_error`]): any kind ends the attempt.
    ///
    /// [`Endpoint::handle_icmp_error`]: super::Endpoint::handle_icmp_error
    #[error("destination unreachable: {0}")]
    Unreachable(crate::icmp::Unreachable),
    /// ICMP reported the peer's port unreachable on an established connection: the
    /// peer's socket is gone, so the connection ends as a reset does (libutp's
    /// `UTP_ECONNRESET`).
    #[error("the peer's port became unreachable: its socket is gone")]
    PeerPortClosed,
}

/// What kind of protocol overhead an [`Event::Overhead`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OverheadKind {
    /// SYN and SYN-ACK packets.
    Connect,
    /// FIN and RESET packets.
    Close,
    /// Pure acknowledgements (ST_STATE).
    Ack,
    /// uTP and UDP/IP headers of data packets.
    Header,
    /// Retransmitted packets.
    Retransmit,
}

/// An event of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The connection is established (libutp's on_connect).
    Connected,
    /// `write` would accept data again after having refused some.
    Writable,
    /// Data arrived in an empty read buffer; `read` until it returns 0.
    Readable,
    /// The peer finished sending and all its data is in the read buffer.
    Eof,
    /// The connection failed; a `Destroying` event follows.
    Error(ConnectionError),
    /// The state changed (libutp's on_state_change).
    StateChanged(ConnectionState),
    /// The queuing delay estimate after a new delay sample, milliseconds.
    DelaySample(u32),
    /// Protocol overhead sent or received (libutp's on_overhead_statistics).
    Overhead {
        /// True for sent bytes, false for received ones.
        sent: bool,
        /// Overhead bytes.
        bytes: u32,
        /// What the bytes were spent on.
        kind: OverheadKind,
    },
    /// The peer acknowledged our FIN, and with it every byte written before `close`: the
    /// sending side is complete (hark's addition; libutp has no such callback). Reported
    /// once, after `close`. `Destroying` follows [`ConnectionConfig::linger`] after both
    /// FINs are acknowledged.
    ///
    /// [`ConnectionConfig::linger`]: super::ConnectionConfig::linger
    FinAcked,
    /// The connection is gone; its handle is invalid once this event is polled. After an
    /// orderly close it comes [`ConnectionConfig::linger`] (2 s by default) after both
    /// FINs were acknowledged; after an error, at once.
    ///
    /// [`ConnectionConfig::linger`]: super::ConnectionConfig::linger
    Destroying,
}

/// Counters of one connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionStats {
    /// Payload bytes sent, first transmissions only.
    pub bytes_sent: u64,
    /// Payload bytes delivered in order to the read buffer.
    pub bytes_received: u64,
    /// Packets sent, all kinds.
    pub packets_sent: u64,
    /// Packets received, all kinds.
    pub packets_received: u64,
    /// Packets retransmitted.
    pub retransmits: u64,
    /// Fast retransmissions (triggered by SACK or duplicate ACKs).
    pub fast_retransmits: u64,
    /// Retransmission timeouts.
    pub timeouts: u64,
    /// Duplicate data packets received.
    pub duplicates: u64,
    /// Packets dropped (outside the windows, or no room).
    pub dropped: u64,
    /// Packets dropped because they lacked the checksum this connection's peer always
    /// sends (damaged on the way; packets whose checksum fails are counted by the
    /// endpoint, as they cannot be attributed to a connection).
    pub checksum_missing: u64,
}
