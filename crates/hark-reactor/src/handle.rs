//! [`ReactorHandle`]: queues work for a reactor from any thread, never blocking.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crossbeam_channel::{Sender, TrySendError};
use mio::Waker;
use thiserror::Error;

use crate::reactor::{Reactor, SocketId};

/// Work on one socket's endpoint, run on the reactor thread with the current time.
pub type EndpointAction<E> = Box<dyn FnOnce(&mut E, Instant) + Send>;

/// Work on the reactor itself (add or remove sockets, inspect endpoints), run on the
/// reactor thread with the current time.
pub type ReactorAction<E> = Box<dyn FnOnce(&mut Reactor<E>, Instant) + Send>;

/// A queued command.
pub(crate) enum Command<E> {
    Endpoint {
        socket: SocketId,
        action: EndpointAction<E>,
    },
    Reactor(ReactorAction<E>),
}

/// Why a command was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The bounded command queue is full: back off and retry (backpressure). Unlike a
    /// refused write on a connection, this arms no callback: nothing will tell you when
    /// there is room, so retry after yielding or sleeping briefly.
    #[error("the reactor's command queue is full")]
    Full,
    /// The reactor was asked to stop or is gone.
    #[error("the reactor has stopped")]
    Stopped,
}

/// State shared by a reactor and its handles.
pub(crate) struct Shared {
    pub(crate) stop: AtomicBool,
    pub(crate) wake_pending: AtomicBool,
    pub(crate) waker: Waker,
}

impl Shared {
    /// Wakes the reactor unless a wake-up is already on its way.
    pub(crate) fn wake(&self) {
        if !self.wake_pending.swap(true, Ordering::SeqCst) && self.waker.wake().is_err() {
            // Let the next caller try again rather than leave the reactor asleep.
            self.wake_pending.store(false, Ordering::SeqCst);
        }
    }
}

/// A cloneable, thread-safe handle that queues commands for a [`Reactor`].
///
/// Sending never blocks: when the bounded queue is full the call returns
/// [`CommandError::Full`], so it is safe from the reactor thread itself (inside endpoint
/// code) as well as from other threads.
pub struct ReactorHandle<E> {
    tx: Sender<Command<E>>,
    shared: Arc<Shared>,
}

impl<E> Clone for ReactorHandle<E> {
    fn clone(&self) -> Self {
        ReactorHandle {
            tx: self.tx.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<E> fmt::Debug for ReactorHandle<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReactorHandle")
            .field("queued", &self.tx.len())
            .field("stopped", &self.shared.stop.load(Ordering::SeqCst))
            .finish()
    }
}

impl<E: 'static> ReactorHandle<E> {
    pub(crate) fn new(tx: Sender<Command<E>>, shared: Arc<Shared>) -> Self {
        ReactorHandle { tx, shared }
    }

    /// Runs `action` on the endpoint of `socket` on the reactor thread; afterwards the
    /// reactor drains the endpoint's output. Dropped unrun if the socket was removed.
    pub fn with_endpoint(
        &self,
        socket: SocketId,
        action: impl FnOnce(&mut E, Instant) + Send + 'static,
    ) -> Result<(), CommandError> {
        self.send(Command::Endpoint {
            socket,
            action: Box::new(action),
        })
    }

    /// Runs `action` on the reactor itself on its thread (e.g. to add a socket).
    pub fn with_reactor(
        &self,
        action: impl FnOnce(&mut Reactor<E>, Instant) + Send + 'static,
    ) -> Result<(), CommandError> {
        self.send(Command::Reactor(Box::new(action)))
    }

    /// Asks the reactor to stop; `run` returns at its next turn. Works even when the
    /// command queue is full; commands still queued are dropped unrun.
    pub fn shutdown(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Bypass the wake-up coalescing: the stop must be seen even if a wake-up is
        // already being handled.
        let _ = self.shared.waker.wake();
    }

    /// Whether the reactor was asked to stop.
    pub fn is_stopped(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    fn send(&self, command: Command<E>) -> Result<(), CommandError> {
        if self.is_stopped() {
            return Err(CommandError::Stopped);
        }
        match self.tx.try_send(command) {
            Ok(()) => {
                self.shared.wake();
                Ok(())
            }
            Err(TrySendError::Full(_)) => Err(CommandError::Full),
            Err(TrySendError::Disconnected(_)) => Err(CommandError::Stopped),
        }
    }
}
