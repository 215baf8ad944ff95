//! Socket addresses as the kernel's packed `sockaddr_in`/`sockaddr_in6` bytes.

use super::error::SctpError;
use hark_wire::sctp::{Abi, Layout, SOCKADDR_STORAGE_LEN, SockAddr};
use std::net::SocketAddr;

/// `sizeof(struct sockaddr_in)`.
pub(crate) const SOCKADDR_IN_LEN: usize = 16;
/// `sizeof(struct sockaddr_in6)`.
pub(crate) const SOCKADDR_IN6_LEN: usize = 28;

/// The length of `addr` as a C socket address.
pub(crate) fn c_len(addr: &SocketAddr) -> usize {
    match addr {
        SocketAddr::V4(_) => SOCKADDR_IN_LEN,
        SocketAddr::V6(_) => SOCKADDR_IN6_LEN,
    }
}

/// Appends `addr` as a C socket address (the packed form `sctp_bindx`/`sctp_connectx` take).
pub(crate) fn push(out: &mut Vec<u8>, addr: &SocketAddr) -> Result<(), SctpError> {
    let mut storage = [0u8; SOCKADDR_STORAGE_LEN];
    let wire = match addr {
        SocketAddr::V4(a) => SockAddr::V4(*a),
        SocketAddr::V6(a) => SockAddr::V6(*a),
    };
    wire.emit(&mut storage, Abi::new(Layout::Linux))
        .map_err(|source| SctpError::Encode {
            what: "sockaddr",
            source,
        })?;
    out.extend_from_slice(storage.get(..c_len(addr)).unwrap_or(&storage));
    Ok(())
}

/// Packs a list of addresses; an empty list is refused.
pub(crate) fn pack(addrs: &[SocketAddr], operation: &'static str) -> Result<Vec<u8>, SctpError> {
    if addrs.is_empty() {
        return Err(SctpError::NoAddresses { operation });
    }
    let mut out = Vec::with_capacity(addrs.len() * SOCKADDR_IN6_LEN);
    for addr in addrs {
        push(&mut out, addr)?;
    }
    Ok(out)
}

/// Reads one C socket address from the front of `bytes`: the address (if IPv4/IPv6) and the
/// number of bytes it took, or `None` if the bytes do not start with a known family.
pub(crate) fn read(bytes: &[u8]) -> Option<(SocketAddr, usize)> {
    let family = u16::from_ne_bytes([*bytes.first()?, *bytes.get(1)?]);
    let len = match i32::from(family) {
        libc::AF_INET => SOCKADDR_IN_LEN,
        libc::AF_INET6 => SOCKADDR_IN6_LEN,
        _ => return None,
    };
    let mut padded = [0u8; SOCKADDR_IN6_LEN];
    padded.get_mut(..len)?.copy_from_slice(bytes.get(..len)?);
    match SockAddr::parse(&padded, Abi::new(Layout::Linux)).ok()? {
        SockAddr::V4(a) => Some((SocketAddr::V4(a), len)),
        SockAddr::V6(a) => Some((SocketAddr::V6(a), len)),
        SockAddr::Other { .. } => None,
    }
}

/// Reads a packed list of `count` addresses (the `addrs` of `struct sctp_getaddrs`).
pub(crate) fn read_list(mut bytes: &[u8], count: usize) -> Vec<SocketAddr> {
    let mut out = Vec::with_capacity(count.min(64));
    while out.len() < count {
        let Some((addr, len)) = read(bytes) else {
            break;
        };
        out.push(addr);
        bytes = bytes.get(len..).unwrap_or(&[]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_addresses_read_back() {
        let addrs: Vec<SocketAddr> = vec![
            "127.0.0.1:5000".parse().unwrap(),
            "[::1]:6000".parse().unwrap(),
            "127.0.0.2:5000".parse().unwrap(),
        ];
        let packed = pack(&addrs, "test").unwrap();
        assert_eq!(packed.len(), 16 + 28 + 16);
        // sockaddr_in: family AF_INET in host order, then the port in network order.
        assert_eq!(&packed[..4], &[2, 0, 0x13, 0x88]);
        assert_eq!(read_list(&packed, 3), addrs);
        assert_eq!(read_list(&packed, 2), addrs[..2]);
        assert_eq!(read_list(&packed[..20], 3), addrs[..1]);
    }

    #[test]
    fn empty_list_is_refused() {
        assert!(matches!(
            pack(&[], "sctp_bindx"),
            Err(SctpError::NoAddresses {
                operation: "sctp_bindx"
            })
        ));
    }
}
