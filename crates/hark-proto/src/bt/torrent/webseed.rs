//! Web seeds (BEP 19, `url-list`): HTTP range requests planned for a piece, and the back-off
//! after a seed fails.
//!
//! A piece may span several files; each file it touches is one `Range` request to the
//! file's URL. For a multi-file torrent the URL is the seed's base (with a `/` added when
//! missing), the torrent's name and the file's path components, each percent-encoded; for a
//! single-file torrent a base ending in `/` gets the name appended and any other base is the
//! file itself (BEP 19). The bodies, concatenated in order, are the piece, which goes
//! through the same hash check as blocks from peers. A failure (lookup, connect, an HTTP
//! status other than 206/200) is a `url_seed` event and the seed rests for a doubling delay
//! (30 s, 60 s, ... up to 1 h) before it is asked again.

use std::time::{Duration, Instant};

use super::storage::Storage;

/// One HTTP request the driver performs: `GET url` with `Range: bytes=first-last`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeRequest {
    /// The file's URL.
    pub url: String,
    /// The file's index.
    pub file: usize,
    /// The first byte (inclusive).
    pub first: u64,
    /// The last byte (inclusive).
    pub last: u64,
}

impl RangeRequest {
    /// The `Range` header's value.
    pub fn range_header(&self) -> String {
        format!("bytes={}-{}", self.first, self.last)
    }
}

/// Why a web seed failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebSeedError {
    /// The host name did not resolve.
    #[error("name lookup failed")]
    Lookup,
    /// No connection.
    #[error("connect failed")]
    Connect,
    /// A status other than 206 (or 200 for a whole file).
    #[error("HTTP status {0}")]
    Status(u16),
    /// The body's length differs from the range's.
    #[error("body of {got} bytes for a range of {expected}")]
    Length {
        /// The body's length.
        got: u64,
        /// The range's.
        expected: u64,
    },
}

/// How the torrent names its files under a web seed's base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileNames {
    /// The torrent's name.
    pub name: String,
    /// Each file's path components.
    pub paths: Vec<Vec<String>>,
    /// A single-file torrent (the name is the file).
    pub single_file: bool,
}

/// One web seed: its base URL, how to name files under it, and its back-off.
#[derive(Debug, Clone)]
pub struct WebSeed {
    base: String,
    failures: u32,
    retry_at: Option<Instant>,
}

const FIRST_BACKOFF: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

impl WebSeed {
    /// A seed at `base` (an `url-list` entry).
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into(),
            failures: 0,
            retry_at: None,
        }
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Whether the seed may be asked now (not resting after a failure).
    pub fn is_ready(&self, now: Instant) -> bool {
        self.retry_at.is_none_or(|t| now >= t)
    }

    /// When a resting seed may be asked again.
    pub fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    /// Ends a rest that is over at `now`: [`WebSeed::retry_at`] no longer reports it, so
    /// a driver's timer does not fire again for it. The failure count stays.
    pub fn wake(&mut self, now: Instant) {
        if self.retry_at.is_some_and(|t| t <= now) {
            self.retry_at = None;
        }
    }

    /// Failures in a row.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The seed failed: it rests for 30 s doubled per failure in a row, at most 1 h.
    pub fn failed(&mut self, now: Instant) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let delay = FIRST_BACKOFF
            .saturating_mul(1u32 << (self.failures - 1).min(7))
            .min(MAX_BACKOFF);
        self.retry_at = Some(now + delay);
        delay
    }

    /// The seed answered: the back-off resets.
    pub fn succeeded(&mut self) {
        self.failures = 0;
        self.retry_at = None;
    }

    /// The URL of `path` (the file's components) in a torrent named `name`.
    pub fn file_url(&self, name: &str, path: &[String], single_file: bool) -> String {
        if single_file {
            return if self.base.ends_with('/') {
                format!("{}{}", self.base, encode(name))
            } else {
                self.base.clone()
            };
        }
        let mut url = self.base.clone();
        if !url.ends_with('/') {
            url.push('/');
        }
        url.push_str(&encode(name));
        for part in path {
            url.push('/');
            url.push_str(&encode(part));
        }
        url
    }

    /// The requests that fetch `length` bytes at `begin` of piece `index`: one per file
    /// touched, in order.
    pub fn plan(
        &self,
        storage: &Storage,
        names: &FileNames,
        index: u32,
        begin: u32,
        length: u32,
    ) -> Vec<RangeRequest> {
        storage
            .map_block(index, begin, length)
            .into_iter()
            .map(|s| RangeRequest {
                url: self.file_url(
                    &names.name,
                    names.paths.get(s.file).map_or(&[][..], Vec::as_slice),
                    names.single_file,
                ),
                file: s.file,
                first: s.offset,
                last: s.offset + u64::from(s.length) - 1,
            })
            .collect()
    }

    /// Checks a response to `request`: its status and its body's length.
    pub fn check_response(
        request: &RangeRequest,
        status: u16,
        body_len: u64,
    ) -> Result<(), WebSeedError> {
        if status != 206 && !(status == 200 && request.first == 0) {
            return Err(WebSeedError::Status(status));
        }
        let expected = request.last - request.first + 1;
        // A 200 carries the whole file; the driver takes the range's bytes from it.
        if (status == 206 && body_len != expected) || body_len < expected {
            return Err(WebSeedError::Length {
                got: body_len,
                expected,
            });
        }
        Ok(())
    }
}

