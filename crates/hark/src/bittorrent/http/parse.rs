//! An incremental HTTP/1.x response parser: the head through `httparse`, then the body
//! framed by `Content-Length`, `Transfer-Encoding: chunked`, or the end of the
//! connection (RFC 9112 §6.3), every part bounded.

use super::{HttpError, ParseError};

/// Most header lines of one response head.
pub const MAX_HEADERS: usize = 64;
/// Most interim (1xx) responses skipped before the final one.
pub const MAX_INTERIM: usize = 4;
/// Longest chunk-size line (with extensions).
const MAX_CHUNK_LINE: usize = 1024;
/// Longest trailer section after the last chunk.
const MAX_TRAILER: usize = 8 * 1024;

/// The status line and headers of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code.
    pub status: u16,
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version: u8,
    /// The header fields in order, values decoded lossily as UTF-8.
    pub headers: Vec<(String, String)>,
}

impl ResponseHead {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether any value of `name` holds `token` in its comma-separated list.
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// Whether the server lets the connection be reused (HTTP/1.1 unless `close`;
    /// HTTP/1.0 only with `keep-alive`).
    pub fn keeps_alive(&self) -> bool {
        if self.has_token("connection", "close") {
            return false;
        }
        self.version == 1 || self.has_token("connection", "keep-alive")
    }
}

/// How the body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked(Chunk),
    UntilClose,
}

/// Where the chunked decoder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Reading a chunk-size line (`line` bytes of it so far).
    Size {
        size: u64,
        digits: usize,
        line: usize,
        in_ext: bool,
    },
    /// Inside a chunk's data.
    Data(u64),
    /// After a chunk's data: CR then LF (`cr`: the CR was seen).
    DataEnd { cr: bool },
    /// The trailer section: `line` bytes into the current line, `total` in all.
    Trailer { line: usize, total: usize },
}

#[derive(Debug)]
enum State {
    Head,
    Body {
        head: ResponseHead,
        framing: Framing,
    },
    Done,
}

/// What [`ResponseParser::feed`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// More bytes are needed (or the end of the connection, for a body framed by it).
    NeedMore,
    /// The response is complete; `consumed` bytes of the input belonged to it (the rest
    /// is not part of this response).
    Complete {
        /// Bytes of the last input that were part of the response.
        consumed: usize,
    },
}

/// Parses one response from bytes fed as they arrive.
///
/// ```
/// use hark::bittorrent::http::{Progress, ResponseParser};
///
/// let mut parser = ResponseParser::new(1 << 20, 16 * 1024);
/// let reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
/// assert_eq!(parser.feed(&reply[..20])?, Progress::NeedMore);
/// assert_eq!(parser.feed(&reply[20..])?, Progress::Complete { consumed: reply.len() - 20 });
/// let (head, body) = parser.take().expect("complete");
/// assert_eq!((head.status, body.as_slice()), (200, &b"hello"[..]));
/// # Ok::<(), hark::bittorrent::http::HttpError>(())
/// ```
#[derive(Debug)]
pub struct ResponseParser {
    state: State,
    max_body: usize,
    max_head: usize,
    buf: Vec<u8>,
    body: Vec<u8>,
    interim: usize,
    no_body: bool,
    head_done: Option<ResponseHead>,
}

impl ResponseParser {
    /// A parser for one response whose body may be at most `max_body` bytes and whose
    /// head at most `max_head` bytes.
    pub fn new(max_body: usize, max_head: usize) -> Self {
        ResponseParser {
            state: State::Head,
            max_body,
            max_head,
            buf: Vec::new(),
            body: Vec::new(),
            interim: 0,
            no_body: false,
            head_done: None,
        }
    }

    /// A parser for the response to a `HEAD` request (never a body).
    pub fn for_head_request(max_head: usize) -> Self {
        ResponseParser {
            no_body: true,
            ..Self::new(0, max_head)
        }
    }

    /// Whether any byte has been fed.
    pub fn started(&self) -> bool {
        !self.buf.is_empty() || !matches!(self.state, State::Head) || self.interim > 0
    }

