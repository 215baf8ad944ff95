//! libutp's constants as typed enums; each variant names its libutp counterpart.

use hark_proto::utp::{ConnectionError, OverheadKind};
use std::fmt;
use std::time::Duration;

/// The states `on_state_change` reports (libutp's `UTP_STATE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UtpState {
    /// `UTP_STATE_CONNECT`: the connection is established (only reported here when no
    /// `on_connect` callback is set).
    Connect,
    /// `UTP_STATE_WRITABLE`: the socket accepts writes again.
    Writable,
    /// `UTP_STATE_EOF`: the peer finished sending.
    Eof,
    /// `UTP_STATE_DESTROYING`: the socket is being destroyed; its handle is invalid after.
    /// After an orderly close this comes [`ConnectionConfig::linger`](super::ConnectionConfig::linger)
    /// (2 s by default) after both FINs were acknowledged, so it is no end-of-transfer
    /// mark: the sender's is [`Callbacks::on_fin_acked`](super::Callbacks::on_fin_acked),
    /// the receiver's is [`UtpState::Eof`].
    Destroying,
}

impl UtpState {
    /// libutp's name, such as `UTP_STATE_EOF`.
    #[must_use]
    pub const fn libutp_name(self) -> &'static str {
        match self {
            UtpState::Connect => "UTP_STATE_CONNECT",
            UtpState::Writable => "UTP_STATE_WRITABLE",
            UtpState::Eof => "UTP_STATE_EOF",
            UtpState::Destroying => "UTP_STATE_DESTROYING",
        }
    }
}

/// The codes `on_error` reports (libutp's `UTP_E*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum UtpErrorCode {
    /// `UTP_ECONNREFUSED`: the peer answered the SYN with a RESET.
    #[error("UTP_ECONNREFUSED")]
    ConnRefused,
    /// `UTP_ECONNRESET`: the peer reset the connection (or broke the protocol).
    #[error("UTP_ECONNRESET")]
    ConnReset,
    /// `UTP_ETIMEDOUT`: the peer stopped answering.
    #[error("UTP_ETIMEDOUT")]
    TimedOut,
}

impl UtpErrorCode {
    /// libutp's name, such as `UTP_ETIMEDOUT`.
    #[must_use]
    pub const fn libutp_name(self) -> &'static str {
        match self {
            UtpErrorCode::ConnRefused => "UTP_ECONNREFUSED",
            UtpErrorCode::ConnReset => "UTP_ECONNRESET",
            UtpErrorCode::TimedOut => "UTP_ETIMEDOUT",
        }
    }

    /// The code for a core failure. libutp has three codes; a protocol violation by the
    /// peer ends the connection as a reset does, and an ICMP unreachable report is
    /// `UTP_ECONNREFUSED` while connecting and `UTP_ECONNRESET` after (as in libutp's
    /// `utp_process_icmp_error`).
    #[must_use]
    pub fn from_core(error: ConnectionError) -> UtpErrorCode {
        match error {
            ConnectionError::Refused | ConnectionError::Unreachable(_) => UtpErrorCode::ConnRefused,
            ConnectionError::TimedOut => UtpErrorCode::TimedOut,
            _ => UtpErrorCode::ConnReset,
        }
    }
}

/// What overhead `on_overhead_statistics` counts (libutp's `*_OVERHEAD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OverheadType {
    /// `CONNECT_OVERHEAD`: SYN and SYN-ACK packets.
    Connect,
    /// `CLOSE_OVERHEAD`: FIN and RESET packets.
    Close,
    /// `ACK_OVERHEAD`: pure acknowledgements.
    Ack,
    /// `HEADER_OVERHEAD`: UDP and uTP headers of data packets.
    Header,
    /// `RETRANSMIT_OVERHEAD`: retransmitted packets.
    Retransmit,
}

