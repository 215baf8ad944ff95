//! [`ContextHandle`]: what a callback gets instead of the core. It answers queries and
//! queues commands that run once the callback has returned.

use std::net::SocketAddr;

use bytes::Bytes;

use hark_proto::utp::{ConnectionError, ConnectionInfo, ConnectionStats, Endpoint};

use super::constants::{ContextOption, SocketOption};
use super::error::OptionError;
use super::socket::{Sockets, UtpSocket};

/// A command queued by a callback.
#[derive(Debug)]
pub(crate) enum Command {
    /// Data the send buffer has room for, and whether the callback offered more (then the
    /// core must learn that a write was refused, so that it reports WRITABLE later).
    Write(UtpSocket, WriteData, bool),
    Close(UtpSocket),
    ReadDrained(UtpSocket),
    SocketOption(UtpSocket, SocketOption),
    ContextOption(ContextOption),
}

/// The data of a queued write: copied from a borrowed slice, or shared with the caller.
#[derive(Debug)]
pub(crate) enum WriteData {
    /// A copy in a recycled buffer.
    Copied(Vec<u8>),
    /// The caller's own bytes, not copied.
    Shared(Bytes),
}

impl WriteData {
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            WriteData::Copied(data) => data,
            WriteData::Shared(data) => data,
        }
    }
}

/// How many spare write buffers the queue keeps for reuse.
const SPARE_BUFFERS: usize = 8;
/// Spare buffers larger than this are freed rather than kept.
const SPARE_CAPACITY: usize = 256 * 1024;

/// The commands callbacks queued, and spare buffers for the data of writes, so that
/// writing from a callback costs a copy but no allocation.
#[derive(Debug, Default)]
pub(crate) struct CommandQueue {
    commands: Vec<Command>,
    spare: Vec<Vec<u8>>,
}

impl CommandQueue {
    fn push(&mut self, command: Command) {
        self.commands.push(command);
    }

    /// A copy of `data` in a recycled buffer.
    fn copy(&mut self, data: &[u8]) -> WriteData {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(data);
        WriteData::Copied(buf)
    }

