//! Handlers at three levels (context, profile, channel), each with user data.
//!
//! Every handler runs on the reactor thread with a [`Connection`] handle that queues
//! commands; the most specific handler registered wins (channel over profile over
//! context), as in Vortex.

use std::sync::Arc;

use hark_proto::beep::{ChannelCloseRequest, ChannelStartRequest};

use super::connection::Connection;
use super::frame::Frame;

/// Channel start received (`channel_start_received`): answer the request now or later.
pub type StartHandler = Arc<dyn Fn(StartRequest, &Connection) + Send + Sync>;
/// Channel close request (`channel_close_request`): answer the request now or later.
pub type CloseHandler = Arc<dyn Fn(CloseRequest, &Connection) + Send + Sync>;
/// Frame received (`frame_received`): connection, channel number, frame.
pub type FrameHandler = Arc<dyn Fn(&Connection, u32, &Frame) + Send + Sync>;
/// Connection closed (`connection_closed`): a broken connection, once.
pub type ClosedHandler = Arc<dyn Fn(&Connection) + Send + Sync>;
/// On channel (`on_channel`): the channel number, or -1 if the open failed.
pub type OnChannel = Box<dyn FnOnce(i32, &Connection) + Send>;

/// Wraps a `(data, handler)` pair as a [`StartHandler`].
pub fn start_handler<T: Send + Sync + 'static>(
    data: T,
    f: impl Fn(StartRequest, &Connection, &T) + Send + Sync + 'static,
) -> StartHandler {
    Arc::new(move |req, conn| f(req, conn, &data))
}

/// Wraps a `(data, handler)` pair as a [`CloseHandler`].
pub fn close_handler<T: Send + Sync + 'static>(
    data: T,
    f: impl Fn(CloseRequest, &Connection, &T) + Send + Sync + 'static,
) -> CloseHandler {
    Arc::new(move |req, conn| f(req, conn, &data))
}

/// Wraps a `(data, handler)` pair as a [`FrameHandler`].
pub fn frame_handler<T: Send + Sync + 'static>(
    data: T,
    f: impl Fn(&Connection, u32, &Frame, &T) + Send + Sync + 'static,
) -> FrameHandler {
    Arc::new(move |conn, channel, frame| f(conn, channel, frame, &data))
}

/// Wraps a `(data, handler)` pair as a [`ClosedHandler`].
pub fn closed_handler<T: Send + Sync + 'static>(
    data: T,
    f: impl Fn(&Connection, &T) + Send + Sync + 'static,
) -> ClosedHandler {
    Arc::new(move |conn| f(conn, &data))
}

/// Wraps a `(data, handler)` pair as an [`OnChannel`].
pub fn on_channel<T: Send + 'static>(
    data: T,
    f: impl FnOnce(i32, &Connection, T) + Send + 'static,
) -> OnChannel {
    Box::new(move |number, conn| f(number, conn, data))
}

/// A profile in the registry with its handlers.
#[derive(Clone)]
pub struct Profile {
    pub(crate) uri: String,
    pub(crate) window: Option<u32>,
    pub(crate) start: Option<StartHandler>,
    pub(crate) close: Option<CloseHandler>,
    pub(crate) frame: Option<FrameHandler>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("uri", &self.uri)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl Profile {
    /// A profile with no handlers of its own (the context's apply).
    pub fn new(uri: impl Into<String>) -> Self {
        Profile {
            uri: uri.into(),
            window: None,
            start: None,
            close: None,
            frame: None,
        }
    }

    /// The receive window of its channels (at least 4096).
    pub fn window(mut self, window: u32) -> Self {
        self.window = Some(window);
        self
    }

    /// The start handler for this profile, with user data.
    pub fn on_start<T: Send + Sync + 'static>(
        mut self,
        data: T,
        f: impl Fn(StartRequest, &Connection, &T) + Send + Sync + 'static,
    ) -> Self {
        self.start = Some(start_handler(data, f));
        self
    }

    /// The close handler for this profile, with user data.
    pub fn on_close<T: Send + Sync + 'static>(
        mut self,
        data: T,
        f: impl Fn(CloseRequest, &Connection, &T) + Send + Sync + 'static,
    ) -> Self {
        self.close = Some(close_handler(data, f));
        self
    }

    /// The frame handler for this profile, with user data.
    pub fn on_frame<T: Send + Sync + 'static>(
        mut self,
        data: T,
        f: impl Fn(&Connection, u32, &Frame, &T) + Send + Sync + 'static,
    ) -> Self {
        self.frame = Some(frame_handler(data, f));
        self
    }

    /// The profile URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }
}

