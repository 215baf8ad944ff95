//! A raw IPv4 socket for SCTP (root, inside the VM): sees every SCTP packet on loopback and
//! injects hand-made ones, to provoke what two well-behaved kernels never send each other.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// CRC32c (Castagnoli, reflected, as SCTP uses it), bit by bit.
pub fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub struct RawSctp {
    fd: libc::c_int,
}

impl RawSctp {
    pub fn open() -> io::Result<Self> {
        // SAFETY: socket(2) takes no pointers.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_SCTP) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let timeout = libc::timeval {
            tv_sec: 0,
            tv_usec: 200_000,
        };
        // SAFETY: `timeout` is a live timeval of the given size.
        let ret = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&raw const timeout).cast(),
                size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        if ret < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(RawSctp { fd })
    }

    /// The verification tag of the first packet seen from port `from` to port `to`
    /// (the tag the receiver expects), waiting up to `patience`.
    pub fn sniff_vtag(&self, from: u16, to: u16, patience: Duration) -> io::Result<u32> {
        let deadline = Instant::now() + patience;
        let mut buf = [0u8; 65536];
        while Instant::now() < deadline {
            // SAFETY: `buf` is writable for its length.
            let n = unsafe { libc::recv(self.fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::WouldBlock
                    || err.kind() == io::ErrorKind::Interrupted
                {
                    continue;
                }
                return Err(err);
            }
            let packet = &buf[..n as usize];
            let ihl = usize::from(packet.first().copied().unwrap_or(0) & 0x0f) * 4;
            let Some(sctp) = packet.get(ihl..ihl + 12) else {
                continue;
            };
            let sport = u16::from_be_bytes([sctp[0], sctp[1]]);
            let dport = u16::from_be_bytes([sctp[2], sctp[3]]);
            if (sport, dport) == (from, to) {
                return Ok(u32::from_be_bytes([sctp[4], sctp[5], sctp[6], sctp[7]]));
            }
        }
        Err(io::Error::other(format!(
            "no SCTP packet {from} -> {to} seen"
        )))
    }

    /// Sends one SCTP packet (common header + `chunks`) from `from` to port `to` on
    /// 127.0.0.1 with verification tag `vtag`, its CRC32c filled in.
    pub fn inject(&self, from: u16, to: u16, vtag: u32, chunks: &[u8]) -> io::Result<()> {
        let mut packet = Vec::with_capacity(12 + chunks.len());
        packet.extend_from_slice(&from.to_be_bytes());
        packet.extend_from_slice(&to.to_be_bytes());
        packet.extend_from_slice(&vtag.to_be_bytes());
        packet.extend_from_slice(&[0; 4]);
        packet.extend_from_slice(chunks);
        let crc = crc32c(&packet);
        packet[8..12].copy_from_slice(&crc.to_le_bytes());
        // SAFETY: sockaddr_in is plain old data; all-zero is valid.
        let mut addr: libc::sockaddr_in = unsafe { zeroed() };
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from(Ipv4Addr::LOCALHOST).to_be();
        // SAFETY: `packet` and `addr` are live for the call and their lengths are given.
        let sent = unsafe {
            libc::sendto(
                self.fd,
                packet.as_ptr().cast(),
                packet.len(),
                0,
                (&raw const addr).cast(),
                size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Drop for RawSctp {
    fn drop(&mut self) {
        // SAFETY: `fd` is this value's own descriptor, closed once.
        unsafe { libc::close(self.fd) };
    }
}

#[test]
fn crc32c_check_value() {
    // The CRC-32C check value of "123456789" (RFC 3720, B.4).
    assert_eq!(crc32c(b"123456789"), 0xE306_9283);
}
