//! Per-reactor settings for TCP connections.

/// Settings shared by every TCP connection of a [`Reactor`](crate::Reactor) (its
/// [`ReactorConfig::tcp`](crate::ReactorConfig::tcp)).
#[derive(Debug, Clone)]
pub struct TcpConfig {
    /// Size of each connection's read buffer: the largest `expect(qty)` allowed.
    pub read_buffer_size: usize,
    /// Bytes a connection may deliver in one turn before it yields to the others.
    pub yield_after_reading: usize,
    /// Largest number of pending outgoing bytes per connection; writes past it fail.
    pub send_limit: usize,
    /// Whether new connections set `TCP_NODELAY`.
    pub nodelay: bool,
}

impl Default for TcpConfig {
    fn default() -> Self {
        Self {
            read_buffer_size: 64 * 1024,
            yield_after_reading: 256 * 1024,
            send_limit: 4 * 1024 * 1024,
            nodelay: true,
        }
    }
}
