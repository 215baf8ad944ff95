//! uTP (BEP 29, version 1): the packet header, its extension chain and the payload.
//!
//! [`Packet`] is a checked view over borrowed bytes: [`Packet::new_checked`] validates the
//! header, the whole extension chain and every known extension once, after which no getter can
//! panic. [`PacketRepr`] is the owned (payload-borrowing) representation with
//! [`PacketRepr::parse`], [`PacketRepr::emit`] and [`PacketRepr::buffer_len`].
//!
//! ```
//! use hark_wire::utp::{Packet, PacketRepr, PacketType, SelectiveAck};
//!
//! let bitmask = [0b0000_0101, 0, 0, 0]; // ack_nr + 2 and ack_nr + 4 were received
//! let repr = PacketRepr {
//!     selective_ack: Some(SelectiveAck::new_checked(&bitmask[..]).unwrap()),
//!     payload: b"hello",
//!     ..PacketRepr::new(PacketType::Data, 0x1234)
//! };
//! let mut buf = [0u8; 64];
//! let len = repr.emit(&mut buf).unwrap();
//! assert_eq!(len, repr.buffer_len());
//!
//! let packet = Packet::new_checked(&buf[..len]).unwrap();
//! assert_eq!(packet.connection_id(), 0x1234);
//! assert_eq!(packet.payload(), b"hello");
//! assert_eq!(PacketRepr::parse(&packet).unwrap(), repr);
//! ```
//!
//! Interop facts kept here: libutp drops a packet whose *first* extension has a type of 3 or
//! more, and one whose extension-bits extension (type 2) is not 8 bytes long. Parsing accepts
//! the first (unknown extensions are skipped but exposed) and rejects the second;
//! [`PacketRepr::emit`] never produces either.
//!
//! hark's integrity extension: a SYN whose extension bits carry [`CHECKSUM_OFFER`] offers
//! it, a SYN-ACK carrying them accepts it, and from then on both sides append a checksum
//! extension (type [`CHECKSUM`], a CRC-32 of the whole datagram) to every packet.
//! [`Packet::new_checked`] rejects a packet whose checksum does not match with
//! [`Error::ChecksumMismatch`]. Since libutp drops a packet whose first extension it does
//! not know, the checksum goes only to peers that accepted it.

mod checksum;
mod error;
mod extension;
mod packet;
mod repr;
mod sack;

pub use error::Error;
pub use extension::{
    CHECKSUM, CHECKSUM_LEN, CHECKSUM_OFFER, Extension, ExtensionType, Extensions,
    UnknownExtensions, offers_checksum,
};
pub use packet::{HEADER_LEN, Packet, PacketType, VERSION};
pub use repr::PacketRepr;
pub use sack::SelectiveAck;
