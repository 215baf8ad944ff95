//! `TlsSwitch`: starts TLS on a connection that is already up, for protocols that
//! negotiate TLS in band (BEEP's TLS profile, STARTTLS).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ServerConfig};

use super::error::TlsError;

/// What a switched connection negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The protocol version (`TLSv1_3`, `TLSv1_2`).
    pub version: String,
    /// The cipher suite.
    pub cipher_suite: String,
    /// The SNI name the client sent (server side), or the one we verified (client side).
    pub server_name: Option<String>,
}

/// Where a [`TlsSwitch`] stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsStatus {
    /// Plaintext; no start asked for.
    Plain,
    /// A start was asked for; the wrapper takes it after the current callback.
    Requested,
    /// TLS is under the connection from the bytes written after the request on; the
    /// handshake is running.
    Handshaking,
    /// The handshake completed.
    Established(TlsInfo),
    /// The handshake failed (the connection is closing), with rustls's reason.
    Failed(String),
}

pub(crate) enum Request {
    Client {
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
        carry: Vec<u8>,
    },
    Server {
        config: Arc<ServerConfig>,
        carry: Vec<u8>,
    },
}

struct State {
    status: TlsStatus,
    request: Option<Request>,
}

/// The switch of a [`TlsNotify::deferred`](super::TlsNotify::deferred) wrapper: the
/// connection runs in plaintext until the inner notifier (or the protocol core behind
/// it) calls [`start_client`](Self::start_client) or [`start_server`](Self::start_server)
/// from one of its callbacks. Everything the inner notifier wrote before that call goes
/// out in plaintext; everything after it, encrypted. Cheap to clone; every clone is the
/// same switch.
///
/// Once the wrapper has put TLS under the connection it calls the inner notifier's
/// `woken`, and again when the handshake completed or failed; [`status`](Self::status)
/// tells which. A failed handshake closes the connection (after TLS's alert).
#[derive(Clone)]
pub struct TlsSwitch {
    requested: Arc<AtomicBool>,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for TlsSwitch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSwitch")
            .field("status", &self.status())
            .finish()
    }
}

impl Default for TlsSwitch {
    fn default() -> Self {
        Self::new()
    }
}

impl TlsSwitch {
    /// A switch in the plaintext state.
    pub fn new() -> Self {
        TlsSwitch {
            requested: Arc::new(AtomicBool::new(false)),
            state: Arc::new(Mutex::new(State {
                status: TlsStatus::Plain,
                request: None,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the switch stands.
    pub fn status(&self) -> TlsStatus {
        self.lock().status.clone()
    }

    /// Starts TLS as the client, verifying the server as `name`. `carry` holds bytes
    /// the inner notifier received but that belong to TLS (read past the switch point).
    pub fn start_client(
        &self,
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
        carry: Vec<u8>,
    ) -> Result<(), TlsError> {
        self.request(Request::Client {
            config,
            name,
            carry,
        })
    }

    /// Starts TLS as the server. `carry` as for [`start_client`](Self::start_client).
    pub fn start_server(&self, config: Arc<ServerConfig>, carry: Vec<u8>) -> Result<(), TlsError> {
        self.request(Request::Server { config, carry })
    }

    fn request(&self, request: Request) -> Result<(), TlsError> {
        let mut state = self.lock();
        if state.status != TlsStatus::Plain {
            return Err(TlsError::AlreadyStarted);
        }
        state.status = TlsStatus::Requested;
        state.request = Some(request);
        self.requested.store(true, Ordering::Release);
        Ok(())
    }

    /// The pending request, if any (the wrapper's fast path is one atomic load).
    pub(crate) fn take_request(&self) -> Option<Request> {
        if !self.requested.swap(false, Ordering::AcqRel) {
            return None;
        }
        self.lock().request.take()
    }

    pub(crate) fn set(&self, status: TlsStatus) {
        self.lock().status = status;
    }
}
