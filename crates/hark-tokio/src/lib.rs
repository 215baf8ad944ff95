//! hark's uTP on tokio: [`UtpSocket`] and [`UtpStream`] (`AsyncRead + AsyncWrite`) over
//! the sans-IO core `hark_proto::utp::Endpoint`, with its LEDBAT congestion control (a
//! background transport that yields to other traffic), libutp/libtorrent interop and
//! hark's optional integrity extension. There is no second engine: this crate only moves
//! datagrams, timers and bytes between tokio and the core.
//!
//! # How it runs
//!
//! - One driver task per socket (no task per packet or per connection). It receives in
//!   batches (`recvmmsg`, UDP GRO) when tokio reports the socket readable, sends the
//!   core's output in batches (`sendmmsg`, UDP GSO) while it is writable, and sleeps on one
//!   `tokio::time` timer set to the core's next deadline. The batch socket is
//!   `hark_reactor::udp::BatchSocket`, registered with tokio through `AsyncFd`.
//! - Streams call the core directly under the socket's mutex (a write is a copy into the
//!   connection's bounded send buffer, a read a copy out of its receive buffer) and wake
//!   the driver. `poll_write` returns `Pending` while the send buffer is full.
//! - Futures are cancellation-safe: `accept` takes a connection only when it returns it,
//!   and a cancelled `connect` drops (and so closes) its half-open stream.
//! - The port can be shared: [`UtpSocket::claim`] hands datagrams that a filter selects
//!   (a DHT's, a tracker's) to a bounded queue before uTP sees them, and
//!   [`UtpSocket::send_to`] sends from the same port.
//! - [`UtpSocket::events`] is every connection's core events as a `Stream`.
//! - ICMP destination-unreachable reports (the kernel's error queue, read on tokio's error
//!   readiness) go to the core: a `connect` to a closed port fails at once with
//!   [`ConnectionError::Unreachable`] instead of after its SYN retries.
//!
//! # Closing
//!
//! `shutdown` sends a FIN after the queued data and completes when the peer acknowledged
//! it; reading goes on until the peer's FIN (half-close). Dropping a stream (both halves)
//! sends a FIN too, never a RESET: what was written is still delivered, and data arriving
//! afterwards is discarded. A program about to exit awaits [`UtpSocket::close`], which
//! returns once every connection has finished, so the last packets are not lost with the
//! runtime.
//!
//! Linux only (like hark-reactor's batch socket). The runtime needs its I/O and time
//! drivers (`enable_all`).
//!
//! # Example
//!
//! An echo over loopback:
//!
//! ```
//! use hark_tokio::UtpSocket;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = UtpSocket::bind("127.0.0.1:0".parse()?).await?;
//! let client = UtpSocket::bind("127.0.0.1:0".parse()?).await?;
//! let addr = server.local_addr();
//! tokio::spawn(async move {
//!     let (mut stream, _peer) = server.accept().await?;
//!     let (mut reader, mut writer) = stream.split();
//!     tokio::io::copy(&mut reader, &mut writer).await?;
//!     writer.shutdown().await?;
//!     Ok::<_, std::io::Error>(())
//! });
//!
//! let mut stream = client.connect(addr).await?;
//! stream.write_all(b"hello over uTP").await?;
//! stream.shutdown().await?; // FIN: the echo's copy ends
//! let mut echoed = Vec::new();
//! stream.read_to_end(&mut echoed).await?;
//! assert_eq!(echoed, b"hello over uTP");
//! # Ok(())
//! # }
//! ```

/// The README's code, run as doctests: the sans-IO uTP program (hark-proto) and the async
/// quick start (this crate); hark-tokio is the one crate that depends on both.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

#[cfg(not(target_os = "linux"))]
compile_error!("hark-tokio uses hark-reactor's batch socket, which is Linux-only");

mod claim;
mod driver;
mod error;
mod events;
mod options;
mod socket;
mod state;
mod stream;

pub use claim::{ClaimFilter, ClaimedDatagram, DatagramClaim};
pub use error::UtpError;
pub use events::{SocketEvent, UtpEvents};
pub use hark_proto::utp::{ConnectionError, ConnectionInfo, ConnectionStats, Event};
pub use hark_reactor::udp::UdpConfig;
pub use options::UtpOptions;
pub use socket::{SocketStats, UtpSocket};
pub use state::DriverStats;
pub use stream::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, UtpStream, WriteHalf};
