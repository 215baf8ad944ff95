//! A bounded pool of worker threads for blocking work (file I/O, hashing) whose results
//! come back **on the reactor thread**, to the owner that submitted the job.
//!
//! # The contract
//!
//! - [`WorkerPool::new`] starts the threads for one [`Reactor`] (given by its
//!   [`ReactorHandle`](crate::ReactorHandle)); any number of facades on that reactor share
//!   one pool.
//! - An **owner** registers once with [`WorkerPool::submitter`], giving a [`Deliver`] (a
//!   closure `FnMut(&mut Reactor, Instant, JobResult<R>)` is one), and gets a cloneable
//!   [`Submitter<R>`]. [`Submitter::submit`] takes a closure `FnOnce() -> R` from any
//!   thread, the reactor's included, and never blocks.
//! - Every accepted job is delivered exactly once, as `Ok(value)` or
//!   [`JobError::Panicked`] (a panicking job is caught; its thread lives on), to that
//!   owner's [`Deliver::delivered`], **on the reactor thread** with `&mut Reactor`, in the
//!   order the jobs finished. State that lives on the reactor thread is reached from there:
//!   a datagram core added with [`Reactor::add_socket`] or [`Reactor::add_core`] through
//!   [`Reactor::endpoint_mut`] / [`Reactor::core_mut`] (its output is flushed later in the
//!   same turn); a TCP notifier or a stream core through [`Reactor::wake_connection`],
//!   which runs its `woken` at once; anything else through what the closure captured.
//! - Bounds: at most [`WorkerConfig::max_in_flight`] jobs (`queue_capacity + threads`)
//!   are in flight, counting queued, running, and finished-but-undelivered ones, so the
//!   job queue and the results waiting for the reactor are both bounded by it. A
//!   submission beyond it hands the job back ([`SubmitError::Full`]: backpressure, never
//!   growth) and arms [`Deliver::room`], which runs on the reactor thread once a delivery
//!   made room: keep the refused job and retry from there.
//! - Lossless: results never travel through the reactor's bounded command channel (a full
//!   channel would lose them). A worker puts its result in its owner's queue and, unless
//!   the owner is already scheduled (a coalescing flag), puts the owner on the reactor's
//!   ready list and wakes the reactor's one `mio::Waker`. The reactor delivers every ready
//!   owner at the next turn, right after its commands.
//! - Shutdown: when the reactor stops (or is dropped), or on [`WorkerPool::shutdown`], the
//!   threads finish the job they are running and exit; queued jobs are dropped unrun and
//!   later submissions are refused with [`SubmitError::Stopped`]. Nothing is delivered
//!   after the reactor stopped.
//!
//! # Example
//!
//! A datagram core whose state lives on the reactor thread receives what the workers
//! computed:
//!
//! ```
//! use hark_reactor::udp::{BatchSocket, UdpConfig};
//! use hark_reactor::workers::{JobResult, WorkerConfig, WorkerPool};
//! use hark_reactor::{DatagramEndpoint, Reactor, ReactorConfig, Transmit};
//! use std::net::SocketAddr;
//! use std::time::{Duration, Instant};
//!
//! /// A sans-IO core that sums the workers' results.
//! #[derive(Default)]
//! struct Tally {
//!     sum: u64,
//!     results: usize,
//! }
//!
//! impl DatagramEndpoint for Tally {
//!     fn handle_datagram(&mut self, _now: Instant, _from: SocketAddr, _data: &[u8]) {}
//!     fn handle_timeout(&mut self, _now: Instant) {}
//!     fn poll_transmit(&mut self, _now: Instant, _buf: &mut [u8]) -> Option<Transmit> {
//!         None
//!     }
//!     fn poll_timeout(&self) -> Option<Instant> {
//!         None
//!     }
//! }
//!
//! let mut reactor = Reactor::new(ReactorConfig::default())?;
//! let socket = BatchSocket::bind("127.0.0.1:0".parse()?, &UdpConfig::DEFAULT)?;
//! let tally = reactor.add_socket(socket, Tally::default())?;
//! let pool = WorkerPool::new(&reactor.handle(), WorkerConfig::with_threads(2))?;
//! // Runs on the reactor thread, with the reactor: the core is right there.
//! let squares = pool.submitter(move |reactor: &mut Reactor, _now: Instant, result: JobResult<u64>| {
//!     if let Some(core) = reactor.endpoint_mut::<Tally>(tally) {
//!         core.sum += result.unwrap_or(0);
//!         core.results += 1;
//!     }
//! });
//! let reactor = reactor.into_thread()?;
//!
//! for n in 1..=10u64 {
//!     squares.submit(move || n * n)?; // on a worker thread
//! }
//! while squares.in_flight() > 0 {
//!     std::thread::sleep(Duration::from_millis(1));
//! }
//! let reactor = reactor.shutdown()?; // the pool's threads exit with it
//! let core = reactor.endpoint::<Tally>(tally).unwrap();
//! assert_eq!((core.sum, core.results), (385, 10));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod owner;
mod pool;

use std::sync::Arc;
use std::time::Instant;

pub use config::WorkerConfig;
pub use owner::{Deliver, JobError, JobResult, SubmitError, Submitter};
pub use pool::WorkerPool;

use crate::Reactor;
use crate::handle::Shared;

/// An owner the reactor delivers to (results, or room after a refusal).
pub(crate) trait Ready: Send + Sync {
    /// Hands the owner's pending results (and a due `room`) to its sink, on the reactor
    /// thread.
    fn deliver(self: Arc<Self>, reactor: &mut Reactor, now: Instant);

    /// The pool has room again: mark `room` due and schedule a delivery (any thread).
    fn room(self: Arc<Self>, shared: &Shared);
}
