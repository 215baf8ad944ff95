//! hark's callback facade: thin adapters that turn the events of hark's sans-IO cores into
//! the callback APIs of libutp, pysctp, Net::BitTorrent, PyVortex and Pony's
//! `TCPConnectionNotify`, all flowing through one event hub.
//!
//! Listening on the first free port of a range, reported through the hub as
//! Net::BitTorrent's `listen_success`:
//!
//! ```
//! use hark::events::{Event, EventHub, ListenSuccess};
//! use std::sync::{Arc, Mutex};
//!
//! let ports = Arc::new(Mutex::new(Vec::new()));
//! let seen = Arc::clone(&ports);
//! let mut hub = EventHub::builder()
//!     .on_listen_success(move |_: &Event, success: &ListenSuccess| {
//!         seen.lock().unwrap().push(success.local.port());
//!     })
//!     .build();
//! let listener = hark::listen::listen_tcp(&mut hub, "127.0.0.1".parse()?, [0])?;
//! hub.dispatch();
//! assert_eq!(*ports.lock().unwrap(), [listener.local_addr()?.port()]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod beep;
pub mod bittorrent;
pub mod events;
pub mod ip_filter_file;
pub mod listen;
pub mod sctp;
pub mod utp;

/// IP filters in eMule format (re-exported from `hark-proto`).
pub use hark_proto::ipfilter;
pub mod tcp;
