//! Mode (a): hark's reactor owns the UDP socket and drives the [`UtpContext`] on its own
//! thread; [`UtpRemote`] reaches it from any other thread.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use hark_reactor::udp::{BatchSocket, UdpConfig};
use hark_reactor::{
    CommandError, DatagramEndpoint, Reactor, ReactorConfig, ReactorHandle, ReactorThread, SocketId,
    Transmit,
};

use hark_proto::utp::Unreachable;

use super::context::{UtpContext, UtpContextBuilder};
use super::error::ReactorUtpError;
use super::outbox::Gauge;
use super::socket::UtpSocket;

/// Whether `data` has the shape of a uTP packet (BEP 29): a 20-byte header at least,
/// version 1, a type from `ST_DATA` to `ST_SYN`. How the context claims datagrams on a UDP
/// port it shares with other cores: a DHT message (bencoded, `d...`) or a UDP tracker
/// packet (a big-endian action or connection id) never has this shape. Packets for
/// unknown connections are claimed too, so the core can answer them with a RESET.
pub fn looks_like_utp(data: &[u8]) -> bool {
    match data.first() {
        Some(&first) => data.len() >= 20 && first & 0x0f == 1 && first >> 4 <= 4,
        None => false,
    }
}

impl DatagramEndpoint for UtpContext {
    fn claim(&self, _from: SocketAddr, data: &[u8]) -> bool {
        looks_like_utp(data)
    }

    fn max_datagram_size(&self) -> usize {
        usize::from(self.datagram_limit())
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        self.observe(now);
        // Non-uTP datagrams are counted in the context's stats and logged at debug level.
        let _ = UtpContext::handle_datagram(self, now, from, data);
    }

