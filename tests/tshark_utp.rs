//! hark-emitted uTP datagrams, decoded by Debian's tshark (`bt-utp` dissector): every field
//! tshark reads must equal the one hark wrote, and no packet may be malformed.

use hark_suite::{pcap::PcapWriter, tshark};
use hark_wire::utp::{PacketRepr, PacketType, SelectiveAck};
use std::net::SocketAddrV4;

#[test]
fn tshark_decodes_what_hark_emits() {
    let sack = [0b0000_1001, 0x80, 0, 0];
    let payload: Vec<u8> = (0..1382u32).map(|i| i as u8).collect();
    let reprs = [
        PacketRepr {
            timestamp_micros: 1_000_001,
            wnd_size: 1 << 20,
            seq_nr: 1,
            extension_bits: Some([0; 8]),
            ..PacketRepr::new(PacketType::Syn, 0x6f8e)
        },
        PacketRepr {
            timestamp_micros: 1_000_200,
            timestamp_difference_micros: 199,
            wnd_size: 1 << 20,
            seq_nr: 0x3000,
            ack_nr: 1,
            ..PacketRepr::new(PacketType::State, 0x6f8e)
        },
        PacketRepr {
            timestamp_micros: 1_000_400,
            timestamp_difference_micros: 200,
            wnd_size: 65_535,
            seq_nr: 2,
            ack_nr: 0x2fff,
            payload: &payload,
            ..PacketRepr::new(PacketType::Data, 0x6f8f)
        },
        PacketRepr {
            timestamp_micros: 1_000_600,
            timestamp_difference_micros: 201,
            wnd_size: 1 << 20,
            seq_nr: 0x3000,
            ack_nr: 2,
            selective_ack: Some(SelectiveAck::new_checked(&sack[..]).unwrap()),
            ..PacketRepr::new(PacketType::State, 0x6f8e)
        },
        PacketRepr {
            timestamp_micros: 1_000_800,
            seq_nr: 3,
            ack_nr: 0x2fff,
            ..PacketRepr::new(PacketType::Fin, 0x6f8f)
        },
        PacketRepr {
            timestamp_micros: 1_001_000,
            seq_nr: 0x3000,
            ack_nr: 3,
            ..PacketRepr::new(PacketType::Reset, 0x6f8e)
        },
    ];

    let a: SocketAddrV4 = "127.0.0.1:40000".parse().unwrap();
    let b: SocketAddrV4 = "127.0.0.1:6881".parse().unwrap();
    let mut capture = PcapWriter::new();
    for (index, repr) in reprs.iter().enumerate() {
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut buf).unwrap();
        let (src, dst) = if index % 2 == 0 { (a, b) } else { (b, a) };
        capture.push_udp(src, dst, &buf);
    }
    let dir = std::env::temp_dir().join(format!("hark-tshark-utp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("utp.pcap");
    std::fs::write(&path, capture.as_bytes()).unwrap();

    let rows = tshark::fields(
        &path,
        &["udp.port==6881,bt-utp"],
        &[
            "bt-utp.type",
            "bt-utp.ver",
            "bt-utp.connection_id",
            "bt-utp.timestamp_us",
            "bt-utp.timestamp_diff_us",
            "bt-utp.wnd_size",
            "bt-utp.seq_nr",
            "bt-utp.ack_nr",
            "bt-utp.extension_bitmask",
            "bt-utp.len",
            "_ws.malformed",
        ],
    );
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(rows.len(), reprs.len(), "tshark saw {rows:?}");
    for (repr, row) in reprs.iter().zip(&rows) {
        let expected = [
            (repr.packet_type as u8).to_string(),
            "1".to_string(),
            repr.connection_id.to_string(),
            repr.timestamp_micros.to_string(),
            repr.timestamp_difference_micros.to_string(),
            repr.wnd_size.to_string(),
            repr.seq_nr.to_string(),
            repr.ack_nr.to_string(),
            // tshark shows both the SACK and the extension-bits bodies as "bitmask".
            extension_bodies(repr),
            repr.payload.len().to_string(),
            String::new(),
        ];
        assert_eq!(row, &expected, "{repr:?}");
    }
}

/// The hex of each extension body in emit order, joined as tshark joins repeated fields.
fn extension_bodies(repr: &PacketRepr<'_>) -> String {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut bodies = Vec::new();
    if let Some(sack) = repr.selective_ack {
        bodies.push(hex(sack.as_bytes()));
    }
    if let Some(bits) = repr.extension_bits {
        bodies.push(hex(&bits));
    }
    bodies.join(",")
}
