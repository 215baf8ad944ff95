//! hark-tokio's `UtpStream` against libtorrent 2.0's own uTP (Debian's python3-libtorrent,
//! uTP only), both directions: hark-tokio downloads a 4 MiB torrent from a libtorrent
//! seeder, and libtorrent downloads one from hark-tokio; both compared byte for byte.

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use hark_suite::bittorrent::{self, HANDSHAKE_LEN, Handshake, id};
use hark_suite::peer_process::{PeerInfo, PeerProcess, start_connecting_leecher};
use hark_suite::seeder_check::{ANSWER, PEER_ID};
use hark_tokio::{UtpSocket, UtpStream};
use hark_wire::bt::peer::{BlockRequest, MessageRepr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SCRIPT: &str = "libtorrent_peer.py";
const SIZE: &str = "4194304";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The next message after the handshake (keep-alives skipped), within `ANSWER`.
async fn next_message(stream: &mut UtpStream) -> (u8, Vec<u8>) {
    tokio::time::timeout(ANSWER, async {
        loop {
            let len = stream.read_u32().await.expect("a message length") as usize;
            if len == 0 {
                continue;
            }
            let mut body = vec![0u8; len];
            stream.read_exact(&mut body).await.expect("a message body");
            let id = body.remove(0);
            return (id, body);
        }
    })
    .await
    .expect("the peer's next message in time")
}

async fn read_handshake(stream: &mut UtpStream) -> Handshake {
    let mut raw = [0u8; HANDSHAKE_LEN];
    tokio::time::timeout(ANSWER, stream.read_exact(&mut raw))
        .await
        .expect("a handshake in time")
        .expect("a handshake");
    bittorrent::parse_handshake(&raw)
        .unwrap_or_else(|| panic!("not a BitTorrent handshake: {raw:02x?}"))
}

fn word(payload: &[u8], at: usize) -> usize {
    u32::from_be_bytes([0, 1, 2, 3].map(|i| payload[at + i])) as usize
}

#[test]
fn hark_tokio_downloads_the_torrent_from_a_libtorrent_seeder() {
    let mut seeder = PeerProcess::start(SCRIPT, &["seed", "--size", SIZE]);
    seeder.wait_line(ANSWER, |line| {
        line.contains("listen_succeeded") && line.contains("[uTP]")
    });
    seeder.wait_line(ANSWER, |line| line.contains("state changed to: seeding"));
    let info = seeder.info.clone();
    let file = std::fs::read(seeder.dir().join("hark-interop.bin")).expect("the seeded file");
    let data = runtime().block_on(download(&info, file.len()));
    assert!(data == file, "the pieces differ from the seeded file");
}

async fn download(info: &PeerInfo, size: usize) -> Vec<u8> {
    let socket = UtpSocket::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let seeder = SocketAddr::from((Ipv4Addr::LOCALHOST, info.port));
    let mut stream = tokio::time::timeout(ANSWER, socket.connect(seeder))
        .await
        .expect("connected in time")
        .expect("hark-tokio connects to libtorrent");
    // The initiator speaks first (libutp cannot write before it has received data).
    stream
        .write_all(&bittorrent::handshake(&info.info_hash, PEER_ID))
        .await
        .unwrap();
    let theirs = read_handshake(&mut stream).await;
    assert_eq!(theirs.info_hash, info.info_hash, "info-hash echoed");
    loop {
        let (id, payload) = next_message(&mut stream).await;
        match id {
            id::BITFIELD => {
                assert_eq!(
                    payload,
                    bittorrent::full_bits(info.pieces),
                    "a full bitfield"
                );
                break;
            }
            id::HAVE_ALL => panic!("have_all although hark offered no fast extension"),
            _ => {}
        }
    }
    stream
        .write_all(&bittorrent::encode(&MessageRepr::Interested))
        .await
        .unwrap();
    while next_message(&mut stream).await.0 != id::UNCHOKE {}
    let mut requests = Vec::new();
    for index in 0..info.pieces {
        let length = info.piece_length.min(size - index * info.piece_length);
        requests.extend_from_slice(&bittorrent::encode(&MessageRepr::Request(BlockRequest {
            index: index as u32,
            begin: 0,
            length: length as u32,
        })));
    }
    // Written from its own task: libtorrent answers while we still write.
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        writer.write_all(&requests).await.unwrap();
        writer
    });
    let mut data = vec![0u8; size];
    let mut filled = vec![false; info.pieces];
    let mut left = info.pieces;
    while left > 0 {
        let len = tokio::time::timeout(ANSWER, reader.read_u32())
            .await
            .expect("pieces keep coming")
            .unwrap() as usize;
        if len == 0 {
            continue;
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).await.unwrap();
        assert_ne!(
            body[0],
            id::CHOKE,
            "the seeder choked hark-tokio mid-download"
        );
        if body[0] != id::PIECE {
            continue;
        }
        let payload = &body[1..];
        let (index, begin, block) = (word(payload, 0), word(payload, 4), &payload[8..]);
        assert!(
            index < info.pieces && begin == 0,
            "piece {index} at {begin}"
        );
        let at = index * info.piece_length;
        data[at..at + block.len()].copy_from_slice(block);
        assert!(!filled[index], "piece {index} came twice");
        filled[index] = true;
        left -= 1;
    }
    drop(writing.await.unwrap());
    data
}

