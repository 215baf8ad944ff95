//! Percent-encoding of query values (RFC 3986): unreserved bytes stay, every other byte
//! becomes `%XX` with upper-case hex.

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// Appends the encoding of `bytes` through `out`.
pub(super) fn encode(bytes: &[u8], out: &mut impl FnMut(&[u8])) {
    for &byte in bytes {
        if unreserved(byte) {
            out(&[byte]);
        } else {
            out(&[
                b'%',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0x0f)],
            ]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_all_but_the_unreserved_set() {
        let input = b"aZ09-._~ /%\x00\xff";
        let mut out = Vec::new();
        encode(input, &mut |part| out.extend_from_slice(part));
        assert_eq!(out, b"aZ09-._~%20%2F%25%00%FF");
    }
}
