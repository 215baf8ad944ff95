//! The `struct sockaddr_storage` inside `SCTP_PEER_ADDR_CHANGE`.
//!
//! Linux (and usrsctp on a Linux host) start a socket address with a host-order `uint16_t`
//! family (`AF_INET` 2, `AF_INET6` 10). FreeBSD starts it with a one-byte length and a
//! one-byte family (`AF_INET` 2, `AF_INET6` 28). Ports and `sin6_flowinfo` are in network
//! byte order in both; `sin6_scope_id` is in host order.

use super::error::{EmitError, ParseError};
use super::layout::{Abi, Layout};
use super::rw::{Reader, Writer};
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

/// `sizeof(struct sockaddr_storage)` on both layouts.
pub const SOCKADDR_STORAGE_LEN: usize = 128;

const SOCKADDR_IN_LEN: u8 = 16;
const SOCKADDR_IN6_LEN: u8 = 28;
const AF_INET: u16 = 2;
const LINUX_AF_INET6: u16 = 10;
const FREEBSD_AF_INET6: u8 = 28;

/// A peer address as found in `spc_aaddr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SockAddr {
    /// `struct sockaddr_in`.
    V4(SocketAddrV4),
    /// `struct sockaddr_in6`.
    V6(SocketAddrV6),
    /// Any other family (for example usrsctp's `AF_CONN`); only the first two bytes are kept
    /// and re-emitted, the rest of the storage is written as zeros.
    Other {
        /// The first two bytes as a host-order `uint16_t`: the family on Linux, `sa_len` and
        /// `sa_family` together on FreeBSD.
        family: u16,
    },
}

impl core::fmt::Display for SockAddr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SockAddr::V4(a) => write!(f, "{a}"),
            SockAddr::V6(a) => write!(f, "{a}"),
            SockAddr::Other { family } => write!(f, "<family {family}>"),
        }
    }
}

impl SockAddr {
    /// Reads a `sockaddr_storage` (at least the 28 bytes of a `sockaddr_in6`).
    ///
    /// In the FreeBSD layout both shapes are accepted: the BSD one (`sin_len`, one-byte
    /// family) that the FreeBSD kernel writes, and the Linux one that usrsctp writes on a
    /// Linux host. [`emit`](Self::emit) always writes the layout's own shape.
    pub fn parse(bytes: &[u8], abi: impl Into<Abi>) -> Result<Self, ParseError> {
        let abi = abi.into();
        let r = Reader::new(bytes, abi.endian, "sockaddr", usize::from(SOCKADDR_IN6_LEN))?;
        let family = match abi.layout {
            Layout::Linux => Family::from_linux(r.u16(0)?),
            Layout::FreeBsd => {
                let (len, fam) = (r.u8(0)?, r.u8(1)?);
                match (len, fam) {
                    (SOCKADDR_IN_LEN, 2) => Family::V4,
                    (SOCKADDR_IN6_LEN, FREEBSD_AF_INET6) => Family::V6,
                    _ => Family::from_linux(r.u16(0)?),
                }
            }
        };
        Ok(match family {
            Family::V4 => {
                let port = r.be_u16(2)?;
                let ip = Ipv4Addr::from(r.array::<4>(4)?);
                SockAddr::V4(SocketAddrV4::new(ip, port))
            }
            Family::V6 => {
                let port = r.be_u16(2)?;
                let flowinfo = r.be_u32(4)?;
                let ip = Ipv6Addr::from(r.array::<16>(8)?);
                let scope_id = r.u32(24)?;
                SockAddr::V6(SocketAddrV6::new(ip, port, flowinfo, scope_id))
            }
            Family::Other(family) => SockAddr::Other { family },
        })
    }

    /// Writes a zero-padded `sockaddr_storage` into `buf[..128]`.
    pub fn emit(&self, buf: &mut [u8], abi: impl Into<Abi>) -> Result<usize, EmitError> {
        let abi = abi.into();
        let mut w = Writer::new(buf, SOCKADDR_STORAGE_LEN, abi.endian)?;
        let family_bytes = |w: &mut Writer<'_>, len: u8, linux: u16, bsd: u8| match abi.layout {
            Layout::Linux => w.u16(0, linux),
            Layout::FreeBsd => {
                w.u8(0, len)?;
                w.u8(1, bsd)
            }
        };
        match self {
            SockAddr::V4(a) => {
                family_bytes(&mut w, SOCKADDR_IN_LEN, AF_INET, 2)?;
                w.be_u16(2, a.port())?;
                w.put(4, &a.ip().octets())?;
            }
            SockAddr::V6(a) => {
                family_bytes(&mut w, SOCKADDR_IN6_LEN, LINUX_AF_INET6, FREEBSD_AF_INET6)?;
                w.be_u16(2, a.port())?;
                w.be_u32(4, a.flowinfo())?;
                w.put(8, &a.ip().octets())?;
                w.u32(24, a.scope_id())?;
            }
            SockAddr::Other { family } => w.u16(0, *family)?,
        }
        Ok(SOCKADDR_STORAGE_LEN)
    }
}

enum Family {
    V4,
    V6,
    Other(u16),
}

impl Family {
    fn from_linux(family: u16) -> Self {
        match family {
            AF_INET => Family::V4,
            LINUX_AF_INET6 => Family::V6,
            other => Family::Other(other),
        }
    }
}
