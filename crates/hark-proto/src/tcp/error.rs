//! Errors of the TCP connection core.

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// Queuing these bytes would take the pending data past the connection's limit.
    ///
    /// Not final: the refusal throttles the connection, so `throttled` follows (unless
    /// the connection was throttled already) and `unthrottled` follows once there is
    /// room. A writer that pauses on this error until `unthrottled` never waits forever.
    #[error("write of {requested} bytes refused: {pending} bytes already pending, limit {limit}")]
    LimitExceeded {
        /// Bytes already pending (queued or accepted) on the connection.
        pending: usize,
        /// The configured limit on pending bytes.
        limit: usize,
        /// Size of the refused write.
        requested: usize,
    },
    /// The write alone is larger than the connection's limit on pending bytes: it could
    /// never be queued, so it arms no callback. Split it into smaller writes.
    #[error("write of {requested} bytes refused: larger than the limit of {limit} pending bytes")]
    TooLarge {
        /// Size of the refused write.
        requested: usize,
        /// The configured limit on pending bytes.
        limit: usize,
    },
    /// The connection is closing or closed and takes no more data.
    #[error("write refused: the connection is closing or closed")]
    Closed,
}

/// Why an `expect(qty)` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpectError {
    /// The frame size is larger than the read buffer, so a frame could never be completed.
    #[error("expect({qty}) exceeds the read buffer size of {read_buffer_size} bytes")]
    TooLarge {
        /// The requested frame size.
        qty: usize,
        /// The connection's read buffer size.
        read_buffer_size: usize,
    },
}
