//! Conversions between `std::net::SocketAddr` and the C socket address structs.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Storage for one C socket address, large enough for IPv4 and IPv6.
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) union RawSockAddr {
    v4: libc::sockaddr_in,
    v6: libc::sockaddr_in6,
    storage: libc::sockaddr_storage,
}

impl RawSockAddr {
    /// An all-zero address (family `AF_UNSPEC`), used as a receive buffer.
    pub(crate) fn zeroed() -> Self {
        // Writing a union field is safe; `sockaddr_storage` covers every byte of the union.
        let mut storage = empty_storage();
        storage.ss_family = libc::AF_UNSPEC as libc::sa_family_t;
        RawSockAddr { storage }
    }

    /// Encodes `addr`; returns the address and its length for `msg_namelen`.
    ///
    /// With `ipv6_socket`, an IPv4 destination is written as an IPv4-mapped IPv6
    /// address; on an IPv4 socket an IPv4-mapped IPv6 destination is unmapped.
    pub(crate) fn encode(addr: SocketAddr, ipv6_socket: bool) -> (Self, libc::socklen_t) {
        let addr = normalize(addr, ipv6_socket);
        match addr {
            SocketAddr::V4(a) => {
                let v4 = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(a.ip().octets()),
                    },
                    sin_zero: [0; 8],
                };
                let len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
                (RawSockAddr { v4 }, len)
            }
            SocketAddr::V6(a) => {
                let v6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo().to_be(),
                    sin6_addr: libc::in6_addr {
                        s6_addr: a.ip().octets(),
                    },
                    sin6_scope_id: a.scope_id(),
                };
                let len = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
                (RawSockAddr { v6 }, len)
            }
        }
    }

    /// Decodes an address the kernel wrote; `None` for a family other than IPv4/IPv6.
    pub(crate) fn decode(&self, len: libc::socklen_t) -> Option<SocketAddr> {
        // SAFETY: every member of the union is plain old data made of integers, so any
        // bit pattern is a valid value of each; the union was fully initialised when made.
        let family = unsafe { self.storage.ss_family };
        match i32::from(family) {
            libc::AF_INET if len as usize >= size_of::<libc::sockaddr_in>() => {
                // SAFETY: as above; the kernel reported an IPv4 address of full length.
                let a = unsafe { self.v4 };
                let ip = Ipv4Addr::from(a.sin_addr.s_addr.to_ne_bytes());
                Some(SocketAddr::V4(SocketAddrV4::new(
                    ip,
                    u16::from_be(a.sin_port),
                )))
            }
            libc::AF_INET6 if len as usize >= size_of::<libc::sockaddr_in6>() => {
                // SAFETY: as above; the kernel reported an IPv6 address of full length.
                let a = unsafe { self.v6 };
                let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
                Some(SocketAddr::V6(SocketAddrV6::new(
                    ip,
                    u16::from_be(a.sin6_port),
                    u32::from_be(a.sin6_flowinfo),
                    a.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }

    /// A pointer for `msg_name`.
    pub(crate) fn as_mut_ptr(&mut self) -> *mut libc::c_void {
        (self as *mut Self).cast()
    }
}

/// The size of the buffer the kernel may write a source address into.
pub(crate) const RAW_SOCKADDR_LEN: libc::socklen_t = size_of::<RawSockAddr>() as libc::socklen_t;

fn empty_storage() -> libc::sockaddr_storage {
    // SAFETY: `sockaddr_storage` is plain old data (integers and padding); all-zero is valid.
    unsafe { std::mem::zeroed() }
}

/// Makes `addr` sendable on a socket of the given family.
pub(crate) fn normalize(addr: SocketAddr, ipv6_socket: bool) -> SocketAddr {
    match addr {
        SocketAddr::V4(a) if ipv6_socket => {
            SocketAddr::V6(SocketAddrV6::new(a.ip().to_ipv6_mapped(), a.port(), 0, 0))
        }
        SocketAddr::V6(a) if !ipv6_socket => match a.ip().to_ipv4_mapped() {
            Some(ip) => SocketAddr::V4(SocketAddrV4::new(ip, a.port())),
            None => addr,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_ipv4_and_ipv6() {
        for addr in [
            "127.0.0.1:4000".parse::<SocketAddr>().unwrap(),
            "[::1]:65535".parse().unwrap(),
            "[fe80::1%3]:1".parse().unwrap(),
        ] {
            let (raw, len) = RawSockAddr::encode(addr, addr.is_ipv6());
            assert_eq!(raw.decode(len), Some(addr));
        }
    }

    #[test]
    fn maps_between_families() {
        let v4: SocketAddr = "10.1.2.3:99".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:10.1.2.3]:99".parse().unwrap();
        assert_eq!(normalize(v4, true), mapped);
        assert_eq!(normalize(mapped, false), v4);
        let (raw, len) = RawSockAddr::encode(v4, true);
        assert_eq!(raw.decode(len), Some(mapped));
    }

    #[test]
    fn unknown_family_decodes_to_none() {
        assert_eq!(RawSockAddr::zeroed().decode(RAW_SOCKADDR_LEN), None);
    }
}
