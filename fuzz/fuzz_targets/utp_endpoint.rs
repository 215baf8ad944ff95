//! Hostile peers against a uTP endpoint: a connection is accepted, then the input is read
//! as a script of raw datagrams, well-addressed packets with fuzzed fields, clock jumps and
//! application calls. Nothing may panic; every output must be a well-formed uTP packet.
#![no_main]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hark_proto::utp::{DatagramOutcome, Endpoint, EndpointConfig};
use hark_wire::utp::Packet;
use libfuzzer_sys::fuzz_target;

struct Counter(u32);

impl rand_core::TryRng for Counter {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        Ok(self.0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from(self.try_next_u32()?))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        dst.iter_mut().for_each(|b| *b = self.0 as u8);
        Ok(())
    }
}

#[path = "common/utp_script.rs"]
mod utp_script;

fuzz_target!(|data: &[u8]| {
    let t0 = Instant::now();
    let mut now = t0;
    let peer: SocketAddr = "10.1.1.1:4000".parse().unwrap();
    let mut ep = Endpoint::new(EndpointConfig::default(), t0, Box::new(Counter(7)));
    // The first byte's low bit: does the peer offer (and then use) the checksum extension?
    let (offer_integrity, data) = match data.split_first() {
        Some((first, rest)) => (first & 1 == 1, rest),
        None => (false, data),
    };
    let syn = utp_script::syn(offer_integrity);
    let DatagramOutcome::Incoming(incoming) = ep.handle_datagram(now, peer, &syn) else {
        panic!("a SYN must produce an Incoming");
    };
    let conn = ep.accept(now, incoming).expect("first accept");
    let mut out = vec![0u8; 65536];
    let mut read_buf = vec![0u8; 4096];
    let mut input = data;
    while let [op, rest @ ..] = input {
        input = rest;
        match op % 6 {
            0 => {
                // A raw datagram of the next `len` bytes.
                let Some((&len, rest)) = input.split_first() else { break };
                let len = usize::from(len).min(rest.len());
                let _ = ep.handle_datagram(now, peer, &rest[..len]);
                input = &rest[len..];
            }
            1 => {
                // A packet on the connection with fuzzed type, offsets, window, SACK, payload.
                let Some((packet, rest)) = utp_script::fuzzed_packet(input, now.duration_since(t0).as_micros() as u32) else { break };
                let _ = ep.handle_datagram(now, peer, &packet);
                input = rest;
            }
            2 => {
                let Some((&ms, rest)) = input.split_first() else { break };
                now += Duration::from_millis(u64::from(ms) * 7);
                ep.handle_timeout(now);
                input = rest;
            }
            3 => {
                let Some((&len, rest)) = input.split_first() else { break };
                let _ = ep.write(conn, &vec![0xab; usize::from(len) * 64]);
                input = rest;
            }
            4 => {
                let _ = ep.read(conn, &mut read_buf);
            }
            _ => {
                if input.first() == Some(&0) {
                    let _ = ep.close(conn);
                }
                ep.issue_deferred_acks(now);
            }
        }
        while let Some(t) = ep.poll_transmit(now, &mut out) {
            assert_eq!(t.destination, peer);
            Packet::new_checked(&out[..t.len]).expect("the endpoint emitted a malformed packet");
        }
        while ep.poll_event().is_some() {}
        if let Some(at) = ep.poll_timeout() {
            assert!(at >= t0);
        }
    }
});
