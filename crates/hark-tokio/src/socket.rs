//! [`UtpSocket`]: one UDP socket, its driver task, and the connections on it.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::future::poll_fn;
use std::hash::BuildHasher;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use hark_proto::utp::{Endpoint, EndpointStats};
use hark_reactor::udp::BatchSocket;
use rand_core::SeedableRng;
use rand_pcg::Pcg32;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::claim::DatagramClaim;
use crate::driver::{Driver, Fd};
use crate::error::UtpError;
use crate::events::UtpEvents;
use crate::options::UtpOptions;
use crate::state::{DriverStats, Shared, State};
use crate::stream::UtpStream;

/// A uTP socket on tokio: one UDP socket whose connections run on hark's sans-IO core,
/// driven by one task.
///
/// Cheap to clone; every clone is the same socket. It must be created inside a tokio
/// runtime with the I/O and time drivers enabled. Once every clone is dropped, incoming
/// connections are refused and queued ones closed; the driver keeps running until the
/// remaining streams are dropped and their connections have finished.
#[derive(Clone)]
pub struct UtpSocket {
    inner: Arc<SocketRef>,
}

struct SocketRef {
    shared: Arc<Shared>,
}

impl Drop for SocketRef {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.sockets = 0;
        state.sockets_gone();
    }
}

impl fmt::Debug for UtpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UtpSocket")
            .field("local", &self.inner.shared.local)
            .finish_non_exhaustive()
    }
}

/// Counters of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketStats {
    /// The adapter's counters (datagrams, batches, claims).
    pub driver: DriverStats,
    /// The core's counters.
    pub endpoint: EndpointStats,
    /// Connections the core holds.
    pub connections: usize,
}

impl UtpSocket {
    /// Binds a UDP socket to `addr` with default [`UtpOptions`].
    pub async fn bind(addr: SocketAddr) -> io::Result<UtpSocket> {
        Self::bind_with(addr, UtpOptions::default()).await
    }

    /// Binds a UDP socket to `addr` with `options`.
    pub async fn bind_with(addr: SocketAddr, options: UtpOptions) -> io::Result<UtpSocket> {
        Self::from_std(std::net::UdpSocket::bind(addr)?, options)
    }

    /// Runs uTP on an existing tokio UDP socket (bound, not connected).
    pub fn from_tokio(socket: tokio::net::UdpSocket, options: UtpOptions) -> io::Result<UtpSocket> {
        Self::from_std(socket.into_std()?, options)
    }

    /// Runs uTP on an existing std UDP socket (bound, not connected); it is made
    /// non-blocking.
    pub fn from_std(socket: std::net::UdpSocket, options: UtpOptions) -> io::Result<UtpSocket> {
        socket.set_nonblocking(true)?;
        let sender = tokio::net::UdpSocket::from_std(socket.try_clone()?)?;
        let batch = BatchSocket::from_std(socket, &options.udp)?;
        let local = batch.local_addr();
        // SAFETY: `Fd` owns the batch socket, whose descriptor stays open and the same until
        // the `AsyncFd` (which owns the `Fd`) is dropped; nothing replaces it.
        let io = unsafe {
            AsyncFd::register_with_interest(Fd(batch), Interest::READABLE | Interest::WRITABLE)
        }
        .map_err(io::Error::from)?;
        let seed = RandomState::new().hash_one(local);
        let endpoint = Endpoint::new(
            options.endpoint_config(),
            Instant::now(),
            Box::new(Pcg32::seed_from_u64(seed)),
        );
        let shared = Shared::new(State::new(endpoint, options.backlog), local, sender);
        tokio::spawn(Driver::new(Arc::clone(&shared), io));
        Ok(UtpSocket {
            inner: Arc::new(SocketRef { shared }),
        })
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.inner.shared
    }