#[test]
fn libtorrent_downloads_the_torrent_from_a_hark_tokio_seeder() {
    let runtime = runtime();
    let socket = runtime
        .block_on(UtpSocket::bind("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let listener = socket.local_addr().to_string();
    let (mut connector, file) = start_connecting_leecher(SCRIPT, &listener, SIZE);
    let info = connector.info.clone();

    let served = runtime.spawn(seed(socket, info.clone(), file));
    connector.wait_line(ANSWER, |line| {
        line.contains("\"peer_connect\"") && line.contains("(uTP)")
    });
    connector.wait_line(ANSWER * 2, |line| line.contains("\"torrent_finished\""));
    let blocks = runtime
        .block_on(async { tokio::time::timeout(ANSWER, served).await })
        .expect("hark-tokio served every block")
        .unwrap();
    assert_eq!(
        blocks,
        info.pieces.max(1) * info.piece_length.div_ceil(16384)
    );
    let failures = connector.failures_before_finishing();
    assert!(failures.is_empty(), "libtorrent reported {failures:?}");
}

/// Accepts libtorrent, answers as a seeder and serves blocks until every one was sent;
/// returns the number of distinct blocks served.
async fn seed(socket: UtpSocket, info: PeerInfo, file: Vec<u8>) -> usize {
    let (mut stream, from) = tokio::time::timeout(ANSWER, socket.accept())
        .await
        .expect("libtorrent connects in time")
        .unwrap();
    assert_eq!(
        from.port(),
        info.port,
        "libtorrent connects from its uTP port"
    );
    let theirs = read_handshake(&mut stream).await;
    assert_eq!(
        theirs.info_hash, info.info_hash,
        "libtorrent asks for its torrent"
    );
    stream
        .write_all(&bittorrent::handshake(&info.info_hash, PEER_ID))
        .await
        .unwrap();
    // The bitfield goes once the handshake is acknowledged, as a read of its own (see
    // hark_seeder::answer_as_seeder).
    let deadline = Instant::now() + ANSWER;
    while stream.stats().bytes_sent < HANDSHAKE_LEN as u64
        || stream.info().is_some_and(|i| i.bytes_in_flight > 0)
    {
        assert!(
            Instant::now() < deadline,
            "the handshake was not acknowledged"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    stream
        .write_all(&bittorrent::full_bitfield(info.pieces))
        .await
        .unwrap();
    let mut blocks = HashSet::new();
    let mut served = 0;
    let mut unchoked = false;
    while served < file.len() {
        let (id, payload) = next_message(&mut stream).await;
        match id {
            id::INTERESTED if !unchoked => {
                stream
                    .write_all(&bittorrent::encode(&MessageRepr::Unchoke))
                    .await
                    .unwrap();
                unchoked = true;
            }
            id::REQUEST => {
                assert_eq!(payload.len(), 12, "a request has three numbers");
                let (index, begin, length) =
                    (word(&payload, 0), word(&payload, 4), word(&payload, 8));
                let start = index * info.piece_length + begin;
                let block = file
                    .get(start..start + length)
                    .unwrap_or_else(|| panic!("request beyond the torrent: {payload:?}"));
                let piece = MessageRepr::Piece {
                    index: index as u32,
                    begin: begin as u32,
                    data: block,
                };
                stream.write_all(&bittorrent::encode(&piece)).await.unwrap();
                if blocks.insert((index, begin)) {
                    served += length;
                }
            }
            _ => {}
        }
    }
    // Keep answering until libtorrent is done with us.
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(ANSWER, stream.read_to_end(&mut rest)).await;
    blocks.len()
}
