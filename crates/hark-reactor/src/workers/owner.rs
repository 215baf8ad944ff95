//! Owners of jobs: [`Submitter`] puts jobs in, [`Deliver`] takes their results out on the
//! reactor thread.

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Instant;

use super::Ready;
use super::pool::{Core, Job, WorkerPool};
use crate::Reactor;
use crate::handle::Shared;

/// Why a job produced no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// The job panicked; the thread that ran it lives on.
    #[error("the job panicked: {message}")]
    Panicked {
        /// The panic's message (or a placeholder when it was not a string).
        message: String,
    },
}

impl JobError {
    fn from_panic(payload: Box<dyn Any + Send>) -> Self {
        let message = match payload.downcast::<String>() {
            Ok(message) => *message,
            Err(payload) => match payload.downcast::<&'static str>() {
                Ok(message) => (*message).to_owned(),
                Err(_) => "a non-string panic payload".to_owned(),
            },
        };
        JobError::Panicked { message }
    }
}

/// What a job gave: its value, or why there is none.
pub type JobResult<R> = Result<R, JobError>;

/// Why [`Submitter::submit`] did not take a job; the job comes back unrun.
#[non_exhaustive]
pub enum SubmitError<F> {
    /// The pool holds its maximum of jobs in flight (backpressure): keep the job and retry
    /// from [`Deliver::room`], which follows this refusal.
    Full(F),
    /// The pool or its reactor was stopped.
    Stopped(F),
}

impl<F> SubmitError<F> {
    /// The job that was not taken.
    pub fn into_job(self) -> F {
        match self {
            SubmitError::Full(job) | SubmitError::Stopped(job) => job,
        }
    }

    /// Whether the pool was full (rather than stopped).
    pub fn is_full(&self) -> bool {
        matches!(self, SubmitError::Full(_))
    }
}

impl<F> fmt::Debug for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::Full(_) => f.write_str("Full(..)"),
            SubmitError::Stopped(_) => f.write_str("Stopped(..)"),
        }
    }
}

impl<F> fmt::Display for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::Full(_) => f.write_str("the worker pool is full"),
            SubmitError::Stopped(_) => f.write_str("the worker pool has stopped"),
        }
    }
}

impl<F> std::error::Error for SubmitError<F> {}

/// Receives an owner's results on the reactor thread.
///
/// Both methods run on the reactor thread with `&mut` access to the [`Reactor`], so an
/// owner whose state lives there reaches it directly: a datagram core through
/// [`Reactor::core_mut`] or [`Reactor::endpoint_mut`], a TCP notifier through
/// [`Reactor::wake_connection`], anything else through what the closure captured. They
/// may submit more jobs. A closure `FnMut(&mut Reactor, Instant, JobResult<R>)` is a
/// `Deliver<R>` whose `room` does nothing.
pub trait Deliver<R>: Send + 'static {
    /// One job's result (its value, or [`JobError::Panicked`]).
    fn delivered(&mut self, reactor: &mut Reactor, now: Instant, result: JobResult<R>);

    /// The pool has room again after a submission of this owner was refused with
    /// [`SubmitError::Full`]. Once per refusal or group of refusals; it may be spurious (a
    /// retry can be refused again, which arms it again).
    fn room(&mut self, reactor: &mut Reactor, now: Instant) {
        let _ = (reactor, now);
    }

    /// Every result that was ready has been handed to [`Deliver::delivered`]: one call
    /// after each batch of one or more, so work that follows results (driving a state
    /// machine, flushing output) can run once per batch instead of once per result.
    fn batch_delivered(&mut self, reactor: &mut Reactor, now: Instant) {
        let _ = (reactor, now);
    }
}

impl<R, F> Deliver<R> for F
where
    F: FnMut(&mut Reactor, Instant, JobResult<R>) + Send + 'static,
{
    fn delivered(&mut self, reactor: &mut Reactor, now: Instant, result: JobResult<R>) {
        self(reactor, now, result);
    }
}

/// One owner: its finished results, waiting for the reactor, and its sink.
pub(super) struct Owner<R> {
    core: Arc<Core>,
    /// Results not yet delivered: at most the owner's jobs in flight.
    results: Mutex<VecDeque<JobResult<R>>>,
    sink: Mutex<Box<dyn Deliver<R>>>,
    /// In the reactor's ready list (cleared by the reactor before it drains `results`).
    scheduled: AtomicBool,
    /// Refused for a full pool and registered as a waiter.
    wants_room: AtomicBool,
    /// `Deliver::room` is due.
    room_due: AtomicBool,
    /// This owner's jobs in flight.
    in_flight: AtomicUsize,
}

