//! The SCTP side of the reactor: kernel SCTP sockets, each with its [`SctpDriver`].
//!
//! Every readable socket is drained to `WouldBlock`; after each message the driver's
//! [`poll_send`](SctpDriver::poll_send) is drained into the socket's bounded queue and the
//! queue is flushed into the kernel. A full send buffer leaves messages queued, asks for
//! writability and reports [`SctpLoopEvent::Throttled`] (then `Unthrottled`); a full queue
//! refuses further messages with [`SctpLoopEvent::SendRefused`]. A listening one-to-one
//! socket is drained of new associations the same way, each accepted socket put on the
//! reactor with the driver its [`SctpAcceptor`] gives.

use super::driver::{Outgoing, SctpAcceptor, SctpDriver, SctpLoopConfig, SctpLoopEvent};
use super::error::SctpError;
use super::loop_handle::{SctpCommand, SctpSocketId};
use super::socket::SctpSocket;
use crate::ReactorHandle;
use crate::reactor::token;
use mio::{Interest, Registry};
use std::any::Any;
use std::collections::{BTreeMap, VecDeque};
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::time::Instant;

/// A driver behind a type-erased box, so one reactor hosts drivers of any types.
pub(crate) trait Driver: SctpDriver + Send {
    fn as_any(&self) -> &dyn Any;
}

impl<D: SctpDriver + Send + 'static> Driver for D {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An acceptor whose drivers are boxed.
pub(crate) trait Acceptor: Send {
    fn accept(&mut self, now: Instant, peer: Option<SocketAddr>) -> Option<Box<dyn Driver>>;
    fn handle_error(&mut self, now: Instant, error: SctpError);
}

/// A typed acceptor, boxing what it gives.
pub(crate) struct Boxing<D, A>(pub(crate) A, pub(crate) PhantomData<fn() -> D>);

impl<D, A> Acceptor for Boxing<D, A>
where
    D: SctpDriver + Send + 'static,
    A: SctpAcceptor<D> + Send,
{
    fn accept(&mut self, now: Instant, peer: Option<SocketAddr>) -> Option<Box<dyn Driver>> {
        let driver = self.0.accept(now, peer)?;
        Some(Box::new(driver))
    }
    fn handle_error(&mut self, now: Instant, error: SctpError) {
        self.0.handle_error(now, error);
    }
}

struct Slot {
    socket: SctpSocket,
    driver: Box<dyn Driver>,
    pending: VecDeque<Outgoing>,
    throttled: bool,
    writable: bool,
    /// A one-to-one socket read end of stream: nothing more to read.
    eof: bool,
}

struct Listener {
    socket: SctpSocket,
    acceptor: Box<dyn Acceptor>,
}

/// Every SCTP socket of one reactor, registered with its one poll (through a clone of its
/// registry) under tokens of the SCTP kind.
pub(crate) struct SctpHost {
    registry: Registry,
    remote: ReactorHandle,
    slots: BTreeMap<SctpSocketId, Slot>,
    listeners: BTreeMap<SctpSocketId, Listener>,
    config: SctpLoopConfig,
}

impl SctpHost {
    pub(crate) fn new(registry: Registry, remote: ReactorHandle, config: SctpLoopConfig) -> Self {
        SctpHost {
            registry,
            remote,
            slots: BTreeMap::new(),
            listeners: BTreeMap::new(),
            config,
        }
    }

    fn next_id(&self) -> SctpSocketId {
        SctpSocketId(self.remote.next_id() as usize)
    }

    /// Puts `socket` (made non-blocking here) on the reactor with `driver`.
    pub(crate) fn add_socket(
        &mut self,
        socket: SctpSocket,
        driver: Box<dyn Driver>,
    ) -> Result<SctpSocketId, SctpError> {
        let id = self.next_id();
        self.insert(id, socket, driver)
            .map_err(|(_driver, error)| error)?;
        Ok(id)
    }

    /// Puts a listening one-to-one `socket` on the reactor.
    pub(crate) fn add_listener(
        &mut self,
        socket: SctpSocket,
        acceptor: Box<dyn Acceptor>,
    ) -> Result<SctpSocketId, SctpError> {
        let id = self.next_id();
        self.insert_listener(id, socket, acceptor)
            .map_err(|(_acceptor, error)| error)?;
        Ok(id)
    }

