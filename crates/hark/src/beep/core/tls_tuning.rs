//! TLS tuning of a BEEP session (RFC 3080 3.1): the accept, certificate and key
//! handlers, the switch point, the session reset and the outcome.

use std::sync::Arc;
use std::time::Instant;

use hark_proto::beep::TlsRole;

use super::super::connection::{BeepError, Waiter};
use super::super::hub;
use super::super::tls::{self as beep_tls, TlsInfo};
use super::{BeepCore, CoreEvent};
use crate::tcp::tls::TlsStatus;

/// Where TLS tuning stands on this connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TlsPhase {
    Plain,
    /// The session reached its switch point; the switch is started once every byte
    /// before it is out of the stage.
    SwitchPoint(TlsRole),
    /// The switch is started; the wrapper takes it after this callback.
    Requested,
    /// TLS is under the session and the session was reset; the handshake runs.
    Handshaking,
    /// The outcome was reported.
    Done,
}

/// Our TLS start in flight (initiator side).
pub(super) struct TlsClient {
    pub(super) channel: u32,
    pub(super) config: Arc<rustls::ClientConfig>,
    pub(super) server_name: String,
    pub(super) waiter: Option<Waiter<TlsInfo>>,
}

/// TLS tuning (RFC 3080 3.1): the accept, certificate and key handlers, the switch,
/// the reset, and the outcome.
impl BeepCore {
    /// A peer asks for TLS: the accept handler, then the certificate and key handlers
    /// decide; a refusal is an error reply and the session stays in plaintext.
    pub(super) fn tls_requested(&mut self, request: hark_proto::beep::ChannelStartRequest) {
        let name = request.server_name().map(str::to_owned);
        hub::tls_requested(&self.conn, name.as_deref());
        let handlers = self.ctx.handlers();
        let accepted = handlers
            .tls_accept
            .as_ref()
            .is_none_or(|h| h(&self.conn, name.as_deref()));
        if !accepted {
            request.deny(421, "TLS refused");
            self.tls_outcome(Err("refused by the TLS accept handler".into()));
            return;
        }
        let cert = handlers
            .tls_cert
            .as_ref()
            .and_then(|h| h(&self.conn, name.as_deref()));
        let key = handlers
            .tls_key
            .as_ref()
            .and_then(|h| h(&self.conn, name.as_deref()));
        let config = match (cert, key) {
            (Some(cert), Some(key)) => beep_tls::server_config(&cert, &key),
            _ => Err("no certificate or key for this server name".to_owned()),
        };
        match config {
            Ok(config) => {
                self.tls_server = Some(config);
                request.accept();
            }
            Err(reason) => {
                request.deny(421, "TLS not available");
                self.tls_outcome(Err(reason));
            }
        }
    }

    /// Moves TLS tuning on: starts the switch once the bytes before the switch point
    /// are out, resets the session once TLS is under it, and reports the outcome.
    pub(super) fn tls_step(&mut self, now: Instant) {
        if let TlsPhase::SwitchPoint(role) = self.tls_phase {
            if !self.staged.is_empty() {
                return;
            }
            // What arrived past the switch point is TLS's.
            let carry = std::mem::take(&mut self.leftover);
            let started = match role {
                TlsRole::Client => match self.tls_client.take() {
                    Some(client) => {
                        self.tls_waiter = client.waiter;
                        beep_tls::server_name(&client.server_name).and_then(|name| {
                            self.switch
                                .start_client(client.config, name, carry)
                                .map_err(|e| e.to_string())
                        })
                    }
                    None => Err("no TLS start of ours is pending".into()),
                },
                TlsRole::Server => match self.tls_server.take() {
                    Some(config) => self
                        .switch
                        .start_server(config, carry)
                        .map_err(|e| e.to_string()),
                    None => Err("no TLS configuration for the accepted start".into()),
                },
            };
            match started {
                Ok(()) => self.tls_phase = TlsPhase::Requested,
                Err(reason) => {
                    self.tls_failure = Some(reason.clone());
                    self.tls_phase = TlsPhase::Done;
                    self.pending.push_back(CoreEvent::Tls(Err(reason)));
                    self.session.abort();
                    return;
                }
            }
        }
        if self.tls_phase == TlsPhase::Requested {
            match self.switch.status() {
                TlsStatus::Requested | TlsStatus::Plain => return,
                _ => {
                    // TLS is under the session: both sides greet again (RFC 3080 3.1).
                    self.session.reset_after_tls(now);
                    self.channels.clear();
                    self.conn.update(|s| {
                        s.ready = false;
                        s.open.clear();
                        s.peer_profiles.clear();
                    });
                    self.tls_phase = TlsPhase::Handshaking;
                }
            }
        }
        if self.tls_phase == TlsPhase::Handshaking {
            let outcome = match self.switch.status() {
                TlsStatus::Established(info) => Ok(info),
                TlsStatus::Failed(reason) => {
                    self.tls_failure = Some(reason.clone());
                    Err(reason)
                }
                _ => return,
            };
            self.tls_phase = TlsPhase::Done;
            self.pending.push_back(CoreEvent::Tls(outcome));
        }
    }

    /// The handshake ended: tell the handlers and the hub.
    pub(super) fn tls_done(&mut self, outcome: Result<TlsInfo, String>) {
        match &outcome {
            Ok(info) => {
                let info = info.clone();
                self.conn.update(|s| s.tls = Some(info));
            }
            Err(reason) => {
                if let Some(w) = self.tls_waiter.take() {
                    let _ = w.send(Err(BeepError::Tls(reason.clone())));
                }
            }
        }
        self.tls_outcome(
            outcome
                .map(|_| ())
                .map_err(|r| format!("TLS handshake failed: {r}")),
        );
        self.answer_tls_waiter();
    }

    /// Reports a TLS outcome to the `tls_notify` handler and the hub.
    pub(super) fn tls_outcome(&self, outcome: Result<(), String>) {
        let text = match &outcome {
            Ok(()) => match self.conn.tls_info() {
                Some(info) => format!("TLS established: {} {}", info.version, info.cipher_suite),
                None => "TLS established".to_owned(),
            },
            Err(reason) => reason.clone(),
        };
        match self.conn.tls_info() {
            Some(info) if outcome.is_ok() => hub::tls_complete(&self.conn, &info),
            _ => hub::tls_failed(&self.conn, &text),
        }
        if let Some(h) = self.ctx.handlers().tls_notify {
            h(&self.conn, outcome.is_ok(), &text);
        }
    }

    /// The initiator's `start_tls` returns once TLS is up and the greetings are in.
    pub(super) fn answer_tls_waiter(&mut self) {
        if !self.session.is_tls() || !self.session.is_ready() {
            return;
        }
        if let Some(info) = self.conn.tls_info()
            && let Some(w) = self.tls_waiter.take()
        {
            let _ = w.send(Ok(info));
        }
    }
}
