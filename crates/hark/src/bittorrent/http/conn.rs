//! The notifier of one HTTP connection: writes the request when connected, feeds the
//! parser, enforces the timeouts, and hands the connection back for reuse.

use super::HttpError;
use super::shared::{ConnState, Shared};
use hark_reactor::tcp::{TcpConn, TcpNotify};
use std::sync::{Mutex, PoisonError, Weak};
use std::time::Instant;

/// One connection's notifier: its key in the shared state.
pub(super) struct ConnNotify {
    pub shared: Weak<Mutex<Shared>>,
    pub conn: u64,
}

impl ConnNotify {
    /// Runs `f` on the shared state, then the wake hook if a response was queued. When
    /// the client is gone, closes the connection instead.
    fn with(&self, tcp: &mut TcpConn<'_>, f: impl FnOnce(&mut Shared, &mut TcpConn<'_>)) {
        let Some(shared) = self.shared.upgrade() else {
            tcp.hard_close();
            return;
        };
        let wake = {
            let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
            if state.dropped || !state.conns.contains_key(&self.conn) {
                tcp.hard_close();
                return;
            }
            f(&mut state, tcp);
            let due = std::mem::take(&mut state.wake_due);
            state.wake.clone().filter(|_| due)
        };
        if let Some(wake) = wake {
            wake();
        }
    }

    /// A connection that ended (`closed` or `connect_failed`).
    fn ended(&mut self, tcp: &mut TcpConn<'_>, refused: bool) {
        let conn = self.conn;
        self.with(tcp, |state, _| {
            let now = Instant::now();
            let Some(entry) = state.conns.get_mut(&conn) else {
                return;
            };
            let key = entry.host.clone();
            let placeholder = ConnState::Idle { deadline: now };
            match std::mem::replace(&mut entry.state, placeholder) {
                ConnState::Connecting { request, .. } => {
                    state.drop_conn(conn, false);
                    let error = if refused {
                        HttpError::ConnectFailed {
                            host: request.url.host.clone(),
                            port: request.url.port,
                        }
                    } else {
                        HttpError::Closed
                    };
                    state.complete(request.id, Err(error));
                }
                ConnState::Busy {
                    mut request,
                    mut parser,
                    reused,
                    ..
                } => match parser.finish() {
                    Ok(()) => {
                        state.finish(conn, None, request, &mut parser, false, now);
                    }
                    Err(_) if reused && !parser.started() && !request.retried => {
                        // The server closed an idle connection as we reused it: the GET
                        // is safe to send again, once, on a fresh connection.
                        state.drop_conn(conn, false);
                        request.retried = true;
                        state.dispatch(request, now);
                    }
                    Err(error) => {
                        state.drop_conn(conn, false);
                        state.complete(request.id, Err(error));
                    }
                },
                ConnState::Idle { .. } => state.drop_conn(conn, false),
            }
            state.start_waiting(&key, now);
        });
    }
}

impl TcpNotify for ConnNotify {
    fn connected(&mut self, tcp: &mut TcpConn<'_>) {
        let conn = self.conn;
        self.with(tcp, |state, tcp| {
            let now = Instant::now();
            let parser = state.parser();
            let deadline = now + state.config.response_timeout;
            let Some(entry) = state.conns.get_mut(&conn) else {
                return;
            };
            let placeholder = ConnState::Idle { deadline: now };
            let ConnState::Connecting { request, .. } =
                std::mem::replace(&mut entry.state, placeholder)
            else {
                return;
            };
            let bytes = state.request_bytes(&request);
            if tcp.write(&bytes).is_err() {
                tcp.hard_close();
                state.drop_conn(conn, false);
                state.complete(request.id, Err(HttpError::Closed));
                return;
            }
            if let Some(entry) = state.conns.get_mut(&conn) {
                entry.state = ConnState::Busy {
                    request,
                    parser,
                    deadline,
                    reused: false,
                };
            }
        });
    }

    fn connect_failed(&mut self, tcp: &mut TcpConn<'_>) {
        self.ended(tcp, true);
    }

    fn received(&mut self, tcp: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        let conn = self.conn;
        self.with(tcp, |state, tcp| {
            let now = Instant::now();
            let timeout = state.config.response_timeout;
            let Some(entry) = state.conns.get_mut(&conn) else {
                return;
            };
            let key = entry.host.clone();
            let ConnState::Busy {
                parser, deadline, ..
            } = &mut entry.state
            else {
                // Bytes nobody asked for: the connection cannot be trusted any more.
                tcp.hard_close();
                state.drop_conn(conn, false);
                state.start_waiting(&key, now);
                return;
            };
            *deadline = now + timeout;
            let progress = parser.feed(data);
            let placeholder = ConnState::Idle { deadline: now };
            match progress {
                Ok(super::Progress::NeedMore) => {}
                Ok(super::Progress::Complete { consumed }) => {
                    let ConnState::Busy {
                        request,
                        mut parser,
                        ..
                    } = std::mem::replace(&mut entry.state, placeholder)
                    else {
                        return;
                    };
                    // Bytes past the response mean the server is out of step.
                    let reusable = consumed == data.len();
                    state.finish(conn, Some(tcp), request, &mut parser, reusable, now);
                }
                Err(error) => {
                    let ConnState::Busy { request, .. } =
                        std::mem::replace(&mut entry.state, placeholder)
                    else {
                        return;
                    };
                    tcp.hard_close();
                    state.drop_conn(conn, false);
                    state.complete(request.id, Err(error));
                    state.start_waiting(&key, now);
                }
            }
        });
        true
    }

    fn closed(&mut self, tcp: &mut TcpConn<'_>) {
        self.ended(tcp, false);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let shared = self.shared.upgrade()?;
        let state = shared.lock().unwrap_or_else(PoisonError::into_inner);
        match &state.conns.get(&self.conn)?.state {
            ConnState::Connecting { deadline, .. }
            | ConnState::Busy { deadline, .. }
            | ConnState::Idle { deadline } => Some(*deadline),
        }
    }

    fn handle_timeout(&mut self, tcp: &mut TcpConn<'_>, now: Instant) {
        let conn = self.conn;
        self.with(tcp, |state, tcp| {
            let Some(entry) = state.conns.get_mut(&conn) else {
                return;
            };
            let key = entry.host.clone();
            let (due, error) = match &entry.state {
                ConnState::Connecting { deadline, .. } => {
                    (*deadline <= now, Some(HttpError::ConnectTimeout))
                }
                ConnState::Busy { deadline, .. } => {
                    (*deadline <= now, Some(HttpError::ResponseTimeout))
                }
                ConnState::Idle { deadline } => (*deadline <= now, None),
            };
            if !due {
                return;
            }
            let placeholder = ConnState::Idle { deadline: now };
            let request = match std::mem::replace(&mut entry.state, placeholder) {
                ConnState::Connecting { request, .. } | ConnState::Busy { request, .. } => {
                    Some(request)
                }
                ConnState::Idle { .. } => None,
            };
            tcp.hard_close();
            state.drop_conn(conn, false);
            if let (Some(request), Some(error)) = (request, error) {
                state.complete(request.id, Err(error));
            }
            state.start_waiting(&key, now);
        });
    }
}
