//! [`UtpStream`]: one uTP connection as tokio's `AsyncRead + AsyncWrite`, and its halves.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hark_proto::utp::{ConnectionInfo, ConnectionStats, WriteError};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::UtpError;
use crate::state::{Shared, StreamKey, register};

/// One connection's reference into its socket's state; the last one dropped releases it.
struct StreamRef {
    shared: Arc<Shared>,
    key: StreamKey,
}

impl Drop for StreamRef {
    fn drop(&mut self) {
        self.shared.lock().release(self.key);
    }
}

impl StreamRef {
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let mut guard = self.shared.lock();
        let state = &mut *guard;
        let Some(conn) = state.conns.get_mut(&self.key) else {
            return Poll::Ready(Err(UtpError::SocketClosed.into()));
        };
        if let Some(handle) = conn.handle {
            if let Ok((a, b)) = state.endpoint.readable_slices(handle) {
                let first = a.len().min(buf.remaining());
                buf.put_slice(&a[..first]);
                let second = b.len().min(buf.remaining());
                buf.put_slice(&b[..second]);
                let n = first + second;
                if n > 0 {
                    let _ = state.endpoint.consume(handle, n);
                    // Reading may reopen the receive window: the driver sends the update.
                    state.wake_driver();
                    return Poll::Ready(Ok(()));
                }
            }
        }
        if conn.eof {
            return Poll::Ready(Ok(()));
        }
        if let Some(error) = conn.error {
            return Poll::Ready(Err(UtpError::Connection(error).into()));
        }
        if state.stopped.is_some() {
            return Poll::Ready(Err(UtpError::SocketClosed.into()));
        }
        if conn.handle.is_none() {
            return Poll::Ready(Err(UtpError::Aborted.into()));
        }
        register(&mut conn.read_waker, cx.waker());
        Poll::Pending
    }

    fn poll_write(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut guard = self.shared.lock();
        let state = &mut *guard;
        let Some(conn) = state.conns.get_mut(&self.key) else {
            return Poll::Ready(Err(UtpError::SocketClosed.into()));
        };
        if conn.write_closed {
            return Poll::Ready(Err(UtpError::WriteClosed.into()));
        }
        if let Some(error) = conn.error {
            return Poll::Ready(Err(UtpError::Connection(error).into()));
        }
        if state.stopped.is_some() {
            return Poll::Ready(Err(UtpError::SocketClosed.into()));
        }
        let Some(handle) = conn.handle else {
            return Poll::Ready(Err(UtpError::Aborted.into()));
        };
        match state.endpoint.write(handle, data) {
            Ok(0) => {
                register(&mut conn.write_waker, cx.waker());
                Poll::Pending
            }
            Ok(n) => {
                state.wake_driver();
                Poll::Ready(Ok(n))
            }
            Err(WriteError::Failed(error)) => Poll::Ready(Err(UtpError::Connection(error).into())),
            Err(WriteError::Closed) => Poll::Ready(Err(UtpError::WriteClosed.into())),
            Err(_) => Poll::Ready(Err(UtpError::SocketClosed.into())),
        }
    }

    fn shutdown(&self) {
        self.shared.lock().shutdown_write(self.key);
    }

    /// Closes the sending direction and waits until the peer acknowledged the FIN.
    fn poll_shutdown(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut guard = self.shared.lock();
        guard.shutdown_write(self.key);
        let state = &mut *guard;
        let Some(conn) = state.conns.get_mut(&self.key) else {
            return Poll::Ready(Err(UtpError::SocketClosed.into()));
        };
        if conn.fin_acked {
            return Poll::Ready(Ok(()));
        }
        if let Some(error) = conn.error {
            return Poll::Ready(Err(UtpError::Connection(error).into()));
        }
        if state.stopped.is_some() {
            return Poll::Ready(Err(UtpError::SocketClosed.into()));
        }
        if conn.handle.is_none() {
            return Poll::Ready(Err(UtpError::Aborted.into()));
        }
        register(&mut conn.write_waker, cx.waker());
        Poll::Pending
    }

    fn peer_addr(&self) -> SocketAddr {
        let state = self.shared.lock();
        state
            .conns
            .get(&self.key)
            .map_or(self.shared.local, |c| c.remote)
    }

    fn stats(&self) -> ConnectionStats {
        let mut state = self.shared.lock();
        let state = &mut *state;
        let Some(conn) = state.conns.get_mut(&self.key) else {
            return ConnectionStats::default();
        };
        if let Some(stats) = conn.handle.and_then(|h| state.endpoint.connection_stats(h)) {
            conn.stats = stats;
        }
        conn.stats
    }

    fn info(&self) -> Option<ConnectionInfo> {
        let state = self.shared.lock();
        let handle = state.conns.get(&self.key)?.handle?;
        state.endpoint.connection_info(handle)
    }

    fn poll_connected(&self, cx: &mut Context<'_>) -> Poll<Result<(), UtpError>> {
        let mut guard = self.shared.lock();
        let state = &mut *guard;
        let Some(conn) = state.conns.get_mut(&self.key) else {
            return Poll::Ready(Err(UtpError::SocketClosed));
        };
        if let Some(error) = conn.error {
            return Poll::Ready(Err(UtpError::Connection(error)));
        }
        if conn.connected {
            return Poll::Ready(Ok(()));
        }
        if conn.handle.is_none() || state.stopped.is_some() {
            return Poll::Ready(Err(UtpError::SocketClosed));
        }
        register(&mut conn.write_waker, cx.waker());
        Poll::Pending
    }
}

