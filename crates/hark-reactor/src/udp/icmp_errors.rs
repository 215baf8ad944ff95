//! ICMP errors of a UDP socket through the kernel's error queue (`IP_RECVERR`).
//!
//! An unconnected UDP socket hears nothing of the ICMP "port unreachable" its datagram
//! provoked, unless `IP_RECVERR` (`IPV6_RECVERR`) is set: then the kernel queues each report
//! with the failed datagram's destination and first bytes, signals error readiness
//! (`EPOLLERR`), and `recvmsg(MSG_ERRQUEUE)` reads it back with a `sock_extended_err`.
//! [`BatchSocket`](super::BatchSocket) sets the option on every socket it makes and the
//! reactor drains the queue into
//! [`DatagramEndpoint::handle_icmp_error`](crate::DatagramEndpoint::handle_icmp_error) on
//! error readiness. The functions here work on any UDP socket, such as the
//! `std::net::UdpSocket` an application drives itself.
//!
//! ```
//! use hark_reactor::udp::{enable_icmp_errors, recv_icmp_error};
//! use hark_proto::icmp::Unreachable;
//! use std::net::UdpSocket;
//!
//! // A port nobody listens on: bind one, note it, close it.
//! let closed = UdpSocket::bind("127.0.0.1:0")?.local_addr()?;
//! let socket = UdpSocket::bind("127.0.0.1:0")?;
//! enable_icmp_errors(&socket)?;
//! socket.send_to(b"anyone?", closed)?;
//! // The pending error fails the next receive once; the report waits in the queue.
//! let mut buf = [0u8; 64];
//! assert_eq!(
//!     socket.recv_from(&mut buf).unwrap_err().kind(),
//!     std::io::ErrorKind::ConnectionRefused
//! );
//! let report = recv_icmp_error(&socket, &mut buf)?.expect("one report");
//! assert_eq!((report.destination, report.kind), (closed, Unreachable::Port));
//! assert_eq!(report.quoted, b"anyone?");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd};
use std::ptr;

use hark_proto::icmp::Unreachable;

use super::sockaddr::{RAW_SOCKADDR_LEN, RawSockAddr};
use super::sockopt;

/// One ICMP destination-unreachable report about a datagram the socket sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpError<'a> {
    /// Where the failed datagram was going.
    pub destination: SocketAddr,
    /// What ICMP said.
    pub kind: Unreachable,
    /// The start of the failed datagram's UDP payload, as the report quoted it (often the
    /// whole datagram; possibly nothing).
    pub quoted: &'a [u8],
}

/// Asks the kernel to queue ICMP errors on `socket` (`IP_RECVERR`, and `IPV6_RECVERR` on
/// an IPv6 socket). Afterwards a pending error also fails the next send or receive once
/// (`ECONNREFUSED` and the like), which a caller should treat as a cue to read the queue.
pub fn enable_icmp_errors(socket: &impl AsFd) -> io::Result<()> {
    let fd = socket.as_fd().as_raw_fd();
    let domain = sockopt::get_int(fd, libc::SOL_SOCKET, libc::SO_DOMAIN)?;
    if domain == libc::AF_INET6 {
        sockopt::set_int(fd, libc::IPPROTO_IPV6, libc::IPV6_RECVERR, 1)?;
        // IPv4-mapped peers of a dual-stack socket report through the IPv4 option.
        let _ = sockopt::set_int(fd, libc::IPPROTO_IP, libc::IP_RECVERR, 1);
        Ok(())
    } else {
        sockopt::set_int(fd, libc::IPPROTO_IP, libc::IP_RECVERR, 1)
    }
}

/// Reads the error queue of `socket` until it finds a destination-unreachable report;
/// `Ok(None)` once the queue is empty. Other entries (local errors, path-MTU reports) are
/// read and skipped. The quoted bytes land in `buf`.
pub fn recv_icmp_error<'b>(
    socket: &impl AsFd,
    buf: &'b mut [u8],
) -> io::Result<Option<IcmpError<'b>>> {
    let fd = socket.as_fd().as_raw_fd();
    loop {
        let mut name = RawSockAddr::zeroed();
        // Room for the `sock_extended_err` and the offender's address (aligned for cmsghdr).
        let mut control = [0u64; 32];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: `msghdr` is plain old data; all-zero is a valid value.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = name.as_mut_ptr();
        msg.msg_namelen = RAW_SOCKADDR_LEN;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = size_of_val(&control) as _;
        // SAFETY: every pointer in `msg` points at a live local (or `buf`) with its true
        // length; the kernel writes at most those lengths and nothing outlives the call.
        let rc = unsafe { libc::recvmsg(fd, &mut msg, libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT) };
        if rc < 0 {
            let error = io::Error::last_os_error();
            match error.kind() {
                io::ErrorKind::WouldBlock => return Ok(None),
                io::ErrorKind::Interrupted => continue,
                _ => return Err(error),
            }
        }
        let len = (rc as usize).min(buf.len());
        let (Some(kind), Some(destination)) =
            (unreachable_kind(&msg), name.decode(msg.msg_namelen))
        else {
            continue;
        };
        return Ok(Some(IcmpError {
            destination,
            kind,
            quoted: &buf[..len],
        }));
    }
}

