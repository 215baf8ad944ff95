//! Bencode (BEP 3): decoding with the exact byte span of every value, and encoding.
//!
//! [`decode`] wants exactly one value; [`decode_prefix`] takes the value at the start of a
//! stream and says [`Decoded::Incomplete`] when the bytes end inside it. Decoding is strict
//! where BEP 3 is: integers without leading zeros or `-0`, string lengths without leading
//! zeros, dictionary keys that are strings, unique and sorted (the last can be relaxed with
//! [`Limits::sorted_keys`]). Depth, value count and input length are bounded by
//! [`Limits`]; a string longer than the limit is refused before anything is read or
//! allocated. Every error names the byte offset it was found at.
//!
//! Each decoded [`Value`] keeps the bytes it came from ([`Value::raw`], [`Value::span`]),
//! which is what a torrent's info hash is computed over. [`OwnedValue`] builds and encodes.
//!
//! ```
//! use hark_wire::bt::bencode::{self, Decoded, Limits, OwnedValue};
//!
//! let reply = OwnedValue::dict()
//!     .with("interval", OwnedValue::Integer(1800))
//!     .with("peers", OwnedValue::Bytes(vec![127, 0, 0, 1, 0x1a, 0xe1]));
//! let bytes = reply.to_vec();
//! assert_eq!(bytes, b"d8:intervali1800e5:peers6:\x7f\x00\x00\x01\x1a\xe1e");
//!
//! // A stream cut short asks for more; the whole of it decodes to the same value.
//! let limits = Limits::default();
//! assert_eq!(
//!     bencode::decode_prefix(&bytes[..20], &limits)?,
//!     Decoded::Incomplete { needed: 5 }
//! );
//! let value = bencode::decode(&bytes)?;
//! assert_eq!(value.get(b"interval").and_then(|v| v.as_integer()), Some(1800));
//! assert_eq!(value.to_owned_value(), reply);
//! # Ok::<(), bencode::Error>(())
//! ```

mod decode;
mod error;
mod owned;
mod value;

pub use decode::{Decoded, Limits, decode, decode_prefix, decode_with};
pub use error::Error;
pub use owned::OwnedValue;
pub use value::{Kind, Value};
