//! Batched UDP I/O for Linux: `recvmmsg`/`sendmmsg`, UDP GRO/GSO with a remembered
//! fallback, large socket buffers and the don't-fragment switch.
//!
//! [`BatchSocket`] wraps a non-blocking `mio::net::UdpSocket`; [`RecvBuffers`] and
//! [`SendQueue`] hold the preallocated memory its batch calls use.

mod capabilities;
mod config;
mod control;
mod icmp_errors;
mod recv;
mod send;
mod send_queue;
mod sockaddr;
mod socket;
mod sockopt;

pub use capabilities::{Capabilities, MAX_BATCH, MAX_GSO_SEGMENTS};
pub use config::UdpConfig;
pub use icmp_errors::{IcmpError, drain_icmp_errors, enable_icmp_errors, recv_icmp_error};
pub use recv::{RECV_SLOT_SIZE, RecvBuffers};
pub use send_queue::{QueueError, SendQueue};
pub use socket::{BatchSocket, SocketStats};
