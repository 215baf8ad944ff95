//! [`HttpClient`]: the owner's side: make requests, take responses.

use super::shared::{Pending, Shared};
use super::url::HttpUrl;
use super::{HttpConfig, HttpError, HttpRequest, HttpRequestId, HttpResponse};
use hark_reactor::ReactorHandle;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// An HTTP/1.1 client on a hark reactor: `GET`s over the reactor's TCP connections, with
/// keep-alive, bounded redirects, timeouts and size limits.
///
/// The client is an owned value. Its connections live on the reactor (each with a
/// notifier); what they produce is queued here: take it with
/// [`HttpClient::poll_response`]. Whenever a response (or failure) is queued, the hook
/// given to [`HttpClient::set_wake`] runs **on the reactor thread**, after the client's
/// lock is released, so it may call back into the client. Requests may be made from any
/// thread; made on the reactor thread (from a notifier, a datagram core, or code between
/// [`Reactor::turn`](hark_reactor::Reactor::turn)s), nothing ever blocks.
///
/// Every request gets exactly one outcome: a response (any status), or an [`HttpError`].
/// Dropping the client hard-closes its connections; outcomes not yet taken are lost.
pub struct HttpClient {
    shared: Arc<Mutex<Shared>>,
    next_id: u64,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("HttpClient")
            .field("outstanding", &state.outstanding)
            .field("connections", &state.conns.len())
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client whose connections live on `reactor`.
    pub fn new(reactor: ReactorHandle, config: HttpConfig) -> Self {
        let shared = Arc::new_cyclic(|me| {
            Mutex::new(Shared {
                config,
                reactor,
                me: me.clone(),
                next_conn: 0,
                conns: HashMap::new(),
                hosts: HashMap::new(),
                done: Default::default(),
                outstanding: 0,
                wake: None,
                wake_due: false,
                dropped: false,
                opened: 0,
            })
        });
        HttpClient { shared, next_id: 0 }
    }

    /// Sets the hook run on the reactor thread whenever outcomes were queued (once per
    /// callback that queued any; take them all with [`HttpClient::poll_response`]).
    pub fn set_wake(&mut self, wake: impl Fn() + Send + Sync + 'static) {
        self.lock().wake = Some(Arc::new(wake));
    }

    /// Starts `GET request.url`. Fails at once for a URL or header that cannot be sent
    /// ([`HttpError::InvalidRequest`], [`HttpError::UnsupportedScheme`]) or when
    /// [`HttpConfig::max_outstanding`] requests are outstanding ([`HttpError::Busy`]);
    /// everything later is the request's outcome.
    pub fn get(&mut self, request: HttpRequest) -> Result<HttpRequestId, HttpError> {
        let url = HttpUrl::parse(&request.url)?;
        for (name, value) in &request.headers {
            let token = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token || value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(HttpError::InvalidRequest(format!("bad header `{name}`")));
            }
        }
        let id = HttpRequestId(self.next_id + 1);
        let mut state = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        if state.outstanding >= state.config.max_outstanding {
            return Err(HttpError::Busy);
        }
        state.outstanding += 1;
        self.next_id += 1;
        state.dispatch(
            Pending {
                id,
                url,
                headers: request.headers,
                redirects: 0,
                retried: false,
            },
            Instant::now(),
        );
        Ok(id)
    }

    /// The next outcome, if any.
    #[must_use]
    pub fn poll_response(&mut self) -> Option<(HttpRequestId, Result<HttpResponse, HttpError>)> {
        let mut state = self.lock();
        let next = state.done.pop_front()?;
        state.outstanding = state.outstanding.saturating_sub(1);
        Some(next)
    }

    /// Abandons request `id`: it will have no outcome (one already queued is removed).
    /// A connection it was using is closed.
    pub fn cancel(&mut self, id: HttpRequestId) {
        let mut state = self.lock();
        let before = state.done.len();
        state.done.retain(|(done, _)| *done != id);
        if state.done.len() < before {
            state.outstanding = state.outstanding.saturating_sub(1);
            return;
        }
        let mut found = false;
        for host in state.hosts.values_mut() {
            let len = host.waiting.len();
            host.waiting.retain(|p| p.id != id);
            found |= host.waiting.len() < len;
        }
        let conn = state.conns.iter().find_map(|(key, entry)| {
            let request = match &entry.state {
                super::shared::ConnState::Connecting { request, .. }
                | super::shared::ConnState::Busy { request, .. } => request,
                super::shared::ConnState::Idle { .. } => return None,
            };
            (request.id == id).then_some(*key)
        });
        if let Some(conn) = conn {
            let key = state.conns.get(&conn).map(|e| e.host.clone());
            state.drop_conn(conn, true);
            if let Some(key) = key {
                state.start_waiting(&key, Instant::now());
            }
            found = true;
        }
        if found {
            state.outstanding = state.outstanding.saturating_sub(1);
        }
    }

    /// Requests made and whose outcome was not yet taken.
    pub fn outstanding(&self) -> usize {
        self.lock().outstanding
    }

    /// Connections open or opening now.
    pub fn connections(&self) -> usize {
        self.lock().conns.len()
    }

    /// Connections opened since the client was made (keep-alive keeps this low).
    pub fn connections_opened(&self) -> u64 {
        self.lock().opened
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for HttpClient {
    fn drop(&mut self) {
        let mut state = self.lock();
        state.dropped = true;
        for entry in state.conns.values() {
            if let Some(handle) = &entry.handle {
                let _ = handle.hard_close();
            }
        }
        state.conns.clear();
        state.hosts.clear();
        state.done.clear();
    }
}
