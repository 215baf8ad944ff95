//! Errors of the endpoint's operations.

/// Why `connect` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The endpoint holds `max_connections` already.
    #[error("too many connections")]
    TooManyConnections,
    /// No free connection id towards this peer.
    #[error("no free connection id for this peer")]
    NoConnectionId,
}

/// Why `accept` failed; a RESET is sent to the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AcceptError {
    /// `max_half_open` connections are waiting for their first packet.
    #[error("too many half-open connections")]
    TooManyHalfOpen,
    /// The endpoint holds `max_connections` already.
    #[error("too many connections")]
    TooManyConnections,
    /// A connection with this peer and id exists already (a retransmitted SYN).
    #[error("connection already exists")]
    Duplicate,
    /// The configuration requires the integrity extension and the SYN did not offer it.
    #[error("the peer does not offer the integrity extension, which is required")]
    IntegrityRequired,
}

/// Why `write` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// No connection has this handle.
    #[error("unknown connection")]
    UnknownConnection,
    /// `close` was called; nothing more may be written.
    #[error("connection closed for writing")]
    Closed,
    /// The connection failed or was reset.
    #[error("connection failed: {0}")]
    Failed(super::ConnectionError),
}

/// Why a per-connection operation other than `write` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandleError {
    /// No connection has this handle.
    #[error("unknown connection")]
    UnknownConnection,
}
