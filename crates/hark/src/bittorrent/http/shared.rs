//! The state an [`HttpClient`](super::HttpClient) shares with its connections' notifiers:
//! requests in flight, connections per host, idle connections, finished responses.
//!
//! Every change happens under one mutex, on the reactor thread (notifier callbacks) or on
//! the owner's thread (new requests); the wake hook is called after the lock is released.

use super::conn::ConnNotify;
use super::parse::ResponseParser;
use super::url::HttpUrl;
use super::{HttpConfig, HttpError, HttpRequestId, HttpResponse};
use hark_reactor::ReactorHandle;
use hark_reactor::tcp::{HandleError, TcpConn, TcpConnectionHandle};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, Weak};
use std::time::Instant;

/// What the owner is told when responses are ready.
pub(super) type Wake = super::WakeHook;

/// One host and port.
pub(super) type HostKey = (String, u16);

/// A request not yet answered.
#[derive(Debug)]
pub(super) struct Pending {
    pub id: HttpRequestId,
    pub url: HttpUrl,
    pub headers: Vec<(String, String)>,
    pub redirects: u32,
    /// Already retried once after a reused connection closed before answering.
    pub retried: bool,
}

#[derive(Debug)]
pub(super) enum ConnState {
    Connecting {
        deadline: Instant,
        request: Pending,
    },
    Busy {
        request: Pending,
        parser: ResponseParser,
        deadline: Instant,
        reused: bool,
    },
    Idle {
        deadline: Instant,
    },
}

#[derive(Debug)]
pub(super) struct ConnEntry {
    pub host: HostKey,
    pub handle: Option<TcpConnectionHandle>,
    pub state: ConnState,
}

#[derive(Debug, Default)]
pub(super) struct Host {
    /// Connections open or opening.
    pub open: usize,
    /// Idle keep-alive connections, most recent last.
    pub idle: Vec<u64>,
    /// Requests waiting for a connection.
    pub waiting: VecDeque<Pending>,
}

pub(super) struct Shared {
    pub config: HttpConfig,
    pub reactor: ReactorHandle,
    pub me: Weak<Mutex<Shared>>,
    pub next_conn: u64,
    pub conns: HashMap<u64, ConnEntry>,
    pub hosts: HashMap<HostKey, Host>,
    pub done: VecDeque<(HttpRequestId, Result<HttpResponse, HttpError>)>,
    /// Requests made and not yet taken by the owner.
    pub outstanding: usize,
    pub wake: Option<Wake>,
    /// A response was queued since the wake hook last ran.
    pub wake_due: bool,
    /// The client was dropped: connections close, nothing is delivered.
    pub dropped: bool,
    /// Connections opened so far.
    pub opened: u64,
}

impl Shared {
    /// Queues the outcome of request `pending`.
    pub fn complete(&mut self, id: HttpRequestId, result: Result<HttpResponse, HttpError>) {
        if self.dropped {
            return;
        }
        self.done.push_back((id, result));
        self.wake_due = true;
    }

    /// The bytes of a GET for `pending`.
    pub fn request_bytes(&self, pending: &Pending) -> Vec<u8> {
        let mut out = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nAccept-Encoding: identity\r\nConnection: keep-alive\r\n",
            pending.url.target,
            pending.url.host_header(),
            self.config.user_agent
        );
        for (name, value) in &pending.headers {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        out.into_bytes()
    }

    /// A fresh parser for a response.
    pub fn parser(&self) -> ResponseParser {
        ResponseParser::new(self.config.max_body, self.config.max_head)
    }

    /// Sends `pending` on an idle connection of its host, on a new connection, or queues
    /// it until one is free.
    pub fn dispatch(&mut self, pending: Pending, now: Instant) {
        if self.dropped {
            return;
        }
        let key: HostKey = (pending.url.host.clone(), pending.url.port);
        let bytes = self.request_bytes(&pending);
        while let Some(conn) = self.hosts.get_mut(&key).and_then(|host| host.idle.pop()) {
            let written = self
                .conns
                .get(&conn)
                .and_then(|entry| entry.handle.as_ref())
                .is_some_and(|handle| handle.write(bytes.clone()).is_ok());
            if written {
                let deadline = now + self.config.response_timeout;
                let parser = self.parser();
                if let Some(entry) = self.conns.get_mut(&conn) {
                    entry.state = ConnState::Busy {
                        request: pending,
                        parser,
                        deadline,
                        reused: true,
                    };
                }
                return;
            }
            // That connection is going away: forget it and try the next.
            self.drop_conn(conn, true);
        }
        let host = self.hosts.entry(key.clone()).or_default();
        if host.open >= self.config.max_connections_per_host.max(1) {
            host.waiting.push_back(pending);
            return;
        }
        host.open += 1;
        self.next_conn += 1;
        self.opened += 1;
        let conn = self.next_conn;
        let id = pending.id;
        let (host_name, port) = key.clone();
        self.conns.insert(
            conn,
            ConnEntry {
                host: key,
                handle: None,
                state: ConnState::Connecting {
                    deadline: now + self.config.connect_timeout,
                    request: pending,
                },
            },
        );
        let notify = ConnNotify {
            shared: self.me.clone(),
            conn,
        };
        let started = match host_name.parse::<IpAddr>() {
            Ok(ip) => self
                .reactor
                .connect_addrs(vec![std::net::SocketAddr::new(ip, port)], notify),
            Err(_) => self.reactor.connect(&host_name, &port.to_string(), notify),
        };
        match started {
            Ok(handle) => {
                if let Some(entry) = self.conns.get_mut(&conn) {
                    entry.handle = Some(handle);
                }
            }
            Err(error) => {
                self.drop_conn(conn, false);
                let error = match error {
                    HandleError::ReactorGone => HttpError::ReactorGone,
                    _ => HttpError::Busy,
                };
                self.complete(id, Err(error));
            }
        }
    }