/// Percent-encodes a path component (RFC 3986 unreserved characters stay).
fn encode(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Vec<Vec<String>> {
        vec![
            vec!["a.bin".into()],
            vec!["sub dir".into(), "b.bin".into()],
            vec!["c.bin".into()],
        ]
    }

    #[test]
    fn a_piece_across_three_files_is_three_ranges() {
        let storage = Storage::new([10_000, 5, 50_000], 16_384);
        let seed = WebSeed::new("http://127.0.0.1:8080/seed");
        let names = FileNames {
            name: "album".into(),
            paths: paths(),
            single_file: false,
        };
        let plan = seed.plan(&storage, &names, 0, 0, 16_384);
        assert_eq!(
            plan,
            vec![
                RangeRequest {
                    url: "http://127.0.0.1:8080/seed/album/a.bin".into(),
                    file: 0,
                    first: 0,
                    last: 9_999
                },
                RangeRequest {
                    url: "http://127.0.0.1:8080/seed/album/sub%20dir/b.bin".into(),
                    file: 1,
                    first: 0,
                    last: 4
                },
                RangeRequest {
                    url: "http://127.0.0.1:8080/seed/album/c.bin".into(),
                    file: 2,
                    first: 0,
                    last: 6_378
                },
            ]
        );
        assert_eq!(plan[2].range_header(), "bytes=0-6378");
    }

    #[test]
    fn single_file_urls() {
        let dir = WebSeed::new("http://h/files/");
        let file = WebSeed::new("http://h/x.iso");
        assert_eq!(
            dir.file_url("x y.iso", &[], true),
            "http://h/files/x%20y.iso"
        );
        assert_eq!(file.file_url("x y.iso", &[], true), "http://h/x.iso");
    }

    #[test]
    fn responses_are_checked() {
        let r = RangeRequest {
            url: String::new(),
            file: 0,
            first: 100,
            last: 199,
        };
        assert_eq!(WebSeed::check_response(&r, 206, 100), Ok(()));
        assert_eq!(
            WebSeed::check_response(&r, 404, 0),
            Err(WebSeedError::Status(404))
        );
        assert_eq!(
            WebSeed::check_response(&r, 200, 1000),
            Err(WebSeedError::Status(200))
        );
        assert!(matches!(
            WebSeed::check_response(&r, 206, 99),
            Err(WebSeedError::Length { .. })
        ));
    }

    #[test]
    fn failures_back_off_doubling_and_reset() {
        let t0 = Instant::now();
        let mut seed = WebSeed::new("http://h/");
        assert!(seed.is_ready(t0));
        assert_eq!(seed.failed(t0), Duration::from_secs(30));
        assert!(!seed.is_ready(t0 + Duration::from_secs(29)));
        assert!(seed.is_ready(t0 + Duration::from_secs(30)));
        seed.wake(t0 + Duration::from_secs(29));
        assert!(seed.retry_at().is_some(), "still resting");
        seed.wake(t0 + Duration::from_secs(30));
        assert_eq!(seed.retry_at(), None, "a rest that is over is no timer");
        assert_eq!(seed.failures(), 1);
        assert_eq!(seed.failed(t0), Duration::from_secs(60));
        for _ in 0..20 {
            seed.failed(t0);
        }
        assert_eq!(seed.retry_at(), Some(t0 + Duration::from_secs(3600)));
        seed.succeeded();
        assert_eq!(seed.failures(), 0);
        assert!(seed.is_ready(t0));
    }
}
