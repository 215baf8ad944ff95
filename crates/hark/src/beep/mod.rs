//! BEEP (RFC 3080/3081) with PyVortex's handlers, on hark's one reactor.
//!
//! A [`BeepContext`] holds a profile registry and context-level handlers; it opens
//! connections as the initiator ([`BeepContext::connect`]) and listens
//! ([`BeepContext::listen`]). Each connection is a sans-IO `hark_proto::beep::Session`
//! driven through the reactor's stream-core contract (`hark_reactor::stream`).
//!
//! Handlers exist at three levels, each with user data; the most specific wins:
//! the channel's ([`ChannelHandlers`]), the profile's ([`Profile`]), the context's.
//!
//! | seed handler | here |
//! | --- | --- |
//! | `channel_start_received` | [`Profile::on_start`] / [`BeepContext::on_start`]: a [`StartRequest`] to accept, deny or keep and answer later (dropped: denied with 421) |
//! | `channel_close_request` | [`ChannelHandlers::on_close`], [`Profile::on_close`], [`BeepContext::on_close`]: a [`CloseRequest`] (dropped: accepted) |
//! | `on_channel` | [`Connection::open_channel_async`]: the number, or -1 |
//! | `frame_received` | `on_frame` at each level: connection, channel, [`Frame`] (type, msgno, ansno, payload, MIME headers), in order per channel |
//! | `connection_closed` | [`BeepContext::on_connection_closed`]: a broken connection, once |
//! | `sasl_auth_handler` | [`BeepContext::on_sasl_auth`]: [`sasl::AuthProps`] in, accept, deny or the password out |
//! | `sasl_status` | [`BeepContext::on_sasl_status`]: success and the identity, or the reason |
//! | `create_channel`, `on_pool_created` | [`PoolConfig::on_create`] ([`CreateRequest`]), [`ChannelPool::new_async`]: pools of channels of one profile |
//! | `tls_accept_handler` | [`BeepContext::on_tls_accept`]: the `serverName`; `false` refuses TLS |
//! | `tls_cert_handler`, `tls_key_handler` | [`BeepContext::on_tls_certificate`], [`BeepContext::on_tls_key`]: a [`tls::TlsSource`] (a path, or in memory) |
//! | `tls_notify` | [`BeepContext::on_tls_status`]: success and a message; the initiator starts with [`Connection::start_tls`] |
//!
//! Handlers run on the reactor thread with a [`Connection`] that queues commands (never
//! the session itself). The waiting helpers ([`Connection::send_and_wait`],
//! [`Connection::open_channel`], [`Connection::close_channel`]) run on other threads.
//! Every handler call also goes to the context's event hub as a `beep_*` event.
//!
//! ```
//! use std::time::Duration;
//! use hark::beep::{BeepContext, Profile, ReplyKind, ChannelHandlers, Answer};
//!
//! const ECHO: &str = "http://example.org/beep/echo";
//! let server = BeepContext::new()?;
//! server.register(Profile::new(ECHO).on_frame((), |conn, channel, frame, _| {
//!     let _ = conn.reply(channel, frame.msgno(), ReplyKind::Rpy, frame.payload().clone());
//! }));
//! let listener = server.listen("127.0.0.1:0".parse()?)?;
//!
//! let client = BeepContext::new()?;
//! client.register(Profile::new(ECHO));
//! let conn = client.connect(listener.local_addr(), Duration::from_secs(5))?;
//! let channel = conn.open_channel(ECHO, ChannelHandlers::new(), Duration::from_secs(5))?;
//! let answer = conn.send_and_wait(channel, &b"\r\nhello"[..], Duration::from_secs(5))?;
//! assert!(matches!(answer, Answer::Rpy(frame) if frame.body() == b"hello"));
//! conn.close(Duration::from_secs(5))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod connection;
mod context;
mod core;
mod frame;
mod handlers;
mod hub;
mod pool;
pub mod sasl;
pub mod tls;

pub use connection::{Answer, BeepError, COMMAND_CAPACITY, Connection, ReplyKind};
pub use context::{BeepContext, Listener};
pub use frame::{Frame, FrameType};
pub use handlers::{
    ChannelHandlers, CloseHandler, CloseRequest, ClosedHandler, FrameHandler, OnChannel, Profile,
    StartHandler, StartRequest, on_channel,
};
pub use pool::{ChannelPool, CreateHandler, CreateRequest, PoolConfig, PoolCreated};
