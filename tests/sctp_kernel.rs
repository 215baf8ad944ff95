//! Kernel SCTP on loopback. Built only with the `kernel-sctp` feature and run inside a real
//! Linux kernel by `cargo xtask sctp-vm` (the development and CI machines have no SCTP).

use std::io;
use std::mem::{size_of, zeroed};

fn check(ret: libc::c_int, what: &str) -> io::Result<libc::c_int> {
    if ret < 0 {
        let err = io::Error::last_os_error();
        return Err(io::Error::new(err.kind(), format!("{what}: {err}")));
    }
    Ok(ret)
}

fn loopback(port: u16) -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain old data; all-zero is a valid value.
    let mut addr: libc::sockaddr_in = unsafe { zeroed() };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    addr.sin_port = port.to_be();
    addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
    addr
}

/// One-to-one (SOCK_STREAM) SCTP sockets: listen, connect, accept, and a message each way.
#[test]
fn one_to_one_association_carries_a_message() -> io::Result<()> {
    // SAFETY: plain socket(2) calls; every descriptor is closed at the end.
    unsafe {
        let server = check(
            libc::socket(libc::AF_INET, libc::SOCK_STREAM, libc::IPPROTO_SCTP),
            "socket (is sctp.ko loaded?)",
        )?;
        let addr = loopback(0);
        check(
            libc::bind(
                server,
                (&raw const addr).cast(),
                size_of::<libc::sockaddr_in>() as u32,
            ),
            "bind",
        )?;
        check(libc::listen(server, 4), "listen")?;
        let mut bound = loopback(0);
        let mut len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
        check(
            libc::getsockname(server, (&raw mut bound).cast(), &mut len),
            "getsockname",
        )?;

        let client = check(
            libc::socket(libc::AF_INET, libc::SOCK_STREAM, libc::IPPROTO_SCTP),
            "socket",
        )?;
        check(
            libc::connect(
                client,
                (&raw const bound).cast(),
                size_of::<libc::sockaddr_in>() as u32,
            ),
            "connect",
        )?;
        let accepted = check(
            libc::accept(server, std::ptr::null_mut(), std::ptr::null_mut()),
            "accept",
        )?;

        let message = b"hello over kernel SCTP";
        check(
            libc::send(client, message.as_ptr().cast(), message.len(), 0) as i32,
            "send",
        )?;
        let mut buf = [0u8; 64];
        let n = check(
            libc::recv(accepted, buf.as_mut_ptr().cast(), buf.len(), 0) as i32,
            "recv",
        )?;
        assert_eq!(&buf[..n as usize], message);

        for fd in [accepted, client, server] {
            libc::close(fd);
        }
    }
    Ok(())
}
