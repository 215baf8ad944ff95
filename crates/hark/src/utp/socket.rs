//! [`UtpSocket`] handles and the facade's bookkeeping per connection.

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;

use hark_proto::utp::ConnectionHandle;

use crate::events::{ConnectionId, DisconnectReason};

/// A uTP socket (libutp's `utp_socket*`): a cheap, copyable name for one connection.
///
/// It stays unique for the context's life: once the socket is destroyed, operations on
/// it fail with `UnknownSocket` even if the core reuses its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UtpSocket {
    pub(crate) slot: usize,
    pub(crate) generation: u64,
}

impl UtpSocket {
    /// The identifier this socket's events carry in the event hub.
    #[must_use]
    pub fn connection_id(self) -> ConnectionId {
        ConnectionId(self.generation)
    }
}

impl fmt::Display for UtpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "utp#{}", self.generation)
    }
}

/// What the facade keeps per live connection.
#[derive(Debug)]
pub(crate) struct SocketEntry {
    pub(crate) socket: UtpSocket,
    pub(crate) remote: SocketAddr,
    /// True for connections we accepted (libutp reports no on_connect for them).
    pub(crate) accepted: bool,
    /// Bytes added to every overhead report: get_udp_overhead minus the core's default.
    pub(crate) overhead_delta: i64,
    /// Bytes passed to on_read that the application still holds (get_read_buffer_size);
    /// they stay in the core's buffer, counting against the receive window.
    pub(crate) held: usize,
    /// Bytes written from other threads, waiting for send-buffer room.
    pub(crate) outbox: VecDeque<u8>,
    /// Close once the outbox is empty.
    pub(crate) close_pending: bool,
    /// Payload bytes accepted by the core for sending.
    pub(crate) bytes_written: u64,
    /// Payload bytes handed to on_read.
    pub(crate) bytes_read: u64,
    /// Who sent the first FIN (or why the connection failed), for `utp_closed`.
    pub(crate) end: Option<DisconnectReason>,
}

/// The live sockets, indexed like the core's connection slab.
#[derive(Debug, Default)]
pub(crate) struct Sockets {
    slots: Vec<Option<SocketEntry>>,
    next_generation: u64,
}

impl Sockets {
    /// Registers the connection `handle` with `remote`.
    pub(crate) fn insert(
        &mut self,
        handle: ConnectionHandle,
        remote: SocketAddr,
        accepted: bool,
    ) -> UtpSocket {
        self.next_generation += 1;
        let socket = UtpSocket {
            slot: handle.0,
            generation: self.next_generation,
        };
        if self.slots.len() <= handle.0 {
            self.slots.resize_with(handle.0 + 1, || None);
        }
        if let Some(place) = self.slots.get_mut(handle.0) {
            *place = Some(SocketEntry {
                socket,
                remote,
                accepted,
                overhead_delta: 0,
                held: 0,
                outbox: VecDeque::new(),
                close_pending: false,
                bytes_written: 0,
                bytes_read: 0,
                end: None,
            });
        }
        socket
    }

    /// The entry of a core handle.
    pub(crate) fn by_handle(&self, handle: ConnectionHandle) -> Option<&SocketEntry> {
        self.slots.get(handle.0).and_then(Option::as_ref)
    }

    /// The entry of a core handle, mutably.
    pub(crate) fn by_handle_mut(&mut self, handle: ConnectionHandle) -> Option<&mut SocketEntry> {
        self.slots.get_mut(handle.0).and_then(Option::as_mut)
    }

    /// The core handle of a live socket.
    pub(crate) fn handle(&self, socket: UtpSocket) -> Option<ConnectionHandle> {
        let entry = self.slots.get(socket.slot)?.as_ref()?;
        (entry.socket == socket).then_some(ConnectionHandle(socket.slot))
    }

    /// The entry of a live socket.
    pub(crate) fn get(&self, socket: UtpSocket) -> Option<&SocketEntry> {
        self.handle(socket).and_then(|h| self.by_handle(h))
    }

    /// Forgets a destroyed connection.
    pub(crate) fn remove(&mut self, handle: ConnectionHandle) -> Option<SocketEntry> {
        self.slots.get_mut(handle.0).and_then(Option::take)
    }

    /// Core handles of sockets whose application holds read bytes.
    pub(crate) fn holding(&self) -> Vec<ConnectionHandle> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, e)| e.as_ref().is_some_and(|e| e.held > 0))
            .map(|(i, _)| ConnectionHandle(i))
            .collect()
    }

    /// Core handles of sockets with bytes in their outbox or a pending close.
    pub(crate) fn with_outbox(&self) -> Vec<ConnectionHandle> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.as_ref()
                    .is_some_and(|e| !e.outbox.is_empty() || e.close_pending)
            })
            .map(|(i, _)| ConnectionHandle(i))
            .collect()
    }

    /// Number of live sockets.
    pub(crate) fn len(&self) -> usize {
        self.slots.iter().filter(|e| e.is_some()).count()
    }
}
