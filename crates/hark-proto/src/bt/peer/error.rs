//! Why a peer session ends, why a request is refused, and what the caller got wrong.

use hark_wire::bt::peer::{BlockRequest, Error as WireError};
use thiserror::Error;

use super::pieces::BitfieldError;

/// Why the session ended the peer (the `peer_error` event). Every hostile input maps to one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PeerError {
    /// The bytes before the handshake were not a handshake (a message before the handshake,
    /// or another protocol).
    #[error("no BitTorrent handshake: {0}")]
    BadHandshake(WireError),
    /// The handshake names another torrent.
    #[error("handshake for info hash {got:02x?}, not ours")]
    InfoHashMismatch {
        /// The info hash it names.
        got: [u8; 20],
    },
    /// A malformed message: a length above the maximum or one that does not fit its id.
    #[error("malformed message: {0}")]
    Wire(WireError),
    /// A `bitfield`, `have_all` or `have_none` after other messages, or a second one.
    #[error("{message} after the first message")]
    LateBitfield {
        /// The message's name.
        message: &'static str,
    },
    /// A bitfield of the wrong length or with spare bits set.
    #[error("bad bitfield: {0}")]
    Bitfield(BitfieldError),
    /// A `have`, `suggest` or `allowed_fast` for a piece past the end.
    #[error("{message} for piece {piece}, the torrent has {count}")]
    PieceOutOfRange {
        /// The message's name.
        message: &'static str,
        /// The piece index.
        piece: u32,
        /// The torrent's piece count.
        count: u32,
    },
    /// A block we never asked for (or already received).
    #[error("piece message for a block never requested: {0:?}")]
    UnexpectedPiece(BlockRequest),
    /// A reject for a request we never made.
    #[error("reject for a block never requested: {0:?}")]
    UnexpectedReject(BlockRequest),
    /// A Fast-extension message (BEP 6) although Fast was not negotiated.
    #[error("{message} without the Fast extension negotiated")]
    FastNotNegotiated {
        /// The message's name.
        message: &'static str,
    },
    /// An extended handshake (BEP 10) that is not a valid dictionary.
    #[error("bad extended handshake: {0}")]
    BadExtendedHandshake(WireError),
    /// An `extended` message although the extension protocol was not negotiated.
    #[error("extended message without the extension protocol negotiated")]
    ExtensionNotNegotiated,
    /// No complete handshake within the handshake timeout.
    #[error("no handshake within the handshake timeout")]
    HandshakeTimeout,
    /// Nothing received within the idle timeout.
    #[error("nothing received within the idle timeout")]
    IdleTimeout,
    /// The peer made us queue more control messages than the send buffer's headroom while
    /// our output was not drained.
    #[error("send buffer overflow: the peer provokes more replies than we may queue")]
    SendBufferOverflow,
    /// The local side closed the session.
    #[error("closed locally")]
    Closed,
}

/// Why one of the peer's requests was refused (the `invalid_request` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// The block lies outside the piece, or the piece outside the torrent, or it is empty.
    #[error("block outside the torrent")]
    OutOfRange,
    /// Longer than the configured maximum request length.
    #[error("block longer than the maximum request length")]
    TooLong,
    /// We choke the peer and the piece is not allowed-fast.
    #[error("request while choked")]
    Choked,
    /// We do not have the piece.
    #[error("request for a piece we do not have")]
    DontHave,
    /// The incoming request queue is full.
    #[error("too many outstanding requests")]
    QueueFull,
}

/// Why [`PeerSession::request`](super::PeerSession::request) refused a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The session has ended.
    #[error("the session has ended")]
    Closed,
    /// The block lies outside the torrent or is empty.
    #[error("block outside the torrent")]
    OutOfRange,
    /// The peer does not have the piece.
    #[error("the peer does not have the piece")]
    PeerLacksPiece,
    /// The block is already requested from this peer.
    #[error("already requested")]
    AlreadyRequested,
    /// The request queue holds `max_queue_depth` blocks already.
    #[error("request queue full")]
    QueueFull,
}

/// Why [`PeerSession::serve`](super::PeerSession::serve) did not queue a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The peer has no such request pending (it cancelled, or we choked it since).
    #[error("no such request pending")]
    NotPending,
    /// The data's length differs from the request's.
    #[error("data of {got} bytes for a request of {expected}")]
    WrongLength {
        /// The data's length.
        got: usize,
        /// The request's length.
        expected: u32,
    },
    /// The send buffer is full: drain `poll_transmit` and try again.
    #[error("send buffer full")]
    SendBufferFull,
    /// The session has ended.
    #[error("the session has ended")]
    Closed,
}

/// Why [`PeerSession::new`](super::PeerSession::new) refused its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Our piece set ranges over another number of pieces than the torrent has.
    #[error("piece set of {pieces} pieces for a torrent of {torrent}")]
    PieceCount {
        /// The set's piece count.
        pieces: u32,
        /// The torrent's.
        torrent: u32,
    },
    /// `min_queue_depth` is zero or above `max_queue_depth`.
    #[error("min_queue_depth must be at least 1 and at most max_queue_depth")]
    QueueDepth,
}
