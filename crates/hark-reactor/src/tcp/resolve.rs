//! Name resolution, pluggable, run off the reactor thread.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Turns a host and service into the addresses to try.
///
/// Called on a helper thread, so it may block.
pub trait Resolve: Send + Sync + 'static {
    /// The addresses of `host` at `service`, in the order to try them.
    fn resolve(&self, host: &str, service: &str) -> io::Result<Vec<SocketAddr>>;
}

/// The system resolver through `std::net::ToSocketAddrs`; `service` is a port number.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdResolver;

impl Resolve for StdResolver {
    fn resolve(&self, host: &str, service: &str) -> io::Result<Vec<SocketAddr>> {
        let port: u16 = service.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("service {service:?} is not a port number"),
            )
        })?;
        Ok((host, port).to_socket_addrs()?.collect())
    }
}

impl<F> Resolve for F
where
    F: Fn(&str, &str) -> io::Result<Vec<SocketAddr>> + Send + Sync + 'static,
{
    fn resolve(&self, host: &str, service: &str) -> io::Result<Vec<SocketAddr>> {
        self(host, service)
    }
}
