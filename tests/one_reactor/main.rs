//! hark-reactor's one loop on real loopback sockets: uTP, TCP notifiers, TLS over a
//! stream core and a UDP core of our own, all on one reactor thread; the datagram
//! demultiplexer; and what idle connections cost.

mod all_at_once;
mod demux;
mod idle;
mod stream_backpressure;
mod util;
