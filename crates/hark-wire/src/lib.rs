//! hark's wire codecs: bytes to typed values and back.
//!
//! Each protocol has its own module. A wire type comes as a checked view over borrowed
//! bytes (`new_checked` validates length and invariants once, after which no accessor can
//! panic) and as an owned representation with `parse`, `emit` and `buffer_len`. `nom` is an
//! implementation detail: every public error is one of this crate's own enums. No parse path
//! panics on any input, and nothing here performs I/O or reads a clock.
//!
//! A real SYN that libtorrent sent, read field by field, and a malformed one refused:
//!
//! ```
//! use hark_wire::utp::{Error, Packet, PacketType};
//!
//! let syn = [
//!     0x41, 0x00, 0xe5, 0x44, 0x72, 0x67, 0x2a, 0x6e, 0, 0, 0, 0, 0, 0, 0, 0, 0xa9, 0xc1, 0, 0,
//! ];
//! let packet = Packet::new_checked(&syn[..])?;
//! assert_eq!(packet.packet_type(), PacketType::Syn);
//! assert_eq!((packet.connection_id(), packet.seq_nr()), (0xe544, 0xa9c1));
//! assert_eq!(Packet::new_checked(&syn[..12]), Err(Error::Truncated { len: 12 }));
//! # Ok::<(), Error>(())
//! ```
#![forbid(unsafe_code)]

pub mod beep;
pub mod bt;
pub mod sasl;
pub mod sctp;
pub mod utp;
