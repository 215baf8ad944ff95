//! Why an HTTP request failed: one typed reason per failure.

/// What was wrong with the bytes a server sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The status line or a header line is not HTTP/1.x (httparse's reason).
    #[error("malformed response head: {0}")]
    Head(&'static str),
    /// More header lines than the parser keeps.
    #[error("more than {0} header lines")]
    TooManyHeaders(usize),
    /// The head (status line and headers) is longer than allowed.
    #[error("response head longer than {0} bytes")]
    HeadTooLong(usize),
    /// A `Content-Length` that is not a number, or two that differ.
    #[error("invalid Content-Length")]
    ContentLength,
    /// A chunk-size line that is not hexadecimal, too long, or too large.
    #[error("invalid chunk size line")]
    ChunkSize,
    /// A chunk's data not followed by CRLF.
    #[error("chunk data not followed by CRLF")]
    ChunkEnd,
    /// The trailer section after the last chunk is longer than allowed.
    #[error("chunked trailer longer than {0} bytes")]
    TrailerTooLong(usize),
    /// More interim (1xx) responses than allowed before the final one.
    #[error("more than {0} interim (1xx) responses")]
    TooManyInterim(usize),
}

/// Why a request produced no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL is not `scheme://host[:port][/path]` or a header contains a line break.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A scheme this client does not speak (only `http`; `https` trackers may wait).
    #[error("unsupported URL scheme `{0}`")]
    UnsupportedScheme(String),
    /// The name did not resolve, or every address refused or was unreachable.
    #[error("could not connect to {host}:{port}")]
    ConnectFailed {
        /// The host of the URL.
        host: String,
        /// The port.
        port: u16,
    },
    /// No connection within [`HttpConfig::connect_timeout`](super::HttpConfig::connect_timeout).
    #[error("connect timed out")]
    ConnectTimeout,
    /// No response bytes for [`HttpConfig::response_timeout`](super::HttpConfig::response_timeout).
    #[error("response timed out")]
    ResponseTimeout,
    /// The server closed the connection before the response was complete.
    #[error("connection closed before the response was complete")]
    Closed,
    /// The response could not be parsed.
    #[error(transparent)]
    Malformed(#[from] ParseError),
    /// The body is longer than [`HttpConfig::max_body`](super::HttpConfig::max_body).
    #[error("response body larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// More redirects than [`HttpConfig::max_redirects`](super::HttpConfig::max_redirects).
    #[error("more than {limit} redirects")]
    TooManyRedirects {
        /// The limit.
        limit: u32,
    },
    /// A redirect without a usable `Location`.
    #[error("redirect without a usable Location")]
    BadRedirect,
    /// Too many requests outstanding, or the reactor's command channel is full: retry
    /// later.
    #[error("too many outstanding requests or the reactor is busy")]
    Busy,
    /// The reactor has stopped.
    #[error("the reactor has stopped")]
    ReactorGone,
}
