//! The notifier traits: every method defaults to a no-op.

use super::conn::{ListenerCtl, TcpConn};
use std::borrow::Cow;
use std::net::SocketAddr;
use std::time::Instant;

/// Notifications for one TCP connection, after Pony's `TCPConnectionNotify`.
///
/// Every method runs on the reactor thread and defaults to doing nothing (or passing its
/// input through). The [`TcpConn`] queues commands that apply once the method returns.
/// A closure `FnMut(&mut TcpConn, &[u8], usize) -> bool` is a notifier that only
/// implements `received`.
pub trait TcpNotify: Send {
    /// A listener accepted this connection.
    fn accepted(&mut self, conn: &mut TcpConn<'_>) {
        let _ = conn;
    }

    /// Called before connecting: return the host and service to connect to instead
    /// (a proxy). Defaults to the destination itself.
    fn proxy_via(&mut self, host: &str, service: &str) -> (String, String) {
        (host.to_owned(), service.to_owned())
    }

    /// Name resolution succeeded and `count` connection attempts are in flight; called
    /// again each time the count changes, until `connected` or `connect_failed`.
    fn connecting(&mut self, conn: &mut TcpConn<'_>, count: usize) {
        let _ = (conn, count);
    }

    /// The connection to the server is established.
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        let _ = conn;
    }

    /// Resolution failed or every address failed: the connection will never be
    /// established, and `closed` will not be called.
    fn connect_failed(&mut self, conn: &mut TcpConn<'_>) {
        let _ = conn;
    }

    /// A wrapping protocol (TLS) failed to authenticate the peer; the connection closes.
    fn auth_failed(&mut self, conn: &mut TcpConn<'_>) {
        let _ = conn;
    }

    /// Outgoing data, before it is written: return it unchanged, rewritten, or empty to
    /// swallow it. Called with empty data for [`TcpConn::flush_sent`].
    fn sent<'d>(&mut self, conn: &mut TcpConn<'_>, data: Cow<'d, [u8]>) -> Cow<'d, [u8]> {
        let _ = conn;
        data
    }

    /// Outgoing chunks of one `writev`, before they are written: return them unchanged,
    /// rewritten, or none to swallow them.
    fn sentv<'d>(
        &mut self,
        conn: &mut TcpConn<'_>,
        data: Vec<Cow<'d, [u8]>>,
    ) -> Vec<Cow<'d, [u8]>> {
        let _ = conn;
        data
    }

    /// Received bytes: one `expect`-sized frame, or whatever arrived when `expect` is 0.
    /// `times` counts the calls in this turn, from 1. Return `false` to yield now.
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], times: usize) -> bool {
        let _ = (conn, data, times);
        true
    }

    /// The connection was told to expect `qty` bytes per frame: return the quantity to
    /// use instead (a wrapping protocol does its own framing). Defaults to `qty`.
    fn expect(&mut self, conn: &mut TcpConn<'_>, qty: usize) -> usize {
        let _ = conn;
        qty
    }

    /// A graceful close was asked for from outside the notifier chain (a
    /// [`TcpConnectionHandle::close`](super::TcpConnectionHandle::close) from any thread), on an
    /// established connection. Queue here what must go out before the shutdown (a wrapping
    /// protocol's closing records, such as TLS's `close_notify`); the connection then
    /// closes as [`TcpConn::close`] does, whatever this method queued. Defaults to nothing.
    fn closing(&mut self, conn: &mut TcpConn<'_>) {
        let _ = conn;
    }

    /// Another thread asked for this call through
    /// [`TcpConnectionHandle::wake`](super::TcpConnectionHandle::wake), on an established
    /// connection (a stream core fed from outside drains its output here). Defaults to
    /// nothing.
    fn woken(&mut self, conn: &mut TcpConn<'_>) {
        let _ = conn;
    }

    /// The connection is closed. Called exactly once for a connection that was
    /// connected or accepted.
    fn closed(&mut self, conn: &mut TcpConn<'_>) {
        let _ = conn;
    }

    /// The connection takes no more bytes for now: pause writing until `unthrottled`.
    ///
    /// Fires when the kernel send buffer fills (would-block or a short write) while data
    /// is pending, and when a write is refused with
    /// [`WriteError::LimitExceeded`](super::WriteError::LimitExceeded) (from a notifier or
    /// a handle). Either way `unthrottled` follows once the pending bytes drained, so a
    /// writer that pauses here, or on the refusal, never waits forever. Each `throttled`
    /// is followed by exactly one `unthrottled` before the next `throttled`.
    fn throttled(&mut self, conn: &mut TcpConn<'_>) {
        let _ = conn;
    }

    /// The pending queue has drained after a `throttled`: writing may resume.
    fn unthrottled(&mut self, conn: &mut TcpConn<'_>) {
        let _ = conn;
    }

    /// When [`handle_timeout`](Self::handle_timeout) should run next, for a notifier with
    /// timers (a sans-IO stream core behind it, see [`crate::stream`]); `None`, the
    /// default, for none. Asked after every callback; the reactor keeps it in its one
    /// timer structure, so an idle connection without timers costs no wakeup.
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// The time from [`poll_timeout`](Self::poll_timeout) has come (the reactor may be
    /// late, never early). Commands queued on `conn` apply when it returns.
    fn handle_timeout(&mut self, conn: &mut TcpConn<'_>, now: Instant) {
        let _ = (conn, now);
    }
}

