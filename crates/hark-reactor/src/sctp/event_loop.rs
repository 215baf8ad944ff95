//! [`SctpReactor`]: a mio loop over SCTP sockets, each with its [`SctpDriver`].
//!
//! Every readable socket is drained to `WouldBlock`; after each message the driver's
//! [`poll_send`](SctpDriver::poll_send) is drained into the socket's bounded queue and the
//! queue is flushed into the kernel. A full send buffer leaves messages queued, asks for
//! writability and reports [`SctpLoopEvent::Throttled`] (then `Unthrottled`); a full queue
//! refuses further messages with [`SctpLoopEvent::SendRefused`]. A listening one-to-one
//! socket is drained of new associations the same way, each accepted socket put on the loop
//! with the driver its [`SctpAcceptor`] gives. Other threads add sockets, send and stop the
//! loop through an [`SctpReactorHandle`] (a bounded channel and one waker).

use super::driver::{Outgoing, SctpAcceptor, SctpDriver, SctpLoopConfig, SctpLoopEvent, SctpOpen};
use super::error::SctpError;
use super::loop_handle::{Command, SctpReactorHandle, SctpSocketId};
use super::socket::SctpSocket;
use crossbeam_channel::Receiver;
use mio::{Events, Interest, Poll, Token, Waker};
use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

const WAKER: Token = Token(usize::MAX);

struct Slot<D> {
    socket: SctpSocket,
    driver: D,
    pending: VecDeque<Outgoing>,
    throttled: bool,
    writable: bool,
    /// A one-to-one socket read end of stream: nothing more to read.
    eof: bool,
}

struct Listener<D> {
    socket: SctpSocket,
    acceptor: Box<dyn SctpAcceptor<D> + Send>,
}

/// A mio event loop for SCTP sockets, each owned by an [`SctpDriver`].
pub struct SctpReactor<D> {
    poll: Poll,
    rx: Receiver<Command<D>>,
    handle: SctpReactorHandle<D>,
    slots: BTreeMap<SctpSocketId, Slot<D>>,
    listeners: BTreeMap<SctpSocketId, Listener<D>>,
    config: SctpLoopConfig,
    /// Readiness buffer, reused every turn (taken out while a turn handles it).
    events: Option<Events>,
    stopping: bool,
}

