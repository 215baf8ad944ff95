//! Forged ICMP reports against a uTP endpoint: one connection accepted and one attempt in
//! SYN-sent, then the input is read as a script of ICMP errors (any destination, kind and
//! quoted bytes), received datagrams, clock jumps and writes. Nothing may panic; the
//! endpoint's timers must stay consistent (checked by `poll_timeout` in debug builds) and
//! every output must be a well-formed uTP packet.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hark_proto::icmp::Unreachable;
use hark_proto::utp::{DatagramOutcome, Endpoint, EndpointConfig};
use hark_wire::utp::Packet;
use libfuzzer_sys::fuzz_target;

#[path = "common/utp_script.rs"]
mod utp_script;

const KINDS: [Unreachable; 5] = [
    Unreachable::Network,
    Unreachable::Host,
    Unreachable::Protocol,
    Unreachable::Port,
    Unreachable::Prohibited,
];

fuzz_target!(|data: &[u8]| {
    let t0 = Instant::now();
    let mut now = t0;
    let peer: SocketAddr = "10.1.1.1:4000".parse().unwrap();
    let other: SocketAddr = "10.1.1.2:4000".parse().unwrap();
    let mut ep = Endpoint::with_seed(EndpointConfig::default(), t0, 7);
    let DatagramOutcome::Incoming(incoming) =
        ep.handle_datagram(now, peer, &utp_script::syn(false))
    else {
        panic!("a SYN must produce an Incoming");
    };
    let conn = ep.accept(now, incoming).expect("first accept");
    let _attempt = ep.connect(now, other).expect("room for a second connection");
    let mut out = vec![0u8; 65536];
    let mut sent: Vec<Vec<u8>> = Vec::new();
    let mut input = data;
    while let [op, rest @ ..] = input {
        input = rest;
        match op % 4 {
            0 => {
                // An ICMP report: destination, kind, then `len` quoted bytes (or, with the
                // top bit of `len`, the start of a datagram the endpoint really sent).
                let [target, kind, len, rest @ ..] = input else { break };
                let destination = if target & 1 == 0 { peer } else { other };
                let kind = KINDS[usize::from(*kind) % KINDS.len()];
                let quoted = if len & 0x80 != 0 && !sent.is_empty() {
                    let packet = &sent[usize::from(len & 0x7f) % sent.len()];
                    packet[..packet.len().min(usize::from(*target >> 1))].to_vec()
                } else {
                    let n = usize::from(len & 0x7f).min(rest.len());
                    rest[..n].to_vec()
                };
                let consumed = if len & 0x80 != 0 { 0 } else { quoted.len() };
                let _ = ep.handle_icmp_error(now, destination, kind, &quoted);
                input = &rest[consumed..];
            }
            1 => {
                let Some((packet, rest)) = utp_script::fuzzed_packet(
                    input,
                    now.duration_since(t0).as_micros() as u32,
                ) else {
                    break;
                };
                let _ = ep.handle_datagram(now, peer, &packet);
                input = rest;
            }
            2 => {
                let Some((&ms, rest)) = input.split_first() else { break };
                now += Duration::from_millis(u64::from(ms) * 13);
                ep.handle_timeout(now);
                input = rest;
            }
            _ => {
                let _ = ep.write(conn, &[0xcd; 3000]);
                ep.issue_deferred_acks(now);
            }
        }
        while let Some(t) = ep.poll_transmit(now, &mut out) {
            let packet = &out[..t.len];
            Packet::new_checked(packet).expect("the endpoint emitted a malformed packet");
            if sent.len() < 64 {
                sent.push(packet.to_vec());
            }
        }
        while ep.poll_event().is_some() {}
        let _ = ep.poll_timeout();
    }
});
