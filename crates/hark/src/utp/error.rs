//! Errors of the uTP facade.

use hark_proto::utp::{ConnectError, WriteError};

use crate::listen::ListenError;

/// Why an option could not be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OptionError {
    /// Send and receive buffer sizes are chosen when the context is built.
    #[error("buffer sizes are fixed once the context is built; set them on the builder")]
    FixedAfterBuild,
}

/// Why a [`UtpContext`](super::UtpContext) was not built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Mode (b) needs a `sendto` callback: the application owns the socket.
    #[error("a context driven by the application needs a sendto callback")]
    NoSendTo,
}

/// Why an operation on a context or socket failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UtpError {
    /// The socket was destroyed (or never belonged to this context).
    #[error("unknown or destroyed uTP socket")]
    UnknownSocket,
    /// The IP filter blocks the address.
    #[error("the IP filter blocks this address")]
    Blocked,
    /// The core could not open the connection.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The core refused the write.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Why a reactor-driven context (mode (a)) could not be started or reached.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReactorUtpError {
    /// Binding the UDP socket failed.
    #[error(transparent)]
    Listen(#[from] ListenError),
    /// Creating the reactor or registering the socket failed.
    #[error("reactor setup failed: {0}")]
    Io(#[from] std::io::Error),
    /// The reactor thread could not be started.
    #[error("could not start the reactor thread: {0}")]
    Thread(std::io::Error),
    /// The reactor's command queue is full: retry later.
    #[error("the reactor's command queue is full")]
    Busy,
    /// The reactor has stopped.
    #[error("the reactor has stopped")]
    Stopped,
    /// The reactor stopped with an error.
    #[error("the reactor failed: {0}")]
    Reactor(#[from] hark_reactor::ReactorError),
    /// The operation itself failed.
    #[error(transparent)]
    Utp(#[from] UtpError),
}

impl From<hark_reactor::CommandError> for ReactorUtpError {
    fn from(error: hark_reactor::CommandError) -> Self {
        match error {
            hark_reactor::CommandError::Full => ReactorUtpError::Busy,
            _ => ReactorUtpError::Stopped,
        }
    }
}
