//! The event hub: one stream of typed events for every protocol hark runs, after
//! Net::BitTorrent's callbacks and libtorrent's alerts.
//!
//! An [`Event`] carries its kind with typed attributes ([`EventKind`]), a [`Severity`],
//! an English `message`, and the connection it is about. Kinds, their default severity,
//! category and attributes are listed in `docs/events.md`, generated from
//! [`catalogue_markdown`].
//!
//! ```
//! use hark::events::{Category, Event, EventHub, ListenSuccess, Protocol, Severity};
//! use std::sync::{Arc, Mutex};
//!
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let log = Arc::clone(&seen);
//! let mut hub = EventHub::builder()
//!     .min_severity(Severity::Debug)
//!     .categories(Category::Connection | Category::Peer)
//!     .on_listen_success(move |event: &Event, attrs: &ListenSuccess| {
//!         log.lock().unwrap().push((event.name(), attrs.local.port()));
//!     })
//!     .build();
//! let local = "127.0.0.1:6881".parse()?;
//! hub.emit(ListenSuccess { protocol: Protocol::Tcp4, local, tried: vec![6881] }, None)?;
//! hub.dispatch();
//! assert_eq!(*seen.lock().unwrap(), [("listen_success", 6881)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Listeners
//!
//! Register at construction ([`HubBuilder`]) or later ([`EventHub`]): `on_<kind>` for one
//! kind (the closure gets `&Event` and the kind's typed attributes), [`EventHub::on_category`]
//! for a category mask, [`EventHub::on_all`] for everything. Several listeners may watch one
//! kind; they run in registration order. Return values are ignored, except where a kind
//! decides (`ip_filter`: a listener returning [`Verdict::Allow`] vetoes the block; see
//! [`EventHub::admit`]). Listeners must be `Send`: they will run on the reactor thread.
//! Listeners cannot reach the hub while it dispatches; to register or remove listeners from
//! inside one, use a [`Registrar`] (changes are queued and applied between two events).
//!
//! # Filtering and delivery
//!
//! Events below the minimum severity or outside the category mask are discarded when
//! emitted (both chosen at construction, changeable later). Accepted events enter a bounded
//! queue in emission order, so each connection's events keep their order. When the queue
//! is full, droppable events are dropped and reported by one `events_dropped` event (count
//! and kinds) placed where the gap is; it is exempt from the filters. Guaranteed kinds
//! (closing, failures, replies to calls) then take a reserved lane of configurable size; if
//! that is full as well, `emit` hands the event back ([`ReservedLaneFull`]) so the producer
//! can apply backpressure: never silently lost. Sizing the reserved lane to the number of
//! connections plus outstanding calls makes that refusal unreachable, because each
//! connection closes once and each call is answered once.
//!
//! The application drains with [`EventHub::dispatch`] (listeners) or pulls with
//! [`EventHub::poll_event`] / [`EventHub::poll_events`]; either way every event reaches the
//! matching listeners exactly once, in order. [`tracing_listener`] forwards events to
//! `tracing`.
//!
//! # Adding an event kind
//!
//! A protocol that needs a new kind makes two small changes:
//!
//! 1. In `kinds.rs`, add one entry to the `define_kinds!` list: doc comment, stable name,
//!    struct name, `on_<name>` method name, category, default severity, delivery
//!    (`Guaranteed` only for what the API promises), reply type (`()` unless listeners
//!    decide) and the documented, typed attributes. This creates the struct, the
//!    [`EventKind`] variant, the [`KindId`], the `on_<name>` methods (hub, builder,
//!    registrar) and the catalogue row.
//! 2. Below the list, `impl Describe for TheKind` with the English sentence.
//!
//! Then regenerate `docs/events.md` (`HARK_BLESS=1 cargo test -p hark --test
//! events_catalogue`). The producer calls `hub.emit(TheKind { .. }, Some(connection))`.

#[macro_use]
mod define;

mod attributes;
mod bittorrent;
mod catalogue;
mod category;
mod event;
mod hub;
mod ip_gate;
mod kind;
mod kinds;
mod listeners;
mod queue;
mod registrar;
mod severity;
mod torrent;
mod tracing_bridge;

pub use attributes::{Direction, DisconnectReason, FileOperation, Protocol};
pub use bittorrent::tracker_event_kind;
pub use catalogue::catalogue_markdown;
pub use category::{Category, CategoryMask};
pub use event::{ConnectionId, Event};
pub use hub::{DEFAULT_CAPACITY, DEFAULT_RESERVED_CAPACITY, EventHub, HubBuilder};
pub use ip_gate::Admission;
pub use kind::{AttributeInfo, Delivery, Describe, Kind, KindInfo, Reply, Response, Verdict};
pub use kinds::{
    BeepAuthComplete, BeepAuthFailed, BeepChannelClosed, BeepCloseDenied, BeepCloseReceived,
    BeepConnectionBroken, BeepFrameReceived, BeepOnChannel, BeepStartDenied, BeepStartReceived,
};
pub use kinds::{
    BeepPoolCreated, BeepPoolGrowFailed, BeepTlsComplete, BeepTlsFailed, BeepTlsRequested,
};
pub use kinds::{
    EventKind, EventsDropped, IpFiltered, KindId, ListenFailure, ListenSuccess, PeerDataIn,
    PeerDataOut, PeerDisconnect, PeerHandshakeComplete, PeerIdReceived, PeerPacketIn,
    PeerPacketOut, SctpAssocClosed, SctpAssocUp, SctpNotification, SctpPeerAddress, SctpSendFailed,
    TcpAccepted, TcpAuthFailed, TcpClosed, TcpConnectFailed, TcpConnected, TcpConnecting,
    TcpExpect, TcpListenerClosed, TcpListening, TcpNotListening, TcpProxyVia, TcpReceived, TcpSent,
    TcpThrottled, TcpUnthrottled, UtpAccept, UtpClosed, UtpConnect, UtpDelaySample, UtpDestroying,
    UtpEof, UtpFailed, UtpFinAcked, UtpFirewall, UtpLog, UtpOverhead, UtpPackets, UtpWritable,
};
pub use kinds::{
    FileClose, FileError, FileOpen, FileRead, FileWrite, InvalidRequest, PeerBan, PeerError,
    PieceHashFailed, PieceHashPassed, PieceProgress, TorrentAdded, TorrentFinished, TorrentPaused,
    TorrentResumed, TrackerAnnounce, TrackerFailure, TrackerRead, TrackerSuccess, TrackerWarning,
    TrackerWrite, UrlSeed,
};
pub use listeners::HubListenerId;
pub use queue::{Emitted, ReservedLaneFull};
pub use registrar::Registrar;
pub use severity::Severity;
pub use torrent::torrent_event_kind;
pub use tracing_bridge::{TRACING_TARGET, tracing_level, tracing_listener};
