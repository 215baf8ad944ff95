//! A live uTP transfer between two hark endpoints on loopback, captured by dumpcap and
//! decoded by tshark's `bt-utp` dissector: every datagram decodes as uTP, nothing is
//! malformed or an expert error, and the connection's packet types all appear.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hark::utp::{
    Callbacks, DEFAULT_UDP_MTU_V4, EndpointConfig, UdpConfig, UtpContext, UtpReactor, UtpState,
};
use hark_suite::capture::LoopbackCapture;
use hark_suite::tshark;

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const WAIT: Duration = Duration::from_secs(60);
const SIZE: usize = 3 * 1024 * 1024;

/// Content where a shifted or lost segment shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn tshark_decodes_a_live_hark_transfer_as_clean_utp() {
    // The receiver reads everything, closes on EOF and reports the bytes when destroyed.
    let (received_tx, received_rx) = mpsc::channel();
    let received = Arc::new(Mutex::new(Vec::with_capacity(SIZE)));
    let sink = Arc::clone(&received);
    // Without GSO every uTP packet is its own datagram in the capture; with it, the
    // capture on the sending host shows one datagram per batch of packets.
    let server = UtpReactor::bind_range_with_udp(
        UtpContext::builder().callbacks(
            Callbacks::new()
                .on_accept(|_cx, _socket, _from| {})
                .on_read(move |_cx, _socket, data| sink.lock().unwrap().extend_from_slice(data))
                .on_state_change(move |cx, socket, state| match state {
                    UtpState::Eof => cx.close(socket),
                    UtpState::Destroying => {
                        let _ = received_tx.send(std::mem::take(&mut *received.lock().unwrap()));
                    }
                    _ => {}
                }),
        ),
        LOCALHOST,
        [0],
        &UdpConfig::NO_OFFLOAD,
    )
    .expect("the receiving reactor");
    let port = server.local_addr().port();
    let mut capture = LoopbackCapture::start(port);

    // The client does not offer hark's integrity extension: Wireshark's bt-utp heuristic
    // recognises a uTP v1 packet only if its first extension type is 0, 1 or 2, and a
    // checksummed packet without a SACK starts with the checksum (type 104).
    let mut plain = EndpointConfig::default();
    plain.connection.offer_integrity = false;
    let (sent_tx, sent_rx) = mpsc::channel();
    let client =
        UtpReactor::bind_range_with_udp(
            UtpContext::builder().endpoint_config(plain).callbacks(
                Callbacks::new().on_state_change(move |_cx, _socket, state| {
                    if state == UtpState::Destroying {
                        let _ = sent_tx.send(());
                    }
                }),
            ),
            LOCALHOST,
            [0],
            &UdpConfig::NO_OFFLOAD,
        )
        .expect("the sending reactor");
    let data = pattern(SIZE);
    let remote = client.remote();
    let socket = remote.connect(server.local_addr()).expect("connect");
    remote.write(socket, &data).expect("write");
    remote.close(socket).expect("close");
    let got = received_rx
        .recv_timeout(WAIT)
        .expect("the receiver's socket ends");
    sent_rx
        .recv_timeout(WAIT)
        .expect("the sender's socket ends");
    assert!(
        got == data,
        "received {} bytes, not the sent ones",
        got.len()
    );
    let path = capture.finish().to_path_buf();
    drop((client, server));

    let decode = format!("udp.port=={port},bt-utp");
    let rows = tshark::filtered_fields(
        &path,
        &[&decode],
        Some(&format!("udp.port=={port}")),
        &[
            "frame.number",
            "bt-utp.type",
            "bt-utp.len",
            "_ws.malformed",
            "_ws.expert.severity",
        ],
    );
    let mut counts = [0usize; 5];
    let mut payload = 0usize;
    for row in &rows {
        let [frame, kind, len, malformed, severity] = &row[..] else {
            panic!("unexpected row {row:?}");
        };
        let kind: usize = kind
            .parse()
            .unwrap_or_else(|_| panic!("frame {frame} did not decode as bt-utp: {row:?}"));
        assert!(kind < counts.len(), "frame {frame}: type {kind}");
        counts[kind] += 1;
        assert!(malformed.is_empty(), "frame {frame} is malformed: {row:?}");
        // Expert severities: error is 0x00800000 (8388608).
        assert!(
            !severity.split(',').any(|s| s == "8388608"),
            "frame {frame} has an expert error: {row:?}"
        );
        if kind == 0 {
            let len: usize = len.parse().unwrap_or(0);
            assert!(
                (1..=usize::from(DEFAULT_UDP_MTU_V4) - 20).contains(&len),
                "frame {frame}: a DATA payload of {len} bytes does not fit one uTP packet"
            );
            payload += len;
        }
    }
    let [data_packets, fin, state, reset, syn] = counts;
    eprintln!(
        "{} uTP packets: {data_packets} DATA ({payload} bytes), {fin} FIN, {state} STATE, {reset} RESET, {syn} SYN",
        rows.len()
    );
    assert!(syn >= 1, "a SYN: {counts:?}");
    assert!(fin >= 1, "a FIN: {counts:?}");
    assert!(state >= 1, "STATE packets: {counts:?}");
    assert!(
        payload >= SIZE,
        "DATA carries all {SIZE} bytes, saw {payload}"
    );
    assert!(data_packets >= SIZE / usize::from(DEFAULT_UDP_MTU_V4));
    assert_eq!(reset, 0, "a clean close sends no RESET: {counts:?}");
}
