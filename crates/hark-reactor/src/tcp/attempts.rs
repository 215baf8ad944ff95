//! Connection attempts: one socket per resolved address, all at once; failures are
//! reported before successes within one batch of readiness.

use super::host::{Entry, TcpHost};
use hark_proto::tcp::{ConnectAttempts, ConnectEvent};
use mio::Interest;
use mio::net::TcpStream;
use std::io;
use std::net::SocketAddr;

/// What a readiness event said about a connection attempt.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AttemptStatus {
    Pending,
    Failed,
    Connected,
}

impl TcpHost {
    pub(super) fn start_attempts(&mut self, key: usize, addrs: Vec<SocketAddr>) {
        let mut attempts = ConnectAttempts::new(addrs);
        let mut keys = Vec::new();
        let registry = &self.registry;
        while let Some((id, addr)) = attempts.poll_start() {
            let Ok(mut stream) = TcpStream::connect(addr) else {
                attempts.handle_failed(id);
                continue;
            };
            let entry = self.entries.vacant_entry();
            let attempt_key = entry.key();
            let interest = Interest::READABLE | Interest::WRITABLE;
            if registry
                .register(&mut stream, Self::token(attempt_key), interest)
                .is_err()
            {
                attempts.handle_failed(id);
                continue;
            }
            entry.insert(Entry::Attempt {
                conn: key,
                id,
                stream,
            });
            keys.push((id, attempt_key));
        }
        if let Some(Entry::Conn(conn)) = self.entries.get_mut(key) {
            conn.attempts = Some(attempts);
            conn.attempt_keys = keys;
        } else {
            for (_, attempt_key) in keys {
                self.drop_attempt(attempt_key);
            }
        }
        self.connect_events(key);
    }

    /// Reads the outcome of each attempt that had an event; failures are reported before
    /// successes so the counts read in order.
    pub(super) fn attempts_ready(&mut self, keys: &mut Vec<usize>) {
        let mut outcomes = Vec::new();
        for key in keys.drain(..) {
            let Some(Entry::Attempt { conn, id, stream }) = self.entries.get(key) else {
                continue;
            };
            let status = match stream.take_error() {
                Ok(Some(_)) | Err(_) => AttemptStatus::Failed,
                Ok(None) => match stream.peer_addr() {
                    Ok(_) => AttemptStatus::Connected,
                    Err(err) if err.kind() == io::ErrorKind::NotConnected => AttemptStatus::Pending,
                    Err(_) => AttemptStatus::Failed,
                },
            };
            if status != AttemptStatus::Pending {
                outcomes.push((status, key, *conn, *id));
            }
        }
        outcomes.sort_by_key(|&(status, ..)| status == AttemptStatus::Connected);
        let mut conns = Vec::new();
        for (status, key, conn_key, id) in outcomes {
            let Some(Entry::Conn(conn)) = self.entries.get_mut(conn_key) else {
                continue;
            };
            let Some(attempts) = conn.attempts.as_mut() else {
                continue;
            };
            if status == AttemptStatus::Failed {
                attempts.handle_failed(id);
                conn.attempt_keys.retain(|&(attempt, _)| attempt != id);
                self.drop_attempt(key);
            } else {
                attempts.handle_connected(id);
            }
            if !conns.contains(&conn_key) {
                conns.push(conn_key);
            }
        }
        for conn_key in conns {
            self.connect_events(conn_key);
        }
    }

    fn connect_events(&mut self, key: usize) {
        loop {
            let registry = &self.registry;
            let Some(Entry::Conn(conn)) = self.entries.get_mut(key) else {
                return;
            };
            let Some(event) = conn.attempts.as_mut().and_then(|a| a.poll_event()) else {
                break;
            };
            match event {
                ConnectEvent::Connecting(count) => {
                    conn.connecting(registry, count);
                    if conn.released {
                        let keys = std::mem::take(&mut conn.attempt_keys);
                        for (_, attempt_key) in keys {
                            self.drop_attempt(attempt_key);
                        }
                        break;
                    }
                }
                ConnectEvent::Connected { winner, abandoned } => {
                    let keys = std::mem::take(&mut conn.attempt_keys);
                    let mut stream = None;
                    for (id, attempt_key) in keys {
                        if id == winner {
                            stream = self.take_attempt(attempt_key);
                        } else if abandoned.contains(&id) {
                            self.drop_attempt(attempt_key);
                        }
                    }
                    let registry = &self.registry;
                    if let (Some(Entry::Conn(conn)), Some(stream)) =
                        (self.entries.get_mut(key), stream)
                    {
                        conn.attach(registry, Self::token(key), stream, false);
                    }
                }
                ConnectEvent::Failed => conn.connect_failed(),
            }
        }
        self.after_conn(key);
    }

    fn take_attempt(&mut self, key: usize) -> Option<TcpStream> {
        if !matches!(self.entries.get(key), Some(Entry::Attempt { .. })) {
            return None;
        }
        match self.entries.try_remove(key) {
            Some(Entry::Attempt { mut stream, .. }) => {
                let _ = &self.registry.deregister(&mut stream);
                Some(stream)
            }
            _ => None,
        }
    }

    pub(super) fn drop_attempt(&mut self, key: usize) {
        let _ = self.take_attempt(key);
    }
}
