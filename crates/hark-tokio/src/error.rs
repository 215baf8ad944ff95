//! Errors of the tokio adapter: typed, and convertible to `std::io::Error` (whose kind
//! says what happened and whose inner error is the typed one).

use std::io;

use hark_proto::utp::{ConnectError, ConnectionError};

/// Why a socket or stream operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UtpError {
    /// The connection failed (refused, reset, timed out, ...).
    #[error("uTP connection failed: {0}")]
    Connection(#[from] ConnectionError),
    /// The core could not open a connection.
    #[error("cannot open a uTP connection: {0}")]
    Connect(#[from] ConnectError),
    /// The socket's driver task has stopped (its runtime shut down or the socket failed).
    #[error("the uTP socket's driver has stopped")]
    SocketClosed,
    /// The connection ended before the peer's FIN arrived, without a reported failure
    /// (for instance the peer's FIN came but data before it never did, and the linger time
    /// ran out).
    #[error("the uTP connection ended before the peer finished sending")]
    Aborted,
    /// The stream's write direction was shut down.
    #[error("the stream was shut down for writing")]
    WriteClosed,
    /// An I/O error of the UDP socket.
    #[error("UDP socket error: {0}")]
    Io(#[from] io::Error),
}

impl UtpError {
    /// The `io::ErrorKind` this error maps to.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            UtpError::Connection(ConnectionError::Refused) => io::ErrorKind::ConnectionRefused,
            UtpError::Connection(ConnectionError::Reset | ConnectionError::PeerPortClosed) => {
                io::ErrorKind::ConnectionReset
            }
            UtpError::Connection(ConnectionError::TimedOut) => io::ErrorKind::TimedOut,
            UtpError::Connection(ConnectionError::Unreachable(_)) => {
                io::ErrorKind::ConnectionRefused
            }
            UtpError::Connection(_) => io::ErrorKind::InvalidData,
            UtpError::Connect(_) => io::ErrorKind::AddrNotAvailable,
            UtpError::SocketClosed => io::ErrorKind::NotConnected,
            UtpError::Aborted => io::ErrorKind::ConnectionAborted,
            UtpError::WriteClosed => io::ErrorKind::BrokenPipe,
            UtpError::Io(e) => e.kind(),
        }
    }
}

impl From<UtpError> for io::Error {
    fn from(error: UtpError) -> io::Error {
        match error {
            UtpError::Io(e) => e,
            other => io::Error::new(other.kind(), other),
        }
    }
}
