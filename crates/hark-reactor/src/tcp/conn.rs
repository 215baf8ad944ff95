//! The handles a notifier receives: they queue commands, they never borrow the core.

use super::handle::{ConnShared, TcpConnectionHandle};
use crate::ReactorHandle;
use hark_proto::tcp::{ExpectError, WriteError};
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;

/// Identifies a connection for the lifetime of its reactor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Identifies a listener for the lifetime of its reactor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerId(pub u64);

/// One queued command.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Write(usize),
    WriteFinal(usize),
    FlushSent,
    /// Bytes of the frame being delivered, by position in the read buffer.
    WriteRecv(Range<usize>),
    Writev(Range<usize>),
    Close,
    HardClose,
    Mute,
    Unmute,
    Expect(usize),
    NoDelay(bool),
}

/// Commands queued by one or more callbacks, with their written bytes in one arena.
#[derive(Debug, Default)]
pub(crate) struct Commands {
    pub(crate) arena: Vec<u8>,
    pub(crate) chunks: Vec<Range<usize>>,
    pub(crate) ops: Vec<Op>,
    pub(crate) accepted: usize,
    /// A write was refused with `LimitExceeded`: the connection owes the writer a
    /// `throttled` and later an `unthrottled`. Survives [`Commands::clear`]; the connection
    /// takes it when it settles.
    pub(crate) refused: bool,
}

impl Commands {
    pub(crate) fn clear(&mut self) {
        self.arena.clear();
        self.chunks.clear();
        self.ops.clear();
        self.accepted = 0;
    }

    pub(crate) fn chunk(&self, index: usize) -> &[u8] {
        self.chunks
            .get(index)
            .and_then(|range| self.arena.get(range.clone()))
            .unwrap_or_default()
    }

    pub(crate) fn push_chunk(&mut self, data: &[u8]) -> usize {
        let start = self.arena.len();
        self.arena.extend_from_slice(data);
        self.chunks.push(start..self.arena.len());
        self.accepted += data.len();
        self.chunks.len() - 1
    }
}

/// Where the frame being delivered to `received` lies: its address in memory and its
/// position in the read buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FrameRef {
    pub(crate) addr: usize,
    pub(crate) len: usize,
    pub(crate) start: usize,
}

/// A snapshot of the connection's state, taken before a callback runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View {
    pub(crate) pending: usize,
    pub(crate) limit: usize,
    pub(crate) read_buffer_size: usize,
    pub(crate) accepts_writes: bool,
    pub(crate) throttled: bool,
    pub(crate) muted: bool,
    pub(crate) expect: usize,
    pub(crate) frame: Option<FrameRef>,
}

/// What a [`TcpConn`] needs to build cross-thread handles, and the connection's
/// addresses once known (read by reference: they are not copied for every callback).
#[derive(Debug, Clone)]
pub(crate) struct ConnCtx {
    pub(crate) id: ConnId,
    pub(crate) local: Option<SocketAddr>,
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) shared: Arc<ConnShared>,
    pub(crate) remote: ReactorHandle,
}

/// The connection as a notifier sees it: reads a snapshot, queues commands.
///
/// Commands apply in order once the notifier method returns. Writes are checked against
/// the pending limit when they are made, so the caller sees a refusal at once.
pub struct TcpConn<'a> {
    pub(crate) view: View,
    pub(crate) cmds: &'a mut Commands,
    pub(crate) ctx: &'a ConnCtx,
}

impl std::fmt::Debug for TcpConn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpConn")
            .field("id", &self.ctx.id)
            .field("peer", &self.ctx.peer)
            .finish_non_exhaustive()
    }
}

