//! [`WebSeedDriver`]: a torrent's web-seed fetches as HTTP range requests.

use crate::bittorrent::http::{
    HttpClient, HttpConfig, HttpError, HttpRequest, HttpRequestId, HttpResponse,
};
use hark_proto::bt::torrent::{RangeRequest, Torrent, WebRequest, WebSeedError};
use hark_reactor::ReactorHandle;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// One piece being fetched from one seed: its ranges in order, the bytes so far.
#[derive(Debug)]
struct Fetch {
    request: WebRequest,
    /// The range being fetched.
    next: usize,
    body: Vec<u8>,
    http: HttpRequestId,
}

/// Fetches the pieces a [`Torrent`] asks of its web seeds (BEP 19) with HTTP/1.1 range
/// requests over one keep-alive [`HttpClient`], and feeds each piece (or the seed's
/// failure, which the torrent reports as `url_seed`) back with
/// [`Torrent::handle_web_seed`].
///
/// One driver per torrent, an owned value beside it on the reactor thread. Call
/// [`WebSeedDriver::drive`] after the wake hook ran, after the torrent's timer
/// ([`Torrent::poll_timeout`] includes the seeds' back-off) and whenever the torrent may
/// have work for its seeds (after disk completions); then run the torrent's disk jobs and
/// drain its events as usual.
///
/// A reply is accepted as `206 Partial Content` with exactly the range's bytes, or as
/// `200 OK` with the whole file (from servers without range support, such as Python's
/// `http.server`), whose range is cut out; anything else fails the seed.
pub struct WebSeedDriver {
    http: HttpClient,
    fetches: HashMap<usize, Fetch>,
    failures: VecDeque<(usize, String, HttpError)>,
}

/// HTTP failures kept for [`WebSeedDriver::poll_http_failure`]; past it the oldest go.
pub const FAILURE_CAPACITY: usize = 64;

impl std::fmt::Debug for WebSeedDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSeedDriver")
            .field("fetching", &self.fetches.len())
            .field("http", &self.http)
            .finish()
    }
}

impl WebSeedDriver {
    /// A driver whose connections live on `reactor`. `config.max_body` bounds one range's
    /// reply (or the whole file a `200` sends): set it above the piece length, and above
    /// the largest file when seeds may lack range support.
    pub fn new(reactor: ReactorHandle, config: HttpConfig) -> Self {
        WebSeedDriver {
            http: HttpClient::new(reactor, config),
            fetches: HashMap::new(),
            failures: VecDeque::new(),
        }
    }

    /// Sets the hook run on the reactor thread whenever a reply arrived.
    pub fn set_wake(&mut self, wake: impl Fn() + Send + Sync + 'static) {
        self.http.set_wake(wake);
    }

    /// Pieces being fetched.
    pub fn in_flight(&self) -> usize {
        self.fetches.len()
    }

    /// Connections opened so far (keep-alive reuses them).
    pub fn connections_opened(&self) -> u64 {
        self.http.connections_opened()
    }

    /// Abandons every fetch (the torrent is being removed or paused). The torrent is not
    /// told; a torrent that goes on must be given [`WebSeedDriver::drive`] again, which
    /// starts what it asks for anew.
    pub fn abort(&mut self) {
        for (_, fetch) in self.fetches.drain() {
            self.http.cancel(fetch.http);
        }
    }

    /// Feeds the replies that arrived to `torrent` (next range, or the whole piece, or
    /// the seed's failure), then starts every fetch the torrent asks for.
    pub fn drive(&mut self, now: Instant, torrent: &mut Torrent) {
        while let Some((http, outcome)) = self.http.poll_response() {
            let Some(seed) = self
                .fetches
                .iter()
                .find_map(|(seed, f)| (f.http == http).then_some(*seed))
            else {
                continue;
            };
            let Some(mut fetch) = self.fetches.remove(&seed) else {
                continue;
            };
            let range = &fetch.request.ranges[fetch.next];
            if let Err(error) = &outcome {
                self.note_failure(seed, &range.url, error);
            }
            if let Err(error) = take_range(range, outcome, &mut fetch.body) {
                torrent.handle_web_seed(now, seed, Err(error));
                continue;
            }
            fetch.next += 1;
            if fetch.next == fetch.request.ranges.len() {
                torrent.handle_web_seed(now, seed, Ok(fetch.body));
                continue;
            }
            self.start(now, torrent, fetch);
        }
        while let Some(request) = torrent.poll_web_request(now) {
            let fetch = Fetch {
                request,
                next: 0,
                body: Vec::new(),
                http: HttpRequestId(0),
            };
            self.start(now, torrent, fetch);
        }
    }

    /// Asks for `fetch`'s next range; a request that cannot even start fails the seed.
    fn start(&mut self, now: Instant, torrent: &mut Torrent, mut fetch: Fetch) {
        let seed = fetch.request.seed;
        let Some(range) = fetch.request.ranges.get(fetch.next) else {
            torrent.handle_web_seed(now, seed, Ok(fetch.body));
            return;
        };
        let request = HttpRequest::get(range.url.clone()).header("Range", range.range_header());
        match self.http.get(request) {
            Ok(http) => {
                fetch.http = http;
                self.fetches.insert(seed, fetch);
            }
            Err(error) => {
                self.note_failure(seed, &range.url, &error);
                torrent.handle_web_seed(now, seed, Err(seed_error(&error)));
            }
        }
    }

    /// The HTTP reason behind a seed failure that was reported to the torrent as
    /// [`WebSeedError::Connect`] (and so as a `url_seed` event): the seed, the URL, the
    /// error. Bounded by [`FAILURE_CAPACITY`].
    #[must_use]
    pub fn poll_http_failure(&mut self) -> Option<(usize, String, HttpError)> {
        self.failures.pop_front()
    }

    fn note_failure(&mut self, seed: usize, url: &str, error: &HttpError) {
        if self.failures.len() >= FAILURE_CAPACITY {
            self.failures.pop_front();
        }
        self.failures
            .push_back((seed, url.to_owned(), error.clone()));
    }
}

/// Appends `range`'s bytes from a reply to `body`.
fn take_range(
    range: &RangeRequest,
    outcome: Result<HttpResponse, HttpError>,
    body: &mut Vec<u8>,
) -> Result<(), WebSeedError> {
    let response = outcome.map_err(|error| seed_error(&error))?;
    let expected = range.last - range.first + 1;
    let got = response.body.len() as u64;
    match response.status {
        206 => {
            if got != expected {
                return Err(WebSeedError::Length { got, expected });
            }
            // A server that sends another range than asked is as wrong as a short one.
            if let Some(content_range) = response.header("content-range") {
                let asked = format!("bytes {}-{}/", range.first, range.last);
                if !content_range.trim().starts_with(&asked) {
                    return Err(WebSeedError::Length { got, expected });
                }
            }
            body.extend_from_slice(&response.body);
        }
        200 => {
            // The whole file: cut the range out.
            if got <= range.last {
                return Err(WebSeedError::Length {
                    got: got.saturating_sub(range.first),
                    expected,
                });
            }
            body.extend_from_slice(&response.body[range.first as usize..=range.last as usize]);
        }
        status => return Err(WebSeedError::Status(status)),
    }
    Ok(())
}

/// The seed failure an HTTP failure is reported as: every one (refused, timed out,
/// closed, malformed, too large, redirected too often, unsupported scheme) means this seed
/// cannot serve now. The precise reason is kept for [`WebSeedDriver::poll_http_failure`].
fn seed_error(_error: &HttpError) -> WebSeedError {
    WebSeedError::Connect
}