    /// The driver of socket `id`.
    pub(crate) fn driver(&self, id: SctpSocketId) -> Option<&dyn Any> {
        self.slots.get(&id).map(|slot| slot.driver.as_any())
    }

    /// The socket `id`, or the listening socket `id`.
    pub(crate) fn socket(&self, id: SctpSocketId) -> Option<&SctpSocket> {
        self.slots
            .get(&id)
            .map(|slot| &slot.socket)
            .or_else(|| self.listeners.get(&id).map(|l| &l.socket))
    }

    /// Sockets and listeners on the reactor.
    pub(crate) fn len(&self) -> usize {
        self.slots.len() + self.listeners.len()
    }

    /// Readiness for socket `key`.
    pub(crate) fn ready(&mut self, key: usize, readable: bool, writable: bool) {
        let id = SctpSocketId(key);
        if self.listeners.contains_key(&id) {
            self.accept(id);
            return;
        }
        if writable {
            self.flush(id);
        }
        if readable {
            self.read(id);
        }
        self.service(id);
    }

    fn insert_listener(
        &mut self,
        id: SctpSocketId,
        mut socket: SctpSocket,
        acceptor: Box<dyn Acceptor>,
    ) -> Result<(), (Box<dyn Acceptor>, SctpError)> {
        if let Err(error) = self.register(&mut socket, id) {
            return Err((acceptor, error));
        }
        self.listeners.insert(id, Listener { socket, acceptor });
        self.accept(id);
        Ok(())
    }

    /// Accepts every waiting association of listener `id` (to `WouldBlock`).
    fn accept(&mut self, id: SctpSocketId) {
        loop {
            let Some(listener) = self.listeners.get_mut(&id) else {
                return;
            };
            let (socket, peer) = match listener.socket.accept() {
                Ok(accepted) => accepted,
                Err(err) if err.is_would_block() => return,
                Err(error) => {
                    listener.acceptor.handle_error(Instant::now(), error);
                    return;
                }
            };
            // Refused: the socket closes here.
            let Some(driver) = listener.acceptor.accept(Instant::now(), peer) else {
                continue;
            };
            let new_id = self.next_id();
            if let Err((_driver, error)) = self.insert(new_id, socket, driver) {
                if let Some(listener) = self.listeners.get_mut(&id) {
                    listener.acceptor.handle_error(Instant::now(), error);
                }
            }
        }
    }

    /// Makes `socket` non-blocking and registers it for reading under `id`.
    fn register(&self, socket: &mut SctpSocket, id: SctpSocketId) -> Result<(), SctpError> {
        socket.set_nonblocking(true)?;
        self.registry
            .register(socket, token::sctp(id.0), Interest::READABLE)
            .map_err(|source| SctpError::Io {
                operation: "epoll_ctl",
                source,
            })
    }

    /// Registers the socket; on failure hands the driver back with the error.
    fn insert(
        &mut self,
        id: SctpSocketId,
        mut socket: SctpSocket,
        driver: Box<dyn Driver>,
    ) -> Result<(), (Box<dyn Driver>, SctpError)> {
        if let Err(error) = self.register(&mut socket, id) {
            return Err((driver, error));
        }
        self.slots.insert(
            id,
            Slot {
                socket,
                driver,
                pending: VecDeque::new(),
                throttled: false,
                writable: false,
                eof: false,
            },
        );
        // Anything already queued in the kernel, and anything the driver wants to send.
        self.read(id);
        self.service(id);
        Ok(())
    }

    /// A command a handle sent.
    pub(crate) fn command(&mut self, command: SctpCommand) {
        match command {
            SctpCommand::Add { id, socket, driver } => {
                if let Err((mut driver, error)) = self.insert(id, socket, driver) {
                    // Told why, then dropped with its socket.
                    driver.handle_loop_event(Instant::now(), SctpLoopEvent::Rejected(error));
                }
            }
            SctpCommand::Send { id, message } => {
                let max = self.config.max_pending;
                if let Some(slot) = self.slots.get_mut(&id) {
                    if slot.pending.len() >= max {
                        Self::flush_slot(slot);
                    }
                    if slot.pending.len() >= max {
                        slot.driver.handle_loop_event(
                            Instant::now(),
                            SctpLoopEvent::SendRefused {
                                info: message.info,
                                len: message.data.len(),
                            },
                        );
                    } else {
                        slot.pending.push_back(message);
                    }
                }
                self.service(id);
            }
            SctpCommand::Listen {
                id,
                socket,
                acceptor,
            } => {
                if let Err((mut acceptor, error)) = self.insert_listener(id, socket, acceptor) {
                    // Told why, then dropped with its socket.
                    acceptor.handle_error(Instant::now(), error);
                }
            }
            SctpCommand::Close(id) => {
                if let Some(mut slot) = self.slots.remove(&id) {
                    let _ = &self.registry.deregister(&mut slot.socket);
                }
                if let Some(mut listener) = self.listeners.remove(&id) {
                    let _ = &self.registry.deregister(&mut listener.socket);
                }
            }
        }
    }