/// Hands every destination-unreachable report queued on `socket` to `f`; returns how many
/// there were. `buf` holds each report's quoted bytes in turn.
pub fn drain_icmp_errors(
    socket: &impl AsFd,
    buf: &mut [u8],
    mut f: impl FnMut(IcmpError<'_>),
) -> io::Result<usize> {
    let mut count = 0;
    while let Some(report) = recv_icmp_error(socket, buf)? {
        f(report);
        count += 1;
    }
    Ok(count)
}

/// The unreachable kind of the `sock_extended_err` in the control data, if it is one.
fn unreachable_kind(msg: &libc::msghdr) -> Option<Unreachable> {
    let mut found = None;
    // SAFETY: `msg.msg_control`/`msg_controllen` describe the live control buffer the
    // kernel just filled; the CMSG macros stay within `msg_controllen`, and a cmsg's data
    // is read (unaligned) only when its length covers a whole `sock_extended_err`.
    unsafe {
        let need = libc::CMSG_LEN(size_of::<libc::sock_extended_err>() as libc::c_uint) as usize;
        let mut cmsg = libc::CMSG_FIRSTHDR(msg);
        while !cmsg.is_null() {
            let c = &*cmsg;
            let ours = matches!(
                (c.cmsg_level, c.cmsg_type),
                (libc::IPPROTO_IP, libc::IP_RECVERR) | (libc::IPPROTO_IPV6, libc::IPV6_RECVERR)
            );
            if ours && c.cmsg_len as usize >= need {
                let ee =
                    ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::sock_extended_err>());
                found = match ee.ee_origin {
                    libc::SO_EE_ORIGIN_ICMP => Unreachable::from_icmpv4(ee.ee_type, ee.ee_code),
                    libc::SO_EE_ORIGIN_ICMP6 => Unreachable::from_icmpv6(ee.ee_type, ee.ee_code),
                    _ => None,
                };
            }
            cmsg = libc::CMSG_NXTHDR(msg, cmsg);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;

    #[test]
    fn an_ipv6_socket_reports_port_unreachable_too() {
        // A port nobody listens on (the socket closes at the end of the statement).
        let closed = UdpSocket::bind("[::1]:0")
            .expect("IPv6 loopback is needed for this test")
            .local_addr()
            .unwrap();
        let socket = UdpSocket::bind("[::1]:0").unwrap();
        enable_icmp_errors(&socket).unwrap();
        socket.send_to(&[1, 2, 3], closed).unwrap();
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 16];
        let _ = socket.recv_from(&mut buf);
        let mut seen = Vec::new();
        let count = drain_icmp_errors(&socket, &mut buf, |e| {
            seen.push((e.destination, e.kind, e.quoted.to_vec()))
        })
        .unwrap();
        assert_eq!(count, 1);
        assert_eq!(seen, [(closed, Unreachable::Port, vec![1, 2, 3])]);
    }

    #[test]
    fn a_pending_icmp_error_does_not_cost_the_next_datagram() {
        use crate::udp::{BatchSocket, SendQueue, UdpConfig};
        let closed = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut socket =
            BatchSocket::bind("127.0.0.1:0".parse().unwrap(), &UdpConfig::DEFAULT).unwrap();
        let mut queue = SendQueue::new(4, 2048);
        queue.push(closed, b"nobody", false).unwrap();
        while !queue.is_empty() {
            socket.send_batch(&mut queue).unwrap();
        }
        // Loopback answers at once; give the report a moment to be queued.
        std::thread::sleep(std::time::Duration::from_millis(50));
        // Now an error is pending: the next datagram must still go out.
        queue
            .push(receiver.local_addr().unwrap(), b"hello", false)
            .unwrap();
        while !queue.is_empty() {
            socket.send_batch(&mut queue).unwrap();
        }
        let mut buf = [0u8; 16];
        let (n, _) = receiver.recv_from(&mut buf).expect("the datagram arrived");
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(socket.stats().send_errors, 0, "no datagram was dropped");
        let mut reports = 0;
        socket.drain_icmp_errors(|_| reports += 1).unwrap();
        assert_eq!(reports, 1);
    }

    #[test]
    fn an_empty_queue_reads_as_none() {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        enable_icmp_errors(&socket).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(recv_icmp_error(&socket, &mut buf).unwrap(), None);
    }
}