impl OverheadType {
    /// libutp's name, such as `ACK_OVERHEAD`.
    #[must_use]
    pub const fn libutp_name(self) -> &'static str {
        match self {
            OverheadType::Connect => "CONNECT_OVERHEAD",
            OverheadType::Close => "CLOSE_OVERHEAD",
            OverheadType::Ack => "ACK_OVERHEAD",
            OverheadType::Header => "HEADER_OVERHEAD",
            OverheadType::Retransmit => "RETRANSMIT_OVERHEAD",
        }
    }

    pub(crate) fn from_core(kind: OverheadKind) -> OverheadType {
        match kind {
            OverheadKind::Connect => OverheadType::Connect,
            OverheadKind::Close => OverheadType::Close,
            OverheadKind::Ack => OverheadType::Ack,
            OverheadKind::Header => OverheadType::Header,
            OverheadKind::Retransmit => OverheadType::Retransmit,
        }
    }
}

/// Log levels, each switched on or off as a context option (libutp's `UTP_LOG_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogLevel {
    /// `UTP_LOG_NORMAL`: connections opened, accepted, failed and destroyed.
    Normal,
    /// `UTP_LOG_MTU`: the MTU and UDP overhead chosen for each connection.
    Mtu,
    /// `UTP_LOG_DEBUG`: every state change, and every datagram that was not uTP.
    Debug,
}

impl LogLevel {
    /// libutp's name, such as `UTP_LOG_MTU`.
    #[must_use]
    pub const fn libutp_name(self) -> &'static str {
        match self {
            LogLevel::Normal => "UTP_LOG_NORMAL",
            LogLevel::Mtu => "UTP_LOG_MTU",
            LogLevel::Debug => "UTP_LOG_DEBUG",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.libutp_name())
    }
}

/// The set of enabled log levels (none by default, as in libutp).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LogLevels(u8);

impl LogLevels {
    /// No logging.
    pub const NONE: LogLevels = LogLevels(0);

    /// Whether `level` is enabled.
    #[must_use]
    pub const fn contains(self, level: LogLevel) -> bool {
        self.0 & level.bit() != 0
    }

    /// The set with `level` switched on or off.
    #[must_use]
    pub const fn with(self, level: LogLevel, on: bool) -> LogLevels {
        if on {
            LogLevels(self.0 | level.bit())
        } else {
            LogLevels(self.0 & !level.bit())
        }
    }
}

/// Flags given to the `sendto` callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SendFlags {
    /// `UTP_UDP_DONTFRAG`: send with the IP don't-fragment behaviour (MTU probes).
    pub dont_frag: bool,
}

impl SendFlags {
    /// libutp's integer encoding (`UTP_UDP_DONTFRAG` is 2).
    #[must_use]
    pub const fn bits(self) -> i32 {
        if self.dont_frag { 2 } else { 0 }
    }
}

/// Context options (libutp's `utp_context_set_option` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextOption {
    /// `UTP_LOG_NORMAL`, `UTP_LOG_MTU`, `UTP_LOG_DEBUG`: a log level on or off.
    Log(LogLevel, bool),
    /// `UTP_SNDBUF`: send buffer of connections created from now on, bytes.
    SendBuffer(usize),
    /// `UTP_RCVBUF`: receive buffer of connections created from now on, bytes (at least
    /// [`MIN_RECV_BUFFER`](super::MIN_RECV_BUFFER), so that a peer's longest packet fits).
    ReceiveBuffer(usize),
    /// `UTP_TARGET_DELAY`: LEDBAT target delay of connections created from now on; on paths
    /// shorter than a third of it the target follows the round trip below it
    /// (`hark_proto::utp::ConnectionConfig::ledbat_rtt_target_floor`).
    TargetDelay(Duration),
}

/// Socket options (libutp's `utp_setsockopt` names) that can change on a live socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketOption {
    /// `UTP_TARGET_DELAY`: this connection's LEDBAT target delay (the most the target may
    /// be, as for [`ContextOption::TargetDelay`]).
    TargetDelay(Duration),
}
