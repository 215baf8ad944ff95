//! [`BatchSocket`]: a non-blocking UDP socket moving datagrams in batches.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use mio::event::Source;
use mio::{Interest, Registry, Token};

use super::capabilities::{self, Capabilities, MAX_BATCH, MAX_GSO_SEGMENTS};
use super::config::UdpConfig;
use super::icmp_errors::{self, IcmpError};
use super::recv::{self, RecvBuffers};
use super::send::{self, SendFailure};
use super::send_queue::SendQueue;
use super::sockopt;

/// Counters a [`BatchSocket`] keeps about its sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SocketStats {
    /// Datagrams handed to the kernel.
    pub sent: u64,
    /// Datagrams dropped because the kernel refused them (e.g. `EMSGSIZE`,
    /// `ENETUNREACH`); UDP gives no other recourse.
    pub send_errors: u64,
    /// The OS error code of the latest refused datagram.
    pub last_send_error: Option<i32>,
    /// Times the kernel rejected a GSO send, after which GSO was turned off.
    pub gso_fallbacks: u64,
}

/// A non-blocking UDP socket (IPv4 or IPv6) with batched receive and send.
#[derive(Debug)]
pub struct BatchSocket {
    io: mio::net::UdpSocket,
    local: SocketAddr,
    caps: Capabilities,
    dont_fragment: Option<bool>,
    stats: SocketStats,
}

impl BatchSocket {
    /// Binds a new socket to `addr` and sets it up per `config`.
    pub fn bind(addr: SocketAddr, config: &UdpConfig) -> io::Result<Self> {
        Self::from_mio(mio::net::UdpSocket::bind(addr)?, config)
    }

