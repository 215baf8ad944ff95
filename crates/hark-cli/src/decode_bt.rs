//! `hark decode bt [--file PATH] [HEX...]`: a BitTorrent peer-wire stream, one message a line.

use hark_wire::bt::peer::{
    DEFAULT_MAX_MESSAGE_LEN, Decoded, Decoder, EXTENDED_HANDSHAKE_ID, ExtendedHandshake, Frame,
    HandshakeRepr, MessageRepr, PROTOCOL,
};
use std::fmt::Write;

/// Reads the stream from `file` or from `hex`, and lists it.
pub fn run(file: Option<&str>, hex: &str, max_len: Option<u32>) -> Result<String, String> {
    let bytes = match file {
        Some(path) => std::fs::read(path).map_err(|err| format!("{path}: {err}"))?,
        None => crate::hex::decode(hex)?,
    };
    list(&bytes, max_len.unwrap_or(DEFAULT_MAX_MESSAGE_LEN))
}

/// One line per frame, each starting with its byte offset. The stream may start with a
/// handshake (recognised by its protocol string) or directly with messages. A stream that
/// ends inside a message gets a last line saying how many bytes are missing.
pub fn list(bytes: &[u8], max_len: u32) -> Result<String, String> {
    let mut decoder = if bytes.get(1..20) == Some(&PROTOCOL[..]) {
        Decoder::new(max_len)
    } else {
        Decoder::after_handshake(max_len)
    };
    let mut out = String::new();
    let mut at = 0;
    while at < bytes.len() {
        match decoder.decode(&bytes[at..]) {
            Ok(Decoded::Complete { value, consumed }) => {
                let _ = write!(out, "{at:<8}");
                match value {
                    Frame::Handshake(hs) => handshake(&mut out, &hs),
                    Frame::Message(msg) => message(&mut out, &msg),
                }
                out.push('\n');
                at += consumed;
            }
            Ok(Decoded::Incomplete { needed }) => {
                let _ = writeln!(
                    out,
                    "{at:<8}incomplete: {} bytes here, {needed} more needed",
                    bytes.len() - at
                );
                break;
            }
            Err(err) => return Err(format!("{out}at byte {at}: peer wire: {err}")),
        }
    }
    Ok(out)
}

fn handshake(out: &mut String, hs: &HandshakeRepr) {
    let mut bits = Vec::new();
    if hs.reserved.extension_protocol() {
        bits.push("extension");
    }
    if hs.reserved.fast() {
        bits.push("fast");
    }
    if hs.reserved.dht() {
        bits.push("dht");
    }
    let _ = write!(
        out,
        "handshake reserved={} [{}] info_hash={} peer_id={} {:?}",
        hex(&hs.reserved.0),
        bits.join(","),
        hex(&hs.info_hash),
        hex(&hs.peer_id),
        String::from_utf8_lossy(&hs.peer_id)
    );
}

fn message(out: &mut String, msg: &MessageRepr<'_>) {
    let _ = write!(out, "{}", msg.name());
    let _ = match *msg {
        MessageRepr::Have { piece }
        | MessageRepr::Suggest { piece }
        | MessageRepr::AllowedFast { piece } => write!(out, " piece={piece}"),
        MessageRepr::Request(r) | MessageRepr::Cancel(r) | MessageRepr::Reject(r) => write!(
            out,
            " index={} begin={} length={}",
            r.index, r.begin, r.length
        ),
        MessageRepr::Piece { index, begin, data } => {
            write!(out, " index={index} begin={begin} length={}", data.len())
        }
        MessageRepr::Bitfield(bits) => {
            let set: u32 = bits.iter().map(|b| b.count_ones()).sum();
            write!(out, " bytes={} set={set} bits={}", bits.len(), hex(bits))
        }
        MessageRepr::Port(port) => write!(out, " port={port}"),
        MessageRepr::Extended { id, payload } if id == EXTENDED_HANDSHAKE_ID => {
            match ExtendedHandshake::parse(payload) {
                Ok(hs) => extended_handshake(out, payload.len(), &hs),
                Err(err) => write!(
                    out,
                    " id=0 length={} invalid handshake ({err}) payload={}",
                    payload.len(),
                    text(payload)
                ),
            }
        }
        MessageRepr::Extended { id, payload } => {
            write!(
                out,
                " id={id} length={} payload={}",
                payload.len(),
                text(payload)
            )
        }
        MessageRepr::Unknown { id, payload } => {
            write!(
                out,
                " id={id} length={} payload={}",
                payload.len(),
                hex(payload)
            )
        }
        _ => Ok(()),
    };
}

/// `m`, `v`, `reqq`, `yourip` and `p` of a BEP 10 handshake.
fn extended_handshake(out: &mut String, len: usize, hs: &ExtendedHandshake) -> std::fmt::Result {
    let m: Vec<String> =
        hs.m.iter()
            .map(|(name, id)| format!("{name}={id}"))
            .collect();
    write!(out, " id=0 length={len} handshake m={{{}}}", m.join(","))?;
    if let Some(v) = &hs.v {
        write!(out, " v={v:?}")?;
    }
    if let Some(reqq) = hs.reqq {
        write!(out, " reqq={reqq}")?;
    }
    if let Some(ip) = hs.yourip {
        write!(out, " yourip={ip}")?;
    }
    if let Some(p) = hs.p {
        write!(out, " p={p}")?;
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Printable ASCII as is, other bytes as `\xNN`.
fn text(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| std::ascii::escape_default(b).to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::list;

    #[test]
    fn lists_messages_and_a_trailing_partial_one() {
        let bytes = [0, 0, 0, 0, 0, 0, 0, 5, 4, 0, 0, 0, 3, 0, 0, 0, 13, 6, 0];
        let text = list(&bytes, 100).unwrap();
        assert_eq!(
            text,
            "0       keep_alive\n4       have piece=3\n13      incomplete: 6 bytes here, 11 more needed\n"
        );
    }

    #[test]
    fn an_oversize_prefix_is_an_error_after_the_lines_before_it() {
        let err = list(&[0, 0, 0, 1, 1, 0, 0, 1, 0], 100).unwrap_err();
        assert_eq!(
            err,
            "0       unchoke\nat byte 5: peer wire: message of 256 bytes exceeds the maximum of 100"
        );
    }
}
