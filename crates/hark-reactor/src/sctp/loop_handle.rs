//! SCTP on the reactor, from its owner and from other threads: socket ids, and the
//! commands that travel over the reactor's one bounded channel.

use super::driver::{Outgoing, SctpAcceptor, SctpDriver, SctpOpen};
use super::error::SctpError;
use super::host::{Acceptor, Boxing, Driver};
use super::socket::SctpSocket;
use crate::handle::Command;
use crate::{CommandError, Reactor, ReactorHandle};
use std::marker::PhantomData;

/// An SCTP socket on a [`Reactor`] (never reused within one reactor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SctpSocketId(pub usize);

/// Why a handle could not deliver a command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SctpHandleError {
    /// The reactor's command channel is full; try again later. This arms no callback:
    /// retry after yielding or sleeping briefly.
    #[error("the reactor's command channel is full")]
    Busy,
    /// The reactor has stopped.
    #[error("the reactor has stopped")]
    ReactorGone,
}

impl From<CommandError> for SctpHandleError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::Full => SctpHandleError::Busy,
            _ => SctpHandleError::ReactorGone,
        }
    }
}

pub(crate) enum SctpCommand {
    Add {
        id: SctpSocketId,
        socket: SctpSocket,
        driver: Box<dyn Driver>,
    },
    Send {
        id: SctpSocketId,
        message: Outgoing,
    },
    Listen {
        id: SctpSocketId,
        socket: SctpSocket,
        acceptor: Box<dyn Acceptor>,
    },
    Close(SctpSocketId),
}

/// Kernel SCTP sockets on the reactor, from the thread that owns it.
impl Reactor {
    /// Opens a socket as `open` says and puts it on the reactor with `driver`; also
    /// returns the association id `sctp_connectx` gave, if it connected.
    /// [`SctpError::Unsupported`] where the kernel has no SCTP.
    pub fn sctp_open<D: SctpDriver + Send + 'static>(
        &mut self,
        open: &SctpOpen,
        driver: D,
    ) -> Result<(SctpSocketId, Option<u32>), SctpError> {
        let (socket, assoc_id) = open.build()?;
        let id = self.sctp_add_socket(socket, driver)?;
        Ok((id, assoc_id))
    }

    /// Puts `socket` (made non-blocking here) on the reactor with `driver`.
    pub fn sctp_add_socket<D: SctpDriver + Send + 'static>(
        &mut self,
        socket: SctpSocket,
        driver: D,
    ) -> Result<SctpSocketId, SctpError> {
        self.sctp.add_socket(socket, Box::new(driver))
    }

    /// Puts a listening one-to-one `socket` on the reactor: each association it accepts
    /// goes on the reactor with the driver `acceptor` gives.
    pub fn sctp_add_listener<D: SctpDriver + Send + 'static>(
        &mut self,
        socket: SctpSocket,
        acceptor: impl SctpAcceptor<D> + Send + 'static,
    ) -> Result<SctpSocketId, SctpError> {
        self.sctp
            .add_listener(socket, Box::new(Boxing(acceptor, PhantomData)))
    }

    /// Opens a listening one-to-one socket as `open` says (set [`SctpOpen::listen`]) and
    /// puts it on the reactor with `acceptor`.
    pub fn sctp_open_listener<D: SctpDriver + Send + 'static>(
        &mut self,
        open: &SctpOpen,
        acceptor: impl SctpAcceptor<D> + Send + 'static,
    ) -> Result<SctpSocketId, SctpError> {
        let (socket, _) = open.build()?;
        self.sctp_add_listener(socket, acceptor)
    }

    /// The driver of SCTP socket `id`, if it is a `D`.
    pub fn sctp_driver<D: 'static>(&self, id: SctpSocketId) -> Option<&D> {
        self.sctp.driver(id)?.downcast_ref()
    }

    /// The SCTP socket `id`, or the listening socket `id` (for options: stream resets,
    /// keys, addresses, ...).
    pub fn sctp_socket(&self, id: SctpSocketId) -> Option<&SctpSocket> {
        self.sctp.socket(id)
    }
}

/// Kernel SCTP sockets on the reactor, from any thread.
impl ReactorHandle {
    fn sctp_command(&self, command: SctpCommand) -> Result<(), SctpHandleError> {
        Ok(self.send(Command::Sctp(command))?)
    }

    /// Puts `socket` (made non-blocking on the reactor) on the reactor with `driver`. If
    /// that fails, the driver hears [`SctpLoopEvent::Rejected`](super::SctpLoopEvent::Rejected).
    pub fn sctp_add_socket<D: SctpDriver + Send + 'static>(
        &self,
        socket: SctpSocket,
        driver: D,
    ) -> Result<SctpSocketId, SctpHandleError> {
        let id = SctpSocketId(self.next_id() as usize);
        self.sctp_command(SctpCommand::Add {
            id,
            socket,
            driver: Box::new(driver),
        })?;
        Ok(id)
    }

    /// Puts a listening one-to-one `socket` on the reactor: each association it accepts
    /// goes on the reactor with the driver `acceptor` gives.
    pub fn sctp_add_listener<D: SctpDriver + Send + 'static>(
        &self,
        socket: SctpSocket,
        acceptor: impl SctpAcceptor<D> + Send + 'static,
    ) -> Result<SctpSocketId, SctpHandleError> {
        let id = SctpSocketId(self.next_id() as usize);
        self.sctp_command(SctpCommand::Listen {
            id,
            socket,
            acceptor: Box::new(Boxing(acceptor, PhantomData)),
        })?;
        Ok(id)
    }

    /// Queues `message` on SCTP socket `id` (reported to its driver if the socket's queue
    /// is full; ignored if the socket is no longer on the reactor).
    pub fn sctp_send(&self, id: SctpSocketId, message: Outgoing) -> Result<(), SctpHandleError> {
        self.sctp_command(SctpCommand::Send { id, message })
    }

    /// Takes SCTP socket `id` off the reactor and closes it (queued messages are dropped).
    pub fn sctp_close(&self, id: SctpSocketId) -> Result<(), SctpHandleError> {
        self.sctp_command(SctpCommand::Close(id))
    }
}