    /// The head, once parsed.
    pub fn head(&self) -> Option<&ResponseHead> {
        match &self.state {
            State::Body { head, .. } => Some(head),
            State::Done => self.head_done.as_ref(),
            State::Head => None,
        }
    }

    /// Feeds received bytes.
    pub fn feed(&mut self, data: &[u8]) -> Result<Progress, HttpError> {
        let mut at = 0;
        loop {
            match &mut self.state {
                State::Done => return Ok(Progress::Complete { consumed: at }),
                State::Head => {
                    let before = self.buf.len();
                    let room = self.max_head.saturating_sub(before);
                    let take = (data.len() - at).min(room.max(1));
                    self.buf.extend_from_slice(&data[at..at + take]);
                    match self.parse_head()? {
                        Some(used) => {
                            // `used` counts bytes of `buf`; those past it came from `data`.
                            at += used - before;
                            self.buf.clear();
                        }
                        None => {
                            if self.buf.len() >= self.max_head {
                                return Err(ParseError::HeadTooLong(self.max_head).into());
                            }
                            at += take;
                            if at == data.len() {
                                return Ok(Progress::NeedMore);
                            }
                        }
                    }
                }
                State::Body { framing, .. } => {
                    let (used, done) =
                        body_step(framing, &data[at..], &mut self.body, self.max_body)?;
                    at += used;
                    if done {
                        self.finish_body();
                    } else if at == data.len() {
                        return Ok(Progress::NeedMore);
                    }
                }
            }
        }
    }

    /// The connection ended: completes a body framed by the end of the connection;
    /// anything else incomplete is [`HttpError::Closed`].
    pub fn finish(&mut self) -> Result<(), HttpError> {
        match &self.state {
            State::Done => Ok(()),
            State::Body {
                framing: Framing::UntilClose,
                ..
            } => {
                self.finish_body();
                Ok(())
            }
            _ => Err(HttpError::Closed),
        }
    }

    /// Whether the response is complete.
    pub fn is_complete(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Whether the body is framed by the end of the connection (the connection cannot be
    /// reused).
    pub fn until_close(&self) -> bool {
        matches!(
            self.state,
            State::Body {
                framing: Framing::UntilClose,
                ..
            }
        )
    }

    /// The head and body of a complete response.
    pub fn take(&mut self) -> Option<(ResponseHead, Vec<u8>)> {
        let head = self.head_done.take()?;
        Some((head, std::mem::take(&mut self.body)))
    }

    fn finish_body(&mut self) {
        if let State::Body { head, .. } = std::mem::replace(&mut self.state, State::Done) {
            self.head_done = Some(head);
        }
    }

    /// Parses the head in `buf`; returns the bytes it took, or `None` if incomplete.
    fn parse_head(&mut self) -> Result<Option<usize>, HttpError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let used = match response.parse(&self.buf) {
            Ok(httparse::Status::Complete(used)) => used,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(ParseError::TooManyHeaders(MAX_HEADERS).into());
            }
            Err(error) => return Err(ParseError::Head(describe(error)).into()),
        };
        let status = response.code.unwrap_or(0);
        let head = ResponseHead {
            status,
            version: response.version.unwrap_or(0),
            headers: response
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_owned(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect(),
        };
        if (100..200).contains(&status) {
            // Interim responses (100 Continue, 103 Early Hints) carry no body: skip them.
            self.interim += 1;
            if self.interim > MAX_INTERIM {
                return Err(ParseError::TooManyInterim(MAX_INTERIM).into());
            }
            return Ok(Some(used));
        }
        let framing = self.framing(&head)?;
        self.state = State::Body { head, framing };
        Ok(Some(used))
    }

    fn framing(&self, head: &ResponseHead) -> Result<Framing, HttpError> {
        if self.no_body || head.status == 204 || head.status == 304 {
            return Ok(Framing::Length(0));
        }
        let encodings: Vec<&str> = head
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        if let Some(last) = encodings.last() {
            // RFC 9112 §6.3: chunked last frames the body; any other coding runs to the
            // end of the connection. Transfer-Encoding overrides Content-Length.
            return Ok(if last.eq_ignore_ascii_case("chunked") {
                Framing::Chunked(Chunk::Size {
                    size: 0,
                    digits: 0,
                    line: 0,
                    in_ext: false,
                })
            } else {
                Framing::UntilClose
            });
        }
        let mut length: Option<u64> = None;
        for (_, value) in head
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        {
            for part in value.split(',') {
                let part = part.trim();
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ParseError::ContentLength.into());
                }
                let n: u64 = part.parse().map_err(|_| ParseError::ContentLength)?;
                if length.is_some_and(|l| l != n) {
                    return Err(ParseError::ContentLength.into());
                }
                length = Some(n);
            }
        }
        match length {
            Some(n) if n > self.max_body as u64 => Err(HttpError::TooLarge {
                limit: self.max_body,
            }),
            Some(n) => Ok(Framing::Length(n)),
            None => Ok(Framing::UntilClose),
        }
    }
}

