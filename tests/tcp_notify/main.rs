//! Notifier TCP connections on real loopback sockets.

mod backpressure;
mod connect;
mod events;
mod framing;
mod listen_range;
mod refused_write;
mod semantics;
mod tls;
mod util;
mod yielding;
