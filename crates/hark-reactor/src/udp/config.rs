//! Settings for a [`BatchSocket`](super::BatchSocket).

/// How a [`BatchSocket`](super::BatchSocket) is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpConfig {
    /// Datagram messages per `recvmmsg`/`sendmmsg` call (1..=[`MAX_BATCH`](super::MAX_BATCH)).
    pub batch_size: usize,
    /// Use UDP GSO on send when the kernel offers it.
    pub gso: bool,
    /// Use UDP GRO on receive when the kernel offers it.
    pub gro: bool,
    /// Receive buffer to ask for, in bytes (`SO_RCVBUF`, forced past `rmem_max` when
    /// permitted); 0 keeps the OS default (`net.core.rmem_default`).
    pub recv_buffer: usize,
    /// Send buffer to ask for, in bytes (`SO_SNDBUF`, forced past `wmem_max` when
    /// permitted); 0 keeps the OS default (`net.core.wmem_default`).
    pub send_buffer: usize,
}

impl UdpConfig {
    /// Four MiB buffers, batches of 32, GSO and GRO where available.
    pub const DEFAULT: UdpConfig = UdpConfig {
        batch_size: 32,
        gso: true,
        gro: true,
        recv_buffer: 4 << 20,
        send_buffer: 4 << 20,
    };

    /// Like [`DEFAULT`](Self::DEFAULT) but with the socket buffers the OS gives by default.
    pub const OS_BUFFERS: UdpConfig = UdpConfig {
        recv_buffer: 0,
        send_buffer: 0,
        ..UdpConfig::DEFAULT
    };

    /// Like [`DEFAULT`](Self::DEFAULT) without GSO and GRO: plain batches only.
    pub const NO_OFFLOAD: UdpConfig = UdpConfig {
        gso: false,
        gro: false,
        ..UdpConfig::DEFAULT
    };
}

impl Default for UdpConfig {
    fn default() -> Self {
        UdpConfig::DEFAULT
    }
}
