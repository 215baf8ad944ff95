//! Listening on the first free port of a range, reported as `listen_success` or
//! `listen_failure` events.
//!
//! [`listen_tcp`] and [`bind_udp`] try each port in the order given and keep the first one
//! that binds. The hub then receives `listen_success` (with every port tried) or, when no
//! port could be bound, `listen_failure` at `fatal` severity; the same outcome is returned
//! to the caller. Port 0 asks the system for any free port.

use crate::events::{EventHub, ListenFailure, ListenSuccess, Protocol};
use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};

/// Why no socket was returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListenError {
    /// The port list was empty; nothing was tried and no event was emitted.
    #[error("no port was given to listen on")]
    NoPorts,
    /// Every port failed to bind (a `listen_failure` event was emitted if the hub's filters
    /// accept it and its lanes had room).
    #[error("could not listen for {protocol} on {ip} on any of the ports {tried:?}: {error}")]
    AllPortsFailed {
        /// Transport and family.
        protocol: Protocol,
        /// The local address tried.
        ip: IpAddr,
        /// Every port tried, in order.
        tried: Vec<u16>,
        /// Why the last port failed.
        error: io::ErrorKind,
    },
    /// A port was bound, but the hub could not queue `listen_success` (both lanes full), so
    /// the socket was closed rather than leaving the event stream without its answer.
    #[error("bound {local} for {protocol}, but the event hub's reserved lane is full; closed it")]
    HubFull {
        /// Transport and family.
        protocol: Protocol,
        /// The address that was bound, then closed.
        local: SocketAddr,
    },
}

/// Binds a TCP listener on `ip` at the first port of `ports` that is free.
pub fn listen_tcp(
    hub: &mut EventHub,
    ip: IpAddr,
    ports: impl IntoIterator<Item = u16>,
) -> Result<TcpListener, ListenError> {
    listen_tcp_tried(hub, ip, ports).map(|(listener, _tried)| listener)
}

/// [`listen_tcp`], also returning every port tried (the last one is the bound one).
pub(crate) fn listen_tcp_tried(
    hub: &mut EventHub,
    ip: IpAddr,
    ports: impl IntoIterator<Item = u16>,
) -> Result<(TcpListener, Vec<u16>), ListenError> {
    let protocol = if ip.is_ipv4() {
        Protocol::Tcp4
    } else {
        Protocol::Tcp6
    };
    bind_first(
        hub,
        protocol,
        ip,
        ports,
        TcpListener::bind,
        TcpListener::local_addr,
    )
}

/// Binds a UDP socket on `ip` at the first port of `ports` that is free.
pub fn bind_udp(
    hub: &mut EventHub,
    ip: IpAddr,
    ports: impl IntoIterator<Item = u16>,
) -> Result<UdpSocket, ListenError> {
    let protocol = if ip.is_ipv4() {
        Protocol::Udp4
    } else {
        Protocol::Udp6
    };
    bind_first(
        hub,
        protocol,
        ip,
        ports,
        UdpSocket::bind,
        UdpSocket::local_addr,
    )
    .map(|(socket, _tried)| socket)
}

fn bind_first<S>(
    hub: &mut EventHub,
    protocol: Protocol,
    ip: IpAddr,
    ports: impl IntoIterator<Item = u16>,
    bind: impl Fn(SocketAddr) -> io::Result<S>,
    local_addr: impl Fn(&S) -> io::Result<SocketAddr>,
) -> Result<(S, Vec<u16>), ListenError> {
    let mut tried = Vec::new();
    let mut last_error = None;
    for port in ports {
        tried.push(port);
        let bound = bind(SocketAddr::new(ip, port))
            .and_then(|socket| local_addr(&socket).map(|local| (socket, local)));
        match bound {
            Ok((socket, local)) => {
                let event = ListenSuccess {
                    protocol,
                    local,
                    tried: tried.clone(),
                };
                return match hub.emit(event, None) {
                    Ok(_) => Ok((socket, tried)),
                    Err(_) => Err(ListenError::HubFull { protocol, local }),
                };
            }
            Err(error) => last_error = Some(error.kind()),
        }
    }
    let Some(error) = last_error else {
        return Err(ListenError::NoPorts);
    };
    let failure = ListenFailure {
        protocol,
        ip,
        tried: tried.clone(),
        error,
    };
    // The error returned below carries the same facts if the hub cannot queue the event.
    let _ = hub.emit(failure, None);
    Err(ListenError::AllPortsFailed {
        protocol,
        ip,
        tried,
        error,
    })
}
