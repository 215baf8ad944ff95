//! The HTTP client's limits and timeouts, and what a request and a response are.

use std::time::Duration;

/// Limits and timeouts of an [`HttpClient`](super::HttpClient).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// How long a connection may take to be established (name lookup included).
    pub connect_timeout: Duration,
    /// The longest wait for the next bytes of a response, from the request on (reset by
    /// every byte received, so a large body on a slow link is not cut off).
    pub response_timeout: Duration,
    /// The largest body accepted (decoded, for a chunked one).
    pub max_body: usize,
    /// The longest response head (status line and headers).
    pub max_head: usize,
    /// Redirects followed per request.
    pub max_redirects: u32,
    /// Connections open at once to one host and port; requests beyond wait for one.
    pub max_connections_per_host: usize,
    /// Idle keep-alive connections kept per host and port for reuse.
    pub max_idle_per_host: usize,
    /// How long an idle keep-alive connection is kept.
    pub idle_timeout: Duration,
    /// Requests outstanding at once (made and not yet taken with
    /// [`HttpClient::poll_response`](super::HttpClient::poll_response)); past it a request
    /// is refused with [`HttpError::Busy`](super::HttpError::Busy).
    pub max_outstanding: usize,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            response_timeout: Duration::from_secs(30),
            max_body: 16 * 1024 * 1024,
            max_head: 16 * 1024,
            max_redirects: 5,
            max_connections_per_host: 2,
            max_idle_per_host: 2,
            idle_timeout: Duration::from_secs(30),
            max_outstanding: 256,
            user_agent: concat!("hark/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// A `GET` request: its URL and extra header fields (such as `Range`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The `http://` URL.
    pub url: String,
    /// Header fields sent after `Host`, `User-Agent`, `Accept-Encoding` and `Connection`.
    pub headers: Vec<(String, String)>,
}

impl HttpRequest {
    /// `GET url`.
    pub fn get(url: impl Into<String>) -> Self {
        HttpRequest {
            url: url.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a header field.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The URL that answered (after redirects).
    pub url: String,
    /// The status code.
    pub status: u16,
    /// The header fields in order.
    pub headers: Vec<(String, String)>,
    /// The body (decoded from chunks when chunked).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Identifies a request of one [`HttpClient`](super::HttpClient).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HttpRequestId(pub u64);
