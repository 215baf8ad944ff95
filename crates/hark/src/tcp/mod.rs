//! TCP connections with a notifier, after Pony's `TCPConnection`, `TCPListener` and
//! `TCPConnectionNotify`.
//!
//! Start a reactor ([`Reactor::spawn`], the one hark-reactor loop that also hosts uTP and
//! SCTP sockets), then open connections with
//! [`TcpConnection::connect`] and listeners with [`TcpListener::bind`], or
//! [`TcpListener::bind_range`] for the first free port of a range, reported as
//! `listen_success` / `listen_failure` events. Each connection
//! has a [`TcpNotify`] whose methods default to no-ops; a closure
//! `|conn, data, times| -> bool` is a notifier that only handles `received`, and a closure
//! `|peer| -> Option<Box<dyn TcpNotify>>` is a listen notifier. Notifier methods run on the
//! reactor thread with a [`TcpConn`] that queues commands. The buffering, framing and
//! backpressure logic is the sans-IO core in `hark_proto::tcp`; the loop is
//! `hark_reactor::tcp`.
//!
//! Connecting calls `proxy_via`, resolves the name on a helper thread (a [`Resolve`] of
//! your own can be given to [`Reactor::with_resolver`]), then tries every address
//! **at once** rather than staggered as RFC 8305 suggests: `connecting(count)` reports the
//! attempts in flight, the first success wins. TLS is a wrapping notifier: see [`tls`].
//!
//! Wrap a notifier in [`HubNotify`] (a listen notifier in [`HubListenNotify`], which wraps
//! its connections too) to emit every notifier call into an event hub as a `tcp_*` event
//! with that kind's severity (see `docs/events.md`).
//!
//! ```no_run
//! use hark::tcp::{Reactor, TcpConfig, TcpListener, TcpNotify};
//!
//! let reactor = Reactor::spawn(TcpConfig::default())?;
//! let echo = |_peer| {
//!     let notify: Box<dyn TcpNotify> = Box::new(|conn: &mut hark::tcp::TcpConn<'_>, data: &[u8], _times| {
//!         conn.write(data).is_ok()
//!     });
//!     Some(notify)
//! };
//! let listener = TcpListener::bind(reactor.handle(), "127.0.0.1:7000".parse()?, echo)?;
//! println!("echoing on {}", listener.local_addr());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod connection;
mod hub;
pub mod ip_filter;
mod listener;
pub mod tls;

pub use connection::TcpConnection;
pub use hark_reactor::stream::{StreamCore, StreamHandler, StreamNotify};
pub use hark_reactor::tcp::{
    ConnId, ExpectError, HandleError, ListenerCtl, ListenerHandle, ListenerId, Resolve,
    StdResolver, TcpConfig, TcpConn, TcpConnectionHandle, TcpListenNotify, TcpNotify, WriteError,
};
pub use hark_reactor::{Reactor, ReactorConfig, ReactorHandle, ReactorThread};
pub use hub::{HubListenNotify, HubNotify, SharedHub};
pub use ip_filter::FilteringResolver;
pub use listener::{TcpListenError, TcpListener};
