//! The BitTorrent peer session over a byte stream (BEP 3, Fast BEP 6, the extension
//! protocol's messages BEP 10), sans-IO.
//!
//! [`PeerSession`] speaks the peer wire with one peer: the handshake (info hash check,
//! peer id, reserved bits both sides set), choke and interest both ways, our requests
//! pipelined to a depth that follows the measured rate, request timeouts (the blocks come
//! back to the owner and the peer counts as snubbing us), cancels, the Fast extension's rules
//! (rejects instead of silent drops, allowed-fast pieces, have-all / have-none), keep-alives
//! and idle timeouts. Hostile input ends the peer with a typed [`PeerError`] in
//! [`Event::Closed`]; a bad request instead gets [`Event::InvalidRequest`] and, under Fast, a
//! reject. Time comes in with every call; disk reads are the owner's (it answers
//! [`Event::BlockRequested`] with [`PeerSession::serve`]).
//!
//! The methods are hark-reactor's stream-core contract, name for name and signature for
//! signature: `handle_bytes(now, &[u8])`, `poll_transmit(now, &mut [u8]) -> usize`,
//! `poll_event()`, `poll_timeout()`, `handle_timeout(now)`; `is_closed()` is its
//! `wants_close()`.
//!
//! ```
//! use std::time::Instant;
//! use hark_proto::bt::peer::{Event, PeerSession, PieceSet, SessionConfig, TorrentShape};
//! use hark_wire::bt::peer::{HandshakeRepr, MessageRepr, Reserved};
//!
//! let now = Instant::now();
//! let shape = TorrentShape::new(40_000, 16_384).unwrap(); // three pieces
//! let info_hash = [0x11; 20];
//! let mut session = PeerSession::new(
//!     now,
//!     SessionConfig::new(*b"-HK0001-000000000000"),
//!     shape,
//!     info_hash,
//!     PieceSet::full(3),
//! )
//! .unwrap();
//! let mut wire = [0u8; 256];
//! let n = session.poll_transmit(now, &mut wire);
//! assert_eq!(n, 68); // our handshake
//!
//! // The peer's handshake (Fast on) and an `interested`.
//! let theirs = HandshakeRepr {
//!     reserved: Reserved::NONE.with_fast(true),
//!     info_hash,
//!     peer_id: *b"-LT2080-abcdefghijkl",
//! };
//! let mut input = theirs.to_bytes().to_vec();
//! input.extend_from_slice(&[0, 0, 0, 1, 2]);
//! session.handle_bytes(now, &input);
//! assert_eq!(session.poll_event(), Some(Event::PeerId(theirs.peer_id)));
//! assert!(matches!(session.poll_event(), Some(Event::HandshakeComplete { .. })));
//! assert_eq!(session.poll_event(), Some(Event::Interested));
//!
//! // We have everything, Fast is on: our first message is have_all.
//! let n = session.poll_transmit(now, &mut wire);
//! let mut have_all = [0u8; 5];
//! MessageRepr::HaveAll.emit(&mut have_all).unwrap();
//! assert_eq!(&wire[..n], &have_all);
//! ```

mod config;
mod error;
mod event;
mod fast;
mod pieces;
mod rate;
mod session;
#[cfg(test)]
mod tests;

pub use config::{BLOCK_LEN, SessionConfig};
pub use error::{ConfigError, InvalidRequest, PeerError, RequestError, ServeError};
pub use event::Event;
pub use fast::allowed_fast_set;
pub use pieces::{BitfieldError, PieceSet, ShapeError, TorrentShape};
pub use session::PeerSession;
pub(crate) use session::copy_into;
