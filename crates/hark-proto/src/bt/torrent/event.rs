//! What a torrent reports.

use std::net::SocketAddr;

use hark_wire::bt::peer::BlockRequest;

use super::disk::{DiskError, DiskOperation};
use crate::bt::peer::{InvalidRequest, PeerError};

/// A peer of a torrent: the slot its session holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerHandle(pub usize);

/// Something the torrent tells its owner. Drained with
/// [`Torrent::poll_event`](super::Torrent::poll_event); each maps onto one of the hub's
/// `Net::BitTorrent` kinds (named on each variant).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// `peer_id`: a peer's handshake arrived.
    PeerId {
        /// The peer.
        peer: PeerHandle,
        /// Its address.
        addr: SocketAddr,
        /// Its id.
        peer_id: [u8; 20],
    },
    /// `peer_disconnect` (and `peer_error` when `error` is the peer's fault): a session
    /// ended; the owner drops the transport.
    PeerClosed {
        /// The peer.
        peer: PeerHandle,
        /// Its address.
        addr: SocketAddr,
        /// Its id, if it sent one.
        peer_id: Option<[u8; 20]>,
        /// Why.
        error: PeerError,
    },
    /// `invalid_request`: a peer asked for a block it may not have.
    InvalidRequest {
        /// The peer.
        peer: PeerHandle,
        /// Its address.
        addr: SocketAddr,
        /// The request.
        request: BlockRequest,
        /// Why it was refused.
        reason: InvalidRequest,
    },
    /// `file_open`.
    FileOpen {
        /// The file's index.
        file: usize,
    },
    /// `file_close`.
    FileClose {
        /// The file's index.
        file: usize,
    },
    /// `file_write`.
    FileWrite {
        /// The file's index.
        file: usize,
        /// Where in the file.
        offset: u64,
        /// Bytes written.
        length: u32,
    },
    /// `file_read`.
    FileRead {
        /// The file's index.
        file: usize,
        /// Where in the file.
        offset: u64,
        /// Bytes read.
        length: u32,
    },
    /// `file_error` (fatal): a disk job failed; the torrent pauses.
    FileError {
        /// The error, with the file when known.
        error: DiskError,
        /// What the job was doing.
        operation: DiskOperation,
    },
    /// `piece_hash_passed`.
    PieceHashPassed {
        /// The piece.
        index: u32,
        /// The peers whose blocks made it (empty for data already on disk).
        peers: Vec<SocketAddr>,
    },
    /// `piece_hash_failed`.
    PieceHashFailed {
        /// The piece.
        index: u32,
        /// The peers whose blocks made it.
        peers: Vec<SocketAddr>,
    },
    /// `peer_ban`: a peer sent corrupt data and is disconnected and refused from now on.
    PeerBan {
        /// Its address.
        addr: SocketAddr,
    },
    /// `url_seed`: a web seed failed and backs off.
    UrlSeed {
        /// The seed's URL.
        url: String,
        /// The HTTP status, 0 when there was none (lookup, connect, a short body).
        status_code: u16,
        /// What failed.
        error: String,
    },
    /// The torrent paused (after a fatal `file_error`); its peers are closed.
    Paused,
    /// Every piece passed its check.
    Finished,
}
