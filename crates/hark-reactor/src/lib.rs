//! hark's mio event loop: the only layer of hark that performs I/O.
//!
//! It owns sockets, drains each to `WouldBlock`, feeds datagrams and timeouts to the
//! sans-IO cores of `hark-proto`, and takes commands from other threads over a bounded
//! channel woken by one `mio::Waker`.
//!
//! - [`sctp`]: Linux kernel SCTP sockets (one-to-many and one-to-one) with notifications.
//! - [`tcp`]: TCP connections with a notifier (Pony's `TCPConnection`), on their own loop
//!   or on one thread with a [`Reactor`] (`TcpReactor::run_beside`).
//! - [`udp`]: a batched UDP socket (recvmmsg/sendmmsg, UDP GSO/GRO with fallback).
//! - [`DatagramEndpoint`]: what a sans-IO datagram core offers the loop.
//! - [`Reactor`] and [`ReactorHandle`]: the loop and its cross-thread command handle.
//!
//! A UDP echo endpoint driven by the reactor on its own thread, stopped from this one:
//!
//! ```
//! use hark_reactor::udp::{BatchSocket, UdpConfig};
//! use hark_reactor::{DatagramEndpoint, Reactor, ReactorConfig, Transmit};
//! use std::collections::VecDeque;
//! use std::net::{SocketAddr, UdpSocket};
//! use std::time::Instant;
//!
//! /// Sends every datagram back where it came from.
//! #[derive(Default)]
//! struct Echo(VecDeque<(SocketAddr, Vec<u8>)>);
//!
//! impl DatagramEndpoint for Echo {
//!     fn handle_datagram(&mut self, _now: Instant, from: SocketAddr, data: &[u8]) {
//!         self.0.push_back((from, data.to_vec()));
//!     }
//!     fn handle_timeout(&mut self, _now: Instant) {}
//!     fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
//!         let (destination, data) = self.0.pop_front()?;
//!         buf.get_mut(..data.len())?.copy_from_slice(&data);
//!         Some(Transmit { destination, len: data.len(), dont_fragment: false })
//!     }
//!     fn poll_timeout(&self) -> Option<Instant> {
//!         None
//!     }
//! }
//!
//! let mut reactor = Reactor::new(ReactorConfig::default())?;
//! let socket = BatchSocket::bind("127.0.0.1:0".parse().unwrap(), &UdpConfig::DEFAULT)?;
//! let server = socket.local_addr();
//! reactor.add_socket(socket, Echo::default())?;
//! let handle = reactor.handle();
//! let thread = std::thread::spawn(move || reactor.run());
//!
//! let client = UdpSocket::bind("127.0.0.1:0")?;
//! client.send_to(b"ping", server)?;
//! let mut buf = [0u8; 16];
//! let (len, from) = client.recv_from(&mut buf)?;
//! assert_eq!((&buf[..len], from), (&b"ping"[..], server));
//!
//! handle.shutdown();
//! thread.join().unwrap().unwrap();
//! # Ok::<(), std::io::Error>(())
//! ```

#[cfg(not(target_os = "linux"))]
compile_error!("hark-reactor's UDP layer currently supports Linux only (recvmmsg/sendmmsg)");

mod endpoint;
mod handle;
mod reactor;
pub mod sctp;
pub mod tcp;
pub mod udp;

pub use endpoint::{DatagramEndpoint, Transmit};
pub use handle::{CommandError, EndpointAction, ReactorAction, ReactorHandle};
pub use reactor::{Reactor, ReactorConfig, ReactorError, SlotStats, SocketId};
