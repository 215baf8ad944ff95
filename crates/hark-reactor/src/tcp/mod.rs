//! TCP connections with a notifier, after Pony's `TCPConnection` and `TCPListener`.
//!
//! Connections and listeners live on the one [`Reactor`](crate::Reactor), beside UDP
//! sockets and SCTP sockets: [`ReactorHandle::connect`](crate::ReactorHandle::connect) and
//! [`ReactorHandle::listen`](crate::ReactorHandle::listen) put them there. Every
//! connection has a [`TcpNotify`]; every listener a [`TcpListenNotify`]. Notifier methods run on the reactor
//! thread and receive a [`TcpConn`] (or [`ListenerCtl`]) that *queues* commands (write,
//! close, mute, expect, ...): they never get `&mut` access to the connection's state, so a
//! callback cannot re-enter it. The commands are applied after the callback returns. Other
//! threads drive connections through a cloneable [`ReactorHandle`](crate::ReactorHandle)
//! and [`TcpConnectionHandle`] (the reactor's one bounded channel, woken by its one
//! `mio::Waker`). A sans-IO protocol over a byte stream plugs in as a notifier through
//! [`crate::stream`]; a notifier with timers says so with [`TcpNotify::poll_timeout`].
//!
//! The buffering, framing, backpressure and closing logic is the sans-IO core in
//! `hark_proto::tcp`; this module only moves bytes between it and the sockets.
//!
//! # Connecting
//!
//! `proxy_via(host, service)` is called first, then the (possibly rewritten) name is
//! resolved by the reactor's [`Resolve`] implementation on a helper thread, so a slow
//! lookup never blocks the loop. Every resolved address is tried **at once** (not staggered
//! as RFC 8305 recommends; see `hark_proto::tcp::ConnectAttempts`): `connecting(count)`
//! reports the attempts in flight and is called again whenever that number changes; the
//! first success gives `connected` and drops the others; all failing, or resolution
//! failing, gives `connect_failed`.
//!
//! # Reading
//!
//! Readiness is edge-triggered. A readable connection reads into its fixed read buffer
//! and delivers frames to `received(data, times)` (`expect(qty)` frames of exactly `qty`
//! bytes, or whatever arrived). Returning `false` ends the turn; so does reading
//! [`TcpConfig::yield_after_reading`] bytes. A connection that yielded is resumed after the
//! other ready sockets were served, so a flood on one cannot starve the rest.
//!
//! # Writing
//!
//! A connection is registered readable and writable once: edges are reported only on
//! transitions, so a writable edge with nothing pending costs one empty flush, where
//! re-registering at every throttle transition cost two `epoll_ctl` calls per cycle (about
//! 40% of bulk echo throughput in `benches/tcp_notify.rs`).
//!
//! `write` passes the bytes through `sent` (`writev` through `sentv`), then writes them
//! directly when nothing is pending, or queues them. Pending bytes are bounded by
//! [`TcpConfig::send_limit`]; a write past it returns [`WriteError::LimitExceeded`] and
//! throttles the connection (a write larger than the limit itself is
//! [`WriteError::TooLarge`] and arms nothing). `throttled` fires when the kernel stops
//! taking bytes (would-block or a short write) or a write was refused, `unthrottled` once
//! the queue drained: every refused write is followed by an `unthrottled`, so a writer may
//! pause on the refusal until then.

mod attempts;
mod config;
mod conn;
mod connection;
mod handle;
mod host;
mod listener;
mod notify;
mod resolve;

pub use config::TcpConfig;
pub use conn::{ConnId, ListenerCtl, ListenerId, TcpConn};
pub(crate) use handle::Cmd;
pub use handle::{HandleError, ListenerHandle, TcpConnectionHandle};
pub use hark_proto::tcp::{ExpectError, WriteError};
pub(crate) use host::TcpHost;
pub use notify::{TcpListenNotify, TcpNotify};
pub use resolve::{Resolve, StdResolver};
