//! Any bytes through the uTP checked view, the repr, and emit -> parse.
#![no_main]

use hark_wire::utp::{Packet, PacketRepr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = Packet::new_checked(data) else {
        return;
    };
    // Every getter is infallible once checked.
    let _ = (packet.seq_nr(), packet.ack_nr(), packet.wnd_size(), packet.payload().len());
    for ext in packet.extensions() {
        let _ = (ext.selective_ack(), ext.extension_bits());
    }
    let repr = PacketRepr::parse(&packet).expect("a checked packet always parses");
    let mut buf = vec![0u8; repr.buffer_len()];
    if let Ok(len) = repr.emit(&mut buf) {
        assert_eq!(len, repr.buffer_len());
        let again = PacketRepr::parse_bytes(&buf).expect("emitted bytes parse");
        assert_eq!(again, repr);
    }
});
