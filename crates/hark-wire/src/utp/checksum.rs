//! hark's checksum extension: a CRC32C (Castagnoli) of the whole datagram, header,
//! extensions and payload, leaving out only the four bytes of the checksum itself.

use super::extension::CHECKSUM_LEN;

/// The CRC32C of `datagram` without the checksum body that starts at `body`. An offset past
/// the end covers the whole datagram.
pub(super) fn compute(datagram: &[u8], body: usize) -> u32 {
    let (before, rest) = datagram.split_at(body.min(datagram.len()));
    let after = rest.get(CHECKSUM_LEN..).unwrap_or(&[]);
    crc32c::crc32c_append(crc32c::crc32c(before), after)
}

/// Reads the checksum body at `body`, if it is within `datagram`.
pub(super) fn read(datagram: &[u8], body: usize) -> Option<u32> {
    let bytes: [u8; CHECKSUM_LEN] = datagram.get(body..body + CHECKSUM_LEN)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

/// Computes the checksum of `datagram` and writes it at `body`; does nothing if the body
/// does not fit.
pub(super) fn fill(datagram: &mut [u8], body: usize) {
    let crc = compute(datagram, body);
    if let Some(slot) = datagram.get_mut(body..body + CHECKSUM_LEN) {
        slot.copy_from_slice(&crc.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_crc32c_value() {
        // The CRC-32C check value (RFC 3720, appendix B.4): "123456789" -> 0xE3069283.
        assert_eq!(compute(b"123456789", 100), 0xe306_9283);
        // Leaving out the body in the middle is the same as hashing the rest.
        assert_eq!(compute(b"1234XXXX56789", 4), 0xe306_9283);
    }

    #[test]
    fn fill_then_read_round_trips() {
        let mut datagram = *b"abcd\0\0\0\0efgh";
        fill(&mut datagram, 4);
        assert_eq!(read(&datagram, 4), Some(compute(&datagram, 4)));
        assert_eq!(read(&datagram, 10), None);
        fill(&mut datagram, 10);
    }
}
