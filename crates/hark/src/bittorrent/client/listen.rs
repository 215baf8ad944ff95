//! Binding the client's sockets: TCP and UDP on the same port, the first of the range
//! where both bind, for IPv4 and for IPv6 (`listen_success` / `listen_failure` each).

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};

use socket2::{Domain, Protocol as SockProtocol, Socket, Type};

use crate::events::{EventHub, ListenFailure, ListenSuccess, Protocol};

/// The sockets of one address family, bound on one port.
#[derive(Debug)]
pub(crate) struct FamilySockets {
    pub tcp: TcpListener,
    pub udp: UdpSocket,
    pub tcp_addr: SocketAddr,
    pub udp_addr: SocketAddr,
}

fn socket(ip: IpAddr, kind: Type, protocol: SockProtocol) -> io::Result<Socket> {
    let domain = if ip.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let socket = Socket::new(domain, kind, Some(protocol))?;
    if ip.is_ipv6() {
        // The IPv4 sockets have the same port: keep the families apart.
        socket.set_only_v6(true)?;
    }
    Ok(socket)
}

fn bind_tcp(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = socket(addr.ip(), Type::STREAM, SockProtocol::TCP)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(128)?;
    Ok(socket.into())
}

fn bind_udp(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = socket(addr.ip(), Type::DGRAM, SockProtocol::UDP)?;
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// TCP and UDP on `ip`, at the first port of `ports` where both bind (port 0: a free TCP
/// port, and UDP on the same number). Emits `listen_success` for both protocols, or
/// `listen_failure` for both with every port tried.
pub(crate) fn bind_family(
    hub: &mut EventHub,
    ip: IpAddr,
    ports: &[u16],
) -> Result<FamilySockets, io::ErrorKind> {
    let (tcp_protocol, udp_protocol) = if ip.is_ipv4() {
        (Protocol::Tcp4, Protocol::Udp4)
    } else {
        (Protocol::Tcp6, Protocol::Udp6)
    };
    let mut tried = Vec::new();
    let mut last = io::ErrorKind::InvalidInput;
    for &port in ports {
        // Port 0: the system picks a TCP port, which UDP may not have free; a few tries.
        let attempts = if port == 0 { 8 } else { 1 };
        for _ in 0..attempts {
            tried.push(port);
            let tcp = match bind_tcp(SocketAddr::new(ip, port)) {
                Ok(tcp) => tcp,
                Err(error) => {
                    last = error.kind();
                    continue;
                }
            };
            let bound = tcp.local_addr().and_then(|tcp_addr| {
                let udp = bind_udp(tcp_addr)?;
                let udp_addr = udp.local_addr()?;
                Ok((tcp_addr, udp, udp_addr))
            });
            match bound {
                Ok((tcp_addr, udp, udp_addr)) => {
                    for (protocol, local) in [(tcp_protocol, tcp_addr), (udp_protocol, udp_addr)] {
                        let event = ListenSuccess {
                            protocol,
                            local,
                            tried: tried.clone(),
                        };
                        // Guaranteed; a refusal leaves the sockets in use all the same.
                        let _ = hub.emit(event, None);
                    }
                    return Ok(FamilySockets {
                        tcp,
                        udp,
                        tcp_addr,
                        udp_addr,
                    });
                }
                Err(error) => last = error.kind(),
            }
        }
    }
    for protocol in [tcp_protocol, udp_protocol] {
        let failure = ListenFailure {
            protocol,
            ip,
            tried: tried.clone(),
            error: last,
        };
        let _ = hub.emit(failure, None);
    }
    Err(last)
}
