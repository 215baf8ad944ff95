//! The sans-IO parts of a notifier TCP connection (Pony's `TCPConnection`).
//!
//! Nothing here touches a socket: the reactor reads and writes, and these types decide
//! what to do with the bytes.
//!
//! - [`SendQueue`]: pending outgoing bytes under a byte limit, with the throttled /
//!   unthrottled state that backpressure reports.
//! - [`RecvBuffer`]: the read buffer and `expect(qty)` framing of received bytes.
//! - [`ReadBudget`]: how much one connection may read before it yields to the others.
//! - [`CloseState`]: `close` (flush, then shut down) and `hard_close` (drop pending data),
//!   with `closed` reported exactly once.
//! - [`ConnectAttempts`]: the attempts to several resolved addresses, counting those in
//!   flight for `connecting(count)`.

mod budget;
mod close;
mod connect;
mod error;
mod recv_buffer;
mod send_queue;

pub use budget::ReadBudget;
pub use close::{CloseAction, CloseState};
pub use connect::{AttemptId, ConnectAttempts, ConnectEvent};
pub use error::{ExpectError, WriteError};
pub use recv_buffer::RecvBuffer;
pub use send_queue::{Backpressure, SendQueue};
