//! Errors of the uTP codec.

use super::HEADER_LEN;

/// Why a uTP packet could not be parsed or emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer bytes than the fixed 20-byte header.
    #[error("truncated uTP header: {len} bytes, at least {HEADER_LEN} needed")]
    Truncated {
        /// How many bytes there were.
        len: usize,
    },
    /// The version nibble is not 1.
    #[error("unsupported uTP version {0} (only version 1 exists)")]
    BadVersion(u8),
    /// The type nibble is not one of ST_DATA..ST_SYN (0..=4).
    #[error("unknown uTP packet type {0}")]
    UnknownType(u8),
    /// An extension's header or body runs past the end of the datagram.
    #[error(
        "uTP extension of type {extension_type} at offset {offset} runs past the end of the packet"
    )]
    ExtensionOverrun {
        /// The type of the extension that overran.
        extension_type: u8,
        /// Where its two-byte header starts.
        offset: usize,
    },
    /// A selective-ACK bitmask of zero bytes.
    #[error("selective ACK bitmask of {len} bytes: it must not be empty")]
    MalformedSelectiveAck {
        /// The bitmask's length in bytes.
        len: usize,
    },
    /// An extension-bits extension (type 2) that is not 8 bytes long (libutp drops these).
    #[error("extension-bits extension of {len} bytes: it must be 8")]
    MalformedExtensionBits {
        /// The extension's length in bytes.
        len: usize,
    },
    /// A checksum extension (type 104) that is not 4 bytes long.
    #[error("checksum extension of {len} bytes: it must be 4")]
    MalformedChecksum {
        /// The extension's length in bytes.
        len: usize,
    },
    /// The checksum extension does not match the datagram: it was damaged on the way.
    #[error("uTP checksum mismatch: carried {carried:#010x}, computed {computed:#010x}")]
    ChecksumMismatch {
        /// The CRC-32 the packet carries.
        carried: u32,
        /// The CRC-32 of the bytes received.
        computed: u32,
    },
    /// A known extension type appears twice in one chain.
    #[error("uTP extension of type {0} appears twice")]
    DuplicateExtension(u8),
    /// Emitting would put an unknown extension first, which libutp drops.
    #[error("refusing to emit unknown extension type {0} first: libutp drops such packets")]
    UnknownFirstExtension(u8),
    /// An extension handed to emit has type 0 (the end-of-chain marker), or a known type.
    #[error("extension type {0} cannot be emitted as an unknown extension")]
    ReservedExtensionType(u8),
    /// An extension handed to emit is longer than 255 bytes.
    #[error("extension of {len} bytes does not fit the one-byte length field")]
    ExtensionTooLong {
        /// The extension's length in bytes.
        len: usize,
    },
    /// The output buffer is too small.
    #[error("buffer too small: {required} bytes required")]
    BufferTooSmall {
        /// How many bytes the packet needs.
        required: usize,
    },
}