impl<D> std::fmt::Debug for SctpReactor<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SctpReactor")
            .field("sockets", &self.slots.len())
            .field("listeners", &self.listeners.len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<D: SctpDriver> SctpReactor<D> {
    /// A loop with no sockets yet.
    pub fn new(config: SctpLoopConfig) -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let (tx, rx) = crossbeam_channel::bounded(config.command_capacity.max(1));
        Ok(SctpReactor {
            poll,
            rx,
            handle: SctpReactorHandle {
                tx,
                waker,
                next_id: Arc::new(AtomicUsize::new(0)),
            },
            slots: BTreeMap::new(),
            listeners: BTreeMap::new(),
            config,
            events: Some(Events::with_capacity(256)),
            stopping: false,
        })
    }

    /// A handle for other threads (and for callbacks that outlive a turn).
    pub fn handle(&self) -> SctpReactorHandle<D> {
        self.handle.clone()
    }

    /// Opens a socket as `open` says and puts it on the loop with `driver`; also returns the
    /// association id `sctp_connectx` gave, if it connected. [`SctpError::Unsupported`]
    /// where the kernel has no SCTP.
    pub fn open(
        &mut self,
        open: &SctpOpen,
        driver: D,
    ) -> Result<(SctpSocketId, Option<u32>), SctpError> {
        let (socket, assoc_id) = open.build()?;
        let id = self.add_socket(socket, driver)?;
        Ok((id, assoc_id))
    }

    /// Puts `socket` (made non-blocking here) on the loop with `driver`.
    pub fn add_socket(&mut self, socket: SctpSocket, driver: D) -> Result<SctpSocketId, SctpError> {
        let id = self.handle.next_id();
        self.insert(id, socket, driver)
            .map_err(|(_driver, error)| error)?;
        Ok(id)
    }

    /// Puts a listening one-to-one `socket` on the loop: each association it accepts goes
    /// on the loop with the driver `acceptor` gives.
    pub fn add_listener(
        &mut self,
        socket: SctpSocket,
        acceptor: impl SctpAcceptor<D> + Send + 'static,
    ) -> Result<SctpSocketId, SctpError> {
        let id = self.handle.next_id();
        self.insert_listener(id, socket, Box::new(acceptor))
            .map_err(|(_acceptor, error)| error)?;
        Ok(id)
    }

    /// Opens a listening one-to-one socket as `open` says (set [`SctpOpen::listen`]) and
    /// puts it on the loop with `acceptor`.
    pub fn open_listener(
        &mut self,
        open: &SctpOpen,
        acceptor: impl SctpAcceptor<D> + Send + 'static,
    ) -> Result<SctpSocketId, SctpError> {
        let (socket, _) = open.build()?;
        self.add_listener(socket, acceptor)
    }

    /// The driver of socket `id`.
    pub fn driver(&self, id: SctpSocketId) -> Option<&D> {
        self.slots.get(&id).map(|slot| &slot.driver)
    }

    /// The socket `id`, or the listening socket `id` (for options: stream resets, keys,
    /// addresses, ...).
    pub fn socket(&self, id: SctpSocketId) -> Option<&SctpSocket> {
        self.slots
            .get(&id)
            .map(|slot| &slot.socket)
            .or_else(|| self.listeners.get(&id).map(|l| &l.socket))
    }

    fn insert_listener(
        &mut self,
        id: SctpSocketId,
        mut socket: SctpSocket,
        acceptor: Box<dyn SctpAcceptor<D> + Send>,
    ) -> Result<(), (Box<dyn SctpAcceptor<D> + Send>, SctpError)> {
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
            let new_id = self.handle.next_id();
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
        self.poll
            .registry()
            .register(socket, Token(id.0), Interest::READABLE)
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
        driver: D,
    ) -> Result<(), (D, SctpError)> {
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

    /// Runs until [`SctpReactorHandle::shutdown`].
    pub fn run(mut self) -> io::Result<()> {
        while !self.stopping {
            self.turn(None)?;
        }
        Ok(())
    }

    /// One turn: waits for readiness up to `timeout` (forever if `None`), then handles what
    /// is ready and every waiting command. Returns false once the loop was told to stop.
    pub fn turn(&mut self, timeout: Option<std::time::Duration>) -> io::Result<bool> {
        let mut events = self
            .events
            .take()
            .unwrap_or_else(|| Events::with_capacity(256));
        let polled = self.poll.poll(&mut events, timeout);
        if let Err(err) = polled {
            self.events = Some(events);
            return match err.kind() {
                io::ErrorKind::Interrupted => Ok(!self.stopping),
                _ => Err(err),
            };
        }
        for event in events.iter() {
            if event.token() == WAKER {
                continue;
            }
            let id = SctpSocketId(event.token().0);
            if self.listeners.contains_key(&id) {
                self.accept(id);
                continue;
            }
            if event.is_writable() {
                self.flush(id);
            }
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                self.read(id);
            }
            self.service(id);
        }
        self.events = Some(events);
        // Commands are drained every turn: a wakeup may coincide with socket events.
        while let Ok(command) = self.rx.try_recv() {
            self.command(command);
        }
        Ok(!self.stopping)
    }

    fn command(&mut self, command: Command<D>) {
        match command {
            Command::Add { id, socket, driver } => {
                if let Err((mut driver, error)) = self.insert(id, socket, driver) {
                    // Told why, then dropped with its socket.
                    driver.handle_loop_event(Instant::now(), SctpLoopEvent::Rejected(error));
                }
            }
            Command::Send { id, message } => {
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
            Command::Listen {
                id,
                socket,
                acceptor,
            } => {
                if let Err((mut acceptor, error)) = self.insert_listener(id, socket, acceptor) {
                    // Told why, then dropped with its socket.
                    acceptor.handle_error(Instant::now(), error);
                }
            }
            Command::Close(id) => {
                if let Some(mut slot) = self.slots.remove(&id) {
                    let _ = self.poll.registry().deregister(&mut slot.socket);
                }
                if let Some(mut listener) = self.listeners.remove(&id) {
                    let _ = self.poll.registry().deregister(&mut listener.socket);
                }
            }
            Command::Shutdown => self.stopping = true,
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
                .poll
                .registry()
                .reregister(&mut slot.socket, Token(id.0), interest)
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
    fn take_sends(slot: &mut Slot<D>, max: usize) -> usize {
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
    fn flush_slot(slot: &mut Slot<D>) {
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