    /// Drains socket `id` to `WouldBlock`, handing each message to its driver and taking
    /// what the driver wants to send after each.
    fn read(&mut self, id: SctpSocketId) {
        let read_size = self.config.read_size;
        let max = self.config.max_pending;
        let Some(slot) = self.slots.get_mut(&id) else {
            return;
        };
        while !slot.eof {
            match slot.socket.recvv(read_size) {
                Ok(received) if received.is_eof() => {
                    slot.eof = true;
                    slot.driver
                        .handle_loop_event(Instant::now(), SctpLoopEvent::Eof);
                }
                Ok(received) => {
                    slot.driver.handle_received(Instant::now(), &received);
                    // Answers go out as they are made, so a long burst cannot fill the queue.
                    Self::take_sends(slot, max);
                    Self::flush_slot(slot);
                }
                Err(err) if err.is_would_block() => break,
                Err(err) => {
                    slot.driver
                        .handle_loop_event(Instant::now(), SctpLoopEvent::ReadFailed(err));
                    break;
                }
            }
        }
    }

    /// Takes the driver's messages while the queue has room, flushes, and sets the
    /// socket's interest: writable only while messages wait.
    fn service(&mut self, id: SctpSocketId) {
        let max = self.config.max_pending;
        let Some(slot) = self.slots.get_mut(&id) else {
            return;
        };
        loop {
            let took = Self::take_sends(slot, max);
            Self::flush_slot(slot);
            // Stop when the driver has nothing more, or when the kernel is full.
            if took == 0 || slot.throttled {
                break;
            }
        }
        let want_writable = !slot.pending.is_empty();
        if want_writable != slot.writable {
            let interest = if want_writable {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            match self
                .registry
                .reregister(&mut slot.socket, token::sctp(id.0), interest)
            {
                Ok(()) => slot.writable = want_writable,
                Err(source) => slot.driver.handle_loop_event(
                    Instant::now(),
                    SctpLoopEvent::PollFailed(SctpError::Io {
                        operation: "epoll_ctl",
                        source,
                    }),
                ),
            }
        }
    }

    /// Moves the driver's messages into the queue while it has room; returns how many.
    fn take_sends(slot: &mut Slot, max: usize) -> usize {
        let mut took = 0;
        while slot.pending.len() < max {
            match slot.driver.poll_send() {
                Some(message) => {
                    slot.pending.push_back(message);
                    took += 1;
                }
                None => break,
            }
        }
        took
    }

    fn flush(&mut self, id: SctpSocketId) {
        if let Some(slot) = self.slots.get_mut(&id) {
            Self::flush_slot(slot);
        }
    }

    /// Sends queued messages until the kernel says `EAGAIN` or the queue is empty.
    fn flush_slot(slot: &mut Slot) {
        while let Some(message) = slot.pending.front() {
            match slot
                .socket
                .sendv(&message.data, message.to, &message.info, None)
            {
                Ok(_) => {
                    slot.pending.pop_front();
                }
                Err(err) if err.is_would_block() => {
                    if !slot.throttled {
                        slot.throttled = true;
                        slot.driver
                            .handle_loop_event(Instant::now(), SctpLoopEvent::Throttled);
                    }
                    return;
                }
                Err(error) => {
                    let info = message.info;
                    slot.pending.pop_front();
                    slot.driver.handle_loop_event(
                        Instant::now(),
                        SctpLoopEvent::SendFailed { info, error },
                    );
                }
            }
        }
        if slot.throttled {
            slot.throttled = false;
            slot.driver
                .handle_loop_event(Instant::now(), SctpLoopEvent::Unthrottled);
        }
    }
}
