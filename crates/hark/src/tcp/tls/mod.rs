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
//! A graceful `close` asked for by the inner notifier sends TLS's `close_notify` before
//! the TCP shutdown. A close from another thread (`ConnectionHandle::close`) does not
//! pass through the notifier and shuts TCP down without it.

mod error;
mod notify;

pub use error::TlsError;
pub use notify::TlsNotify;
/// rustls, re-exported so configurations can be built without a direct dependency.
pub use rustls;
