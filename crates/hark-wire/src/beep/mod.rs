//! BEEP (RFC 3080, with the TCP mapping of RFC 3081): frames, payload MIME headers,
//! channel-0 messages and tuning payloads.

pub mod channel0;
pub mod error;
pub mod frame;
pub mod header;
pub mod mime;
pub mod seq;
pub mod stream;
pub mod tuning;
pub mod xml;
