//! Small typed values that event kinds carry as attributes.

use std::fmt;
use std::net::SocketAddr;

/// Transport and address family of a socket: `tcp4`, `tcp6`, `udp4` or `udp6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// TCP over IPv4.
    Tcp4,
    /// TCP over IPv6.
    Tcp6,
    /// UDP over IPv4 (uTP runs here).
    Udp4,
    /// UDP over IPv6.
    Udp6,
}

impl Protocol {
    /// TCP in the family of `addr`.
    #[must_use]
    pub fn tcp_for(addr: &SocketAddr) -> Protocol {
        if addr.is_ipv4() {
            Protocol::Tcp4
        } else {
            Protocol::Tcp6
        }
    }

    /// UDP in the family of `addr`.
    #[must_use]
    pub fn udp_for(addr: &SocketAddr) -> Protocol {
        if addr.is_ipv4() {
            Protocol::Udp4
        } else {
            Protocol::Udp6
        }
    }

    /// The stable name (`"tcp4"`, `"tcp6"`, `"udp4"`, `"udp6"`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Protocol::Tcp4 => "tcp4",
            Protocol::Tcp6 => "tcp6",
            Protocol::Udp4 => "udp4",
            Protocol::Udp6 => "udp6",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which side opened a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The remote host connected to us.
    Incoming,
    /// We connected to the remote host.
    Outgoing,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
        })
    }
}

/// Why an established connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The peer closed the connection in an orderly way.
    ClosedByPeer,
    /// We closed the connection.
    ClosedLocally,
    /// The connection was reset.
    Reset,
    /// The peer stopped answering.
    TimedOut,
    /// The peer broke the protocol.
    ProtocolError,
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DisconnectReason::ClosedByPeer => "the peer closed it",
            DisconnectReason::ClosedLocally => "we closed it",
            DisconnectReason::Reset => "it was reset",
            DisconnectReason::TimedOut => "the peer stopped answering",
            DisconnectReason::ProtocolError => "the peer broke the protocol",
        })
    }
}

/// What storage was doing to a file when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileOperation {
    /// Opening (or creating) it.
    Open,
    /// Reading from it.
    Read,
    /// Writing to it.
    Write,
    /// Allocating its space.
    Allocate,
    /// Closing it.
    Close,
}

impl fmt::Display for FileOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileOperation::Open => "open",
            FileOperation::Read => "read",
            FileOperation::Write => "write",
            FileOperation::Allocate => "allocate",
            FileOperation::Close => "close",
        })
    }
}
