//! What a peer session reports.

use hark_wire::bt::peer::{BlockRequest, ExtendedHandshake, Reserved};

use super::{InvalidRequest, PeerError};

/// Something the session tells its owner. Drained with
/// [`PeerSession::poll_event`](super::PeerSession::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The peer's handshake arrived and names our torrent (the seed's `peer_id` event).
    PeerId([u8; 20]),
    /// Both handshakes are exchanged (`peer_handshake_complete`); `reserved` holds the bits
    /// both sides set, which are the extensions this connection uses.
    HandshakeComplete {
        /// The bits both sides set.
        reserved: Reserved,
    },
    /// The peer said which pieces it has (`bitfield`, `have_all` or `have_none`); read
    /// them with [`PeerSession::peer_pieces`](super::PeerSession::peer_pieces).
    PeerPieces,
    /// The peer has verified another piece.
    Have(u32),
    /// The peer chokes us. Without Fast, the requests it had not served were re-queued and
    /// go out again once it unchokes us.
    Choked,
    /// The peer unchokes us.
    Unchoked,
    /// The peer is interested in our pieces.
    Interested,
    /// The peer is no longer interested.
    NotInterested,
    /// The peer asks for a block: answer with
    /// [`PeerSession::serve`](super::PeerSession::serve) (or let a choke refuse it).
    BlockRequested(BlockRequest),
    /// The peer cancelled a request we had not served yet.
    RequestCancelled(BlockRequest),
    /// One of the peer's requests was refused (`invalid_request`); under Fast a reject
    /// was sent.
    InvalidRequest {
        /// The request.
        request: BlockRequest,
        /// Why.
        reason: InvalidRequest,
    },
    /// A block we requested arrived.
    Block {
        /// Which block.
        request: BlockRequest,
        /// Its bytes.
        data: Vec<u8>,
    },
    /// The peer refused one of our requests (BEP 6); the block is ours to request again.
    Rejected(BlockRequest),
    /// A request of ours got no answer within the request timeout; a cancel was sent and
    /// the block is ours to request again, here or elsewhere.
    RequestTimedOut(BlockRequest),
    /// The peer snubs us: a request timed out. The queue depth drops to one.
    Snubbed,
    /// A block arrived from a peer that snubbed us.
    Unsnubbed,
    /// We may request this piece while choked (BEP 6).
    AllowedFast(u32),
    /// The peer suggests this piece (BEP 6).
    Suggest(u32),
    /// The peer's DHT port (BEP 5).
    Port(u16),
    /// The peer's extended handshake (BEP 10). Its `reqq` now caps our queue depth.
    ExtendedHandshake(ExtendedHandshake),
    /// An extension-protocol message (BEP 10) other than the handshake: `id` is one we
    /// assigned in our `m`.
    Extended {
        /// The extended id.
        id: u8,
        /// Its payload.
        payload: Vec<u8>,
    },
    /// The session ended (`peer_error` for the peer's faults, `peer_disconnect` always).
    /// It is the last event.
    Closed(PeerError),
}
