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

mod dispatcher;
mod handler;

pub use dispatcher::{MAX_COMMANDS, SctpDispatchError, SctpDispatcher};
pub use handler::{SctpCommand, SctpContext, SctpHandler};

#[cfg(test)]
mod tests;
