//! The Reno model's header parser, its emit round trip, and both Reno nodes fed arbitrary
//! datagrams: nothing may panic.
#![no_main]

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use hark_proto::netsim::Node;
use hark_proto::netsim::reno::segment::SegmentRepr;
use hark_proto::netsim::reno::{RenoConfig, RenoReceiver, RenoSender};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(repr) = SegmentRepr::parse(data) {
        let mut buf = [0u8; 128];
        let len = repr.emit(&mut buf).expect("a parsed header fits 128 bytes");
        assert_eq!(len, repr.buffer_len());
        assert_eq!(SegmentRepr::parse(&buf[..len]), Ok(repr));
    }

    let peer: SocketAddr = "10.0.0.2:2".parse().unwrap();
    let base = Instant::now();
    let mut sender = RenoSender::new(peer, RenoConfig::default(), base);
    let mut receiver = RenoReceiver::new();
    let mut buf = vec![0u8; 2048];
    for (step, chunk) in data.chunks(64).enumerate() {
        let now = base + Duration::from_millis(step as u64);
        while sender.poll_transmit(now, &mut buf).is_some() {}
        sender.handle_datagram(now, peer, chunk);
        receiver.handle_datagram(now, peer, chunk);
        while receiver.poll_transmit(now, &mut buf).is_some() {}
        sender.handle_timeout(now + Duration::from_secs(2));
        let _ = sender.poll_timeout();
    }
});
