//! Shared helpers for hark's cross-crate integration tests and benches.

pub mod captures;
pub mod pcap;
pub mod transfer;
pub mod tshark;
