//! The v1 info hash: the SHA-1 of the info dictionary's bytes.

use sha1::{Digest, Sha1};
use std::fmt;

/// A torrent's v1 info hash: the SHA-1 of its bencoded info dictionary, exactly as the
/// bytes appear in the .torrent file. Displayed as 40 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct InfoHash(pub [u8; 20]);

/// Text that is not 40 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an info hash is 40 hex digits")]
pub struct ParseInfoHashError;

impl InfoHash {
    /// The SHA-1 of `info_bytes` (the raw bytes of the info dictionary).
    #[must_use]
    pub fn of(info_bytes: &[u8]) -> InfoHash {
        InfoHash(Sha1::digest(info_bytes).into())
    }

    /// The 20 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// Parses 40 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<InfoHash, ParseInfoHashError> {
        let digits = text.as_bytes();
        if digits.len() != 40 {
            return Err(ParseInfoHashError);
        }
        let mut bytes = [0u8; 20];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            let high = hex_value(pair[0]).ok_or(ParseInfoHashError)?;
            let low = hex_value(pair[1]).ok_or(ParseInfoHashError)?;
            *byte = high << 4 | low;
        }
        Ok(InfoHash(bytes))
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for InfoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for InfoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InfoHash({self})")
    }
}

impl std::str::FromStr for InfoHash {
    type Err = ParseInfoHashError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        InfoHash::from_hex(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_of_abc_is_the_fips_180_vector() {
        // FIPS 180-2, appendix A.1: SHA-1("abc").
        let hash = InfoHash::of(b"abc");
        assert_eq!(hash.to_string(), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(InfoHash::from_hex(&hash.to_string()), Ok(hash));
        assert_eq!("A9993E364706816ABA3E25717850C26C9CD0D89D".parse(), Ok(hash));
        assert_eq!(InfoHash::from_hex("a9"), Err(ParseInfoHashError));
        assert_eq!(
            InfoHash::from_hex("g9993e364706816aba3e25717850c26c9cd0d89d"),
            Err(ParseInfoHashError)
        );
    }
}
