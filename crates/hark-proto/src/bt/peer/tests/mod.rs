//! Packet-level tests in the smoltcp style: the session is fed one message and must send
//! exactly the listed messages and report exactly the listed events.

mod download;
mod fast;
mod handshake;
mod hostile;
mod pair;
mod timers;
mod upload;

use super::*;
use hark_wire::bt::peer::{
    BlockRequest, Decoded, Decoder, ExtendedHandshake, Frame, HandshakeRepr, MessageRepr, Reserved,
};
use std::time::{Duration, Instant};

const INFO_HASH: [u8; 20] = [0x11; 20];
const US: [u8; 20] = *b"-HK0001-000000000000";
const THEM: [u8; 20] = *b"-LT2080-abcdefghijkl";
/// Two blocks a piece.
const PIECE_LEN: u32 = 2 * BLOCK_LEN;
/// Four whole pieces and a 1000-byte fifth.
const TOTAL: u64 = 4 * PIECE_LEN as u64 + 1000;
const PIECES: u32 = 5;

fn block(index: u32, begin: u32) -> BlockRequest {
    BlockRequest {
        index,
        begin,
        length: if index == PIECES - 1 { 1000 } else { BLOCK_LEN },
    }
}

fn fast() -> Reserved {
    Reserved::NONE.with_fast(true)
}

fn config(reserved: Reserved) -> SessionConfig {
    SessionConfig {
        reserved,
        ..SessionConfig::new(US)
    }
}

fn bytes_of(msgs: &[MessageRepr<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for msg in msgs {
        let mut buf = vec![0; msg.buffer_len()];
        msg.emit(&mut buf).unwrap();
        out.extend_from_slice(&buf);
    }
    out
}

/// Each message of a stream (after the handshake) as its Debug text.
fn describe(stream: &[u8]) -> Vec<String> {
    let mut decoder = Decoder::after_handshake(u32::MAX);
    let mut out = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        match decoder.decode(&stream[at..]) {
            Ok(Decoded::Complete { value, consumed }) => {
                out.push(match value {
                    Frame::Message(m) => format!("{m:?}"),
                    Frame::Handshake(h) => format!("{h:?}"),
                });
                at += consumed;
            }
            other => {
                out.push(format!("undecodable tail {other:?}"));
                break;
            }
        }
    }
    out
}

/// A session and the virtual clock driving it.
struct Peer {
    s: PeerSession,
    now: Instant,
}

impl Peer {
    /// A fresh session; its handshake is drained and checked.
    fn fresh(config: SessionConfig, ours: PieceSet) -> Self {
        let now = Instant::now();
        let shape = TorrentShape::new(TOTAL, PIECE_LEN).unwrap();
        let reserved = config.reserved;
        let s = PeerSession::new(now, config, shape, INFO_HASH, ours).unwrap();
        let mut peer = Self { s, now };
        let hello = HandshakeRepr {
            reserved,
            info_hash: INFO_HASH,
            peer_id: US,
        };
        assert_eq!(peer.sent(), hello.to_bytes());
        peer
    }

    /// A session whose handshake is done (both sides with `reserved`), the peer's pieces
    /// message received, and every output and event so far drained.
    fn open(reserved: Reserved, ours: PieceSet, theirs: &[MessageRepr<'_>]) -> Self {
        let mut peer = Self::fresh(config(reserved), ours);
        peer.handshake(reserved);
        peer.sent();
        peer.recv(theirs);
        peer.events();
        peer
    }

    fn handshake(&mut self, reserved: Reserved) {
        let theirs = HandshakeRepr {
            reserved,
            info_hash: INFO_HASH,
            peer_id: THEM,
        };
        self.s.handle_bytes(self.now, &theirs.to_bytes());
    }

    fn recv(&mut self, msgs: &[MessageRepr<'_>]) {
        self.s.handle_bytes(self.now, &bytes_of(msgs));
    }

    fn sent(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 1000];
        loop {
            let n = self.s.poll_transmit(self.now, &mut buf);
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    /// The session sent exactly `msgs`, byte for byte.
    #[track_caller]
    fn expect_sent(&mut self, msgs: &[MessageRepr<'_>]) {
        let got = self.sent();
        let want = bytes_of(msgs);
        assert_eq!(describe(&got), describe(&want));
        assert_eq!(got, want);
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.s.poll_event()).collect()
    }

    #[track_caller]
    fn expect_events(&mut self, want: &[Event]) {
        assert_eq!(self.events(), want);
    }

    /// The session ended with `error` as its only remaining event, and sends nothing.
    #[track_caller]
    fn expect_closed(&mut self, error: PeerError) {
        self.expect_sent(&[]);
        self.expect_events(&[Event::Closed(error)]);
        assert!(self.s.is_closed());
        assert_eq!(self.s.poll_timeout(), None);
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.s.handle_timeout(self.now);
    }
}
