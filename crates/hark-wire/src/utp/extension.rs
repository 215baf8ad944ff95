//! The uTP extension chain: `[next type][length][body]` links after the fixed header.

use super::{Error, HEADER_LEN, SelectiveAck};

/// Type value of the selective-ACK extension.
pub const SELECTIVE_ACK: u8 = 1;
/// Type value of the extension-bits extension.
pub const EXTENSION_BITS: u8 = 2;
/// Length libutp requires of the extension-bits extension.
pub const EXTENSION_BITS_LEN: usize = 8;
/// Type value of hark's checksum extension: a CRC-32 of the whole datagram.
///
/// BEP 29 defines types 1 and 2 and libtorrent uses 3 (its close reason); 104 (ASCII `h`)
/// is far from both. libutp drops a packet whose *first* extension it does not know, so
/// this extension is only ever sent to a peer that asked for it (see [`CHECKSUM_OFFER`]).
pub const CHECKSUM: u8 = 104;
/// Length of the checksum extension's body: a big-endian CRC-32 (IEEE 802.3).
pub const CHECKSUM_LEN: usize = 4;
/// Byte of the extension-bits body that holds hark's "I checksum" flag.
const CHECKSUM_OFFER_BYTE: usize = 7;
/// The flag's mask within that byte (the last bit of the 64).
const CHECKSUM_OFFER_MASK: u8 = 0x01;
/// Extension bits with only hark's "I checksum" flag set: a SYN carrying them offers the
/// checksum extension, a SYN-ACK carrying them accepts it. libutp sends these bits as zeros
/// and ignores their value, so the offer is harmless to it.
pub const CHECKSUM_OFFER: [u8; EXTENSION_BITS_LEN] = {
    let mut bits = [0; EXTENSION_BITS_LEN];
    bits[CHECKSUM_OFFER_BYTE] = CHECKSUM_OFFER_MASK;
    bits
};

/// Whether extension bits carry hark's "I checksum" flag.
pub fn offers_checksum(bits: &[u8; EXTENSION_BITS_LEN]) -> bool {
    bits[CHECKSUM_OFFER_BYTE] & CHECKSUM_OFFER_MASK != 0
}

/// What kind of extension a link of the chain is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionType {
    /// Type 1: selective ACK.
    SelectiveAck,
    /// Type 2: extension bits (8 bytes).
    ExtensionBits,
    /// Type 104: hark's CRC-32 checksum (4 bytes).
    Checksum,
    /// Any other type: skipped by uTP, exposed here.
    Unknown(u8),
}

impl ExtensionType {
    /// The type for a (non-zero) wire value.
    pub fn from_wire(value: u8) -> Self {
        match value {
            SELECTIVE_ACK => Self::SelectiveAck,
            EXTENSION_BITS => Self::ExtensionBits,
            CHECKSUM => Self::Checksum,
            other => Self::Unknown(other),
        }
    }

    /// The wire value.
    pub fn to_wire(self) -> u8 {
        match self {
            Self::SelectiveAck => SELECTIVE_ACK,
            Self::ExtensionBits => EXTENSION_BITS,
            Self::Checksum => CHECKSUM,
            Self::Unknown(value) => value,
        }
    }
}

/// One extension of the chain: its type and its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    /// The extension's type.
    pub extension_type: ExtensionType,
    /// The extension's body (without the two-byte link header).
    pub data: &'a [u8],
}

impl<'a> Extension<'a> {
    /// The body as a selective ACK, if this is one and it is well-formed.
    pub fn selective_ack(&self) -> Option<SelectiveAck<&'a [u8]>> {
        match self.extension_type {
            ExtensionType::SelectiveAck => SelectiveAck::new_checked(self.data).ok(),
            _ => None,
        }
    }

    /// The body as extension bits, if this is a well-formed type-2 extension.
    pub fn extension_bits(&self) -> Option<[u8; EXTENSION_BITS_LEN]> {
        match self.extension_type {
            ExtensionType::ExtensionBits => self.data.try_into().ok(),
            _ => None,
        }
    }
}

/// Iterator over the links of a validated extension chain, in wire order.
#[derive(Debug, Clone)]
pub struct Extensions<'a> {
    next_type: u8,
    rest: &'a [u8],
}

impl<'a> Extensions<'a> {
    pub(super) fn new(first_type: u8, chain: &'a [u8]) -> Self {
        Self {
            next_type: first_type,
            rest: chain,
        }
    }
}

impl<'a> Iterator for Extensions<'a> {
    type Item = Extension<'a>;

    fn next(&mut self) -> Option<Extension<'a>> {
        if self.next_type == 0 {
            return None;
        }
        let link = link(self.rest)?;
        let extension = Extension {
            extension_type: ExtensionType::from_wire(self.next_type),
            data: link.body,
        };
        self.next_type = link.next_type;
        self.rest = link.rest;
        Some(extension)
    }
}

