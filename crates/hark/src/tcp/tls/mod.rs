//! TLS for notifier TCP connections: rustls as a notifier that wraps the user's, as Pony's
//! `SSLConnection` does.
//!
//! [`TlsNotify`] sits between the connection and the inner notifier. It holds back
//! `accepted` / `connected` until the handshake completes, encrypts in `sent` / `sentv`,
//! reads whatever arrives (outer `expect` 0) and reframes the plaintext itself to the
//! inner notifier's `expect`, and reports `auth_failed` then closes when the handshake
//! fails (certificate verification included).
//!
//! Every TLS byte leaves through `sent`: to flush handshake records, the wrapper queues a
//! `flush_sent` (a call of `sent` with no data, in order with the writes), and its `sent`
//! drains everything rustls has pending. So records reach the socket in exactly the order
//! rustls produced them.
//!
//! A graceful close sends TLS's `close_notify` after the pending data and before the TCP
//! shutdown, whether the inner notifier asked for it (`TcpConn::close`) or another thread
//! did (`TcpConnectionHandle::close`, which reaches the wrapper through `TcpNotify::closing`).
//! A hard close sends nothing more.
//!
//! TLS can also start on a connection that is already up, for protocols that negotiate
//! it in band (BEEP's TLS profile, STARTTLS): [`TlsNotify::deferred`] passes plaintext
//! through until its [`TlsSwitch`] is started from one of the inner notifier's
//! callbacks; what the inner notifier wrote before goes out in plaintext, what it writes
//! after, encrypted, with the same rustls engine.

mod error;
mod notify;
mod switch;

pub use error::TlsError;
pub use notify::TlsNotify;
/// rustls, re-exported so configurations can be built without a direct dependency.
pub use rustls;
pub use switch::{TlsInfo, TlsStatus, TlsSwitch};
