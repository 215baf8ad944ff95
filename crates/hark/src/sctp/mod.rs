//! pysctp-style notification callbacks over kernel SCTP sockets.
//!
//! [`SctpHandler`] has one method per RFC 6458 notification (`on_assoc_change`,
//! `on_peer_addr_change`, ...), each defaulting to a no-op, plus [`SctpHandler::on_notification`],
//! a catch-all that receives pysctp's `parse_notification` dictionary for every notification,
//! and [`SctpHandler::on_data`] for user messages. [`SctpDispatcher`] parses what
//! [`SctpSocket::recvv`](hark_reactor::sctp::SctpSocket::recvv) returns, keeps hark-proto's
//! [`AssociationTracker`](hark_proto::sctp::AssociationTracker) up to date (callbacks read it
//! through [`SctpContext`]), and calls the handler. Callbacks never touch the socket: they queue
//! [`SctpCommand`]s that [`SctpDispatcher::drive`] runs after the callbacks return.
//!
//! To have callbacks fire as notifications arrive, put sockets on an [`SctpLoop`] (hark-reactor's
//! one reactor, with one dispatcher per socket): [`SctpLoop::open`] creates, configures and adds a
//! socket ([`SctpError::Unsupported`](hark_reactor::sctp::SctpError::Unsupported) where the
//! kernel has no SCTP), [`SctpLoop::run`] drains every socket to `WouldBlock` and sends what
//! the callbacks queued, and an [`SctpLoopHandle`] adds sockets, sends, and stops the loop
//! from other threads. A listening one-to-one socket goes on the loop with
//! [`SctpLoop::open_listener`]: a closure gives each accepted association its dispatcher.

mod dispatcher;
mod handler;
mod on_loop;

pub use dispatcher::{MAX_COMMANDS, SctpDispatchError, SctpDispatcher};
pub use handler::{SctpCommand, SctpContext, SctpHandler};
pub use hark_reactor::sctp::{
    Outgoing, SctpAcceptor, SctpHandleError, SctpLoopConfig, SctpLoopEvent, SctpOpen, SctpSocketId,
};
pub use on_loop::{SctpLoop, SctpLoopHandle};

#[cfg(test)]
mod tests;
