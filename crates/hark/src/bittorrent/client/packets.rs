//! Cuts a peer-wire byte stream into packets (the handshake, then length-prefixed
//! messages) for the `peer_packet_in` / `peer_packet_out` events, only while someone
//! listens to them.

use bytes::Bytes;
use hark_wire::bt::peer::HANDSHAKE_LEN;

/// Longest message followed; a longer length prefix stops the splitter (the session
/// refuses such messages anyway, below this).
const MAX_MESSAGE: usize = 4 << 20;

/// One direction of a connection's stream, cut into packets.
#[derive(Debug, Default)]
pub(crate) struct PacketSplitter {
    buf: Vec<u8>,
    handshake_seen: bool,
    /// The stream stopped making sense (or started before we looked): no more packets.
    lost: bool,
}

impl PacketSplitter {
    /// Takes `bytes` and returns the packets they complete, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Bytes> {
        let mut out = Vec::new();
        if self.lost {
            return out;
        }
        self.buf.extend_from_slice(bytes);
        let mut at = 0;
        loop {
            let rest = &self.buf[at..];
            let need = if self.handshake_seen {
                let Some(prefix) = rest.get(..4) else { break };
                let len = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
                if len > MAX_MESSAGE {
                    self.lost = true;
                    self.buf = Vec::new();
                    return out;
                }
                4 + len
            } else {
                HANDSHAKE_LEN
            };
            if rest.len() < need {
                break;
            }
            out.push(Bytes::copy_from_slice(&rest[..need]));
            self.handshake_seen = true;
            at += need;
        }
        self.buf.drain(..at);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshake_then_messages_split_anywhere() {
        let mut stream = vec![19u8];
        stream.extend_from_slice(&[0; HANDSHAKE_LEN - 1]);
        stream.extend_from_slice(&[0, 0, 0, 1, 2]); // interested
        stream.extend_from_slice(&[0, 0, 0, 0]); // keep-alive
        stream.extend_from_slice(&[0, 0, 0, 5, 4, 0, 0, 0, 7]); // have 7
        for cut in 0..stream.len() {
            let mut splitter = PacketSplitter::default();
            let mut packets = splitter.feed(&stream[..cut]);
            packets.extend(splitter.feed(&stream[cut..]));
            let lengths: Vec<usize> = packets.iter().map(Bytes::len).collect();
            assert_eq!(lengths, [HANDSHAKE_LEN, 5, 4, 9], "cut at {cut}");
        }
    }

    #[test]
    fn an_absurd_length_stops_it() {
        let mut splitter = PacketSplitter::default();
        let mut stream = vec![0u8; HANDSHAKE_LEN];
        stream.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
        assert_eq!(splitter.feed(&stream).len(), 1);
        assert!(splitter.feed(&[0, 0, 0, 0]).is_empty());
    }
}
