//! [`ReactorHandle`]: queues work for a reactor from any thread, never blocking.

use std::convert::Infallible;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use mio::Waker;
use thiserror::Error;

use crate::reactor::{CoreId, Reactor, SocketId};
use crate::sctp::SctpCommand;
use crate::tcp::{Cmd as TcpCmd, ConnId, Resolve};
use crate::workers::Ready;

/// Work on the reactor itself (add or remove sockets and cores, inspect them), run on the
/// reactor thread with the current time.
pub type ReactorAction = Box<dyn FnOnce(&mut Reactor, Instant) + Send>;

/// A queued command: everything other threads ask of the reactor travels through the one
/// bounded channel as one of these.
pub(crate) enum Command {
    Reactor(ReactorAction),
    Tcp(TcpCmd),
    Sctp(SctpCommand),
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
    /// Ids of TCP connections and listeners, and SCTP sockets: never reused.
    pub(crate) next_id: AtomicU64,
    /// Name resolution for TCP connects (run on helper threads).
    pub(crate) resolver: Arc<dyn Resolve>,
    /// [`TcpConfig::send_limit`](crate::tcp::TcpConfig::send_limit), for handle writes.
    pub(crate) tcp_send_limit: usize,
    /// TCP connections whose handles refused a write, each at most once (see
    /// `ConnShared::refused`): bounded by the number of connections, and independent of
    /// the command channel, so a refusal is never lost to a full channel.
    pub(crate) refused: Mutex<Vec<ConnId>>,
    /// Set when a worker-pool owner was scheduled for delivery ([`crate::workers`]); the
    /// reactor clears it before taking `ready`.
    pub(crate) results_pending: AtomicBool,
    /// Worker-pool owners with results (or room) to deliver on the reactor thread, each at
    /// most once (its own `scheduled` flag): bounded by the number of owners, and
    /// independent of the command channel, so a result is never lost to a full channel.
    pub(crate) ready: Mutex<Vec<Arc<dyn Ready>>>,
    /// Dropped when the reactor stops, which disconnects `stop_watch`: worker threads
    /// blocked on their job queue select on it and exit.
    pub(crate) stop_signal: Mutex<Option<Sender<Infallible>>>,
    /// Disconnected once the reactor stops (see `stop_signal`).
    pub(crate) stop_watch: Receiver<Infallible>,
}

impl Shared {
    /// Schedules `owner` for delivery on the reactor thread and wakes the reactor.
    pub(crate) fn schedule(&self, owner: Arc<dyn Ready>) {
        self.ready
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(owner);
        self.results_pending.store(true, Ordering::SeqCst);
        self.wake();
    }

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
/// [`CommandError::Full`] (or the TCP and SCTP methods' own `Busy`), so it is safe from
/// the reactor thread itself (inside a core or a notifier) as well as from other threads.
/// The TCP methods (`connect`, `listen`, ...) are in [`crate::tcp`], the SCTP ones in
/// [`crate::sctp`].
#[derive(Clone)]
pub struct ReactorHandle {
    pub(crate) tx: Sender<Command>,
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for ReactorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReactorHandle")
            .field("queued", &self.tx.len())
            .field("stopped", &self.shared.stop.load(Ordering::SeqCst))
            .finish()
    }
}

impl ReactorHandle {
    /// Runs `action` on the first datagram core of `socket` (the one given to
    /// [`Reactor::add_socket`]) on the reactor thread, if that core is an `E`; afterwards
    /// the reactor drains the socket's output. Dropped unrun if the socket was removed.
    pub fn with_endpoint<E: 'static>(
        &self,
        socket: SocketId,
        action: impl FnOnce(&mut E, Instant) + Send + 'static,
    ) -> Result<(), CommandError> {
        self.with_reactor(move |reactor, now| {
            if let Some(endpoint) = reactor.endpoint_mut::<E>(socket) {
                action(endpoint, now);
            }
        })
    }

    /// Runs `action` on the datagram core `core` on the reactor thread, if it is an `E`;
    /// afterwards the reactor drains its socket's output. Dropped unrun if the core was
    /// removed.
    pub fn with_core<E: 'static>(
        &self,
        core: CoreId,
        action: impl FnOnce(&mut E, Instant) + Send + 'static,
    ) -> Result<(), CommandError> {
        self.with_reactor(move |reactor, now| {
            if let Some(endpoint) = reactor.core_mut::<E>(core) {
                action(endpoint, now);
            }
        })
    }

    /// Runs `action` on the reactor itself on its thread (e.g. to add a socket or a core).
    pub fn with_reactor(
        &self,
        action: impl FnOnce(&mut Reactor, Instant) + Send + 'static,
    ) -> Result<(), CommandError> {
        self.send(Command::Reactor(Box::new(action)))
    }

    /// Asks the reactor to stop; `run` returns at its next turn. Works even when the
    /// command queue is full; commands still queued are dropped unrun.
    pub fn shutdown(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Disconnects `stop_watch`: idle worker threads wake and exit.
        drop(
            self.shared
                .stop_signal
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        // Bypass the wake-up coalescing: the stop must be seen even if a wake-up is
        // already being handled.
        let _ = self.shared.waker.wake();
    }

    /// Whether the reactor was asked to stop.
    pub fn is_stopped(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    pub(crate) fn send(&self, command: Command) -> Result<(), CommandError> {
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

    /// Sends from a helper thread (name resolution), waiting for room: that thread has
    /// nothing else to do, and its result must not be lost.
    pub(crate) fn send_blocking(&self, command: Command) {
        if self.tx.send(command).is_ok() {
            self.shared.wake();
        }
    }

    /// A fresh id for a TCP connection or listener, or an SCTP socket.
    pub(crate) fn next_id(&self) -> u64 {
        self.shared.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Records that a handle refused a TCP write on `id` and wakes the reactor.
    pub(crate) fn push_refused(&self, id: ConnId) {
        self.shared
            .refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(id);
        let _ = self.shared.waker.wake();
    }

    /// Takes the TCP connections whose handles refused a write.
    pub(crate) fn take_refused(&self) -> Vec<ConnId> {
        std::mem::take(
            &mut *self
                .shared
                .refused
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }
}
