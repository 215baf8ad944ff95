//! Any bytes through the uTP checked view, the repr, and emit -> parse; then the same packet
//! with the checksum extension toggled, and that one with a byte damaged.
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
    let _ = packet.checksum();
    let repr = PacketRepr::parse(&packet).expect("a checked packet always parses");
    let mut buf = vec![0u8; repr.buffer_len()];
    if let Ok(len) = repr.emit(&mut buf) {
        assert_eq!(len, repr.buffer_len());
        let again = PacketRepr::parse_bytes(&buf).expect("emitted bytes parse");
        assert_eq!(again, repr);
    }
    let toggled = PacketRepr {
        checksum: !repr.checksum,
        ..repr
    };
    let mut buf = vec![0u8; toggled.buffer_len()];
    if let Ok(len) = toggled.emit(&mut buf) {
        let again = PacketRepr::parse_bytes(&buf[..len]).expect("emitted bytes parse");
        assert_eq!(again, toggled);
        // Damage one byte (chosen by the input): checking it must not panic.
        if let Some(&pick) = data.last() {
            let at = usize::from(pick) % len;
            buf[at] ^= data.first().copied().unwrap_or(1).max(1);
            if let Ok(damaged) = Packet::new_checked(&buf[..len]) {
                let _ = (damaged.checksum(), PacketRepr::parse(&damaged));
            }
        }
    }
});
