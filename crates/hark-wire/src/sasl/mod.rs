//! SASL mechanism messages (RFC 4422 mechanisms carried as opaque blobs by BEEP, IMAP,
//! SMTP, ...): the text formats of SCRAM (RFC 5802) and DIGEST-MD5 (RFC 2831).
//!
//! Each message is an owned value with `parse`, `emit`, `buffer_len` and `to_vec`; the
//! parsers return this module's typed errors on any malformed input and never panic.
//!
//! ```
//! use hark_wire::sasl::scram::{ClientFirst, Gs2Header};
//!
//! let first = ClientFirst::parse(b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL")?;
//! assert_eq!(first.username, "user");
//! assert_eq!(first.gs2, Gs2Header::default());
//! assert_eq!(first.to_vec(), b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
//! # Ok::<(), hark_wire::sasl::scram::ScramError>(())
//! ```

pub mod digest_md5;
pub mod scram;
mod text;
