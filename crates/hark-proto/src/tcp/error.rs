//! Errors of the TCP connection core.

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// Queuing these bytes would take the pending data past the connection's limit.
    #[error("write of {requested} bytes refused: {pending} bytes already pending, limit {limit}")]
    LimitExceeded {
        /// Bytes already pending (queued or accepted) on the connection.
        pending: usize,
        /// The configured limit on pending bytes.
        limit: usize,
        /// Size of the refused write.
        requested: usize,
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
