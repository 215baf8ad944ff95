//! Notifier TCP connections on real loopback sockets.

mod backpressure;
mod connect;
mod framing;
mod util;
mod yielding;