    fn flush_deferred(&mut self, now: Instant) {
        self.observe(now);
        self.flush_batch(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.observe(now);
        self.run_timers(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        loop {
            if let Some(t) = self.next_transmit(now, buf) {
                return Some(Transmit {
                    destination: t.destination,
                    len: t.len,
                    dont_fragment: t.dont_fragment,
                });
            }
            // Sending raised events (overhead statistics) whose callbacks may write more.
            if !self.drain(now) {
                return None;
            }
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.core_timeout()
    }

    fn handle_icmp_error(
        &mut self,
        now: Instant,
        destination: SocketAddr,
        kind: Unreachable,
        quoted: &[u8],
    ) {
        self.observe(now);
        let _ = self.icmp_error(now, destination, kind, quoted);
        self.drain(now);
    }
}

/// A [`UtpContext`] on hark's reactor, which owns its UDP socket (mode (a)).
///
/// [`bind`](UtpReactor::bind) starts a reactor thread of its own;
/// [`bind_on`](UtpReactor::bind_on) puts the context on a reactor that is already
/// running (one thread for uTP, TCP notifiers, other UDP cores on the same port, SCTP).
/// Callbacks and hub listeners run on the reactor thread. Other threads use a
/// [`UtpRemote`]. [`stop`](UtpReactor::stop) takes the context off the reactor (stopping
/// the reactor it started, if any) and returns it for inspection.
#[derive(Debug)]
pub struct UtpReactor {
    remote: UtpRemote,
    local: SocketAddr,
    /// The reactor this context started, if it did not join a running one.
    thread: Option<ReactorThread>,
    /// Taken off the reactor already ([`UtpReactor::stop`]).
    stopped: bool,
}

impl UtpReactor {
    /// Builds the context, binds a UDP socket to `addr` (port 0 picks a free port;
    /// reported to the hub as `listen_success`/`listen_failure`) and starts a reactor
    /// thread for it. The counterpart of [`TcpListener::bind`](crate::tcp::TcpListener::bind).
    pub fn bind(
        builder: UtpContextBuilder,
        addr: SocketAddr,
    ) -> Result<UtpReactor, ReactorUtpError> {
        Self::bind_range_with_udp(builder, addr.ip(), [addr.port()], &UdpConfig::DEFAULT)
    }

    /// Like [`bind`](Self::bind), on `ip` at the first port of `ports` that binds (port
    /// 0: any free port), reporting every port tried in `listen_success` (or
    /// `listen_failure` when none binds). The counterpart of
    /// [`TcpListener::bind_range`](crate::tcp::TcpListener::bind_range).
    pub fn bind_range(
        builder: UtpContextBuilder,
        ip: IpAddr,
        ports: impl IntoIterator<Item = u16>,
    ) -> Result<UtpReactor, ReactorUtpError> {
        Self::bind_range_with_udp(builder, ip, ports, &UdpConfig::DEFAULT)
    }

    /// Like [`bind`](Self::bind), with the UDP socket set up by `udp` (see
    /// [`bind_range_with_udp`](Self::bind_range_with_udp)).
    pub fn bind_with_udp(
        builder: UtpContextBuilder,
        addr: SocketAddr,
        udp: &UdpConfig,
    ) -> Result<UtpReactor, ReactorUtpError> {
        Self::bind_range_with_udp(builder, addr.ip(), [addr.port()], udp)
    }

    /// Like [`bind_range`](Self::bind_range), with the UDP socket set up by `udp` (socket
    /// buffer sizes, batching, GSO/GRO) instead of [`UdpConfig::DEFAULT`]:
    /// [`UdpConfig::OS_BUFFERS`] keeps the OS default socket buffers, and
    /// [`UdpConfig::NO_OFFLOAD`] sends every uTP packet as its own datagram, which is what
    /// a packet capture on the sending host should show (with GSO a capture there sees one
    /// large datagram per batch of packets).
    pub fn bind_range_with_udp(
        builder: UtpContextBuilder,
        ip: IpAddr,
        ports: impl IntoIterator<Item = u16>,
        udp: &UdpConfig,
    ) -> Result<UtpReactor, ReactorUtpError> {
        let (context, socket, gauge) = Self::prepare(builder, ip, ports, udp)?;
        let local = socket.local_addr();
        let mut reactor = Reactor::new(ReactorConfig::default())?;
        let id = reactor.add_socket(socket, context)?;
        let handle = reactor.handle();
        let thread = reactor.into_thread().map_err(ReactorUtpError::Thread)?;
        Ok(UtpReactor {
            remote: UtpRemote {
                handle,
                socket: id,
                gauge,
            },
            local,
            thread: Some(thread),
            stopped: false,
        })
    }

    /// Builds the context, binds a UDP socket to `addr` and puts both on the running
    /// reactor of `reactor`, as the socket's first core: other cores added to the same
    /// socket later ([`Reactor::add_core`]) get the datagrams that are not uTP (see
    /// [`looks_like_utp`]). Waits for the reactor to take the socket.
    pub fn bind_on(
        reactor: &ReactorHandle,
        builder: UtpContextBuilder,
        addr: SocketAddr,
    ) -> Result<UtpReactor, ReactorUtpError> {
        let udp = UdpConfig::DEFAULT;
        let (context, socket, gauge) = Self::prepare(builder, addr.ip(), [addr.port()], &udp)?;
        let local = socket.local_addr();
        let (tx, rx) = mpsc::sync_channel(1);
        // A full command channel drops the closure, and the socket with it: `Busy`.
        reactor.with_reactor(move |reactor, _now| {
            let _ = tx.send(reactor.add_socket(socket, context));
        })?;
        let id = rx.recv().map_err(|_| ReactorUtpError::Stopped)??;
        Ok(UtpReactor {
            remote: UtpRemote {
                handle: reactor.clone(),
                socket: id,
                gauge,
            },
            local,
            thread: None,
            stopped: false,
        })
    }

    /// The context with its gauge, and its socket bound as the hub reports.
    fn prepare(
        builder: UtpContextBuilder,
        ip: IpAddr,
        ports: impl IntoIterator<Item = u16>,
        udp: &UdpConfig,
    ) -> Result<(UtpContext, BatchSocket, Arc<Gauge>), ReactorUtpError> {
        let mut context = builder.build_unchecked();
        let limit = context.connection_config().send_buffer.max(64 * 1024);
        let gauge = Arc::new(Gauge::new(limit));
        context.gauge = Some(Arc::clone(&gauge));
        let socket = context.bind_udp(ip, ports)?;
        let socket = BatchSocket::from_std(socket, udp)?;
        Ok((context, socket, gauge))
    }

    /// The bound UDP address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The UDP socket's id on the reactor (to add other cores to it).
    #[must_use]
    pub fn socket_id(&self) -> SocketId {
        self.remote.socket
    }

    /// A handle for other threads.
    #[must_use]
    pub fn remote(&self) -> UtpRemote {
        self.remote.clone()
    }

    /// Takes the context off the reactor and returns it (its sockets, stats and hub). A
    /// reactor started by [`bind`](Self::bind) stops; a reactor joined with
    /// [`bind_on`](Self::bind_on) runs on without this socket.
    pub fn stop(mut self) -> Result<UtpContext, ReactorUtpError> {
        self.stopped = true;
        let socket = self.remote.socket;
        let result = match self.thread.take() {
            Some(thread) => {
                let mut reactor = thread.shutdown()?;
                reactor
                    .remove_socket::<UtpContext>(socket)
                    .map(|(_, context)| context)
                    .ok_or(ReactorUtpError::Stopped)
            }
            None => {
                let (tx, rx) = mpsc::sync_channel(1);
                self.remote.handle.with_reactor(move |reactor, _now| {
                    let removed = reactor.remove_socket::<UtpContext>(socket);
                    let _ = tx.send(removed.map(|(_, context)| context));
                })?;
                rx.recv().ok().flatten().ok_or(ReactorUtpError::Stopped)
            }
        };
        self.remote.gauge.close();
        result
    }
}

impl Drop for UtpReactor {
    fn drop(&mut self) {
        self.remote.gauge.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.shutdown();
        } else if !self.stopped {
            let socket = self.remote.socket;
            let _ = self.remote.handle.with_reactor(move |reactor, _now| {
                let _ = reactor.remove_socket::<UtpContext>(socket);
            });
        }
    }
}

/// Reaches a reactor-driven [`UtpContext`] from any thread: cloneable, `Send`.
///
/// Commands travel over the reactor's bounded queue. [`write`](UtpRemote::write) blocks
/// while the bytes written from other threads and not yet taken by the core exceed the
/// send buffer size: bounded memory, no busy waiting.
#[derive(Debug, Clone)]
pub struct UtpRemote {
    handle: ReactorHandle,
    socket: SocketId,
    gauge: Arc<Gauge>,
}

impl UtpRemote {
    /// Runs `f` on the context on the reactor thread and returns its result.
    pub fn with_context<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut UtpContext) -> R + Send + 'static,
    ) -> Result<R, ReactorUtpError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.handle
            .with_endpoint(self.socket, move |context: &mut UtpContext, now| {
                context.observe(now);
                let _ = tx.send(f(context));
                context.drain(now);
            })?;
        rx.recv().map_err(|_| ReactorUtpError::Stopped)
    }

    /// Opens a connection to `remote`; `on_connect` or `on_error` follows. A silent peer
    /// times out after 15 s by default (see [`UtpContext::connect`]); a closed port fails
    /// at once with `UTP_ECONNREFUSED`, from the ICMP error the reactor reads off its
    /// socket ([`ContextHandle::connection_error`](super::ContextHandle::connection_error)
    /// says [`ConnectionError::Unreachable`](super::ConnectionError::Unreachable)).
    pub fn connect(&self, remote: SocketAddr) -> Result<UtpSocket, ReactorUtpError> {
        let opened = self.with_context(move |context| {
            let now = context.now();
            context.open(now, remote)
        })?;
        Ok(opened?)
    }

    /// Writes all of `data` on `socket`, blocking while the send budget is used up. The
    /// bytes are sent in order after anything written before; if the connection fails
    /// first, `on_error` reports it and the rest is dropped.
    pub fn write(&self, socket: UtpSocket, data: &[u8]) -> Result<(), ReactorUtpError> {
        for chunk in data.chunks(self.gauge.chunk()) {
            if !self.gauge.reserve(chunk.len()) {
                return Err(ReactorUtpError::Stopped);
            }
            let (len, chunk) = (chunk.len(), chunk.to_vec());
            self.retry(move || {
                let chunk = chunk.clone();
                move |context: &mut UtpContext, _now: Instant| context.remote_write(socket, &chunk)
            })
            .inspect_err(|_| self.gauge.release(len))?;
        }
        Ok(())
    }

    /// Closes the sending direction of `socket` once everything written is queued.
    /// `on_fin_acked` reports when all of it arrived; `UTP_STATE_DESTROYING` follows after
    /// the linger ([`ConnectionConfig::linger`](super::ConnectionConfig::linger), 2 s by default).
    pub fn close(&self, socket: UtpSocket) -> Result<(), ReactorUtpError> {
        self.retry(move || {
            move |context: &mut UtpContext, _now: Instant| context.remote_close(socket)
        })
    }

    /// The application processed read bytes it held (libutp's `utp_read_drained`): asks
    /// `get_read_buffer_size` again and reopens the receive window.
    pub fn read_drained(&self, socket: UtpSocket) -> Result<(), ReactorUtpError> {
        self.retry(move || {
            move |context: &mut UtpContext, _now: Instant| {
                let _ = context.read_drained_queued(socket);
            }
        })
    }

    /// Asks the reactor thread to stop (the whole reactor, with whatever else it hosts).
    pub fn shutdown(&self) {
        self.handle.shutdown();
        self.gauge.close();
    }

    /// Queues a command, waiting briefly while the bounded queue is full.
    fn retry<F>(&self, make: impl Fn() -> F) -> Result<(), ReactorUtpError>
    where
        F: FnOnce(&mut UtpContext, Instant) + Send + 'static,
    {
        loop {
            match self.handle.with_endpoint(self.socket, make()) {
                Ok(()) => return Ok(()),
                Err(CommandError::Full) => thread::sleep(Duration::from_millis(1)),
                Err(error) => return Err(error.into()),
            }
        }
    }
}

impl UtpContext {
    /// A write from another thread: its bytes were reserved in the gauge.
    fn remote_write(&mut self, socket: UtpSocket, data: &[u8]) {
        match self.socket_handle(socket) {
            Some(handle) => self.write_or_queue(handle, data),
            None => {
                if let Some(gauge) = &self.gauge {
                    gauge.release(data.len());
                }
            }
        }
    }

    fn remote_close(&mut self, socket: UtpSocket) {
        let _ = self.close_queued(socket);
    }
}
