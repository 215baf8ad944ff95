//! [`ClientHandle`]: what callbacks and other threads use to drive the client. It queues
//! commands for the reactor thread and reads a status snapshot; it never touches the
//! engine itself, so it is safe inside a callback.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use hark_proto::bt::peer::TorrentShape;
use hark_reactor::{CommandError, ReactorHandle, SocketId};
use hark_wire::bt::metainfo::InfoHash;

use super::engine::Engine;
use super::shared::lock;
use super::status::{ClientStatus, TorrentStatus};
use super::types::{AddTorrent, AddTorrentError, ClientError, RemoveData, TorrentId};
use super::utp::UtpCore;
use crate::events::{Event, HubListenerId, Kind, Protocol, Registrar};

/// The state a [`ClientHandle`] shares with the reactor thread.
pub(crate) struct Inner {
    pub reactor: ReactorHandle,
    /// The UDP socket whose core carries the engine.
    pub socket: OnceLock<SocketId>,
    pub reactor_thread: OnceLock<ThreadId>,
    pub listening: OnceLock<Vec<(Protocol, SocketAddr)>>,
    pub status: Mutex<ClientStatus>,
    pub status_version: AtomicU64,
    pub status_changed: Condvar,
    /// The torrents added and not removed, with their info hashes.
    pub registry: Mutex<HashMap<TorrentId, InfoHash>>,
    pub next_torrent: AtomicU64,
    pub registrar: Registrar,
}

/// Drives a [`Client`](super::Client) from callbacks and other threads: cloneable,
/// `Send`, never blocking (except [`ClientHandle::wait_for`]).
///
/// Commands (add a torrent or a peer, pause, resume, remove) are queued on the reactor's
/// bounded channel and run on the reactor thread in order; a full channel is
/// [`ClientError::Busy`]. Status is a snapshot the reactor refreshes as events flow
/// (at least every 50 ms while anything happens, and at once when a torrent is added,
/// paused, resumed, removed or finished).
#[derive(Clone)]
pub struct ClientHandle {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for ClientHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientHandle")
            .field("listening", &self.inner.listening)
            .finish_non_exhaustive()
    }
}

impl ClientHandle {
    /// Queues `f` to run on the engine on the reactor thread.
    pub(crate) fn command(
        &self,
        f: impl FnOnce(&mut Engine, Instant) + Send + 'static,
    ) -> Result<(), ClientError> {
        let socket = *self.inner.socket.get().ok_or(ClientError::Stopped)?;
        self.inner
            .reactor
            .with_endpoint(socket, move |core: &mut UtpCore, now| {
                core.shared.enter(now, f);
            })
            .map_err(|error| match error {
                CommandError::Full => ClientError::Busy,
                _ => ClientError::Stopped,
            })
    }

    fn check(&self, id: TorrentId) -> Result<(), ClientError> {
        if lock(&self.inner.registry).contains_key(&id) {
            Ok(())
        } else {
            Err(ClientError::UnknownTorrent(id))
        }
    }

    /// Adds a torrent. Its files are opened (a fresh download allocates them) and it
    /// connects to the peers given with [`AddTorrent::peers`]; `torrent_added` follows.
    pub fn add_torrent(&self, add: AddTorrent) -> Result<TorrentId, AddTorrentError> {
        let info = &add.metainfo.info;
        TorrentShape::new(info.total_length(), info.piece_length).map_err(|shape| {
            AddTorrentError::Torrent(hark_proto::bt::torrent::TorrentError::Shape(shape))
        })?;
        let hash = info.info_hash;
        let id = TorrentId(self.inner.next_torrent.fetch_add(1, Ordering::Relaxed));
        {
            let mut registry = lock(&self.inner.registry);
            if registry.values().any(|h| *h == hash) {
                return Err(AddTorrentError::Duplicate(hash));
            }
            registry.insert(id, hash);
        }
        let queued = self.command(move |engine, now| engine.add_torrent(now, id, add));
        if let Err(error) = queued {
            lock(&self.inner.registry).remove(&id);
            return Err(error.into());
        }
        Ok(id)
    }

    /// Connects `torrent` to the peer at `addr` (uTP first, then TCP, as the client's
    /// [`Transports`](super::Transports) say), unless the IP filter blocks it or a
    /// connection to it exists.
    pub fn add_peer(&self, torrent: TorrentId, addr: SocketAddr) -> Result<(), ClientError> {
        self.check(torrent)?;
        self.command(move |engine, now| engine.connect(now, torrent, addr))
    }

    /// Pauses `torrent`: its peers are closed, `torrent_paused` fires, no peer is
    /// connected until [`resume`](Self::resume). Its trackers hear `stopped` (each that
    /// took an announce, within [`ClientBuilder::stop_timeout`](super::ClientBuilder::stop_timeout)),
    /// and its resume file is written once its disk jobs in flight are done.
    pub fn pause(&self, torrent: TorrentId) -> Result<(), ClientError> {
        self.check(torrent)?;
        self.command(move |engine, now| engine.pause(now, torrent))
    }

