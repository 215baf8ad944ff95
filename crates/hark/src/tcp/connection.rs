//! `TcpConnection`: an outgoing connection driven by its notifier.

use hark_reactor::ReactorHandle;
use hark_reactor::tcp::{ConnId, HandleError, TcpConnectionHandle, TcpNotify};
use std::net::SocketAddr;

/// An outgoing TCP connection. Its notifier runs on the reactor thread; this value drives
/// it from any thread and may be cloned.
#[derive(Debug, Clone)]
pub struct TcpConnection {
    handle: TcpConnectionHandle,
}

impl TcpConnection {
    /// Connects to `host` at `service`: `proxy_via`, resolution on a helper thread, then
    /// every resolved address at once (see the notifier's `connecting`).
    pub fn connect(
        reactor: &ReactorHandle,
        host: &str,
        service: &str,
        notify: impl TcpNotify + 'static,
    ) -> Result<Self, HandleError> {
        let handle = reactor.connect(host, service, notify)?;
        Ok(Self { handle })
    }

    /// Connects to the first of `addrs` to answer, without name resolution.
    pub fn connect_addrs(
        reactor: &ReactorHandle,
        addrs: Vec<SocketAddr>,
        notify: impl TcpNotify + 'static,
    ) -> Result<Self, HandleError> {
        let handle = reactor.connect_addrs(addrs, notify)?;
        Ok(Self { handle })
    }

    /// The connection's id.
    pub fn id(&self) -> ConnId {
        self.handle.id()
    }

    /// Whether it closed or failed to connect.
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// Queues `data` (through the notifier's `sent`); refused past the pending limit.
    pub fn write(&self, data: impl Into<Vec<u8>>) -> Result<(), HandleError> {
        self.handle.write(data)
    }

    /// Flushes pending writes, then shuts down; through the notifier chain, so a TLS
    /// notifier sends `close_notify` first (see [`TcpNotify::closing`]).
    pub fn close(&self) -> Result<(), HandleError> {
        self.handle.close()
    }

    /// Closes at once, dropping pending writes.
    pub fn hard_close(&self) -> Result<(), HandleError> {
        self.handle.hard_close()
    }

    /// Stops reading.
    pub fn mute(&self) -> Result<(), HandleError> {
        self.handle.mute()
    }

    /// Resumes reading.
    pub fn unmute(&self) -> Result<(), HandleError> {
        self.handle.unmute()
    }

    /// The underlying cross-thread handle.
    pub fn handle(&self) -> &TcpConnectionHandle {
        &self.handle
    }
}
