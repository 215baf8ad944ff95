//! hark's mio event loop: the only layer of hark that performs I/O.
//!
//! It owns sockets, drains each to `WouldBlock`, feeds datagrams and timeouts to the
//! sans-IO cores of `hark-proto`, and takes commands from other threads over a bounded
//! channel woken by one `mio::Waker`.
//!
//! - [`udp`]: a batched UDP socket (recvmmsg/sendmmsg, UDP GSO/GRO with fallback).
//! - [`DatagramEndpoint`]: what a sans-IO datagram core offers the loop.
//! - [`Reactor`] and [`ReactorHandle`]: the loop and its cross-thread command handle.

#[cfg(not(target_os = "linux"))]
compile_error!("hark-reactor's UDP layer currently supports Linux only (recvmmsg/sendmmsg)");

mod endpoint;
mod handle;
mod reactor;
pub mod udp;

pub use endpoint::{DatagramEndpoint, Transmit};
pub use handle::{CommandError, EndpointAction, ReactorAction, ReactorHandle};
pub use reactor::{Reactor, ReactorConfig, ReactorError, SlotStats, SocketId};
