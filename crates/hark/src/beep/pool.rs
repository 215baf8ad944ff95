//! Channel pools (Vortex's `VortexChannelPool`): channels of one profile on a
//! connection, handed out one at a time and given back, growing through the create
//! handler up to a maximum.
//!
//! A pool is made with [`ChannelPool::new`] (or [`ChannelPool::new_async`], which makes
//! it on a thread of its own and then calls `on_pool_created`). Its channels are made by
//! the create handler (`create_channel` in the seed, with the seed's arguments as a
//! [`CreateRequest`]) or, without one, by [`Connection::open_channel`].
//! [`ChannelPool::next_ready`] hands out a channel no one holds (growing the pool by
//! one when asked and below the maximum); [`ChannelPool::release`] gives it back;
//! [`ChannelPool::close`] closes every channel of the pool. A channel that closed under
//! the pool (the peer closed it, the session was tuned) is dropped from it.
//!
//! Pool operations wait for the peer, so they run on the caller's thread, never inside
//! a handler ([`BeepError::OnReactorThread`]).
//!
//! ```
//! use std::time::Duration;
//! use hark::beep::{Answer, BeepContext, ChannelPool, PoolConfig, Profile, ReplyKind};
//!
//! const ECHO: &str = "http://example.org/beep/echo";
//! let server = BeepContext::new()?;
//! server.register(Profile::new(ECHO).on_frame((), |conn, channel, frame, _| {
//!     let _ = conn.reply(channel, frame.msgno(), ReplyKind::Rpy, frame.payload().clone());
//! }));
//! let listener = server.listen("127.0.0.1:0".parse()?)?;
//! let client = BeepContext::new()?;
//! let conn = client.connect(listener.local_addr(), Duration::from_secs(5))?;
//!
//! let pool = ChannelPool::new(&conn, PoolConfig::new(ECHO, 2).max(4), Duration::from_secs(5))?;
//! let channel = pool.next_ready(true, None)?.expect("a free channel");
//! let answer = conn.send_and_wait(channel, &b"\r\nping"[..], Duration::from_secs(5))?;
//! assert!(matches!(answer, Answer::Rpy(frame) if frame.body() == b"ping"));
//! pool.release(channel);
//! pool.close(Duration::from_secs(5))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::any::Any;
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::connection::{BeepError, Connection};
use super::handlers::ChannelHandlers;
use super::hub;

/// The create handler's arguments (the seed's `create_channel (conn, channel_num,
/// profile, received, received_data, close, close_data, user_data, next_data)`; the
/// user data is the handler's own, given with [`PoolConfig::on_create`]).
#[derive(Clone, Copy)]
pub struct CreateRequest<'a> {
    /// The connection.
    pub conn: &'a Connection,
    /// The channel number asked for: always 0 (Vortex's "the next free one"); hark
    /// numbers channels itself.
    pub channel_num: u32,
    /// The pool's profile.
    pub profile: &'a str,
    /// The pool's channel handlers: `received` and `close`, each with its data.
    pub handlers: &'a ChannelHandlers,
    /// What the caller of [`ChannelPool::next_ready`] passed (`next_data`).
    pub next_data: Option<&'a (dyn Any + Send + Sync)>,
}

impl std::fmt::Debug for CreateRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateRequest")
            .field("channel_num", &self.channel_num)
            .field("profile", &self.profile)
            .field("next_data", &self.next_data.is_some())
            .finish_non_exhaustive()
    }
}

/// Makes one channel for a pool (`create_channel`): its number, or why not.
pub type CreateHandler = Arc<dyn Fn(&CreateRequest<'_>) -> Result<u32, BeepError> + Send + Sync>;
/// The pool was created (`on_pool_created`).
pub type PoolCreated = Box<dyn FnOnce(Result<&ChannelPool, &BeepError>) + Send>;

/// How to make a pool.
#[derive(Clone)]
pub struct PoolConfig {
    profile: String,
    initial: usize,
    max: usize,
    handlers: ChannelHandlers,
    create: Option<CreateHandler>,
}

impl std::fmt::Debug for PoolConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolConfig")
            .field("profile", &self.profile)
            .field("initial", &self.initial)
            .field("max", &self.max)
            .field("create", &self.create.is_some())
            .finish_non_exhaustive()
    }
}