/// One link of the chain as read off the wire.
struct Link<'a> {
    /// The type of the link after this one (0 ends the chain).
    next_type: u8,
    /// This link's body.
    body: &'a [u8],
    /// The bytes after this link.
    rest: &'a [u8],
}

/// Reads one link: the next link's type, then a length-prefixed body. `None` when the link
/// runs past the end.
fn link(input: &[u8]) -> Option<Link<'_>> {
    let [next_type, len, rest @ ..] = input else {
        return None;
    };
    let (body, rest) = rest.split_at_checked(usize::from(*len))?;
    Some(Link {
        next_type: *next_type,
        body,
        rest,
    })
}

/// Where the known extensions of a validated chain are, as offsets into the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct ChainInfo {
    /// Length of the whole chain in bytes.
    pub len: usize,
    /// Start and length of the selective-ACK body.
    pub sack: Option<(usize, usize)>,
    /// Start of the extension-bits body.
    pub bits: Option<usize>,
    /// Start of the checksum body.
    pub checksum: Option<usize>,
    /// Whether any extension of an unknown type is present.
    pub has_unknown: bool,
}

/// Walks the chain that starts with `first_type` at the start of `chain` (the bytes after the
/// fixed header) and checks every known extension.
pub(super) fn validate_chain(first_type: u8, chain: &[u8]) -> Result<ChainInfo, Error> {
    let mut info = ChainInfo::default();
    let mut current = first_type;
    let mut rest = chain;
    while current != 0 {
        let offset = HEADER_LEN + (chain.len() - rest.len());
        let Link {
            next_type: next,
            body: data,
            rest: after,
        } = link(rest).ok_or(Error::ExtensionOverrun {
            extension_type: current,
            offset,
        })?;
        let body = offset + 2;
        match current {
            SELECTIVE_ACK => {
                if info.sack.is_some() {
                    return Err(Error::DuplicateExtension(current));
                }
                SelectiveAck::new_checked(data)?;
                info.sack = Some((body, data.len()));
            }
            EXTENSION_BITS => {
                if info.bits.is_some() {
                    return Err(Error::DuplicateExtension(current));
                }
                if data.len() != EXTENSION_BITS_LEN {
                    return Err(Error::MalformedExtensionBits { len: data.len() });
                }
                info.bits = Some(body);
            }
            CHECKSUM => {
                if info.checksum.is_some() {
                    return Err(Error::DuplicateExtension(current));
                }
                if data.len() != CHECKSUM_LEN {
                    return Err(Error::MalformedChecksum { len: data.len() });
                }
                info.checksum = Some(body);
            }
            _ => info.has_unknown = true,
        }
        current = next;
        rest = after;
    }
    info.len = chain.len() - rest.len();
    Ok(info)
}

/// The unknown extensions of a packet, in wire order: those parsed from a datagram, or a list
/// given by the caller to emit.
#[derive(Clone, Copy)]
pub struct UnknownExtensions<'a> {
    source: Source<'a>,
}

#[derive(Clone, Copy)]
enum Source<'a> {
    Chain { first_type: u8, chain: &'a [u8] },
    List(&'a [Extension<'a>]),
}

impl<'a> UnknownExtensions<'a> {
    /// No unknown extension.
    pub const NONE: Self = Self {
        source: Source::List(&[]),
    };

    /// Unknown extensions given as a list, emitted in this order. Each must have an unknown
    /// type (3 or more, not [`CHECKSUM`]): [`PacketRepr::emit`](super::PacketRepr::emit) rejects others.
    pub fn from_list(list: &'a [Extension<'a>]) -> Self {
        Self {
            source: Source::List(list),
        }
    }

    pub(super) fn from_chain(first_type: u8, chain: &'a [u8]) -> Self {
        Self {
            source: Source::Chain { first_type, chain },
        }
    }

    /// Iterates over the unknown extensions.
    pub fn iter(&self) -> impl Iterator<Item = Extension<'a>> + 'a {
        let (chain, list) = match self.source {
            Source::Chain { first_type, chain } => (Some(Extensions::new(first_type, chain)), None),
            Source::List(list) => (None, Some(list.iter().copied())),
        };
        chain
            .into_iter()
            .flatten()
            .filter(|ext| matches!(ext.extension_type, ExtensionType::Unknown(_)))
            .chain(list.into_iter().flatten())
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        match self.source {
            Source::List(list) => list.is_empty(),
            Source::Chain { .. } => self.iter().next().is_none(),
        }
    }

    /// Bytes these extensions take on the wire (two-byte link header plus body each).
    pub fn wire_len(&self) -> usize {
        if self.is_empty() {
            return 0;
        }
        self.iter().map(|ext| 2 + ext.data.len()).sum()
    }
}

impl Default for UnknownExtensions<'_> {
    fn default() -> Self {
        Self::NONE
    }
}

impl PartialEq for UnknownExtensions<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for UnknownExtensions<'_> {}

impl core::fmt::Debug for UnknownExtensions<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