/// A uTP connection: tokio's `AsyncRead` and `AsyncWrite` over hark's LEDBAT core.
///
/// - `poll_write` queues into the connection's send buffer (`UtpOptions::send_buffer`)
///   and returns `Pending` while it is full; `poll_flush` has nothing to do.
/// - `poll_shutdown` closes the sending direction (a FIN follows the queued data) and
///   completes once the peer acknowledged the FIN, so every byte written was delivered.
///   The stream can still read until the peer's FIN (half-close).
/// - Reading returns 0 at the peer's FIN; a failed connection reads and writes an
///   `io::Error` whose kind says why (`ConnectionRefused`, `ConnectionReset`, `TimedOut`)
///   and whose inner error is a [`UtpError`].
/// - Dropping the stream (both halves, when split) sends a FIN after the queued data,
///   which is still delivered, never a RESET; data arriving afterwards is read and
///   discarded so the peer can finish, and the connection ends when the FINs are
///   acknowledged or after the linger time. Dropping a stream that is still connecting
///   closes it the same way.
pub struct UtpStream {
    inner: Arc<StreamRef>,
}

impl fmt::Debug for UtpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UtpStream")
            .field("id", &self.inner.key)
            .finish_non_exhaustive()
    }
}

impl UtpStream {
    pub(crate) fn new(shared: Arc<Shared>, key: StreamKey) -> UtpStream {
        UtpStream {
            inner: Arc::new(StreamRef { shared, key }),
        }
    }

    pub(crate) fn poll_connected(&self, cx: &mut Context<'_>) -> Poll<Result<(), UtpError>> {
        self.inner.poll_connected(cx)
    }

    /// The connection's number on its socket (as [`SocketEvent`](crate::SocketEvent)s
    /// carry it).
    pub fn id(&self) -> u64 {
        self.inner.key
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.inner.peer_addr()
    }

    /// The local address (the socket's).
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.shared.local
    }

    /// The connection's counters (the last ones seen once the connection is gone).
    pub fn stats(&self) -> ConnectionStats {
        self.inner.stats()
    }

    /// RTT, windows and buffer levels, while the connection exists.
    pub fn info(&self) -> Option<ConnectionInfo> {
        self.inner.info()
    }

    /// Borrowed halves for reading and writing at the same time.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (ReadHalf(&self.inner), WriteHalf(&self.inner))
    }

    /// Owned halves, each movable to its own task. Dropping the write half closes the
    /// sending direction (as `poll_shutdown`); the connection is released when both are
    /// dropped.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        (
            OwnedReadHalf(Arc::clone(&self.inner)),
            OwnedWriteHalf(self.inner),
        )
    }
}

impl AsyncRead for UtpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.inner.poll_read(cx, buf)
    }
}

impl AsyncWrite for UtpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_shutdown(cx)
    }
}

/// The reading half of a [`UtpStream::split`].
#[derive(Debug)]
pub struct ReadHalf<'a>(&'a StreamRefHandle);

/// The writing half of a [`UtpStream::split`].
#[derive(Debug)]
pub struct WriteHalf<'a>(&'a StreamRefHandle);

/// The reading half of a [`UtpStream::into_split`].
#[derive(Debug)]
pub struct OwnedReadHalf(StreamRefHandle);

/// The writing half of a [`UtpStream::into_split`]; dropping it closes the sending
/// direction.
#[derive(Debug)]
pub struct OwnedWriteHalf(StreamRefHandle);

type StreamRefHandle = Arc<StreamRef>;

impl fmt::Debug for StreamRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamRef")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        self.0.shutdown();
    }
}

impl OwnedReadHalf {
    /// The peer's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.0.peer_addr()
    }
}

impl OwnedWriteHalf {
    /// The peer's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.0.peer_addr()
    }

    /// The connection's counters.
    pub fn stats(&self) -> ConnectionStats {
        self.0.stats()
    }
}

macro_rules! impl_read {
    ($t:ty) => {
        impl AsyncRead for $t {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                self.0.poll_read(cx, buf)
            }
        }
    };
}

macro_rules! impl_write {
    ($t:ty) => {
        impl AsyncWrite for $t {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.0.poll_write(cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.0.poll_shutdown(cx)
            }
        }
    };
}

impl_read!(ReadHalf<'_>);
impl_read!(OwnedReadHalf);
impl_write!(WriteHalf<'_>);
impl_write!(OwnedWriteHalf);
