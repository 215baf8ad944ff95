//! hark's sans-IO BitTorrent peer session downloads a whole torrent from a real libtorrent
//! seeder over TCP on loopback (`tools/peers/libtorrent_tcp_seeder.py`, Debian's
//! python3-libtorrent): handshake with Fast and the extension protocol, libtorrent's
//! extended handshake and `reqq`, `have_all`, `allowed_fast`, interest, unchoke, and a
//! request pipeline whose depth follows the measured rate. The bytes must equal the
//! seeder's file.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use hark_proto::bt::peer::{Event, PeerSession, PieceSet, SessionConfig, TorrentShape};
use hark_suite::peer_process::PeerProcess;
use hark_wire::bt::peer::BlockRequest;

const SIZE: usize = 4 * 1024 * 1024 + 1000;
const BLOCK: u32 = 16 * 1024;

#[test]
fn hark_downloads_a_torrent_from_libtorrent_over_tcp() {
    let mut seeder = PeerProcess::start(
        "libtorrent_tcp_seeder.py",
        &["--size", &SIZE.to_string(), "--piece-length", "32768"],
    );
    let info = seeder.info.clone();
    let file = std::fs::read(seeder.dir().join("hark-interop.bin")).expect("the seeder's file");
    assert_eq!(file.len(), SIZE);
    let shape = TorrentShape::new(SIZE as u64, info.piece_length as u32).unwrap();
    assert_eq!(shape.piece_count() as usize, info.pieces);

    let start = Instant::now();
    let mut session = PeerSession::new(
        start,
        SessionConfig::new(*b"-HK0001-btpeertest00"),
        shape,
        info.info_hash,
        PieceSet::empty(shape.piece_count()),
    )
    .unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", info.port)).expect("connect to libtorrent");
    stream.set_nodelay(true).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();

    // Every block of the torrent, in order; timed-out or rejected ones go back in front.
    let mut wanted: VecDeque<BlockRequest> = (0..shape.piece_count())
        .flat_map(|index| {
            let len = shape.piece_len(index).unwrap();
            (0..len.div_ceil(BLOCK)).map(move |i| BlockRequest {
                index,
                begin: i * BLOCK,
                length: BLOCK.min(len - i * BLOCK),
            })
        })
        .collect();
    let total_blocks = wanted.len();
    let mut got = vec![0u8; SIZE];
    let mut received = 0;
    let mut seen = Vec::new();
    let mut deepest = 0;
    let mut out = vec![0u8; 64 * 1024];
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = start + Duration::from_secs(60);
    while received < total_blocks {
        let now = Instant::now();
        assert!(
            now < deadline,
            "only {received} of {total_blocks} blocks in 60 s: {seen:?}"
        );
        loop {
            let n = session.poll_transmit(now, &mut out);
            if n == 0 {
                break;
            }
            stream.write_all(&out[..n]).expect("write to libtorrent");
        }
        match stream.read(&mut buf) {
            Ok(0) => seeder.fail(&format!(
                "libtorrent closed the connection after {received} blocks; events: {seen:?}"
            )),
            Ok(n) => session.handle_bytes(Instant::now(), &buf[..n]),
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                session.handle_timeout(Instant::now())
            }
            Err(err) => {
                std::thread::sleep(Duration::from_millis(500));
                let lines = seeder.lines().to_vec();
                seeder.fail(&format!("read from libtorrent: {err}; {seen:?} {lines:?}"))
            }
        }
        let now = Instant::now();
        while let Some(event) = session.poll_event() {
            match event {
                Event::PeerPieces => session.set_interested(now, true),
                Event::Block { request, data } => {
                    let at = request.index as usize * info.piece_length + request.begin as usize;
                    got[at..at + data.len()].copy_from_slice(&data);
                    received += 1;
                }
                Event::Rejected(request) | Event::RequestTimedOut(request) => {
                    wanted.push_front(request)
                }
                Event::Closed(error) => seeder.fail(&format!("session ended: {error}")),
                other => seen.push(other),
            }
        }
        deepest = deepest.max(session.queue_depth(now));
        while session.wanted_requests(now) > 0 {
            let Some(next) = wanted.pop_front() else {
                break;
            };
            session
                .request(now, next)
                .expect("libtorrent has every piece");
        }
    }
    assert!(
        got == file,
        "the downloaded bytes differ from the seeder's file"
    );

    // What libtorrent said on the way.
    let peer_id = session.peer_id().expect("libtorrent's peer id");
    assert_eq!(
        &peer_id[..3],
        b"-LT",
        "{:?}",
        String::from_utf8_lossy(&peer_id)
    );
    assert!(session.negotiated().fast() && session.negotiated().extension_protocol());
    let extended = session
        .peer_extensions()
        .expect("libtorrent's extended handshake");
    assert!(
        extended
            .v
            .as_deref()
            .is_some_and(|v| v.starts_with("libtorrent/"))
    );
    assert!(extended.reqq.is_some());
    assert!(seen.contains(&Event::Unchoked), "{seen:?}");
    assert!(
        seen.iter().any(|e| matches!(e, Event::AllowedFast(_))),
        "libtorrent allows a few pieces fast: {seen:?}"
    );
    // The queue depth followed the rate: above the minimum of 2 at loopback speed.
    assert!(deepest > 2, "queue depth never grew: {deepest}");
}
