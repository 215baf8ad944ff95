//! The cross-thread side of [`SctpReactor`](super::SctpReactor): socket ids, commands over a
//! bounded channel, one waker.

use super::driver::{Outgoing, SctpAcceptor};
use super::socket::SctpSocket;
use crossbeam_channel::{Sender, TrySendError};
use mio::Waker;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A socket on an [`SctpReactor`](super::SctpReactor) (never reused within one reactor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SctpSocketId(pub usize);

/// Why a handle could not deliver a command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SctpHandleError {
    /// The reactor's command channel is full; try again later. This arms no callback:
    /// retry after yielding or sleeping briefly.
    #[error("the SCTP reactor's command channel is full")]
    Busy,
    /// The reactor has stopped.
    #[error("the SCTP reactor has stopped")]
    ReactorGone,
}

pub(super) enum Command<D> {
    Add {
        id: SctpSocketId,
        socket: SctpSocket,
        driver: D,
    },
    Send {
        id: SctpSocketId,
        message: Outgoing,
    },
    Listen {
        id: SctpSocketId,
        socket: SctpSocket,
        acceptor: Box<dyn SctpAcceptor<D> + Send>,
    },
    Close(SctpSocketId),
    Shutdown,
}

/// A cloneable handle to an [`SctpReactor`](super::SctpReactor), usable from any thread.
pub struct SctpReactorHandle<D> {
    pub(super) tx: Sender<Command<D>>,
    pub(super) waker: Arc<Waker>,
    pub(super) next_id: Arc<AtomicUsize>,
}

impl<D> Clone for SctpReactorHandle<D> {
    fn clone(&self) -> Self {
        SctpReactorHandle {
            tx: self.tx.clone(),
            waker: Arc::clone(&self.waker),
            next_id: Arc::clone(&self.next_id),
        }
    }
}

impl<D> std::fmt::Debug for SctpReactorHandle<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SctpReactorHandle").finish_non_exhaustive()
    }
}

impl<D> SctpReactorHandle<D> {
    /// A fresh socket id (shared by the reactor and every handle).
    pub(super) fn next_id(&self) -> SctpSocketId {
        SctpSocketId(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    fn command(&self, command: Command<D>) -> Result<(), SctpHandleError> {
        match self.tx.try_send(command) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(SctpHandleError::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(SctpHandleError::ReactorGone),
        }
        self.waker.wake().map_err(|_| SctpHandleError::ReactorGone)
    }

    /// Puts `socket` (made non-blocking here) on the loop with `driver`.
    pub fn add_socket(
        &self,
        socket: SctpSocket,
        driver: D,
    ) -> Result<SctpSocketId, SctpHandleError> {
        let id = self.next_id();
        self.command(Command::Add { id, socket, driver })?;
        Ok(id)
    }

    /// Puts a listening one-to-one `socket` on the loop: each association it accepts goes
    /// on the loop with the driver `acceptor` gives.
    pub fn add_listener(
        &self,
        socket: SctpSocket,
        acceptor: impl SctpAcceptor<D> + Send + 'static,
    ) -> Result<SctpSocketId, SctpHandleError> {
        let id = self.next_id();
        self.command(Command::Listen {
            id,
            socket,
            acceptor: Box::new(acceptor),
        })?;
        Ok(id)
    }

    /// Queues `message` on socket `id` (reported to its driver if the queue is full;
    /// ignored if the socket is no longer on the loop).
    pub fn send(&self, id: SctpSocketId, message: Outgoing) -> Result<(), SctpHandleError> {
        self.command(Command::Send { id, message })
    }

    /// Takes socket `id` off the loop and closes it (queued messages are dropped).
    pub fn close(&self, id: SctpSocketId) -> Result<(), SctpHandleError> {
        self.command(Command::Close(id))
    }

    /// Stops the loop; [`SctpReactor::run`](super::SctpReactor::run) returns and the sockets close.
    pub fn shutdown(&self) -> Result<(), SctpHandleError> {
        self.command(Command::Shutdown)
    }
}