    /// Takes back a write's buffer once its data reached the core.
    pub(crate) fn recycle(&mut self, data: WriteData) {
        if let WriteData::Copied(buf) = data {
            if self.spare.len() < SPARE_BUFFERS && buf.capacity() <= SPARE_CAPACITY {
                self.spare.push(buf);
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// Moves the queued commands into `out`, which should be empty.
    pub(crate) fn take_into(&mut self, out: &mut Vec<Command>) {
        std::mem::swap(&mut self.commands, out);
    }

    fn queued_writes(&self, socket: UtpSocket) -> usize {
        self.commands
            .iter()
            .map(|c| match c {
                Command::Write(s, data, _) if *s == socket => data.as_slice().len(),
                _ => 0,
            })
            .sum()
    }
}

/// Given to callbacks: reads the context's state and queues commands.
///
/// Commands run right after the callback returns, in order, on the same thread; their
/// own callbacks (say, a WRITABLE) follow later. The handle borrows the core only
/// immutably, so no callback can re-enter it.
#[derive(Debug)]
pub struct ContextHandle<'a> {
    pub(crate) endpoint: &'a Endpoint,
    pub(crate) sockets: &'a Sockets,
    pub(crate) commands: &'a mut CommandQueue,
}

impl ContextHandle<'_> {
    /// Queues `data` for sending on `socket` and returns how much will be sent: no more
    /// than the send buffer has room for (libutp's `utp_write`). Wait for
    /// `UTP_STATE_WRITABLE` to write the rest. 0 for an unknown or closed socket.
    pub fn write(&mut self, socket: UtpSocket, data: &[u8]) -> usize {
        self.queue_write(socket, data.len(), |commands, n| {
            commands.copy(data.get(..n).unwrap_or_default())
        })
    }

    /// Like [`write`](Self::write), for data the caller already holds as [`Bytes`]: the
    /// accepted part is queued without a copy (the send buffer then takes its one copy).
    pub fn write_bytes(&mut self, socket: UtpSocket, data: &Bytes) -> usize {
        self.queue_write(socket, data.len(), |_, n| {
            WriteData::Shared(data.slice(..n))
        })
    }

    /// Queues as much of a `len`-byte write as there is room for, its data made by `take`
    /// for the accepted length; an empty write queues nothing.
    fn queue_write(
        &mut self,
        socket: UtpSocket,
        len: usize,
        take: impl FnOnce(&mut CommandQueue, usize) -> WriteData,
    ) -> usize {
        let n = self.writable(socket).min(len);
        if len > 0 {
            let accepted = take(self.commands, n);
            self.commands
                .push(Command::Write(socket, accepted, n < len));
        }
        n
    }

    /// Bytes [`write`](Self::write) would accept now on `socket`.
    #[must_use]
    pub fn writable(&self, socket: UtpSocket) -> usize {
        let Some(info) = self.info(socket) else {
            return 0;
        };
        let queued = self.commands.queued_writes(socket);
        let outbox = self.sockets.get(socket).map_or(0, |e| e.outbox.len());
        info.writable.saturating_sub(queued + outbox)
    }

    /// Closes the sending direction of `socket` after the data written so far
    /// (libutp's `utp_close`). `on_fin_acked` reports when all of it arrived; DESTROYING
    /// follows after the linger ([`ConnectionConfig::linger`](super::ConnectionConfig::linger), 2 s by default).
    pub fn close(&mut self, socket: UtpSocket) {
        self.commands.push(Command::Close(socket));
    }

    /// Tells the context that the application processed bytes it held: it asks
    /// `get_read_buffer_size` again and reopens the window (libutp's `utp_read_drained`).
    pub fn read_drained(&mut self, socket: UtpSocket) {
        self.commands.push(Command::ReadDrained(socket));
    }

    /// Changes an option of `socket` (libutp's `utp_setsockopt`).
    pub fn set_socket_option(&mut self, socket: UtpSocket, option: SocketOption) {
        self.commands.push(Command::SocketOption(socket, option));
    }

    /// Changes a context option (libutp's `utp_context_set_option`). Buffer sizes are
    /// fixed once the context is built and return [`OptionError::FixedAfterBuild`].
    pub fn set_option(&mut self, option: ContextOption) -> Result<(), OptionError> {
        super::context::check_runtime_option(option)?;
        self.commands.push(Command::ContextOption(option));
        Ok(())
    }

    /// The peer of `socket` (libutp's `utp_getpeername`).
    #[must_use]
    pub fn peer_addr(&self, socket: UtpSocket) -> Option<SocketAddr> {
        self.sockets.get(socket).map(|e| e.remote)
    }

    /// Counters of `socket`: bytes, packets, retransmits, duplicates (libutp's
    /// `utp_get_stats`).
    #[must_use]
    pub fn stats(&self, socket: UtpSocket) -> Option<ConnectionStats> {
        self.endpoint.connection_stats(self.sockets.handle(socket)?)
    }

    /// Estimates of `socket`: round-trip time, queuing delay, windows (libutp's
    /// `utp_get_delays` and more).
    #[must_use]
    pub fn info(&self, socket: UtpSocket) -> Option<ConnectionInfo> {
        self.endpoint.connection_info(self.sockets.handle(socket)?)
    }

    /// Why `socket` failed, in the core's terms (finer than `on_error`'s libutp code: a
    /// RESET and an ICMP port unreachable are both `UTP_ECONNREFUSED`). Set from the
    /// `on_error` call on, until the socket is destroyed.
    #[must_use]
    pub fn connection_error(&self, socket: UtpSocket) -> Option<ConnectionError> {
        self.endpoint.connection_error(self.sockets.handle(socket)?)
    }
}