/// httparse's reasons as static text.
fn describe(error: httparse::Error) -> &'static str {
    match error {
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Status => "invalid status code",
        httparse::Error::Token => "invalid token",
        httparse::Error::TooManyHeaders => "too many headers",
        httparse::Error::Version => "invalid HTTP version",
    }
}

/// Moves body bytes from `data` into `body`; returns the bytes used and whether the body
/// is complete.
fn body_step(
    framing: &mut Framing,
    data: &[u8],
    body: &mut Vec<u8>,
    max_body: usize,
) -> Result<(usize, bool), HttpError> {
    let push = |bytes: &[u8], body: &mut Vec<u8>| {
        if body.len() + bytes.len() > max_body {
            return Err(HttpError::TooLarge { limit: max_body });
        }
        body.extend_from_slice(bytes);
        Ok(())
    };
    match framing {
        Framing::Length(left) => {
            let take = (*left).min(data.len() as u64) as usize;
            push(&data[..take], body)?;
            *left -= take as u64;
            Ok((take, *left == 0))
        }
        Framing::UntilClose => {
            push(data, body)?;
            Ok((data.len(), false))
        }
        Framing::Chunked(chunk) => {
            let mut at = 0;
            while at < data.len() {
                match chunk {
                    Chunk::Size {
                        size,
                        digits,
                        line,
                        in_ext,
                    } => {
                        let b = data[at];
                        at += 1;
                        *line += 1;
                        if *line > MAX_CHUNK_LINE {
                            return Err(ParseError::ChunkSize.into());
                        }
                        if b == b'\n' {
                            if *digits == 0 {
                                return Err(ParseError::ChunkSize.into());
                            }
                            *chunk = if *size == 0 {
                                Chunk::Trailer { line: 0, total: 0 }
                            } else {
                                Chunk::Data(*size)
                            };
                        } else if *in_ext || b == b'\r' {
                            // Extensions are ignored; a CR may only precede the LF, which
                            // the next byte checks loosely (a stray CR inside an extension
                            // is harmless).
                            if b != b'\r' && !(b == b'\t' || (b' '..0x7f).contains(&b)) {
                                return Err(ParseError::ChunkSize.into());
                            }
                            *in_ext = true;
                        } else if b == b';' || b == b' ' || b == b'\t' {
                            if *digits == 0 {
                                return Err(ParseError::ChunkSize.into());
                            }
                            *in_ext = true;
                        } else {
                            let digit = (b as char).to_digit(16).ok_or(ParseError::ChunkSize)?;
                            *digits += 1;
                            if *digits > 15 {
                                return Err(ParseError::ChunkSize.into());
                            }
                            *size = *size * 16 + u64::from(digit);
                        }
                    }
                    Chunk::Data(left) => {
                        let take = (*left).min((data.len() - at) as u64) as usize;
                        push(&data[at..at + take], body)?;
                        at += take;
                        *left -= take as u64;
                        if *left == 0 {
                            *chunk = Chunk::DataEnd { cr: false };
                        }
                    }
                    Chunk::DataEnd { cr } => {
                        let b = data[at];
                        at += 1;
                        match (b, *cr) {
                            (b'\r', false) => *cr = true,
                            (b'\n', true) => {
                                *chunk = Chunk::Size {
                                    size: 0,
                                    digits: 0,
                                    line: 0,
                                    in_ext: false,
                                };
                            }
                            _ => return Err(ParseError::ChunkEnd.into()),
                        }
                    }
                    Chunk::Trailer { line, total } => {
                        let b = data[at];
                        at += 1;
                        *total += 1;
                        if *total > MAX_TRAILER {
                            return Err(ParseError::TrailerTooLong(MAX_TRAILER).into());
                        }
                        if b == b'\n' {
                            if *line == 0 {
                                return Ok((at, true));
                            }
                            *line = 0;
                        } else if b != b'\r' || *line > 0 {
                            *line += 1;
                        }
                    }
                }
            }
            Ok((at, false))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(bytes: &[u8], step: usize) -> Result<(ResponseHead, Vec<u8>, usize), HttpError> {
        let mut parser = ResponseParser::new(1000, 4096);
        let mut fed = 0;
        for piece in bytes.chunks(step.max(1)) {
            if let Progress::Complete { consumed } = parser.feed(piece)? {
                let (head, body) = parser.take().expect("complete");
                return Ok((head, body, fed + consumed));
            }
            fed += piece.len();
        }
        parser.finish()?;
        let (head, body) = parser.take().expect("finished");
        Ok((head, body, fed))
    }

    #[test]
    fn content_length_chunked_and_until_close_in_any_split() {
        let cases: [(&[u8], &[u8], usize); 4] = [
            (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA", b"hello", 43),
            (
                b"HTTP/1.1 206 Partial\r\ntransfer-encoding: gzip, chunked\r\n\r\n3;x=y\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: v\r\n\r\nNEXT",
                b"abc0123456789",
                96,
            ),
            (b"HTTP/1.0 200 OK\r\n\r\nto the end", b"to the end", 29),
            (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", b"", 71),
        ];
        for (bytes, body, used) in cases {
            for step in [1, 2, 7, 1000] {
                let (_, got, consumed) = parse_all(bytes, step).expect("parses");
                assert_eq!(got, body, "step {step}");
                assert_eq!(consumed, used, "step {step}");
            }
        }
    }

    #[test]
    fn keep_alive_follows_version_and_connection() {
        let head = |v: &[u8]| {
            let mut p = ResponseParser::new(10, 4096);
            p.feed(v).expect("head");
            p.head().expect("parsed").keeps_alive()
        };
        assert!(head(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n"));
        assert!(!head(
            b"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 1\r\n\r\n"
        ));
        assert!(!head(b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n"));
        assert!(head(
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n"
        ));
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let err = |bytes: &[u8]| parse_all(bytes, 3).expect_err("must fail");
        assert!(matches!(
            err(b"HTTP/1.1 2x0 OK\r\n\r\n"),
            HttpError::Malformed(ParseError::Head(_))
        ));
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            ParseError::ContentLength.into()
        );
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
            ParseError::ContentLength.into()
        );
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n"),
            HttpError::TooLarge { limit: 1000 }
        );
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            ParseError::ChunkSize.into()
        );
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n"),
            ParseError::ChunkSize.into()
        );
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc"),
            ParseError::ChunkEnd.into()
        );
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3E9\r\n"),
            HttpError::Closed
        );
        let mut big = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..3 {
            big.extend_from_slice(b"190\r\n");
            big.extend_from_slice(&[b'x'; 400]);
            big.extend_from_slice(b"\r\n");
        }
        assert_eq!(err(&big), HttpError::TooLarge { limit: 1000 });
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc"),
            HttpError::Closed
        );
        let long = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "y".repeat(5000));
        assert_eq!(err(long.as_bytes()), ParseError::HeadTooLong(4096).into());
        let many: String = (0..70).map(|i| format!("H{i}: v\r\n")).collect();
        let many = format!("HTTP/1.1 200 OK\r\n{many}\r\n");
        assert_eq!(
            err(many.as_bytes()),
            ParseError::TooManyHeaders(MAX_HEADERS).into()
        );
        let interim = "HTTP/1.1 100 Continue\r\n\r\n".repeat(6);
        assert_eq!(
            err(interim.as_bytes()),
            ParseError::TooManyInterim(MAX_INTERIM).into()
        );
    }
}