impl<R: Send + 'static> Owner<R> {
    pub(super) fn new(core: Arc<Core>, sink: Box<dyn Deliver<R>>) -> Self {
        Owner {
            core,
            results: Mutex::new(VecDeque::new()),
            sink: Mutex::new(sink),
            scheduled: AtomicBool::new(false),
            wants_room: AtomicBool::new(false),
            room_due: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// A job of this owner finished (on a worker thread).
    fn finish(self: &Arc<Self>, result: JobResult<R>) {
        self.core.count(result.is_err());
        self.results
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(result);
        self.schedule(&self.core.shared);
    }

    fn schedule(self: &Arc<Self>, shared: &Shared) {
        if !self.scheduled.swap(true, Ordering::SeqCst) {
            shared.schedule(Arc::clone(self) as Arc<dyn Ready>);
        }
    }
}

impl<R: Send + 'static> Ready for Owner<R> {
    fn deliver(self: Arc<Self>, reactor: &mut Reactor, now: Instant) {
        // Cleared first: a result pushed from now on schedules this owner again.
        self.scheduled.store(false, Ordering::SeqCst);
        let batch =
            std::mem::take(&mut *self.results.lock().unwrap_or_else(PoisonError::into_inner));
        let room = self.room_due.swap(false, Ordering::SeqCst);
        let delivered = !batch.is_empty();
        {
            let mut sink = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
            for result in batch {
                // Released before the call, so the sink can submit again at once.
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                self.core.release();
                sink.delivered(reactor, now, result);
            }
            if delivered {
                sink.batch_delivered(reactor, now);
            }
            if room {
                sink.room(reactor, now);
            }
        }
        if delivered {
            self.core.wake_waiters();
        }
    }

    fn room(self: Arc<Self>, shared: &Shared) {
        self.wants_room.store(false, Ordering::SeqCst);
        self.room_due.store(true, Ordering::SeqCst);
        self.schedule(shared);
    }
}

/// Submits jobs to a [`WorkerPool`] on behalf of one owner (made by
/// [`WorkerPool::submitter`]); their results go to that owner's [`Deliver`] on the reactor
/// thread. Cloneable and usable from any thread, the reactor's included.
pub struct Submitter<R> {
    pool: WorkerPool,
    owner: Arc<Owner<R>>,
}

impl<R> Clone for Submitter<R> {
    fn clone(&self) -> Self {
        Submitter {
            pool: self.pool.clone(),
            owner: Arc::clone(&self.owner),
        }
    }
}

impl<R> fmt::Debug for Submitter<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Submitter")
            .field("in_flight", &self.owner.in_flight.load(Ordering::SeqCst))
            .field("pool", &self.pool)
            .finish()
    }
}

impl<R: Send + 'static> Submitter<R> {
    pub(super) fn new(pool: WorkerPool, owner: Arc<Owner<R>>) -> Self {
        Submitter { pool, owner }
    }

    /// Queues `job` to run on a worker thread; its result (or [`JobError::Panicked`]) is
    /// delivered to this owner's [`Deliver::delivered`] on the reactor thread. Never
    /// blocks: a full pool hands the job back ([`SubmitError::Full`]) and arms
    /// [`Deliver::room`]; a stopped pool or reactor hands it back too
    /// ([`SubmitError::Stopped`]).
    pub fn submit<F>(&self, job: F) -> Result<(), SubmitError<F>>
    where
        F: FnOnce() -> R + Send + 'static,
    {
        let core = self.pool.core();
        if core.is_stopped() {
            return Err(SubmitError::Stopped(job));
        }
        if !core.reserve() {
            if !self.owner.wants_room.swap(true, Ordering::SeqCst) {
                let weak: Weak<Owner<R>> = Arc::downgrade(&self.owner);
                core.wait_for_room(weak);
            }
            return Err(SubmitError::Full(job));
        }
        self.owner.in_flight.fetch_add(1, Ordering::SeqCst);
        let owner = Arc::clone(&self.owner);
        let wrapped: Job = Box::new(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(job)).map_err(JobError::from_panic);
            owner.finish(result);
        });
        self.pool.enqueue(wrapped);
        Ok(())
    }

    /// This owner's jobs in flight (queued, running, or done and awaiting delivery).
    pub fn in_flight(&self) -> usize {
        self.owner.in_flight.load(Ordering::SeqCst)
    }

    /// The pool this submitter feeds.
    pub fn pool(&self) -> &WorkerPool {
        &self.pool
    }
}
