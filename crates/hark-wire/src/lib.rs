//! hark's wire codecs: bytes to typed values and back.
//!
//! Each protocol has its own module. A wire type comes as a checked view over borrowed
//! bytes (`new_checked` validates length and invariants once, after which no accessor can
//! panic) and as an owned representation with `parse`, `emit` and `buffer_len`. `nom` is an
//! implementation detail: every public error is one of this crate's own enums. No parse path
//! panics on any input, and nothing here performs I/O or reads a clock.
#![forbid(unsafe_code)]

pub mod sctp;
