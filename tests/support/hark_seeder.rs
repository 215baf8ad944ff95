//! hark as the seeder of a real peer that connects to hark's uTP listener and downloads a
//! torrent from it: take the peer's handshake, answer with hark's handshake and a full
//! bitfield, unchoke on `interested` and serve every `request` from the file's bytes.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use hark::utp::UtpSocket;

use hark_wire::bt::peer::MessageRepr;

use crate::bittorrent::{self, HANDSHAKE_LEN, Handshake, id};
use crate::peer_process::PeerInfo;
use crate::seeder_check::PEER_ID;
use crate::utp_peer::{UtpEvent, UtpPeer};

/// A peer that connected to hark's listener and sent its handshake.
#[derive(Debug, Clone)]
pub struct Leecher {
    /// hark's socket of the accepted connection.
    pub socket: UtpSocket,
    /// Where the peer's uTP packets come from.
    pub from: SocketAddr,
    /// The peer's handshake.
    pub handshake: Handshake,
}

/// What [`serve`] sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    /// `request` messages answered, repeats included.
    pub requests: usize,
    /// Distinct blocks sent.
    pub blocks: usize,
}

/// Waits up to `timeout` for a peer to connect to `hark` and send its 68-byte handshake;
/// panics if on_accept did not come first or the bytes are not a handshake.
pub fn accept_leecher(hark: &mut UtpPeer, timeout: Duration) -> Leecher {
    let read = hark
        .read_until(timeout, |stream| stream.len() >= HANDSHAKE_LEN)
        .to_vec();
    let (socket, from) = match hark.log.first() {
        Some(UtpEvent::Accepted(socket, from)) => (*socket, *from),
        other => panic!(
            "on_accept came first, not {other:?}; events: {:?}",
            hark.log
        ),
    };
    let handshake = bittorrent::parse_handshake(&read).unwrap_or_else(|| {
        panic!(
            "not a BitTorrent handshake: {:02x?}",
            &read[..HANDSHAKE_LEN]
        )
    });
    Leecher {
        socket,
        from,
        handshake,
    }
}

/// Answers as a seeder of `info`'s torrent: hark's handshake (no extensions), then, once
/// the peer acknowledged it (within `timeout`), a bitfield with every piece.
///
/// The pause matters to transmission 3.00: bytes that arrive in the same read as the end
/// of the handshake wait in its buffer until more bytes come, so a bitfield sent together
/// with the handshake leaves it uninterested. libutp hands data to the application before
/// it acknowledges it, so after the acknowledgement the bitfield is a read of its own.
pub fn answer_as_seeder(hark: &UtpPeer, socket: UtpSocket, info: &PeerInfo, timeout: Duration) {
    let remote = hark.reactor.remote();
    remote
        .write(socket, &bittorrent::handshake(&info.info_hash, PEER_ID))
        .expect("hark writes its handshake");
    let deadline = Instant::now() + timeout;
    loop {
        let progress = remote
            .with_context(move |context| {
                let sent = context.stats(socket)?.bytes_sent;
                Some((sent, context.info(socket)?.bytes_in_flight))
            })
            .expect("the reactor runs");
        match progress {
            Some((sent, 0)) if sent >= HANDSHAKE_LEN as u64 => break,
            Some(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(1)),
            Some((sent, in_flight)) => panic!(
                "the peer did not acknowledge hark's handshake in {timeout:?}: \
                 {sent} bytes sent, {in_flight} in flight"
            ),
            None => panic!("the connection is gone before hark's handshake was acknowledged"),
        }
    }
    remote
        .write(socket, &bittorrent::full_bitfield(info.pieces))
        .expect("hark writes its bitfield");
}

/// Answers `interested` with `unchoke` and each `request` with its `piece`, until every
/// byte of `file` was sent at least once; each wait for the peer's next message may last
/// `timeout`. The peer's messages are read from the byte after its handshake.
pub fn serve(
    hark: &mut UtpPeer,
    socket: UtpSocket,
    info: &PeerInfo,
    file: &[u8],
    timeout: Duration,
) -> Served {
    let remote = hark.reactor.remote();
    let mut consumed = HANDSHAKE_LEN;
    let mut blocks = HashSet::new();
    let mut requests = 0;
    let mut served_bytes = 0;
    let mut unchoked = false;
    while served_bytes < file.len() {
        let at = consumed;
        let read = hark.read_until(timeout, |stream| {
            bittorrent::messages(stream.get(at..).unwrap_or_default()).1 > 0
        });
        let (messages, used) = bittorrent::messages(&read[at..]);
        consumed += used;
        let mut out = Vec::new();
        for (id, payload) in messages {
            match id {
                id::INTERESTED if !unchoked => {
                    out.extend_from_slice(&bittorrent::encode(&MessageRepr::Unchoke));
                    unchoked = true;
                }
                id::REQUEST => {
                    assert_eq!(payload.len(), 12, "a request has three numbers");
                    let word = |i: usize| {
                        u32::from_be_bytes([0, 1, 2, 3].map(|k| payload[i + k])) as usize
                    };
                    let (index, begin, length) = (word(0), word(4), word(8));
                    let start = index * info.piece_length + begin;
                    let block = file
                        .get(start..start + length)
                        .unwrap_or_else(|| panic!("request beyond the torrent: {payload:?}"));
                    out.extend_from_slice(&bittorrent::encode(&MessageRepr::Piece {
                        index: index as u32,
                        begin: begin as u32,
                        data: block,
                    }));
                    requests += 1;
                    if blocks.insert((index, begin)) {
                        served_bytes += length;
                    }
                }
                _ => {}
            }
        }
        if !out.is_empty() {
            remote.write(socket, &out).expect("hark writes pieces");
        }
    }
    Served {
        requests,
        blocks: blocks.len(),
    }
}
