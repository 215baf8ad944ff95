//! Live capture from a real libutp (the one transmission-daemon bundles): its datagrams parse
//! with hark-wire and keep the interop facts (extension bits on the SYN-ACK, the SYN-ACK's
//! seq_nr reused by the first DATA, no write before the first DATA arrives).

use hark_suite::captures;
use hark_wire::utp::{PacketRepr, PacketType};

#[test]
fn libutp_datagrams_parse_and_keep_the_interop_facts() {
    let datagrams = captures::run("transmission-utp-vectors.py");
    let syn_ack = &datagrams.first().expect("no datagram from libutp").1;
    let syn_ack = PacketRepr::parse_bytes(syn_ack).unwrap();
    assert_eq!(syn_ack.packet_type, PacketType::State);
    assert_eq!(syn_ack.connection_id, 0x1234);
    assert_eq!(syn_ack.ack_nr, 1);
    assert_eq!(syn_ack.extension_bits, Some([0; 8]));
    let replies: Vec<PacketRepr<'_>> = datagrams[1..]
        .iter()
        .map(|(label, bytes)| {
            PacketRepr::parse_bytes(bytes).unwrap_or_else(|e| panic!("{label}: {e}"))
        })
        .collect();
    let data = replies
        .iter()
        .find(|repr| repr.packet_type == PacketType::Data)
        .unwrap_or_else(|| panic!("libutp sent no DATA after ours: {datagrams:?}"));
    assert_eq!(
        data.seq_nr, syn_ack.seq_nr,
        "the SYN-ACK consumed no seq_nr"
    );
    assert_eq!(&data.payload[..20], b"\x13BitTorrent protocol");
}
