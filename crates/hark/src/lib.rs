//! hark's callback facade: thin adapters that turn the events of hark's sans-IO cores into
//! the callback APIs of libutp, pysctp, Net::BitTorrent, PyVortex and Pony's
//! `TCPConnectionNotify`, all flowing through one event hub.

pub mod events;
pub mod ip_filter_file;
pub mod listen;

/// IP filters in eMule format (re-exported from `hark-proto`).
pub use hark_proto::ipfilter;
pub mod tcp;