    /// Forgets connection `conn` (hard-closing it when `close`), and starts a waiting
    /// request of its host if one may now have a connection.
    pub fn drop_conn(&mut self, conn: u64, close: bool) {
        let Some(entry) = self.conns.remove(&conn) else {
            return;
        };
        if close {
            if let Some(handle) = &entry.handle {
                let _ = handle.hard_close();
            }
        }
        if let Some(host) = self.hosts.get_mut(&entry.host) {
            host.open = host.open.saturating_sub(1);
            host.idle.retain(|c| *c != conn);
        }
    }

    /// Starts the next waiting request of `key`, if its host has room for a connection.
    pub fn start_waiting(&mut self, key: &HostKey, now: Instant) {
        let Some(host) = self.hosts.get_mut(key) else {
            return;
        };
        if host.open >= self.config.max_connections_per_host.max(1) && host.idle.is_empty() {
            return;
        }
        if let Some(pending) = host.waiting.pop_front() {
            self.dispatch(pending, now);
        } else if host.open == 0 {
            self.hosts.remove(key);
        }
    }

    /// A response to `request` is complete on connection `conn`: follow a redirect or
    /// deliver it, then reuse the connection (`reusable`) or close it.
    pub fn finish(
        &mut self,
        conn: u64,
        tcp: Option<&mut TcpConn<'_>>,
        request: Pending,
        parser: &mut ResponseParser,
        reusable: bool,
        now: Instant,
    ) {
        let key = self.conns.get(&conn).map(|e| e.host.clone());
        let Some((head, body)) = parser.take() else {
            return;
        };
        let reusable = reusable && head.keeps_alive();
        // The connection first, so a redirect to the same host can reuse it.
        if let Some(key) = &key {
            self.release(conn, tcp, key, reusable, now);
        }
        let redirect = matches!(head.status, 301 | 302 | 303 | 307 | 308);
        match head.header("location").filter(|_| redirect) {
            Some(location) => {
                if request.redirects >= self.config.max_redirects {
                    let limit = self.config.max_redirects;
                    self.complete(request.id, Err(HttpError::TooManyRedirects { limit }));
                    return;
                }
                match HttpUrl::parse(&request.url.join(location)) {
                    Ok(url) => self.dispatch(
                        Pending {
                            url,
                            redirects: request.redirects + 1,
                            retried: false,
                            ..request
                        },
                        now,
                    ),
                    Err(error) => self.complete(request.id, Err(error)),
                }
            }
            None if redirect => self.complete(request.id, Err(HttpError::BadRedirect)),
            None => {
                let response = HttpResponse {
                    url: request.url.to_url(),
                    status: head.status,
                    headers: head.headers,
                    body,
                };
                self.complete(request.id, Ok(response));
            }
        }
    }

    /// After a response: serves the host's next waiting request on `conn`, parks it idle,
    /// or closes it.
    fn release(
        &mut self,
        conn: u64,
        tcp: Option<&mut TcpConn<'_>>,
        key: &HostKey,
        reusable: bool,
        now: Instant,
    ) {
        let idle_room = self
            .hosts
            .get(key)
            .is_some_and(|host| host.idle.len() < self.config.max_idle_per_host);
        let next = self.hosts.get_mut(key).and_then(|h| h.waiting.pop_front());
        match (reusable, tcp, next) {
            (true, Some(tcp), Some(next)) => {
                let bytes = self.request_bytes(&next);
                if tcp.write(&bytes).is_ok() {
                    let parser = self.parser();
                    if let Some(entry) = self.conns.get_mut(&conn) {
                        entry.state = ConnState::Busy {
                            request: next,
                            parser,
                            deadline: now + self.config.response_timeout,
                            reused: true,
                        };
                    }
                    return;
                }
                tcp.hard_close();
                self.drop_conn(conn, false);
                self.dispatch(next, now);
            }
            (true, Some(_), None) if idle_room => {
                if let Some(entry) = self.conns.get_mut(&conn) {
                    entry.state = ConnState::Idle {
                        deadline: now + self.config.idle_timeout,
                    };
                }
                if let Some(host) = self.hosts.get_mut(key) {
                    host.idle.push(conn);
                }
            }
            (_, tcp, next) => {
                match tcp {
                    Some(tcp) => {
                        tcp.close();
                        self.drop_conn(conn, false);
                    }
                    // Only a connection that already closed gets here without `tcp`.
                    None => self.drop_conn(conn, false),
                }
                if let Some(next) = next {
                    self.dispatch(next, now);
                }
            }
        }
    }
}
