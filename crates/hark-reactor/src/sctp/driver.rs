//! What the [`Reactor`](crate::Reactor) drives on an SCTP socket: one [`SctpDriver`] each.

use super::error::SctpError;
use super::options::SCTP_FUTURE_ASSOC;
use super::recv::Received;
use super::socket::{Domain, SctpSocket, SocketStyle};
use hark_wire::sctp::{InitMsg, NotificationType, SndInfo};
use std::net::SocketAddr;
use std::time::Instant;

/// One message for the loop to send with `sctp_sendv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The message (empty with `SCTP_EOF`/`SCTP_ABORT` in `info.snd_flags`).
    pub data: Vec<u8>,
    /// Where to, on a one-to-many socket without an association id.
    pub to: Option<SocketAddr>,
    /// Stream, ppid, context, flags and association.
    pub info: SndInfo,
}

/// Something the loop itself reports to a socket's driver.
#[derive(Debug)]
#[non_exhaustive]
pub enum SctpLoopEvent {
    /// The kernel's send buffer is full: messages wait in the loop's queue.
    Throttled,
    /// The loop's queue for this socket has drained into the kernel again.
    Unthrottled,
    /// A message was refused because the socket's queue already held
    /// [`SctpLoopConfig::max_pending`] messages; nothing of it was sent.
    ///
    /// A full queue means the kernel refused the last flush, so the socket is throttled
    /// when this arrives: `Unthrottled` follows once the queue drained (a `Throttled`
    /// came before it, now or earlier). Resending then is always safe.
    SendRefused {
        /// Its send info.
        info: SndInfo,
        /// Its length.
        len: usize,
    },
    /// `sctp_sendv` failed for a message (other than `EAGAIN`); it was dropped.
    SendFailed {
        /// Its send info.
        info: SndInfo,
        /// The error.
        error: SctpError,
    },
    /// Reading failed (other than `EAGAIN`); reading resumes on the next readiness.
    ReadFailed(SctpError),
    /// Changing the socket's readiness interest in epoll failed (writability may not be
    /// reported until the next read).
    PollFailed(SctpError),
    /// A one-to-one socket's association ended: end of stream.
    Eof,
    /// A socket sent with [`ReactorHandle::sctp_add_socket`](crate::ReactorHandle::sctp_add_socket)
    /// could not be put on the loop; the driver and the socket are dropped after this.
    Rejected(SctpError),
}

/// A socket's owner on the loop: told what arrives, asked what to send. The loop calls
/// [`poll_send`](Self::poll_send) after every input until it returns `None` or the socket's
/// queue is full, so a driver may keep its own bounded queue of messages.
pub trait SctpDriver {
    /// One user message (or piece of one) or one whole notification.
    fn handle_received(&mut self, now: Instant, received: &Received);
    /// Something the loop reports (backpressure, errors, end of stream).
    fn handle_loop_event(&mut self, now: Instant, event: SctpLoopEvent);
    /// The next message to send, if any.
    fn poll_send(&mut self) -> Option<Outgoing>;
}

/// The owner of a listening one-to-one socket on the loop: gives each accepted
/// association's socket its driver. Closures `FnMut(Option<SocketAddr>) -> Option<D>` are
/// acceptors.
pub trait SctpAcceptor<D> {
    /// An association from `peer` was accepted: its driver, or `None` to close it at once.
    fn accept(&mut self, now: Instant, peer: Option<SocketAddr>) -> Option<D>;
    /// `accept(2)` (or putting the accepted socket on the loop) failed; accepting resumes
    /// on the next readiness.
    fn handle_error(&mut self, now: Instant, error: SctpError) {
        let _ = (now, error);
    }
}

impl<D, F: FnMut(Option<SocketAddr>) -> Option<D>> SctpAcceptor<D> for F {
    fn accept(&mut self, _now: Instant, peer: Option<SocketAddr>) -> Option<D> {
        self(peer)
    }
}

/// The loop's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SctpLoopConfig {
    /// Bytes per `recvmsg` (notifications are reassembled whatever the size).
    pub read_size: usize,
    /// Messages queued per socket while the kernel's send buffer is full.
    pub max_pending: usize,
}

impl Default for SctpLoopConfig {
    fn default() -> Self {
        SctpLoopConfig {
            read_size: 64 * 1024,
            max_pending: 256,
        }
    }
}

/// How [`Reactor::sctp_open`](crate::Reactor::sctp_open) sets up a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SctpOpen {
    /// Address family.
    pub domain: Domain,
    /// One-to-many or one-to-one.
    pub style: SocketStyle,
    /// Addresses to bind with `sctp_bindx` (port 0: any); empty leaves the socket unbound.
    pub bind: Vec<SocketAddr>,
    /// `SCTP_INITMSG`, if set.
    pub initmsg: Option<InitMsg>,
    /// Notification kinds to subscribe to for future associations.
    pub subscribe: Vec<NotificationType>,
    /// `listen(2)` backlog, if the socket accepts associations.
    pub listen: Option<i32>,
    /// Peer addresses to `sctp_connectx` to (non-blocking: the handshake finishes on the
    /// loop and `SCTP_COMM_UP` reports it).
    pub connect: Vec<SocketAddr>,
}

impl SctpOpen {
    /// A socket of `style` in `domain`, bound to nothing, subscribed to nothing.
    pub fn new(domain: Domain, style: SocketStyle) -> Self {
        SctpOpen {
            domain,
            style,
            bind: Vec::new(),
            initmsg: None,
            subscribe: Vec::new(),
            listen: None,
            connect: Vec::new(),
        }
    }

    /// Creates and configures the socket, non-blocking; returns it with the association id
    /// `sctp_connectx` reported (if [`connect`](Self::connect) was given).
    pub fn build(&self) -> Result<(SctpSocket, Option<u32>), SctpError> {
        let socket = SctpSocket::new(self.domain, self.style)?;
        if let Some(initmsg) = &self.initmsg {
            socket.set_initmsg(initmsg)?;
        }
        socket.subscribe_all(SCTP_FUTURE_ASSOC, &self.subscribe)?;
        if !self.bind.is_empty() {
            socket.bindx(&self.bind)?;
        }
        if let Some(backlog) = self.listen {
            socket.listen(backlog)?;
        }
        socket.set_nonblocking(true)?;
        let assoc_id = if self.connect.is_empty() {
            None
        } else {
            match socket.connectx(&self.connect) {
                Ok(id) => Some(id),
                // A kernel without SCTP_SOCKOPT_CONNECTX3: the id comes with SCTP_COMM_UP.
                Err(err) if err.is_in_progress() => None,
                Err(err) => return Err(err),
            }
        };
        Ok((socket, assoc_id))
    }
}
