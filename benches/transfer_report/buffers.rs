//! The two socket-buffer settings every row is measured with.

/// Socket buffers for both ends of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Buffers {
    /// Whatever the OS gives a new socket (`net.core.{r,w}mem_default`, TCP autotuning).
    OsDefault,
    /// `SO_RCVBUF` and `SO_SNDBUF` set to this many bytes.
    Fixed(usize),
}

/// The fixed size the issue asks for: 4 MiB.
pub const FOUR_MIB: Buffers = Buffers::Fixed(4 << 20);

impl Buffers {
    /// The size to request, if any.
    pub fn size(self) -> Option<usize> {
        match self {
            Buffers::OsDefault => None,
            Buffers::Fixed(bytes) => Some(bytes),
        }
    }

    /// Applies the sizes to a socket (nothing for the OS default).
    pub fn apply(self, socket: socket2::SockRef<'_>) -> std::io::Result<()> {
        if let Some(bytes) = self.size() {
            socket.set_recv_buffer_size(bytes)?;
            socket.set_send_buffer_size(bytes)?;
        }
        Ok(())
    }
}
