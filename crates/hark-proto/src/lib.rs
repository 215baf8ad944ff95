//! hark's sans-IO protocol state machines.
//!
//! Every core here has the shape of quinn-proto and str0m: input goes in through
//! `handle_*` calls that carry the current `Instant`, output comes out of `poll_*` calls.
//! No core reads a clock, draws randomness of its own, touches a socket or spawns a thread.
#![forbid(unsafe_code)]

pub mod beep;
pub mod bt;
pub mod icmp;
pub mod ipfilter;
pub mod netsim;
pub mod sasl;
pub mod sctp;
pub mod tcp;
pub mod utp;
