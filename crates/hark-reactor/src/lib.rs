//! hark's event loop: the only layer of hark that performs I/O, as **one** [`Reactor`].
//!
//! One `mio::Poll`, one timer structure fed by every core's `poll_timeout`, one bounded
//! command channel woken by one `mio::Waker`, one thread. On it, side by side and in any
//! number:
//!
//! - UDP sockets ([`udp::BatchSocket`]: recvmmsg/sendmmsg, UDP GSO/GRO with fallback), each
//!   with one or more sans-IO datagram cores ([`DatagramEndpoint`]). A demultiplexer hands
//!   every datagram to the first core that [claims](DatagramEndpoint::claim) it — uTP by
//!   its header shape, a UDP tracker client or a DHT by their own rules, as libtorrent
//!   shares one port — and counts and drops what nobody claims
//!   ([`SlotStats::unclaimed`]). Cores are added to and removed from a running socket
//!   ([`Reactor::add_core`], [`Reactor::remove_core`]).
//! - TCP listeners and connections with Pony-style notifiers ([`tcp`]), TLS being a
//!   wrapping notifier (in the `hark` crate).
//! - Sans-IO protocols over a byte stream ([`stream::StreamCore`]: a BEEP session, a
//!   BitTorrent peer session), plugged into a TCP connection, with or without TLS between.
//! - Linux kernel SCTP sockets with their drivers ([`sctp`]).
//! - A bounded pool of worker threads for blocking work (disk I/O, hashing) whose results
//!   come back on the reactor thread to the owner that submitted them ([`workers`]).
//!
//! # One turn
//!
//! 1. Sleep in `epoll_wait` until readiness, the earliest timer of any core, or a command
//!    (no timer due and nothing ready: no wakeup at all, however many idle connections).
//! 2. Run queued commands (at most one channel's worth: a flood cannot starve I/O).
//! 3. Serve ready sockets, each drained to `WouldBlock` within a budget
//!    ([`ReactorConfig::read_batches_per_turn`] for UDP, [`tcp::TcpConfig::yield_after_reading`]
//!    for TCP, whose connections that yielded resume after the others).
//! 4. Fire due timers, then flush output through bounded queues (a UDP socket's send
//!    queue, a TCP connection's [`tcp::TcpConfig::send_limit`], an SCTP socket's
//!    `max_pending`); a full queue is backpressure (`throttled`, `handle_send_blocked`,
//!    `Throttled`), never memory growth.
//!
//! Other threads reach the reactor through a cloneable [`ReactorHandle`]: closures on the
//! reactor or on one core ([`ReactorHandle::with_reactor`], [`ReactorHandle::with_core`]),
//! TCP connects and listens ([`ReactorHandle::connect`], [`ReactorHandle::listen`]), SCTP
//! sockets and sends. A full channel is a typed error ([`CommandError::Full`]), never a
//! block. [`Reactor::spawn`] runs a reactor on a thread of its own ([`ReactorThread`]).
//!
//! A UDP request/response core and a TCP echo notifier on one reactor, one thread:
//!
//! ```
//! use hark_reactor::tcp::{TcpConn, TcpNotify};
//! use hark_reactor::udp::{BatchSocket, UdpConfig};
//! use hark_reactor::{DatagramEndpoint, Reactor, ReactorConfig, Transmit};
//! use std::collections::VecDeque;
//! use std::io::{Read, Write};
//! use std::net::{SocketAddr, UdpSocket};
//! use std::time::Instant;
//!
//! /// Answers every datagram with `pong` (a sans-IO datagram core).
//! #[derive(Default)]
//! struct Pong(VecDeque<SocketAddr>);
//!
//! impl DatagramEndpoint for Pong {
//!     fn handle_datagram(&mut self, _now: Instant, from: SocketAddr, _data: &[u8]) {
//!         self.0.push_back(from);
//!     }
//!     fn handle_timeout(&mut self, _now: Instant) {}
//!     fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
//!         let destination = self.0.pop_front()?;
//!         buf.get_mut(..4)?.copy_from_slice(b"pong");
//!         Some(Transmit { destination, len: 4, dont_fragment: false })
//!     }
//!     fn poll_timeout(&self) -> Option<Instant> {
//!         None
//!     }
//! }
//!
//! /// Echoes TCP bytes (a Pony-style notifier).
//! struct Echo;
//!
//! impl TcpNotify for Echo {
//!     fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
//!         conn.write(data).is_ok()
//!     }
//! }
//!
//! let mut reactor = Reactor::new(ReactorConfig::default())?;
//! let socket = BatchSocket::bind("127.0.0.1:0".parse()?, &UdpConfig::DEFAULT)?;
//! let udp_addr = socket.local_addr();
//! reactor.add_socket(socket, Pong::default())?;
//! let listener = reactor.handle().listen(
//!     "127.0.0.1:0".parse()?,
//!     |_peer| Some(Box::new(Echo) as Box<dyn TcpNotify>),
//!     None,
//! )?;
//! let reactor = reactor.into_thread()?; // one thread serves both
//!
//! let udp = UdpSocket::bind("127.0.0.1:0")?;
//! udp.send_to(b"ping", udp_addr)?;
//! let mut buf = [0u8; 16];
//! let (len, _) = udp.recv_from(&mut buf)?;
//! assert_eq!(&buf[..len], b"pong");
//!
//! let mut tcp = std::net::TcpStream::connect(listener.local_addr())?;
//! tcp.write_all(b"hello")?;
//! let mut back = [0u8; 5];
//! tcp.read_exact(&mut back)?;
//! assert_eq!(&back, b"hello");
//!
//! reactor.shutdown()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(not(target_os = "linux"))]
compile_error!("hark-reactor's UDP layer currently supports Linux only (recvmmsg/sendmmsg)");

mod endpoint;
mod handle;
mod reactor;
pub mod sctp;
pub mod stream;
pub mod tcp;
pub mod udp;
pub mod workers;

pub use endpoint::{DatagramEndpoint, Transmit};
pub use handle::{CommandError, ReactorAction, ReactorHandle};
pub use reactor::{
    CoreId, Reactor, ReactorConfig, ReactorError, ReactorStats, ReactorThread, SlotStats, SocketId,
};