impl PoolConfig {
    /// `initial` channels of `profile`, growing up to 64 (see [`max`](Self::max)).
    pub fn new(profile: impl Into<String>, initial: usize) -> Self {
        PoolConfig {
            profile: profile.into(),
            initial,
            max: initial.max(64),
            handlers: ChannelHandlers::new(),
            create: None,
        }
    }

    /// The most channels the pool grows to (at least `initial`).
    pub fn max(mut self, max: usize) -> Self {
        self.max = max.max(self.initial);
        self
    }

    /// The channel handlers of the pool's channels (frame received, close request).
    pub fn handlers(mut self, handlers: ChannelHandlers) -> Self {
        self.handlers = handlers;
        self
    }

    /// The create handler (`create_channel`), with user data.
    pub fn on_create<T: Send + Sync + 'static>(
        mut self,
        data: T,
        f: impl Fn(&CreateRequest<'_>, &T) -> Result<u32, BeepError> + Send + Sync + 'static,
    ) -> Self {
        self.create = Some(Arc::new(move |req| f(req, &data)));
        self
    }
}

#[derive(Default)]
struct PoolState {
    /// Every channel of the pool, and the ones handed out.
    channels: BTreeSet<u32>,
    busy: BTreeSet<u32>,
    closed: bool,
}

struct PoolInner {
    id: u32,
    conn: Connection,
    config: PoolConfig,
    timeout: Duration,
    state: Mutex<PoolState>,
    /// Held while a channel is being added, so concurrent growth respects `max`.
    growing: Mutex<()>,
}

/// A pool of channels of one profile on a connection (Vortex's `VortexChannelPool`).
/// Cheap to clone; every clone is the same pool.
#[derive(Clone)]
pub struct ChannelPool {
    inner: Arc<PoolInner>,
}

impl std::fmt::Debug for ChannelPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("ChannelPool")
            .field("id", &self.inner.id)
            .field("profile", &self.inner.config.profile)
            .field("channels", &state.channels)
            .field("busy", &state.busy)
            .finish()
    }
}

impl ChannelPool {
    /// Makes a pool on `conn` with its initial channels, each waited for at most
    /// `timeout` (also the timeout of later growth and of [`close`](Self::close)'s
    /// channel closes).
    pub fn new(
        conn: &Connection,
        config: PoolConfig,
        timeout: Duration,
    ) -> Result<Self, BeepError> {
        let id = conn.inner.next_pool.fetch_add(1, Ordering::Relaxed);
        let pool = ChannelPool {
            inner: Arc::new(PoolInner {
                id,
                conn: conn.clone(),
                config,
                timeout,
                state: Mutex::new(PoolState::default()),
                growing: Mutex::new(()),
            }),
        };
        for _ in 0..pool.inner.config.initial {
            if let Err(e) = pool.grow(None) {
                // Half a pool is no pool: give back what was made.
                let _ = pool.close(timeout);
                return Err(e);
            }
        }
        hub::pool_created(conn, id, &pool.inner.config.profile, pool.len());
        Ok(pool)
    }

