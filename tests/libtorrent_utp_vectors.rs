//! Live capture from a real libtorrent (Debian's python3-libtorrent): every datagram it sends
//! parses with hark-wire, and the interop facts hold (ids, the unconsumed SYN-ACK seq_nr).

use hark_suite::captures;
use hark_wire::utp::{PacketRepr, PacketType};

#[test]
fn libtorrent_datagrams_parse_and_keep_the_interop_facts() {
    let datagrams = captures::run("libtorrent-utp-vectors.py");
    let find = |label: &str| {
        datagrams
            .iter()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("no {label} in {datagrams:?}"))
    };
    let syn = PacketRepr::parse_bytes(&find("syn").1).unwrap();
    assert_eq!(syn.packet_type, PacketType::Syn);
    let data = PacketRepr::parse_bytes(&find("data").1).unwrap();
    assert_eq!(data.packet_type, PacketType::Data);
    assert_eq!(data.connection_id, syn.connection_id.wrapping_add(1));
    assert_eq!(data.seq_nr, syn.seq_nr.wrapping_add(1));
    // The capture's SYN-ACK had seq_nr 0x3000; it consumes no sequence number.
    assert_eq!(data.ack_nr, 0x2fff);
    assert_eq!(&data.payload[..20], b"\x13BitTorrent protocol");
    let accepted: Vec<_> = datagrams
        .iter()
        .filter(|(label, _)| label.starts_with("accept_"))
        .collect();
    assert!(!accepted.is_empty());
    for (label, bytes) in accepted {
        let repr = PacketRepr::parse_bytes(bytes).unwrap_or_else(|err| panic!("{label}: {err}"));
        assert!(
            matches!(repr.packet_type, PacketType::State | PacketType::Fin),
            "{label}: {repr:?}"
        );
    }
}
