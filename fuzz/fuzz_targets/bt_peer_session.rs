//! A BitTorrent peer session driven by hostile bytes: after a valid handshake (or, when the
//! input says so, none), the input is fed in chunks it sizes, interleaved with timer jumps
//! and owner commands it picks. The session must never panic, keep its queues within their
//! bounds, and report `Closed` at most once, as its last event.
#![no_main]

use hark_proto::bt::peer::{Event, PeerSession, PieceSet, SessionConfig, TorrentShape};
use hark_wire::bt::peer::{BlockRequest, HandshakeRepr, Reserved};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

const INFO_HASH: [u8; 20] = [0x11; 20];

fuzz_target!(|data: &[u8]| {
    let Some((&control, mut rest)) = data.split_first() else {
        return;
    };
    let reserved = Reserved::NONE
        .with_fast(control & 1 != 0)
        .with_extension_protocol(control & 2 != 0);
    let config = SessionConfig {
        reserved,
        max_incoming_requests: 8,
        max_queue_depth: 8,
        max_send_buffer: 4096,
        // Bit 2: the peer's address is known, so our BEP 6 allowed-fast set goes out.
        peer_ip: (control & 4 != 0).then_some(std::net::IpAddr::from([10, 0, 0, 7])),
        ..SessionConfig::new([b'h'; 20])
    };
    // Five pieces of 32 KiB and a short sixth; we have the even ones.
    let shape = TorrentShape::new(5 * 32768 + 1000, 32768).unwrap();
    let mut ours = PieceSet::empty(shape.piece_count());
    for piece in (0..shape.piece_count()).step_by(2) {
        ours.insert(piece);
    }
    let mut now = Instant::now();
    let mut session = PeerSession::new(now, config, shape, INFO_HASH, ours).unwrap();
    if control & 4 == 0 {
        let hello = HandshakeRepr {
            reserved: Reserved::NONE.with_fast(true).with_extension_protocol(true),
            info_hash: INFO_HASH,
            peer_id: [b'p'; 20],
        };
        session.handle_bytes(now, &hello.to_bytes());
    }
    let mut out = [0u8; 512];
    let mut closed = false;
    let mut requested: Vec<BlockRequest> = Vec::new();
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 8 {
            0 => {
                now += Duration::from_secs(u64::from(op >> 3));
                session.handle_timeout(now);
            }
            1 => session.unchoke(now),
            2 => session.choke(now),
            3 => {
                let index = u32::from(op >> 3) % 7;
                let _ = session.request(
                    now,
                    BlockRequest {
                        index,
                        begin: 0,
                        length: 1000,
                    },
                );
            }
            4 => {
                if let Some(request) = requested.pop() {
                    let block = vec![0u8; request.length.min(70_000) as usize];
                    let _ = session.serve(now, request, &block);
                }
            }
            5 => {
                let _ = session.poll_transmit(now, &mut out);
            }
            _ => {
                let len = usize::from(op >> 3).min(rest.len());
                let (chunk, tail) = rest.split_at(len);
                rest = tail;
                session.handle_bytes(now, chunk);
            }
        }
        while let Some(event) = session.poll_event() {
            assert!(!closed, "an event after Closed: {event:?}");
            match event {
                Event::Closed(_) => closed = true,
                Event::BlockRequested(request) => requested.push(request),
                _ => {}
            }
        }
        assert!(session.incoming_requests().count() <= 8);
        assert!(session.pending_requests().count() + session.outstanding_requests().count() <= 8);
        assert!(session.send_buffer_len() <= 4096 + 64 * 1024 + 70_000);
        assert_eq!(closed, session.is_closed());
        if let Some(at) = session.poll_timeout() {
            assert!(!closed);
            let _ = at;
        }
    }
});