impl TcpConn<'_> {
    /// This connection's id.
    pub fn id(&self) -> ConnId {
        self.ctx.id
    }

    /// The local address, once connected.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.ctx.local
    }

    /// The peer's address, once connected.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.ctx.peer
    }

    /// Bytes pending (queued, or accepted by this callback and not yet queued).
    pub fn pending(&self) -> usize {
        self.view.pending + self.cmds.accepted
    }

    /// Bytes a write may still add before [`TcpConfig::send_limit`](super::TcpConfig::send_limit)
    /// refuses it.
    pub fn room(&self) -> usize {
        self.view.limit.saturating_sub(self.pending())
    }

    /// Asks for an `unthrottled` once the pending bytes drained, as a refused write does:
    /// for a writer that stops at [`TcpConn::room`] zero rather than being refused (a
    /// `throttled` comes first, unless the connection is throttled already). Without it,
    /// a writer that filled its room exactly would hear nothing if the kernel then took
    /// every byte at once.
    pub fn wait_for_room(&mut self) {
        self.cmds.refused = true;
    }

    /// Whether the connection is throttled.
    pub fn is_throttled(&self) -> bool {
        self.view.throttled
    }

    /// Whether reading is muted.
    pub fn is_muted(&self) -> bool {
        self.view.muted
    }

    /// The read buffer size: the largest frame [`TcpConn::expect`] accepts.
    pub fn read_buffer_size(&self) -> usize {
        self.view.read_buffer_size
    }

    /// The frame size in force before this callback's `expect` commands.
    pub fn current_expect(&self) -> usize {
        self.view.expect
    }

    /// The frame size this callback asked for with [`TcpConn::expect`], if any.
    pub fn pending_expect(&self) -> Option<usize> {
        self.cmds.ops.iter().rev().find_map(|op| match op {
            Op::Expect(qty) => Some(*qty),
            _ => None,
        })
    }

    /// Whether this callback asked for a graceful [`TcpConn::close`].
    pub fn close_requested(&self) -> bool {
        self.cmds.ops.iter().any(|op| matches!(op, Op::Close))
    }

    /// A handle other threads can use to drive this connection.
    pub fn handle(&self) -> TcpConnectionHandle {
        TcpConnectionHandle::new(
            self.ctx.id,
            Arc::clone(&self.ctx.shared),
            self.ctx.remote.clone(),
        )
    }

    /// Queues `data` for sending, through the notifier's `sent`. Writing nothing does
    /// nothing.
    ///
    /// Past [`TcpConfig::send_limit`](super::TcpConfig::send_limit) the write is refused
    /// with [`WriteError::LimitExceeded`], and the refusal itself throttles the
    /// connection: [`TcpNotify::throttled`](super::TcpNotify::throttled) runs after this
    /// callback (unless already throttled), and
    /// [`TcpNotify::unthrottled`](super::TcpNotify::unthrottled) once the pending bytes
    /// drained, however fast the kernel takes them. Pausing on the refusal until
    /// `unthrottled` is therefore always safe. A write larger than the limit itself is
    /// [`WriteError::TooLarge`] and arms nothing.
    pub fn write(&mut self, data: &[u8]) -> Result<(), WriteError> {
        self.check_write(data.len())?;
        if data.is_empty() {
            return Ok(());
        }
        if let Some(range) = self.within_frame(data) {
            // Writing back (part of) the received frame: it stays in the read buffer
            // until the commands apply, so it is not copied.
            self.cmds.accepted += data.len();
            self.cmds.ops.push(Op::WriteRecv(range));
            return Ok(());
        }
        let chunk = self.cmds.push_chunk(data);
        self.cmds.ops.push(Op::Write(chunk));
        Ok(())
    }

    /// Queues `data` as it is, bypassing the notifier's `sent`: for a wrapping protocol
    /// (TLS) writing its own records.
    pub fn write_final(&mut self, data: &[u8]) -> Result<(), WriteError> {
        self.check_write(data.len())?;
        let chunk = self.cmds.push_chunk(data);
        self.cmds.ops.push(Op::WriteFinal(chunk));
        Ok(())
    }

    /// Queues a call of the notifier's `sent` with no data, in order with the writes: a
    /// wrapping protocol (TLS) returns its own pending records from it.
    pub fn flush_sent(&mut self) -> Result<(), WriteError> {
        self.check_write(0)?;
        self.cmds.ops.push(Op::FlushSent);
        Ok(())
    }

    /// Queues several chunks as one send, through the notifier's `sentv`.
    pub fn writev(&mut self, chunks: &[&[u8]]) -> Result<(), WriteError> {
        let total = chunks.iter().map(|chunk| chunk.len()).sum();
        self.check_write(total)?;
        let first = self.cmds.chunks.len();
        for chunk in chunks {
            self.cmds.push_chunk(chunk);
        }
        self.cmds
            .ops
            .push(Op::Writev(first..self.cmds.chunks.len()));
        Ok(())
    }

    /// Flushes pending writes, then shuts the connection down; `closed` follows once the
    /// peer has ended its stream too (or at once when muted). While still connecting, the
    /// connection first completes (or fails with `connect_failed`), then flushes.
    pub fn close(&mut self) {
        self.cmds.ops.push(Op::Close);
    }

    /// Closes at once, dropping pending writes; while connecting, abandons the attempts.
    pub fn hard_close(&mut self) {
        self.cmds.ops.push(Op::HardClose);
    }

    /// Stops reading from the socket.
    pub fn mute(&mut self) {
        self.cmds.ops.push(Op::Mute);
    }

    /// Resumes reading.
    pub fn unmute(&mut self) {
        self.cmds.ops.push(Op::Unmute);
    }

    /// From the next frame on, deliver exactly `qty` bytes per `received` (0: whatever
    /// arrived). The notifier's `expect` may rewrite `qty`. A `qty` above the read buffer
    /// size is refused.
    pub fn expect(&mut self, qty: usize) -> Result<(), ExpectError> {
        if qty > self.view.read_buffer_size {
            return Err(ExpectError::TooLarge {
                qty,
                read_buffer_size: self.view.read_buffer_size,
            });
        }
        self.cmds.ops.push(Op::Expect(qty));
        Ok(())
    }

    /// Sets `TCP_NODELAY`.
    pub fn set_nodelay(&mut self, nodelay: bool) {
        self.cmds.ops.push(Op::NoDelay(nodelay));
    }

    /// The read-buffer range of `data` when it lies inside the frame being delivered.
    fn within_frame(&self, data: &[u8]) -> Option<Range<usize>> {
        let frame = self.view.frame?;
        let offset = data.as_ptr().addr().checked_sub(frame.addr)?;
        let end = offset.checked_add(data.len())?;
        (end <= frame.len && !data.is_empty()).then(|| frame.start + offset..frame.start + end)
    }

    fn check_write(&mut self, len: usize) -> Result<(), WriteError> {
        if !self.view.accepts_writes {
            return Err(WriteError::Closed);
        }
        if len > self.view.limit {
            return Err(WriteError::TooLarge {
                requested: len,
                limit: self.view.limit,
            });
        }
        let pending = self.view.pending.saturating_add(self.cmds.accepted);
        if pending.saturating_add(len) > self.view.limit {
            // The writer now waits for `unthrottled`: make sure it comes.
            self.cmds.refused = true;
            return Err(WriteError::LimitExceeded {
                pending,
                limit: self.view.limit,
                requested: len,
            });
        }
        Ok(())
    }
}

/// A listener as its notifier sees it.
#[derive(Debug)]
pub struct ListenerCtl<'a> {
    pub(crate) id: ListenerId,
    pub(crate) local: Option<SocketAddr>,
    pub(crate) connections: usize,
    pub(crate) limit: Option<usize>,
    pub(crate) close: &'a mut bool,
    pub(crate) error: Option<std::io::ErrorKind>,
}

impl ListenerCtl<'_> {
    /// This listener's id.
    pub fn id(&self) -> ListenerId {
        self.id
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local
    }

    /// Accepted connections still open.
    pub fn connections(&self) -> usize {
        self.connections
    }

    /// The connection limit, if any.
    pub fn limit(&self) -> Option<usize> {
        self.limit
    }

    /// Why the listener could not be set up, in `not_listening` (the bind or registration
    /// error); `None` elsewhere.
    pub fn error(&self) -> Option<std::io::ErrorKind> {
        self.error
    }

    /// Stops listening once the callback returns; accepted connections stay open.
    pub fn close(&mut self) {
        *self.close = true;
    }
}