    /// Resumes `torrent` (paused by [`pause`](Self::pause) or by a fatal `file_error`)
    /// and reconnects the peers it knew; `torrent_resumed` fires and its trackers hear
    /// `started` again.
    pub fn resume(&self, torrent: TorrentId) -> Result<(), ClientError> {
        self.check(torrent)?;
        self.command(move |engine, now| engine.resume(now, torrent))
    }

    /// Removes `torrent`, closing its peers; its files stay or go as `data` says. Its
    /// trackers hear `stopped`; with [`RemoveData::Keep`] its resume file is written (with
    /// the client's [`resume_dir`](super::ClientBuilder::resume_dir)), so adding it again
    /// re-checks nothing.
    pub fn remove(&self, torrent: TorrentId, data: RemoveData) -> Result<(), ClientError> {
        self.check(torrent)?;
        self.command(move |engine, now| engine.remove(now, torrent, data))?;
        lock(&self.inner.registry).remove(&torrent);
        Ok(())
    }

    /// The torrents in the client.
    #[must_use]
    pub fn torrents(&self) -> Vec<TorrentId> {
        let mut ids: Vec<TorrentId> = lock(&self.inner.registry).keys().copied().collect();
        ids.sort();
        ids
    }

    /// One torrent's status (`None` until its add command ran, and after removal).
    #[must_use]
    pub fn torrent_status(&self, torrent: TorrentId) -> Option<TorrentStatus> {
        lock(&self.inner.status)
            .torrents
            .iter()
            .find(|t| t.id == torrent)
            .cloned()
    }

    /// The whole client's status.
    #[must_use]
    pub fn status(&self) -> ClientStatus {
        lock(&self.inner.status).clone()
    }

    /// The bound listening sockets: TCP and UDP (uTP) on one port per address family.
    #[must_use]
    pub fn listening(&self) -> &[(Protocol, SocketAddr)] {
        self.inner.listening.get().map_or(&[], Vec::as_slice)
    }

    /// The first bound address for `protocol`.
    #[must_use]
    pub fn local_addr(&self, protocol: Protocol) -> Option<SocketAddr> {
        self.listening()
            .iter()
            .find(|(p, _)| *p == protocol)
            .map(|(_, addr)| *addr)
    }

    /// Waits until `torrent`'s status satisfies `done` or `timeout` passes, and returns
    /// the last status seen (`None` if the torrent never showed up). On the reactor thread
    /// (inside a callback) it does not wait: it answers from the current snapshot.
    pub fn wait_for(
        &self,
        torrent: TorrentId,
        timeout: Duration,
        done: impl Fn(&TorrentStatus) -> bool,
    ) -> Option<TorrentStatus> {
        let deadline = Instant::now() + timeout;
        let on_reactor = self.inner.reactor_thread.get() == Some(&std::thread::current().id());
        let mut status = lock(&self.inner.status);
        loop {
            let current = status.torrents.iter().find(|t| t.id == torrent).cloned();
            if current.as_ref().is_some_and(&done) || on_reactor {
                return current;
            }
            let now = Instant::now();
            if now >= deadline {
                return current;
            }
            // Woken by every refresh; a refresh with nothing new times out harmlessly.
            let wait = (deadline - now).min(Duration::from_millis(100));
            status = self
                .inner
                .status_changed
                .wait_timeout(status, wait)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// Registers `f` for every event of kind `K` (the `on_<event>` methods name each kind).
    /// It runs on the reactor thread with this handle, the event (`message()`, `name()`,
    /// `severity`) and the kind's typed attributes; its return value counts only for
    /// `ip_filter` ([`Verdict::Allow`](crate::events::Verdict) lets a blocked peer in).
    /// Takes effect between two events.
    pub fn on<K, R, F>(&self, mut f: F) -> HubListenerId
    where
        K: Kind,
        R: Into<K::Reply>,
        F: FnMut(&ClientHandle, &Event, &K) -> R + Send + 'static,
    {
        let handle = self.clone();
        self.inner
            .registrar
            .on::<K, R, _>(move |event: &Event, attrs: &K| f(&handle, event, attrs))
    }

    /// Registers `f` for every event of every kind.
    pub fn on_event<F>(&self, mut f: F) -> HubListenerId
    where
        F: FnMut(&ClientHandle, &Event) + Send + 'static,
    {
        let handle = self.clone();
        self.inner
            .registrar
            .on_all(move |event: &Event| f(&handle, event))
    }

    /// Removes a callback registered with `on_*`.
    pub fn remove_callback(&self, id: HubListenerId) {
        self.inner.registrar.remove_listener(id);
    }
}
