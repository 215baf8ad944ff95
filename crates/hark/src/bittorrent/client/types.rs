//! The client's small public values: torrent ids, transport choice, what to add, errors.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use hark_wire::bt::metainfo::{InfoHash, Metainfo};

/// Names one torrent of a [`Client`](super::Client) for as long as the client runs; never
/// reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TorrentId(pub u64);

impl fmt::Display for TorrentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "torrent#{}", self.0)
    }
}

/// Which transports outgoing peer connections use. Incoming connections are accepted over
/// every transport the client listens on, whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transports {
    /// uTP first; when the uTP connection fails (refused, or no answer within the uTP
    /// connect timeout), TCP. libtorrent's default.
    #[default]
    UtpFirst,
    /// uTP only.
    UtpOnly,
    /// TCP only.
    TcpOnly,
}

/// What to do with a removed torrent's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveData {
    /// Leave them on disk.
    Keep,
    /// Delete the torrent's files (and the directories the torrent made that are then
    /// empty).
    Delete,
}

/// A torrent to add: its metainfo and where its files go.
///
/// The files land under `save_dir`: a single-file torrent as `save_dir/NAME`, a multi-file
/// torrent as `save_dir/NAME/...`, as other clients save them. A seeder points `save_dir`
/// at the directory that holds NAME.
#[derive(Debug, Clone)]
pub struct AddTorrent {
    pub(crate) metainfo: Metainfo,
    pub(crate) save_dir: PathBuf,
    pub(crate) peers: Vec<SocketAddr>,
    pub(crate) paused: bool,
}

impl AddTorrent {
    /// A torrent from the bytes of a `.torrent` file, saved under `save_dir`.
    pub fn from_bytes(bytes: &[u8], save_dir: impl AsRef<Path>) -> Result<Self, AddTorrentError> {
        let metainfo = Metainfo::parse(bytes).map_err(AddTorrentError::Metainfo)?;
        Ok(Self::from_metainfo(metainfo, save_dir))
    }

    /// A torrent from a `.torrent` file, saved under `save_dir`.
    pub fn from_file(
        path: impl AsRef<Path>,
        save_dir: impl AsRef<Path>,
    ) -> Result<Self, AddTorrentError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| AddTorrentError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, save_dir)
    }

    /// A torrent from parsed metainfo, saved under `save_dir`.
    pub fn from_metainfo(metainfo: Metainfo, save_dir: impl AsRef<Path>) -> Self {
        Self {
            metainfo,
            save_dir: save_dir.as_ref().to_path_buf(),
            peers: Vec::new(),
            paused: false,
        }
    }

    /// Peers to connect to as soon as the torrent runs (as [`add_peer`] does).
    ///
    /// [`add_peer`]: super::ClientHandle::add_peer
    #[must_use]
    pub fn peers(mut self, peers: impl IntoIterator<Item = SocketAddr>) -> Self {
        self.peers.extend(peers);
        self
    }

    /// Adds the torrent paused: its files are checked and opened, but no peer is
    /// connected until [`resume`](super::ClientHandle::resume).
    #[must_use]
    pub fn paused(mut self, paused: bool) -> Self {
        self.paused = paused;
        self
    }

    /// The torrent's info hash.
    #[must_use]
    pub fn info_hash(&self) -> InfoHash {
        self.metainfo.info.info_hash
    }

    /// The metainfo.
    #[must_use]
    pub fn metainfo(&self) -> &Metainfo {
        &self.metainfo
    }
}

/// Why a client call was not carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The reactor's bounded command queue is full: retry shortly (backpressure).
    #[error("the client's command queue is full")]
    Busy,
    /// The client has stopped.
    #[error("the client has stopped")]
    Stopped,
    /// No torrent has this id (never added, or removed).
    #[error("no such torrent: {0}")]
    UnknownTorrent(TorrentId),
    /// No socket could be bound on any port of the range, for any transport.
    #[error("could not listen on any port of {ports:?}: {error}")]
    Listen {
        /// The ports tried.
        ports: Vec<u16>,
        /// The last error.
        error: io::ErrorKind,
    },
    /// Starting the reactor failed.
    #[error("starting the reactor: {0}")]
    Io(#[from] io::Error),
}

/// Why a torrent was not added.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AddTorrentError {
    /// The `.torrent` file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The metainfo is malformed (or a v2-only torrent).
    #[error("bad metainfo: {0}")]
    Metainfo(hark_wire::bt::metainfo::Error),
    /// The torrent's shape is not one the engine takes (zero length, piece count).
    #[error("bad torrent: {0}")]
    Torrent(hark_proto::bt::torrent::TorrentError),
    /// A torrent with this info hash is in the client already.
    #[error("the torrent {0} is already in the client")]
    Duplicate(InfoHash),
    /// The client refused the command (busy or stopped).
    #[error(transparent)]
    Client(#[from] ClientError),
}