    /// The bound local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.shared.local
    }

    /// Opens a connection to `remote` and waits until it is established. Cancellation-
    /// safe: dropping the future drops the half-open stream, which closes it.
    pub async fn connect(&self, remote: SocketAddr) -> Result<UtpStream, UtpError> {
        let stream = {
            let mut state = self.shared().lock();
            if state.stopped.is_some() {
                return Err(UtpError::SocketClosed);
            }
            let handle = state.endpoint.connect(Instant::now(), remote)?;
            let key = state.insert(handle, remote, false);
            state.retain(key);
            state.wake_driver();
            UtpStream::new(Arc::clone(self.shared()), key)
        };
        poll_fn(|cx| stream.poll_connected(cx)).await?;
        Ok(stream)
    }

    /// Waits for an incoming connection. Cancellation-safe: a connection is taken from
    /// the accept queue only when this returns it.
    pub async fn accept(&self) -> Result<(UtpStream, SocketAddr), UtpError> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for an incoming connection.
    pub fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(UtpStream, SocketAddr), UtpError>> {
        let mut state = self.shared().lock();
        while let Some(key) = state.accept_queue.pop_front() {
            let Some(conn) = state.conns.get_mut(&key) else {
                continue;
            };
            if conn.handle.is_none() && !conn.eof {
                // Failed before anyone took it.
                state.conns.remove(&key);
                continue;
            }
            let remote = conn.remote;
            state.retain(key);
            return Poll::Ready(Ok((UtpStream::new(Arc::clone(self.shared()), key), remote)));
        }
        if state.stopped.is_some() {
            return Poll::Ready(Err(UtpError::SocketClosed));
        }
        if !state.accept_wakers.iter().any(|w| w.will_wake(cx.waker())) {
            state.accept_wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Claims the datagrams for which `filter` returns true, before uTP sees them (a DHT:
    /// `|_, d| d.first() == Some(&b'd')`; uTP packets start with a type/version byte
    /// whose low nibble is 1). At most `capacity` wait in the claim's queue. Filters are
    /// asked in the order they were registered. A filter runs on the driver under the
    /// socket's lock: it must not call into this socket or its streams.
    pub fn claim(
        &self,
        filter: impl Fn(SocketAddr, &[u8]) -> bool + Send + Sync + 'static,
        capacity: usize,
    ) -> DatagramClaim {
        let id = self.shared().lock().claims.add(Box::new(filter), capacity);
        DatagramClaim {
            shared: Arc::clone(self.shared()),
            id,
        }
    }

    /// Sends one datagram from this socket's port (for the port's other users, such as a
    /// DHT or a tracker client); waits while the kernel's send buffer is full.
    pub async fn send_to(&self, data: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.inner.shared.sender.send_to(data, target).await
    }

    /// Polls sending one datagram from this socket's port.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        data: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.inner.shared.sender.poll_send_to(cx, data, target)
    }

    /// The events of every connection on this socket as a `Stream`, through a queue of
    /// `capacity` events.
    pub fn events(&self, capacity: usize) -> UtpEvents {
        let id = self.shared().lock().subscribers.add(capacity);
        UtpEvents {
            shared: Arc::clone(self.shared()),
            id,
        }
    }

    /// Drops this handle and waits until the socket's driver has finished: every handle
    /// and stream dropped and every connection ended (FINs acknowledged and the linger
    /// time over, or failed). A program that exits right after writing should await this,
    /// or its last data and FIN may never leave. Cancellation-safe.
    pub async fn close(self) {
        let shared = Arc::clone(self.shared());
        drop(self);
        poll_fn(|cx| {
            let mut state = shared.lock();
            if state.stopped.is_some() {
                return Poll::Ready(());
            }
            if !state.close_wakers.iter().any(|w| w.will_wake(cx.waker())) {
                state.close_wakers.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }

    /// The socket's counters.
    pub fn stats(&self) -> SocketStats {
        let state = self.shared().lock();
        SocketStats {
            driver: state.stats,
            endpoint: state.endpoint.stats(),
            connections: state.endpoint.connection_count(),
        }
    }
}