/// Context-level handlers (the least specific).
#[derive(Clone, Default)]
pub(crate) struct ContextHandlers {
    pub(crate) start: Option<StartHandler>,
    pub(crate) close: Option<CloseHandler>,
    pub(crate) frame: Option<FrameHandler>,
    pub(crate) closed: Option<ClosedHandler>,
    pub(crate) auth: Option<super::sasl::AuthHandler>,
    pub(crate) auth_notify: Option<super::sasl::AuthNotify>,
    pub(crate) tls_accept: Option<super::tls::TlsAcceptHandler>,
    pub(crate) tls_cert: Option<super::tls::TlsSourceHandler>,
    pub(crate) tls_key: Option<super::tls::TlsSourceHandler>,
    pub(crate) tls_notify: Option<super::tls::TlsNotifyHandler>,
}

/// Channel-level handlers (the most specific).
#[derive(Clone, Default)]
pub struct ChannelHandlers {
    pub(crate) close: Option<CloseHandler>,
    pub(crate) frame: Option<FrameHandler>,
}

impl std::fmt::Debug for ChannelHandlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelHandlers")
            .field("close", &self.close.is_some())
            .field("frame", &self.frame.is_some())
            .finish()
    }
}

impl ChannelHandlers {
    /// No channel-level handlers: the profile's or context's apply.
    pub fn new() -> Self {
        Self::default()
    }

    /// The frame handler of this channel, with user data.
    pub fn on_frame<T: Send + Sync + 'static>(
        mut self,
        data: T,
        f: impl Fn(&Connection, u32, &Frame, &T) + Send + Sync + 'static,
    ) -> Self {
        self.frame = Some(frame_handler(data, f));
        self
    }

    /// The close handler of this channel, with user data.
    pub fn on_close<T: Send + Sync + 'static>(
        mut self,
        data: T,
        f: impl Fn(CloseRequest, &Connection, &T) + Send + Sync + 'static,
    ) -> Self {
        self.close = Some(close_handler(data, f));
        self
    }
}

/// A channel start request: [`accept`](Self::accept) or [`deny`](Self::deny) it in the
/// handler, or keep it and answer later from any thread (a deferred decision). Dropped
/// unanswered, the start is denied with 421.
#[derive(Debug)]
pub struct StartRequest {
    pub(crate) inner: Option<ChannelStartRequest>,
    pub(crate) channel: u32,
    pub(crate) profile: String,
    pub(crate) conn: Connection,
}

impl StartRequest {
    /// The channel number the peer chose.
    pub fn channel(&self) -> u32 {
        self.channel
    }

    /// The profile the channel would run (the first offered one we support).
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// The `serverName` the peer sent, if any.
    pub fn server_name(&self) -> Option<&str> {
        self.inner.as_ref().and_then(|r| r.server_name())
    }

    /// Accepts the channel.
    pub fn accept(self) {
        self.accept_with(ChannelHandlers::new());
    }

    /// Accepts the channel with channel-level handlers.
    pub fn accept_with(mut self, handlers: ChannelHandlers) {
        if let Some(inner) = self.inner.take() {
            self.conn.set_channel_handlers(self.channel, handlers);
            inner.accept();
            self.conn.wake();
        }
    }

    /// Denies the start with `code` (421 normally) and `text`.
    pub fn deny(mut self, code: u16, text: impl Into<String>) {
        if let Some(inner) = self.inner.take() {
            self.conn
                .note_start_denied(self.channel, &self.profile, code);
            inner.deny(code, text);
            self.conn.wake();
        }
    }
}

impl Drop for StartRequest {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            self.conn
                .note_start_denied(self.channel, &self.profile, 421);
            drop(inner); // denies with 421
            self.conn.wake();
        }
    }
}

/// A channel close request: [`accept`](Self::accept) or [`deny`](Self::deny) it in the
/// handler, or keep it and answer later. Dropped unanswered, the close is accepted.
#[derive(Debug)]
pub struct CloseRequest {
    pub(crate) inner: Option<ChannelCloseRequest>,
    pub(crate) channel: u32,
    pub(crate) conn: Connection,
}

impl CloseRequest {
    /// The channel to close.
    pub fn channel(&self) -> u32 {
        self.channel
    }

    /// Agrees to the close.
    pub fn accept(mut self) {
        if let Some(inner) = self.inner.take() {
            inner.accept();
            self.conn.wake();
        }
    }

    /// Refuses the close with `code` (550 normally) and `text`.
    pub fn deny(mut self, code: u16, text: impl Into<String>) {
        if let Some(inner) = self.inner.take() {
            self.conn.note_close_denied(self.channel, code);
            inner.deny(code, text);
            self.conn.wake();
        }
    }
}

impl Drop for CloseRequest {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            drop(inner); // accepts
            self.conn.wake();
        }
    }
}
