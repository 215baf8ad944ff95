//! hark's mio event loop: the only layer of hark that performs I/O.
//!
//! It owns sockets, drains each to `WouldBlock`, feeds datagrams and timeouts to the
//! sans-IO cores of `hark-proto`, and takes commands from other threads over a bounded
//! channel woken by one `mio::Waker`.
pub mod tcp;
