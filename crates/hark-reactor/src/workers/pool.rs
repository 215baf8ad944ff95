//! [`WorkerPool`]: the threads, the bounded job queue and the in-flight count.

use std::convert::Infallible;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

use super::owner::{Deliver, Owner, Submitter};
use super::{Ready, WorkerConfig};
use crate::ReactorHandle;
use crate::handle::Shared;

/// A job as the threads see it: the user's closure wrapped so that it hands its result to
/// its owner.
pub(super) type Job = Box<dyn FnOnce() + Send>;

/// What the threads, the owners and the handles share.
pub(super) struct Core {
    /// The reactor's shared state: its ready list, waker and stop flag.
    pub(super) shared: Arc<Shared>,
    /// Jobs accepted and not yet delivered.
    in_flight: AtomicUsize,
    max_in_flight: usize,
    stopped: AtomicBool,
    /// Owners refused for a full pool, each at most once (their `wants_room` flag).
    waiters: Mutex<Vec<Weak<dyn Ready>>>,
    has_waiters: AtomicBool,
    live_threads: AtomicUsize,
    completed: AtomicU64,
    panicked: AtomicU64,
}

impl Core {
    /// Whether the pool or its reactor was stopped.
    pub(super) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst) || self.shared.stop.load(Ordering::SeqCst)
    }

    /// Takes one in-flight slot, or `false` when the pool is full.
    pub(super) fn reserve(&self) -> bool {
        self.in_flight
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max_in_flight).then_some(n + 1)
            })
            .is_ok()
    }

    /// Gives back the slot of a delivered (or never queued) job.
    pub(super) fn release(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// Counts a finished job.
    pub(super) fn count(&self, panicked: bool) {
        self.completed.fetch_add(1, Ordering::Relaxed);
        if panicked {
            self.panicked.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records that `owner` was refused for a full pool. If room appeared meanwhile (a
    /// delivery that saw no waiter yet), the waiters hear it at once.
    pub(super) fn wait_for_room(&self, owner: Weak<dyn Ready>) {
        self.waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(owner);
        self.has_waiters.store(true, Ordering::SeqCst);
        if self.in_flight.load(Ordering::SeqCst) < self.max_in_flight {
            self.wake_waiters();
        }
    }

    /// Tells every waiting owner that there is room (delivered on the reactor thread).
    pub(super) fn wake_waiters(&self) {
        if !self.has_waiters.swap(false, Ordering::SeqCst) {
            return;
        }
        let waiters =
            std::mem::take(&mut *self.waiters.lock().unwrap_or_else(PoisonError::into_inner));
        for waiter in waiters.iter().filter_map(Weak::upgrade) {
            waiter.room(&self.shared);
        }
    }
}

/// The part the handles hold: when the last one goes, the job channel disconnects and
/// the threads exit once the queue is empty.
struct Front {
    core: Arc<Core>,
    jobs: Sender<Job>,
    /// Dropped by [`WorkerPool::shutdown`]: disconnects the threads' stop channel.
    stop_signal: Mutex<Option<Sender<Infallible>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    thread_count: usize,
}

/// A bounded pool of threads for blocking work (file I/O, hashing) whose results come back
/// on the reactor thread, to the owner that submitted the job. See the [module
/// documentation](super) for the contract.
///
/// Cloning gives another handle to the same pool. The threads exit when the reactor stops,
/// on [`WorkerPool::shutdown`], or once every `WorkerPool` and [`Submitter`] is dropped
/// and the queue is empty.
#[derive(Clone)]
pub struct WorkerPool {
    front: Arc<Front>,
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("threads", &self.front.thread_count)
            .field("live_threads", &self.live_threads())
            .field("in_flight", &self.in_flight())
            .field("max_in_flight", &self.max_in_flight())
            .finish()
    }
}

impl WorkerPool {
    /// Starts `config.threads` threads whose results are delivered on `reactor`'s thread.
    pub fn new(reactor: &ReactorHandle, config: WorkerConfig) -> io::Result<WorkerPool> {
        let thread_count = config.thread_count();
        let max_in_flight = config.max_in_flight();
        let core = Arc::new(Core {
            shared: Arc::clone(&reactor.shared),
            in_flight: AtomicUsize::new(0),
            max_in_flight,
            stopped: AtomicBool::new(false),
            waiters: Mutex::new(Vec::new()),
            has_waiters: AtomicBool::new(false),
            live_threads: AtomicUsize::new(0),
            completed: AtomicU64::new(0),
            panicked: AtomicU64::new(0),
        });
        // Every queued job holds an in-flight slot, so this channel is never full.
        let (jobs, queue) = crossbeam_channel::bounded::<Job>(max_in_flight);
        let (stop_signal, stop_watch) = crossbeam_channel::bounded::<Infallible>(0);
        let front = Arc::new(Front {
            core: Arc::clone(&core),
            jobs,
            stop_signal: Mutex::new(Some(stop_signal)),
            threads: Mutex::new(Vec::with_capacity(thread_count)),
            thread_count,
        });
        let pool = WorkerPool { front };
        for index in 0..thread_count {
            let (core, queue, stop_watch) = (Arc::clone(&core), queue.clone(), stop_watch.clone());
            core.live_threads.fetch_add(1, Ordering::SeqCst);
            let spawned = std::thread::Builder::new()
                .name(format!("{}-{index}", config.thread_name))
                .spawn(move || work(&core, &queue, &stop_watch));
            match spawned {
                Ok(thread) => pool.threads().push(thread),
                Err(error) => {
                    pool.front.core.live_threads.fetch_sub(1, Ordering::SeqCst);
                    pool.shutdown();
                    return Err(error);
                }
            }
        }
        Ok(pool)
    }

    /// Registers an owner: the results of the jobs submitted through the returned
    /// [`Submitter`] (and its clones) are handed to `deliver` on the reactor thread, one
    /// call each, in the order the jobs finished.
    pub fn submitter<R, D>(&self, deliver: D) -> Submitter<R>
    where
        R: Send + 'static,
        D: Deliver<R>,
    {
        let owner = Arc::new(Owner::new(Arc::clone(&self.front.core), Box::new(deliver)));
        Submitter::new(self.clone(), owner)
    }

    /// Queues `job` (an owner's wrapped closure) whose in-flight slot is already taken.
    pub(super) fn enqueue(&self, job: Job) {
        // Cannot fail: the slot reserved for this job guarantees room, and the channel
        // stays connected while this handle (holding its sender) exists and the threads
        // hold receivers; a job queued after the threads exited is dropped unrun, as any
        // job still queued when the pool stops.
        let _ = self.front.jobs.try_send(job);
    }

    pub(super) fn core(&self) -> &Arc<Core> {
        &self.front.core
    }

    /// The number of threads the pool started.
    pub fn threads_started(&self) -> usize {
        self.front.thread_count
    }

    /// Threads still running (they exit after a stop, once their current job is done).
    pub fn live_threads(&self) -> usize {
        self.front.core.live_threads.load(Ordering::SeqCst)
    }

    /// Jobs accepted and not yet delivered (queued, running, or done and awaiting the
    /// reactor).
    pub fn in_flight(&self) -> usize {
        self.front.core.in_flight.load(Ordering::SeqCst)
    }

    /// The most jobs in flight at once (`queue_capacity + threads`).
    pub fn max_in_flight(&self) -> usize {
        self.front.core.max_in_flight
    }

    /// Jobs run to the end so far (including those that panicked).
    pub fn completed(&self) -> u64 {
        self.front.core.completed.load(Ordering::Relaxed)
    }

    /// Jobs that panicked so far (each delivered as [`JobError::Panicked`](super::JobError::Panicked)).
    pub fn panicked(&self) -> u64 {
        self.front.core.panicked.load(Ordering::Relaxed)
    }

    /// Whether the pool or its reactor was stopped (submissions are then refused).
    pub fn is_stopped(&self) -> bool {
        self.front.core.is_stopped()
    }

    /// Stops the pool: later submissions are refused, queued jobs are dropped unrun, and
    /// this waits until every thread finished its current job and exited (except the
    /// calling thread, if it is one of them).
    pub fn shutdown(&self) {
        self.front.core.stopped.store(true, Ordering::SeqCst);
        drop(
            self.front
                .stop_signal
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let threads = std::mem::take(&mut *self.threads());
        let me = std::thread::current().id();
        for thread in threads {
            if thread.thread().id() != me {
                let _ = thread.join();
            }
        }
    }

    fn threads(&self) -> std::sync::MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.front
            .threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// One worker thread: runs jobs until the pool or the reactor stops, or the queue's
/// senders are all gone.
fn work(core: &Core, queue: &Receiver<Job>, pool_stop: &Receiver<Infallible>) {
    let reactor_stop = core.shared.stop_watch.clone();
    while !core.is_stopped() {
        crossbeam_channel::select! {
            recv(queue) -> job => match job {
                // A panic inside the user's closure is caught in the wrapper.
                Ok(job) => job(),
                Err(_) => break,
            },
            recv(pool_stop) -> _ => break,
            recv(reactor_stop) -> _ => break,
        }
    }
    core.live_threads.fetch_sub(1, Ordering::SeqCst);
}
