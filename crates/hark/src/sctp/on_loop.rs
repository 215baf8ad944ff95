//! [`SctpLoop`]: the pysctp-style callbacks on hark-reactor's one [`Reactor`], one
//! [`SctpDispatcher`] per socket.

use super::dispatcher::SctpDispatcher;
use super::handler::SctpHandler;
use hark_reactor::sctp::{
    Outgoing, SctpAcceptor, SctpError, SctpHandleError, SctpLoopConfig, SctpOpen, SctpSocket,
    SctpSocketId,
};
use hark_reactor::{Reactor, ReactorConfig, ReactorHandle};
use std::io;
use std::marker::PhantomData;
use std::time::Duration;

/// A [`Reactor`] whose SCTP sockets are each driven by an [`SctpDispatcher`] over a
/// handler of type `H`. The reactor is hark-reactor's one loop: it can host UDP and TCP
/// sockets beside these (see [`SctpLoop::reactor_mut`]).
pub struct SctpLoop<H> {
    reactor: Reactor,
    handler: PhantomData<fn() -> H>,
}

impl<H> std::fmt::Debug for SctpLoop<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SctpLoop")
            .field("reactor", &self.reactor)
            .finish()
    }
}

impl<H: SctpHandler + Send + 'static> SctpLoop<H> {
    /// A loop with no sockets yet, with the reactor's default limits.
    pub fn new(config: SctpLoopConfig) -> io::Result<Self> {
        Self::with_config(ReactorConfig {
            sctp: config,
            ..ReactorConfig::default()
        })
    }

    /// A loop on a reactor with `config` (its command channel capacity, ...).
    pub fn with_config(config: ReactorConfig) -> io::Result<Self> {
        Ok(SctpLoop {
            reactor: Reactor::new(config)?,
            handler: PhantomData,
        })
    }

    /// A handle for other threads.
    pub fn handle(&self) -> SctpLoopHandle<H> {
        SctpLoopHandle {
            reactor: self.reactor.handle(),
            handler: PhantomData,
        }
    }

    /// Opens a socket as `open` says and puts it on the loop with `dispatcher`; also
    /// returns the association id `sctp_connectx` gave, if it connected.
    /// [`SctpError::Unsupported`] where the kernel has no SCTP.
    pub fn open(
        &mut self,
        open: &SctpOpen,
        dispatcher: SctpDispatcher<H>,
    ) -> Result<(SctpSocketId, Option<u32>), SctpError> {
        self.reactor.sctp_open(open, dispatcher)
    }

    /// Puts `socket` (made non-blocking here) on the loop with `dispatcher`.
    pub fn add_socket(
        &mut self,
        socket: SctpSocket,
        dispatcher: SctpDispatcher<H>,
    ) -> Result<SctpSocketId, SctpError> {
        self.reactor.sctp_add_socket(socket, dispatcher)
    }

    /// Puts a listening one-to-one `socket` on the loop: each association it accepts goes
    /// on the loop with the dispatcher `acceptor` gives.
    pub fn add_listener(
        &mut self,
        socket: SctpSocket,
        acceptor: impl SctpAcceptor<SctpDispatcher<H>> + Send + 'static,
    ) -> Result<SctpSocketId, SctpError> {
        self.reactor.sctp_add_listener(socket, acceptor)
    }

    /// Opens a listening one-to-one socket as `open` says (set [`SctpOpen::listen`]) and
    /// puts it on the loop with `acceptor`.
    pub fn open_listener(
        &mut self,
        open: &SctpOpen,
        acceptor: impl SctpAcceptor<SctpDispatcher<H>> + Send + 'static,
    ) -> Result<SctpSocketId, SctpError> {
        self.reactor.sctp_open_listener(open, acceptor)
    }

    /// The dispatcher of socket `id`.
    pub fn driver(&self, id: SctpSocketId) -> Option<&SctpDispatcher<H>> {
        self.reactor.sctp_driver(id)
    }

    /// The socket `id`, or the listening socket `id` (for options).
    pub fn socket(&self, id: SctpSocketId) -> Option<&SctpSocket> {
        self.reactor.sctp_socket(id)
    }

    /// The reactor underneath, to put other sockets on it.
    pub fn reactor_mut(&mut self) -> &mut Reactor {
        &mut self.reactor
    }

    /// Runs until [`SctpLoopHandle::shutdown`].
    pub fn run(mut self) -> io::Result<()> {
        self.reactor.run().map_err(io::Error::other)
    }

    /// One turn: waits for readiness up to `timeout` (forever if `None`), then handles
    /// what is ready and every waiting command. Returns false once the loop was told to
    /// stop.
    pub fn turn(&mut self, timeout: Option<Duration>) -> io::Result<bool> {
        self.reactor.turn(timeout).map_err(io::Error::other)?;
        Ok(!self.reactor.is_stopped())
    }
}

/// The cross-thread handle of an [`SctpLoop`]: cloneable, `Send`.
pub struct SctpLoopHandle<H> {
    reactor: ReactorHandle,
    handler: PhantomData<fn() -> H>,
}

impl<H> Clone for SctpLoopHandle<H> {
    fn clone(&self) -> Self {
        SctpLoopHandle {
            reactor: self.reactor.clone(),
            handler: PhantomData,
        }
    }
}

impl<H> std::fmt::Debug for SctpLoopHandle<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SctpLoopHandle")
            .field("reactor", &self.reactor)
            .finish()
    }
}

impl<H: SctpHandler + Send + 'static> SctpLoopHandle<H> {
    /// Puts `socket` on the loop with `dispatcher`.
    pub fn add_socket(
        &self,
        socket: SctpSocket,
        dispatcher: SctpDispatcher<H>,
    ) -> Result<SctpSocketId, SctpHandleError> {
        self.reactor.sctp_add_socket(socket, dispatcher)
    }

    /// Puts a listening one-to-one `socket` on the loop with `acceptor`.
    pub fn add_listener(
        &self,
        socket: SctpSocket,
        acceptor: impl SctpAcceptor<SctpDispatcher<H>> + Send + 'static,
    ) -> Result<SctpSocketId, SctpHandleError> {
        self.reactor.sctp_add_listener(socket, acceptor)
    }

    /// Queues `message` on socket `id` (reported to its handler if the queue is full;
    /// ignored if the socket is no longer on the loop).
    pub fn send(&self, id: SctpSocketId, message: Outgoing) -> Result<(), SctpHandleError> {
        self.reactor.sctp_send(id, message)
    }

    /// Takes socket `id` off the loop and closes it (queued messages are dropped).
    pub fn close(&self, id: SctpSocketId) -> Result<(), SctpHandleError> {
        self.reactor.sctp_close(id)
    }

    /// Stops the loop; [`SctpLoop::run`] returns. [`SctpHandleError::ReactorGone`] if it
    /// was stopped already.
    pub fn shutdown(&self) -> Result<(), SctpHandleError> {
        if self.reactor.is_stopped() {
            return Err(SctpHandleError::ReactorGone);
        }
        self.reactor.shutdown();
        Ok(())
    }
}