impl<F> TcpNotify for F
where
    F: FnMut(&mut TcpConn<'_>, &[u8], usize) -> bool + Send,
{
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], times: usize) -> bool {
        self(conn, data, times)
    }
}

impl TcpNotify for Box<dyn TcpNotify> {
    fn accepted(&mut self, conn: &mut TcpConn<'_>) {
        (**self).accepted(conn)
    }
    fn proxy_via(&mut self, host: &str, service: &str) -> (String, String) {
        (**self).proxy_via(host, service)
    }
    fn connecting(&mut self, conn: &mut TcpConn<'_>, count: usize) {
        (**self).connecting(conn, count)
    }
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        (**self).connected(conn)
    }
    fn connect_failed(&mut self, conn: &mut TcpConn<'_>) {
        (**self).connect_failed(conn)
    }
    fn auth_failed(&mut self, conn: &mut TcpConn<'_>) {
        (**self).auth_failed(conn)
    }
    fn sent<'d>(&mut self, conn: &mut TcpConn<'_>, data: Cow<'d, [u8]>) -> Cow<'d, [u8]> {
        (**self).sent(conn, data)
    }
    fn sentv<'d>(
        &mut self,
        conn: &mut TcpConn<'_>,
        data: Vec<Cow<'d, [u8]>>,
    ) -> Vec<Cow<'d, [u8]>> {
        (**self).sentv(conn, data)
    }
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], times: usize) -> bool {
        (**self).received(conn, data, times)
    }
    fn expect(&mut self, conn: &mut TcpConn<'_>, qty: usize) -> usize {
        (**self).expect(conn, qty)
    }
    fn closing(&mut self, conn: &mut TcpConn<'_>) {
        (**self).closing(conn)
    }
    fn closed(&mut self, conn: &mut TcpConn<'_>) {
        (**self).closed(conn)
    }
    fn woken(&mut self, conn: &mut TcpConn<'_>) {
        (**self).woken(conn)
    }
    fn throttled(&mut self, conn: &mut TcpConn<'_>) {
        (**self).throttled(conn)
    }
    fn unthrottled(&mut self, conn: &mut TcpConn<'_>) {
        (**self).unthrottled(conn)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        (**self).poll_timeout()
    }
    fn handle_timeout(&mut self, conn: &mut TcpConn<'_>, now: Instant) {
        (**self).handle_timeout(conn, now)
    }
}

/// Notifications for one listener, after Pony's `TCPListenNotify`.
///
/// A closure `FnMut(SocketAddr) -> Option<Box<dyn TcpNotify>>` is a listen notifier that
/// only implements `connected`.
pub trait TcpListenNotify: Send {
    /// The listener is accepting connections.
    fn listening(&mut self, listener: &mut ListenerCtl<'_>) {
        let _ = listener;
    }

    /// The listener could not be set up (binding or registering failed; see
    /// [`ListenerCtl::error`]); it will never accept.
    fn not_listening(&mut self, listener: &mut ListenerCtl<'_>) {
        let _ = listener;
    }

    /// A connection from `peer` arrived: return its notifier, or `None` to refuse it.
    fn connected(
        &mut self,
        listener: &mut ListenerCtl<'_>,
        peer: SocketAddr,
    ) -> Option<Box<dyn TcpNotify>>;

    /// The listener stopped listening.
    fn closed(&mut self, listener: &mut ListenerCtl<'_>) {
        let _ = listener;
    }
}

impl<F> TcpListenNotify for F
where
    F: FnMut(SocketAddr) -> Option<Box<dyn TcpNotify>> + Send,
{
    fn connected(
        &mut self,
        _listener: &mut ListenerCtl<'_>,
        peer: SocketAddr,
    ) -> Option<Box<dyn TcpNotify>> {
        self(peer)
    }
}
