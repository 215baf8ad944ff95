//! ICMP "destination unreachable" reports, as a datagram core receives them.
//!
//! A UDP socket learns that a datagram it sent could not be delivered through ICMP:
//! on Linux, with `IP_RECVERR`/`IPV6_RECVERR` set, as an entry in the socket's error queue
//! (hark-reactor's `udp::recv_icmp_error` reads it). The report names the destination of
//! the failed datagram and quotes its first bytes. [`Unreachable`] classifies the ICMP type
//! and code so that a core (the uTP endpoint's `handle_icmp_error`, like libutp's
//! `utp_process_icmp_error`) can fail a connection attempt at once instead of retrying
//! into silence.
//!
//! ```
//! use hark_proto::icmp::Unreachable;
//!
//! // ICMPv4 type 3 code 3 and ICMPv6 type 1 code 4: nothing listens on the port.
//! assert_eq!(Unreachable::from_icmpv4(3, 3), Some(Unreachable::Port));
//! assert_eq!(Unreachable::from_icmpv6(1, 4), Some(Unreachable::Port));
//! // "Fragmentation needed" is about the path MTU, not reachability.
//! assert_eq!(Unreachable::from_icmpv4(3, 4), None);
//! ```

use std::fmt;

/// Why ICMP says a destination is unreachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unreachable {
    /// No route to the destination network (ICMPv4 codes 0, 6, 11; ICMPv6 code 0).
    Network,
    /// The host did not answer on its link, or is unknown (ICMPv4 codes 1, 5, 7, 8, 12;
    /// ICMPv6 codes 2 and 3).
    Host,
    /// The host does not speak the transport protocol (ICMPv4 code 2).
    Protocol,
    /// The host is up and nothing listens on the port (ICMPv4 code 3, ICMPv6 code 4): the
    /// one report that says the peer itself answered "no".
    Port,
    /// A filter refused the datagram (ICMPv4 codes 9, 10, 13, 14, 15; ICMPv6 codes 1, 5,
    /// 6).
    Prohibited,
}

impl Unreachable {
    /// Classifies an ICMPv4 message; `None` unless it is a destination-unreachable (type 3)
    /// about reachability (code 4, "fragmentation needed", is a path-MTU report).
    #[must_use]
    pub fn from_icmpv4(icmp_type: u8, code: u8) -> Option<Self> {
        if icmp_type != 3 {
            return None;
        }
        Some(match code {
            0 | 6 | 11 => Self::Network,
            2 => Self::Protocol,
            3 => Self::Port,
            4 => return None,
            9 | 10 | 13..=15 => Self::Prohibited,
            _ => Self::Host,
        })
    }

    /// Classifies an ICMPv6 message; `None` unless it is a destination-unreachable
    /// (type 1).
    #[must_use]
    pub fn from_icmpv6(icmp_type: u8, code: u8) -> Option<Self> {
        if icmp_type != 1 {
            return None;
        }
        Some(match code {
            0 => Self::Network,
            1 | 5 | 6 => Self::Prohibited,
            4 => Self::Port,
            _ => Self::Host,
        })
    }
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Network => "network unreachable",
            Self::Host => "host unreachable",
            Self::Protocol => "protocol unreachable",
            Self::Port => "port unreachable",
            Self::Prohibited => "communication administratively prohibited",
        })
    }
}
