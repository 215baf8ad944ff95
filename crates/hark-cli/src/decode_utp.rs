//! `hark decode utp HEX`.

use hark_wire::utp::{ExtensionType, Packet, PacketRepr};
use std::fmt::Write;

/// Decodes a uTP datagram given as hex into a field-by-field listing.
pub fn run(hex: &str) -> Result<String, String> {
    let bytes = crate::hex::decode(hex)?;
    let packet = Packet::new_checked(&bytes[..]).map_err(|err| format!("uTP: {err}"))?;
    let repr = PacketRepr::parse(&packet).map_err(|err| format!("uTP: {err}"))?;
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = render(&mut out, &packet, &repr);
    Ok(out)
}

fn render(out: &mut String, packet: &Packet<&[u8]>, repr: &PacketRepr<'_>) -> std::fmt::Result {
    writeln!(out, "type                  {}", repr.packet_type.name())?;
    writeln!(out, "version               {}", packet.version())?;
    writeln!(out, "connection_id         {}", repr.connection_id)?;
    writeln!(out, "timestamp_us          {}", repr.timestamp_micros)?;
    writeln!(
        out,
        "timestamp_diff_us     {}",
        repr.timestamp_difference_micros
    )?;
    writeln!(out, "wnd_size              {}", repr.wnd_size)?;
    writeln!(out, "seq_nr                {}", repr.seq_nr)?;
    writeln!(out, "ack_nr                {}", repr.ack_nr)?;
    for ext in packet.extensions() {
        match ext.extension_type {
            ExtensionType::SelectiveAck => {
                let acked: Vec<String> = ext
                    .selective_ack()
                    .map(|sack| {
                        sack.acked_seq_nrs(repr.ack_nr)
                            .map(|n| n.to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                writeln!(
                    out,
                    "extension 1 (SACK)    {} bytes, received: [{}]",
                    ext.data.len(),
                    acked.join(", ")
                )?;
            }
            ExtensionType::ExtensionBits => {
                writeln!(out, "extension 2 (bits)    {}", hex(ext.data))?;
            }
            ExtensionType::Checksum => {
                // new_checked verified it.
                writeln!(out, "extension 104 (crc32) {}, verified", hex(ext.data))?;
            }
            ExtensionType::Unknown(kind) => {
                writeln!(out, "extension {kind} (unknown) {}", hex(ext.data))?;
            }
        }
    }
    writeln!(out, "payload               {} bytes", repr.payload.len())?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::run;

    #[test]
    fn decodes_a_syn() {
        let text = run("410212340000000a0000000000100000000100000008 0000000000000000").unwrap();
        assert!(text.contains("type                  ST_SYN"));
        assert!(text.contains("connection_id         4660"));
        assert!(text.contains("extension 2 (bits)    0000000000000000"));
    }

    #[test]
    fn decodes_and_verifies_a_checksum() {
        // hark-wire's hand-built checksummed DATA (tests/utp.rs, `hark_integrity::DATA`).
        let data = "016812340102030400000000001000000010002000042d5b457f6861726b";
        let text = run(data).unwrap();
        assert!(text.contains("extension 104 (crc32) 2d5b457f, verified"));
        let damaged = data.replacen("6861726b", "6861726c", 1);
        let err = run(&damaged).unwrap_err();
        assert!(err.contains("checksum mismatch"), "{err}");
    }

    #[test]
    fn malformed_input_is_a_typed_error() {
        let err = run("4102").unwrap_err();
        assert!(err.contains("truncated uTP header"), "{err}");
        let err = run("5100000000000000000000000000000000000000").unwrap_err();
        assert!(err.contains("unknown uTP packet type 5"), "{err}");
    }
}
