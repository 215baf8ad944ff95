//! The checks shared by the seeder interop tests: hark connects over uTP, sends the
//! handshake for the seeder's torrent and must get the seeder's handshake and its "I have
//! every piece" message back; then it downloads the whole torrent over the same uTP
//! connection and compares it with the seeder's file.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hark::utp::UtpSocket;

use hark_wire::bt::peer::{BlockRequest, MessageRepr};

use crate::bittorrent::{self, HANDSHAKE_LEN, Handshake, id};
use crate::peer_process::PeerInfo;
use crate::utp_peer::{UtpEvent, UtpPeer};

/// hark's peer id in the interop tests.
pub const PEER_ID: &[u8; 20] = b"-HK0001-interoptests";

/// How long a real peer gets to answer on a loaded machine.
pub const ANSWER: Duration = Duration::from_secs(30);

/// What the seeder sent: its handshake and the messages up to its piece announcement.
#[derive(Debug)]
pub struct SeederReply {
    /// The seeder's handshake.
    pub handshake: Handshake,
    /// The messages after it, up to and including the bitfield or have_all.
    pub messages: Vec<(u8, Vec<u8>)>,
}

/// A uTP connection from hark to a seeder, past the handshake exchange.
pub struct SeederSession {
    /// The hark endpoint.
    pub hark: UtpPeer,
    /// hark's socket of the connection.
    pub socket: UtpSocket,
    /// What the seeder answered to the handshake.
    pub reply: SeederReply,
}

/// Connects to the seeder `info` over uTP through the hark facade and runs the exchange.
pub fn handshake_with_seeder(info: &PeerInfo) -> SeederSession {
    let ours = bittorrent::handshake(&info.info_hash, PEER_ID);
    let mut hark = UtpPeer::spawn(Box::new(move |cx, event| {
        if let UtpEvent::Connected(socket) = event {
            // 68 bytes always fit a fresh send buffer; a short write shows as a timeout.
            let _ = cx.write(*socket, &ours);
        }
    }));
    let seeder = SocketAddr::from((Ipv4Addr::LOCALHOST, info.port));
    let socket = hark
        .reactor
        .remote()
        .connect(seeder)
        .expect("hark opens a uTP connection");
    let read = hark.read_until(ANSWER, |stream| {
        // A wrong protocol string ends the wait at once; the checks below say why.
        bittorrent::not_a_handshake(stream) || announcement(stream).is_some()
    });
    let handshake = bittorrent::parse_handshake(read).unwrap_or_else(|| {
        panic!(
            "not a BitTorrent handshake: {:02x?}",
            &read[..read.len().min(HANDSHAKE_LEN)]
        )
    });
    let end = announcement(read).unwrap_or(0);
    let (messages, _) = bittorrent::messages(&read[HANDSHAKE_LEN..HANDSHAKE_LEN + end]);
    assert!(
        matches!(hark.log.first(), Some(UtpEvent::Connected(s)) if *s == socket),
        "on_connect came first: {:?}",
        hark.log
    );
    SeederSession {
        hark,
        socket,
        reply: SeederReply {
            handshake,
            messages,
        },
    }
}

/// Where the first bitfield or have_all ends, counted from the end of the handshake.
fn announcement(stream: &[u8]) -> Option<usize> {
    let rest = stream.get(HANDSHAKE_LEN..)?;
    let mut at = 0;
    for (id, payload) in bittorrent::messages(rest).0 {
        at += 5 + payload.len();
        if matches!(id, id::BITFIELD | id::HAVE_ALL) {
            return Some(at);
        }
    }
    None
}

/// Asserts the reply of a seeder of `info`'s torrent to a handshake without extensions.
pub fn assert_seeder_reply(info: &PeerInfo, reply: &SeederReply) {
    assert_eq!(
        reply.handshake.info_hash, info.info_hash,
        "info-hash echoed"
    );
    assert_ne!(
        &reply.handshake.peer_id, PEER_ID,
        "the seeder has its own peer id"
    );
    let (last_id, payload) = reply.messages.last().expect("at least one message");
    match *last_id {
        id::BITFIELD => assert_eq!(
            payload,
            &bittorrent::full_bits(info.pieces),
            "a seeder's bitfield has every piece set and the spare bits clear"
        ),
        // have_all needs the fast extension on both sides, and hark offered none.
        id::HAVE_ALL => panic!("have_all although hark offered no fast extension: {reply:?}"),
        other => panic!("unexpected message {other}: {reply:?}"),
    }
}

impl SeederSession {
    /// Says interested, waits to be unchoked, requests every piece of a `size`-byte
    /// torrent (one request per piece, all pipelined) and returns the pieces in order.
    pub fn download(&mut self, info: &PeerInfo, size: usize, timeout: Duration) -> Vec<u8> {
        let remote = self.hark.reactor.remote();
        remote
            .write(self.socket, &bittorrent::encode(&MessageRepr::Interested))
            .expect("write interested");
        let start = HANDSHAKE_LEN;
        self.hark.read_until(timeout, |stream| {
            let (messages, _) = bittorrent::messages(stream.get(start..).unwrap_or_default());
            messages.iter().any(|(id, _)| *id == id::UNCHOKE)
        });
        let mut requests = Vec::new();
        for index in 0..info.pieces {
            let length = info.piece_length.min(size - index * info.piece_length);
            requests.extend_from_slice(&bittorrent::encode(&MessageRepr::Request(BlockRequest {
                index: index as u32,
                begin: 0,
                length: length as u32,
            })));
        }
        remote
            .write(self.socket, &requests)
            .expect("write requests");
        let pieces = info.pieces;
        let read = self.hark.read_until(timeout, |stream| {
            let (messages, _) = bittorrent::messages(stream.get(start..).unwrap_or_default());
            messages.iter().filter(|(id, _)| *id == id::PIECE).count() >= pieces
        });
        let (messages, _) = bittorrent::messages(&read[start..]);
        let mut data = vec![0u8; size];
        let mut filled = vec![false; pieces];
        for (id, payload) in messages {
            assert_ne!(id, id::CHOKE, "the seeder choked hark mid-download");
            if id != id::PIECE {
                continue;
            }
            assert!(
                payload.len() >= 8,
                "a piece message of {} bytes",
                payload.len()
            );
            let word =
                |at: usize| u32::from_be_bytes([0, 1, 2, 3].map(|i| payload[at + i])) as usize;
            let (index, begin, block) = (word(0), word(4), &payload[8..]);
            assert!(index < pieces, "piece {index} of {pieces}");
            assert_eq!(begin, 0, "hark asked for whole pieces");
            let at = index * info.piece_length;
            let slot = data
                .get_mut(at..at + block.len())
                .unwrap_or_else(|| panic!("piece {index} has {} bytes", block.len()));
            slot.copy_from_slice(block);
            assert!(!filled[index], "piece {index} came twice");
            filled[index] = true;
        }
        data
    }
}
