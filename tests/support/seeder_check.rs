//! The check shared by the seeder interop tests: hark connects over uTP, sends the
//! handshake for the seeder's torrent and must get the seeder's handshake and its "I have
//! every piece" message back.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

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

/// Connects to the seeder `info` over uTP through the hark facade and runs the exchange.
pub fn handshake_with_seeder(info: &PeerInfo) -> SeederReply {
    let ours = bittorrent::handshake(&info.info_hash, PEER_ID);
    let mut hark = UtpPeer::spawn(Box::new(move |cx, event| {
        if let UtpEvent::Connected(socket) = event {
            assert_eq!(
                cx.write(*socket, &ours),
                HANDSHAKE_LEN,
                "room for a handshake"
            );
        }
    }));
    let seeder = SocketAddr::from((Ipv4Addr::LOCALHOST, info.port));
    hark.reactor
        .remote()
        .connect(seeder)
        .expect("hark opens a uTP connection");
    let announces = |stream: &[u8]| {
        let Some(rest) = stream.get(HANDSHAKE_LEN..) else {
            return false;
        };
        bittorrent::messages(rest)
            .0
            .iter()
            .any(|(id, _)| matches!(*id, id::BITFIELD | id::HAVE_ALL))
    };
    let read = hark.read_until(ANSWER, |stream| {
        // A wrong protocol string ends the wait at once; the caller's checks say why.
        stream.len() >= 20 && stream.get(..20) != Some(&bittorrent::PROTOCOL[..])
            || announces(stream)
    });
    assert!(
        matches!(hark.log.first(), Some(UtpEvent::Connected(_))),
        "on_connect came first: {:?}",
        hark.log
    );
    let handshake = Handshake::parse(&read).unwrap_or_else(|| {
        panic!(
            "not a BitTorrent handshake: {:02x?}",
            &read[..read.len().min(68)]
        )
    });
    let (all, _) = bittorrent::messages(&read[HANDSHAKE_LEN..]);
    let end = all
        .iter()
        .position(|(id, _)| matches!(*id, id::BITFIELD | id::HAVE_ALL))
        .map_or(all.len(), |i| i + 1);
    SeederReply {
        handshake,
        messages: all[..end].to_vec(),
    }
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
