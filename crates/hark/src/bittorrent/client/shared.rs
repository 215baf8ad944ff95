//! What the reactor thread's parts share: the engine behind one mutex, the event hub, the
//! uTP contexts, the notes their callbacks leave, and the status snapshot other threads read.
//!
//! Lock order, all on the reactor thread: the engine, then a uTP context, then the hub.
//! uTP callbacks never take the engine (they leave [`Note`]s); hub listeners (the user's
//! callbacks) take nothing but the status snapshot and the command channel, so a callback
//! cannot deadlock or re-enter the engine.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use hark_reactor::ReactorHandle;
use hark_reactor::tcp::TcpConn;

use super::engine::Engine;
use super::handle::Inner;
use super::links::LinkId;
use crate::events::{EventHub, EventKind, KindId};
use crate::utp::{UtpContext, UtpErrorCode, UtpSocket};
use std::sync::Arc;

/// Locks, ignoring poisoning (a panicking callback must not wedge the client).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a uTP callback saw, for the engine to handle once the context is released.
#[derive(Debug)]
pub(crate) enum Note {
    Accept(usize, UtpSocket, SocketAddr),
    Connected(usize, UtpSocket),
    Read(usize, UtpSocket, Vec<u8>),
    Writable(usize, UtpSocket),
    Eof(usize, UtpSocket),
    Error(usize, UtpSocket, UtpErrorCode),
    Destroying(usize, UtpSocket),
}

/// The reactor thread's shared state.
pub(crate) struct Shared {
    pub engine: Mutex<Engine>,
    pub wiring: Arc<Wiring>,
}

/// The parts the engine reaches while it is locked.
pub(crate) struct Wiring {
    /// The uTP contexts, by family (0: IPv4, 1: IPv6).
    pub utp: [Option<Mutex<UtpContext>>; 2],
    pub hub: Arc<Mutex<EventHub>>,
    pub notes: Arc<Mutex<VecDeque<Note>>>,
    /// A family's context got output outside its own core's calls: its core asks for an
    /// immediate timer so the reactor flushes the socket.
    pub dirty: Arc<[AtomicBool; 2]>,
    pub reactor: ReactorHandle,
    pub inner: Arc<Inner>,
    /// The family whose core carries the engine's timers.
    pub primary: usize,
    /// The HTTP side (trackers, web seeds) has outcomes to feed.
    pub http_due: Arc<AtomicBool>,
}

impl Wiring {
    /// Emits `kind` to the hub (listeners run now: the hub is listeners-only).
    pub fn emit(
        &self,
        kind: impl Into<EventKind>,
        connection: Option<crate::events::ConnectionId>,
    ) {
        let kind = kind.into();
        let mut hub = lock(&self.hub);
        if let Err(refused) = hub.emit(kind, connection) {
            tracing::warn!(?refused, "event hub refused a BitTorrent event");
        }
    }

    /// Whether anyone listens to `kind` (to skip building costly events).
    pub fn wants(&self, kind: KindId) -> bool {
        lock(&self.hub).wants(kind)
    }

    /// The wake hook of the HTTP drivers (run on the reactor thread or a name-lookup
    /// thread): flags the work and wakes the reactor, whose engine core then drives them.
    pub fn http_wake(&self) -> impl Fn() + Send + Sync + 'static {
        let due = Arc::clone(&self.http_due);
        let dirty = Arc::clone(&self.dirty);
        let primary = self.primary;
        let reactor = self.reactor.clone();
        move || {
            due.store(true, Ordering::Release);
            dirty[primary].store(true, Ordering::Release);
            // A full channel is fine: the flags are seen at the next turn anyway.
            let _ = reactor.with_reactor(|_, _| {});
        }
    }

    /// Takes the HTTP drivers' flag.
    pub fn take_http_due(&self) -> bool {
        self.http_due.swap(false, Ordering::AcqRel)
    }

    /// Marks a family's uTP context as having output to flush.
    pub fn mark_dirty(&self, family: usize) {
        if let Some(flag) = self.dirty.get(family) {
            flag.store(true, Ordering::Release);
        }
    }
}

impl Shared {
    /// Runs `f` on the engine, then settles it: uTP notes, disk jobs, events, output, the
    /// status snapshot.
    pub fn enter<R>(&self, now: Instant, f: impl FnOnce(&mut Engine, Instant) -> R) -> R {
        let mut engine = lock(&self.engine);
        let result = f(&mut engine, now);
        engine.settle(now, None);
        result
    }

    /// As [`Shared::enter`], from a TCP connection's notifier: output for that connection
    /// goes straight into it.
    pub fn enter_tcp<R>(
        &self,
        now: Instant,
        link: LinkId,
        conn: &mut TcpConn<'_>,
        f: impl FnOnce(&mut Engine, Instant, &mut TcpConn<'_>) -> R,
    ) -> R {
        let mut engine = lock(&self.engine);
        let result = f(&mut engine, now, conn);
        engine.settle(now, Some((link, conn)));
        result
    }
}