    /// Takes over a bound std socket (made non-blocking here).
    pub fn from_std(socket: std::net::UdpSocket, config: &UdpConfig) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        Self::from_mio(mio::net::UdpSocket::from_std(socket), config)
    }

    fn from_mio(io: mio::net::UdpSocket, config: &UdpConfig) -> io::Result<Self> {
        let fd = io.as_raw_fd();
        let local = io.local_addr()?;
        let recv = capabilities::request_buffer(
            fd,
            libc::SO_RCVBUF,
            libc::SO_RCVBUFFORCE,
            config.recv_buffer,
        )?;
        let send = capabilities::request_buffer(
            fd,
            libc::SO_SNDBUF,
            libc::SO_SNDBUFFORCE,
            config.send_buffer,
        )?;
        let gso = config.gso && capabilities::detect_gso(fd);
        let gro = config.gro && capabilities::enable_gro(fd);
        // Best effort: with it every receive reports the count of overflow drops.
        let _ = sockopt::set_int(fd, libc::SOL_SOCKET, libc::SO_RXQ_OVFL, 1);
        // Best effort: ICMP errors (port unreachable) reach the error queue.
        let _ = icmp_errors::enable_icmp_errors(&io);
        let caps = Capabilities {
            gro,
            gso_max_segments: if gso { MAX_GSO_SEGMENTS } else { 1 },
            batch_size: config.batch_size.clamp(1, MAX_BATCH),
            recv_buffer_requested: config.recv_buffer,
            recv_buffer_granted: recv.granted,
            recv_buffer_forced: recv.forced,
            send_buffer_requested: config.send_buffer,
            send_buffer_granted: send.granted,
            send_buffer_forced: send.forced,
        };
        Ok(BatchSocket {
            io,
            local,
            caps,
            dont_fragment: None,
            stats: SocketStats::default(),
        })
    }

    /// The bound local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// What the kernel offered (GSO turns off here after a kernel rejection).
    pub fn capabilities(&self) -> Capabilities {
        self.caps
    }

    /// Send counters.
    pub fn stats(&self) -> SocketStats {
        self.stats
    }

    /// Receive buffers sized for this socket's batch.
    pub fn recv_buffers(&self) -> RecvBuffers {
        RecvBuffers::new(self.caps.batch_size)
    }

    /// Receives one batch into `bufs` (one `recvmmsg`); `Ok(n)` messages, or an error of
    /// kind `WouldBlock` once the socket is drained. GRO trains are split when read back
    /// through [`RecvBuffers::datagrams`].
    pub fn recv_batch(&mut self, bufs: &mut RecvBuffers) -> io::Result<usize> {
        recv::recv_batch(self.fd(), bufs)
    }

    /// Sends one batch from the front of `queue` (one `sendmmsg`) and returns how many
    /// datagrams left the queue, sent or dropped. A partial send leaves the rest queued;
    /// an error of kind `WouldBlock` means the socket buffer is full. A kernel rejecting
    /// GSO turns GSO off for good and the datagrams stay queued for a plain retry. A
    /// datagram the kernel refuses on its own (e.g. too big for don't-fragment) is dropped
    /// and counted in [`stats`](Self::stats).
    pub fn send_batch(&mut self, queue: &mut SendQueue) -> io::Result<usize> {
        let Some((first, _)) = queue.get(0) else {
            return Ok(0);
        };
        if self.dont_fragment != Some(first.dont_fragment)
            && (first.dont_fragment || self.dont_fragment.is_some())
        {
            self.set_dont_fragment(first.dont_fragment)?;
        }
        let ipv6 = self.local.is_ipv6();
        let (batch, gso) = (self.caps.batch_size, self.caps.gso_max_segments);
        let mut result = send::send_once(self.fd(), ipv6, queue, batch, gso);
        // An ICMP error about an earlier datagram (IP_RECVERR) fails the next send once;
        // it says nothing about this batch, so that gets one more try.
        if matches!(&result, Err(f) if is_pending_icmp_error(&f.error)) {
            result = send::send_once(self.fd(), ipv6, queue, batch, gso);
        }
        match result {
            Ok(sent) => {
                self.stats.sent += sent.datagrams as u64;
                Ok(sent.datagrams)
            }
            Err(SendFailure {
                error,
                first_segments,
            }) => self.on_send_error(queue, error, first_segments),
        }
    }

    fn on_send_error(
        &mut self,
        queue: &mut SendQueue,
        error: io::Error,
        first_segments: usize,
    ) -> io::Result<usize> {
        if error.kind() == io::ErrorKind::WouldBlock {
            return Err(error);
        }
        let code = error.raw_os_error().unwrap_or(0);
        if first_segments > 1 && matches!(code, libc::EINVAL | libc::EIO | libc::ENOPROTOOPT) {
            // The kernel or the route cannot segment: stay with plain sends from now on.
            self.caps.gso_max_segments = 1;
            self.stats.gso_fallbacks += 1;
            return Ok(0);
        }
        if is_per_datagram_error(code) {
            queue.pop_front(first_segments);
            self.stats.send_errors += first_segments as u64;
            self.stats.last_send_error = Some(code);
            return Ok(first_segments);
        }
        Err(error)
    }

    /// Hands every ICMP destination-unreachable report queued on the socket to `f` (see
    /// [`recv_icmp_error`](super::recv_icmp_error)); returns how many there were. The
    /// reactor calls it on error readiness.
    pub fn drain_icmp_errors(&mut self, f: impl FnMut(IcmpError<'_>)) -> io::Result<usize> {
        // The endpoints look at the quoted header only; a longer quote is cut.
        let mut quoted = [0u8; 256];
        icmp_errors::drain_icmp_errors(&self.io, &mut quoted, f)
    }

    /// Sets or clears "don't fragment" for later sends (`IP_MTU_DISCOVER` = `DO` or
    /// `WANT`; on IPv6 sockets also `IPV6_MTU_DISCOVER` and `IPV6_DONTFRAG`).
    pub fn set_dont_fragment(&mut self, on: bool) -> io::Result<()> {
        let fd = self.fd();
        let v4 = if on {
            libc::IP_PMTUDISC_DO
        } else {
            libc::IP_PMTUDISC_WANT
        };
        if self.local.is_ipv6() {
            let v6 = if on {
                libc::IPV6_PMTUDISC_DO
            } else {
                libc::IPV6_PMTUDISC_WANT
            };
            sockopt::set_int(fd, libc::IPPROTO_IPV6, libc::IPV6_MTU_DISCOVER, v6)?;
            sockopt::set_int(fd, libc::IPPROTO_IPV6, libc::IPV6_DONTFRAG, i32::from(on))?;
            // Covers IPv4-mapped destinations on a dual-stack socket; absent on v6-only.
            let _ = sockopt::set_int(fd, libc::IPPROTO_IP, libc::IP_MTU_DISCOVER, v4);
        } else {
            sockopt::set_int(fd, libc::IPPROTO_IP, libc::IP_MTU_DISCOVER, v4)?;
        }
        self.dont_fragment = Some(on);
        Ok(())
    }

    /// Whether "don't fragment" is on (`None` until first set: the system default).
    pub fn dont_fragment(&self) -> Option<bool> {
        self.dont_fragment
    }

    /// The underlying mio socket, e.g. for a one-datagram `send_to`/`recv_from`.
    pub fn inner(&self) -> &mio::net::UdpSocket {
        &self.io
    }

    fn fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

/// Errors an ICMP report leaves pending on the socket for its next call (the kernel's
/// translation of ICMP types and codes, `icmp_err_convert`). A send failing with one of
/// them is tried once more: the pending error is consumed by the failure, and a datagram
/// that really is refused (too big, no route) fails again and is dropped then.
fn is_pending_icmp_error(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(
            libc::ECONNREFUSED
                | libc::EHOSTUNREACH
                | libc::ENETUNREACH
                | libc::EHOSTDOWN
                | libc::ENONET
                | libc::ENOPROTOOPT
                | libc::EMSGSIZE
                | libc::EOPNOTSUPP
        )
    )
}

/// Errors that concern one datagram (its destination, size or route), not the socket.
fn is_per_datagram_error(code: i32) -> bool {
    matches!(
        code,
        libc::EMSGSIZE
            | libc::EINVAL
            | libc::EIO
            | libc::ENETUNREACH
            | libc::EHOSTUNREACH
            | libc::ENETDOWN
            | libc::EHOSTDOWN
            | libc::EACCES
            | libc::EPERM
            | libc::EAFNOSUPPORT
            | libc::EADDRNOTAVAIL
            | libc::ECONNREFUSED
            | libc::ENOBUFS
    )
}

impl Source for BatchSocket {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.io.register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.io.reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        self.io.deregister(registry)
    }
}
