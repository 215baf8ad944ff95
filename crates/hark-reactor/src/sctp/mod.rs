//! Linux kernel SCTP sockets (RFC 6458) through libc, with hark-wire's codecs for every
//! option and ancillary struct.
//!
//! - [`SctpSocket::new`]: one-to-many ([`SocketStyle::OneToMany`], `SOCK_SEQPACKET`) or
//!   one-to-one ([`SocketStyle::OneToOne`], `SOCK_STREAM`); [`SctpError::Unsupported`] where
//!   the kernel has no SCTP.
//! - [`bindx`](SctpSocket::bindx), [`connectx`](SctpSocket::connectx),
//!   [`listen`](SctpSocket::listen), [`accept`](SctpSocket::accept).
//! - Options: [`set_initmsg`](SctpSocket::set_initmsg), [`subscribe`](SctpSocket::subscribe)
//!   (`SCTP_EVENT` per notification kind), [`set_adaptation_layer`](SctpSocket::set_adaptation_layer),
//!   [`enable_stream_reset`](SctpSocket::enable_stream_reset),
//!   [`reset_streams`](SctpSocket::reset_streams), [`add_streams`](SctpSocket::add_streams),
//!   [`peer_addrs`](SctpSocket::peer_addrs), SCTP-AUTH keys ([`set_auth_key`](SctpSocket::set_auth_key), ...).
//! - [`sendv`](SctpSocket::sendv) (sendmsg + `SCTP_SNDINFO`, optional `SCTP_PRINFO`) and
//!   [`recvv`](SctpSocket::recvv) (recvmsg with `SCTP_RCVINFO`/`SCTP_NXTINFO`; notifications
//!   reassembled to `MSG_EOR`).
//! - mio: [`SctpSocket`] is a [`mio::event::Source`]; call
//!   [`set_nonblocking`](SctpSocket::set_nonblocking) first and drain to
//!   [`SctpError::is_would_block`].
//! - On the one [`Reactor`](crate::Reactor) ([`Reactor::sctp_open`](crate::Reactor::sctp_open),
//!   [`ReactorHandle::sctp_add_socket`](crate::ReactorHandle::sctp_add_socket), ...): each
//!   socket is drained to `WouldBlock` and every message handed to the socket's
//!   [`SctpDriver`], which is asked what to send (bounded, with
//!   [`SctpLoopEvent::Throttled`]/`Unthrottled`); listening one-to-one sockets accept on
//!   the reactor. [`SctpOpen`] opens and configures a socket for it.
//!
//! Numbers come from Debian's `/usr/include/linux/sctp.h`.

mod auth;
mod cmsg;
mod consts;
mod driver;
mod error;
mod host;
mod loop_handle;
mod options;
mod recv;
mod send;
mod sockaddr;
mod socket;

pub use auth::CHUNK_DATA;
pub use driver::{Outgoing, SctpAcceptor, SctpDriver, SctpLoopConfig, SctpLoopEvent, SctpOpen};
pub use error::SctpError;
pub(crate) use host::SctpHost;
pub(crate) use loop_handle::SctpCommand;
pub use loop_handle::{SctpHandleError, SctpSocketId};
pub use options::{
    SCTP_ALL_ASSOC, SCTP_CURRENT_ASSOC, SCTP_ENABLE_CHANGE_ASSOC_REQ, SCTP_ENABLE_RESET_ASSOC_REQ,
    SCTP_ENABLE_RESET_STREAM_REQ, SCTP_FUTURE_ASSOC, SCTP_STREAM_RESET_INCOMING,
    SCTP_STREAM_RESET_OUTGOING,
};
pub use recv::Received;
pub use send::{
    PrInfo, SCTP_ABORT, SCTP_ADDR_OVER, SCTP_EOF, SCTP_PR_SCTP_NONE, SCTP_PR_SCTP_PRIO,
    SCTP_PR_SCTP_RTX, SCTP_PR_SCTP_TTL, SCTP_SACK_IMMEDIATELY, SCTP_SENDALL, SCTP_UNORDERED,
};
pub use socket::{AssocId, Domain, SctpSocket, SocketStyle};

#[cfg(test)]
mod tests;