    /// Makes the pool on a thread of its own and hands it (or why it failed) to
    /// `on_created` there (`on_pool_created`).
    pub fn new_async(
        conn: &Connection,
        config: PoolConfig,
        timeout: Duration,
        on_created: PoolCreated,
    ) -> std::io::Result<()> {
        let conn = conn.clone();
        std::thread::Builder::new()
            .name("hark-beep-pool".into())
            .spawn(move || match ChannelPool::new(&conn, config, timeout) {
                Ok(pool) => on_created(Ok(&pool)),
                Err(e) => on_created(Err(&e)),
            })
            .map(drop)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pool's id on its connection.
    pub fn id(&self) -> u32 {
        self.inner.id
    }

    /// The profile of its channels.
    pub fn profile(&self) -> &str {
        &self.inner.config.profile
    }

    /// The connection it runs on.
    pub fn connection(&self) -> &Connection {
        &self.inner.conn
    }

    /// Drops channels that closed under the pool.
    fn prune(&self, state: &mut PoolState) {
        let conn = &self.inner.conn;
        state.channels.retain(|c| conn.is_channel_open(*c));
        let channels = &state.channels;
        state.busy.retain(|c| channels.contains(c));
    }

    /// Channels in the pool (`vortex_channel_pool_get_num`).
    pub fn len(&self) -> usize {
        let mut state = self.state();
        self.prune(&mut state);
        state.channels.len()
    }

    /// Whether the pool has no channel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Channels no one holds (`vortex_channel_pool_get_available_num`).
    pub fn available(&self) -> usize {
        let mut state = self.state();
        self.prune(&mut state);
        state.channels.len() - state.busy.len()
    }

    /// Adds one channel through the create handler (or a plain open); its number.
    fn grow(&self, next_data: Option<&(dyn Any + Send + Sync)>) -> Result<u32, BeepError> {
        let _growing = self.inner.growing.lock().unwrap_or_else(|e| e.into_inner());
        {
            let mut state = self.state();
            if state.closed {
                return Err(BeepError::Closed);
            }
            self.prune(&mut state);
            if state.channels.len() >= self.inner.config.max {
                return Err(BeepError::PoolFull(self.inner.config.max));
            }
        }
        let config = &self.inner.config;
        let conn = &self.inner.conn;
        let made = match &config.create {
            Some(create) => create(&CreateRequest {
                conn,
                channel_num: 0,
                profile: &config.profile,
                handlers: &config.handlers,
                next_data,
            }),
            None => conn.open_channel(
                config.profile.clone(),
                config.handlers.clone(),
                self.inner.timeout,
            ),
        };
        match made {
            Ok(channel) => {
                self.state().channels.insert(channel);
                Ok(channel)
            }
            Err(e) => {
                hub::pool_grow_failed(conn, self.inner.id, &e.to_string());
                Err(e)
            }
        }
    }

    /// Adds `n` channels (`vortex_channel_pool_add`), up to the maximum.
    pub fn add(&self, n: usize) -> Result<(), BeepError> {
        for _ in 0..n {
            self.grow(None)?;
        }
        Ok(())
    }

    /// A channel no one holds, now held by the caller until [`release`](Self::release)
    /// (`vortex_channel_pool_get_next_ready_full`). With none free: when `grow` and the
    /// pool is below its maximum, a new channel made by the create handler (which gets
    /// `next_data`); otherwise `None`.
    pub fn next_ready(
        &self,
        grow: bool,
        next_data: Option<&(dyn Any + Send + Sync)>,
    ) -> Result<Option<u32>, BeepError> {
        {
            let mut state = self.state();
            if state.closed {
                return Err(BeepError::Closed);
            }
            self.prune(&mut state);
            let free = state.channels.difference(&state.busy).next().copied();
            if let Some(channel) = free {
                state.busy.insert(channel);
                return Ok(Some(channel));
            }
            if !grow || state.channels.len() >= self.inner.config.max {
                return Ok(None);
            }
        }
        match self.grow(next_data) {
            Ok(channel) => {
                self.state().busy.insert(channel);
                Ok(Some(channel))
            }
            Err(BeepError::PoolFull(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Gives `channel` back to the pool (`vortex_channel_pool_release_channel`); a
    /// channel not held is ignored.
    pub fn release(&self, channel: u32) {
        self.state().busy.remove(&channel);
    }

    /// Puts an open channel of ours into the pool (`vortex_channel_pool_attach`);
    /// `false` if it is not open or the pool is full or closed.
    pub fn attach(&self, channel: u32) -> bool {
        let mut state = self.state();
        self.prune(&mut state);
        if state.closed
            || !self.inner.conn.is_channel_open(channel)
            || state.channels.len() >= self.inner.config.max
        {
            return false;
        }
        state.channels.insert(channel)
    }

    /// Takes `channel` out of the pool without closing it (`vortex_channel_pool_deattach`).
    pub fn detach(&self, channel: u32) -> bool {
        let mut state = self.state();
        state.busy.remove(&channel);
        state.channels.remove(&channel)
    }

    /// Closes every channel of the pool (`vortex_channel_pool_close`); the pool hands
    /// out nothing more. Returns the first close that failed, after trying them all.
    pub fn close(&self, timeout: Duration) -> Result<(), BeepError> {
        let channels = {
            let mut state = self.state();
            state.closed = true;
            state.busy.clear();
            std::mem::take(&mut state.channels)
        };
        let mut first = Ok(());
        for channel in channels {
            match self.inner.conn.close_channel(channel, timeout) {
                Ok(()) | Err(BeepError::Closed) => {}
                Err(e) => {
                    if first.is_ok() {
                        first = Err(e);
                    }
                }
            }
        }
        first
    }
}
