//! The 68-byte handshake that opens every peer-wire connection (BEP 3), and its reserved
//! bits (BEP 5 DHT, BEP 6 Fast, BEP 10 extension protocol).

use super::Error;

/// The protocol string, without its length byte.
pub const PROTOCOL: &[u8; 19] = b"BitTorrent protocol";

/// Length of a handshake.
pub const HANDSHAKE_LEN: usize = 68;

/// Byte offsets of the handshake fields.
mod field {
    use core::ops::Range;

    pub const PSTRLEN: usize = 0;
    pub const PSTR: Range<usize> = 1..20;
    pub const RESERVED: Range<usize> = 20..28;
    pub const INFO_HASH: Range<usize> = 28..48;
    pub const PEER_ID: Range<usize> = 48..68;
}

/// The eight reserved bytes of a handshake, with named accessors for the bits hark knows.
///
/// Bits hark does not know are kept as they came, so a parsed handshake emits unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Reserved(pub [u8; 8]);

impl Reserved {
    /// No bit set.
    pub const NONE: Self = Self([0; 8]);

    /// (byte, mask) of the DHT bit (BEP 5): the last bit of the last byte.
    const DHT: (usize, u8) = (7, 0x01);
    /// (byte, mask) of the Fast extension bit (BEP 6): `reserved[7] & 0x04`.
    const FAST: (usize, u8) = (7, 0x04);
    /// (byte, mask) of the extension protocol bit (BEP 10): `reserved[5] & 0x10`.
    const EXTENSION: (usize, u8) = (5, 0x10);

    fn get(self, (byte, mask): (usize, u8)) -> bool {
        self.0[byte] & mask != 0
    }

    fn with(mut self, (byte, mask): (usize, u8), on: bool) -> Self {
        if on {
            self.0[byte] |= mask;
        } else {
            self.0[byte] &= !mask;
        }
        self
    }

    /// Whether the sender speaks the Fast extension (BEP 6).
    pub fn fast(self) -> bool {
        self.get(Self::FAST)
    }

    /// Whether the sender speaks the extension protocol (BEP 10).
    pub fn extension_protocol(self) -> bool {
        self.get(Self::EXTENSION)
    }

    /// Whether the sender runs a DHT node (BEP 5) and may send `port`.
    pub fn dht(self) -> bool {
        self.get(Self::DHT)
    }

    /// These bits with the Fast bit set or cleared.
    #[must_use]
    pub fn with_fast(self, on: bool) -> Self {
        self.with(Self::FAST, on)
    }

    /// These bits with the extension-protocol bit set or cleared.
    #[must_use]
    pub fn with_extension_protocol(self, on: bool) -> Self {
        self.with(Self::EXTENSION, on)
    }

    /// These bits with the DHT bit set or cleared.
    #[must_use]
    pub fn with_dht(self, on: bool) -> Self {
        self.with(Self::DHT, on)
    }

    /// The bits both sides set: what a connection may use.
    #[must_use]
    pub fn intersect(self, other: Self) -> Self {
        let mut out = [0; 8];
        for (o, (a, b)) in out.iter_mut().zip(self.0.iter().zip(other.0.iter())) {
            *o = a & b;
        }
        Self(out)
    }
}

/// Checks what of a handshake's prefix has arrived: the length byte and as much of the
/// protocol string as `bytes` holds. Lets a stream refuse a stranger after one byte.
pub(super) fn check_prefix(bytes: &[u8]) -> Result<(), Error> {
    if let Some(&len) = bytes.get(field::PSTRLEN)
        && usize::from(len) != PROTOCOL.len()
    {
        return Err(Error::BadProtocolLength(len));
    }
    let got = bytes.get(field::PSTR.start..).unwrap_or_default();
    let n = got.len().min(PROTOCOL.len());
    if got[..n] != PROTOCOL[..n] {
        return Err(Error::BadProtocolString);
    }
    Ok(())
}

/// A validated view over the 68 bytes of a handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handshake<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Handshake<T> {
    /// Validates the first [`HANDSHAKE_LEN`] bytes of `buffer` (the protocol length and
    /// string); bytes after them are not part of the view.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let bytes = buffer.as_ref();
        check_prefix(bytes)?;
        if bytes.len() < HANDSHAKE_LEN {
            return Err(Error::Truncated {
                len: bytes.len(),
                required: HANDSHAKE_LEN,
            });
        }
        Ok(Self { buffer })
    }

    fn array<const N: usize>(&self, range: core::ops::Range<usize>) -> [u8; N] {
        let mut out = [0; N];
        if let Some(src) = self.buffer.as_ref().get(range) {
            out.copy_from_slice(src);
        }
        out
    }

    /// The reserved bytes.
    pub fn reserved(&self) -> Reserved {
        Reserved(self.array(field::RESERVED))
    }

    /// The info hash of the torrent the sender wants.
    pub fn info_hash(&self) -> [u8; 20] {
        self.array(field::INFO_HASH)
    }

    /// The sender's peer id.
    pub fn peer_id(&self) -> [u8; 20] {
        self.array(field::PEER_ID)
    }

    /// Gives the underlying buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// A handshake as typed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandshakeRepr {
    /// The reserved bits.
    pub reserved: Reserved,
    /// The torrent's info hash (v1: SHA-1 of the info dictionary).
    pub info_hash: [u8; 20],
    /// The sender's peer id.
    pub peer_id: [u8; 20],
}

impl HandshakeRepr {
    /// Reads a validated handshake.
    pub fn parse<T: AsRef<[u8]>>(handshake: &Handshake<T>) -> Self {
        Self {
            reserved: handshake.reserved(),
            info_hash: handshake.info_hash(),
            peer_id: handshake.peer_id(),
        }
    }

    /// Always [`HANDSHAKE_LEN`].
    pub const fn buffer_len(&self) -> usize {
        HANDSHAKE_LEN
    }

    /// Writes the handshake into the front of `buf`; returns [`HANDSHAKE_LEN`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let out = buf.get_mut(..HANDSHAKE_LEN).ok_or(Error::BufferTooSmall {
            required: HANDSHAKE_LEN,
        })?;
        out[field::PSTRLEN] = PROTOCOL.len() as u8;
        out[field::PSTR].copy_from_slice(PROTOCOL);
        out[field::RESERVED].copy_from_slice(&self.reserved.0);
        out[field::INFO_HASH].copy_from_slice(&self.info_hash);
        out[field::PEER_ID].copy_from_slice(&self.peer_id);
        Ok(HANDSHAKE_LEN)
    }

    /// The handshake as a fixed array.
    pub fn to_bytes(&self) -> [u8; HANDSHAKE_LEN] {
        let mut out = [0; HANDSHAKE_LEN];
        // The array is exactly long enough.
        let _ = self.emit(&mut out);
        out
    }
}
