//! An HTTP/1.1 client over hark's own TCP, on the one reactor: what BitTorrent's HTTP
//! trackers and web seeds (BEP 19) need.
//!
//! `GET` with extra header fields (`Range`), bodies framed by `Content-Length`, chunked
//! transfer coding or the end of the connection, a body size limit, redirects (relative
//! and absolute `Location`) up to a bound, connect and response timeouts, keep-alive with a
//! bounded number of connections and idle connections per host, and one typed
//! [`HttpError`] per failure. Responses are parsed with `httparse` by
//! [`ResponseParser`], which is usable alone (and fuzzed: `cargo xtask fuzz http_response`).
//! `https` is refused ([`HttpError::UnsupportedScheme`]).
//!
//! # The contract
//!
//! [`HttpClient`] is an owned value. Its connections live on the reactor; each outcome is
//! queued in the client, and the hook set with [`HttpClient::set_wake`] then runs on the
//! reactor thread. The owner takes outcomes with [`HttpClient::poll_response`]; every
//! request has exactly one.
//!
//! ```
//! use hark::bittorrent::http::{HttpClient, HttpConfig, HttpRequest};
//! use hark_reactor::Reactor;
//! use std::io::{Read, Write};
//!
//! // A loopback server that answers one request with a chunked body.
//! let server = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let url = format!("http://{}/file", server.local_addr()?);
//! std::thread::spawn(move || {
//!     let (mut stream, _) = server.accept().unwrap();
//!     let mut request = [0u8; 1024];
//!     let n = stream.read(&mut request).unwrap();
//!     assert!(request[..n].windows(17).any(|w| w == b"Range: bytes=0-4\r"));
//!     stream
//!         .write_all(b"HTTP/1.1 206 Partial Content\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
//!         .unwrap();
//! });
//!
//! let reactor = Reactor::spawn(hark_reactor::tcp::TcpConfig::default())?;
//! let mut client = HttpClient::new(reactor.handle().clone(), HttpConfig::default());
//! let (ready, woken) = std::sync::mpsc::sync_channel(16);
//! client.set_wake(move || {
//!     // On the reactor thread: tell the owner to poll.
//!     let _ = ready.try_send(());
//! });
//! let id = client.get(HttpRequest::get(url).header("Range", "bytes=0-4"))?;
//! woken.recv()?;
//! let (done, outcome) = client.poll_response().expect("queued before the wake");
//! let response = outcome?;
//! assert_eq!((done, response.status, response.body.as_slice()), (id, 206, &b"hello"[..]));
//! # drop(client);
//! # reactor.shutdown()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client;
mod config;
mod conn;
mod error;
mod parse;
mod shared;
mod url;

pub use client::HttpClient;
pub use config::{HttpConfig, HttpRequest, HttpRequestId, HttpResponse};
pub use error::{HttpError, ParseError};
pub use parse::{MAX_HEADERS, MAX_INTERIM, Progress, ResponseHead, ResponseParser};
pub use url::HttpUrl;

/// A hook run on the reactor thread when a driver has outcomes for its owner to take.
pub type WakeHook = std::sync::Arc<dyn Fn() + Send + Sync>;
