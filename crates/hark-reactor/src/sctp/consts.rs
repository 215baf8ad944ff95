//! Linux SCTP numbers, copied from `/usr/include/linux/sctp.h` (linux-libc-dev) where the
//! `libc` crate does not define them. Comments give the header's names.

use libc::c_int;

/// `SOL_SCTP` (= `IPPROTO_SCTP`, 132): the socket option level.
pub(crate) const SOL_SCTP: c_int = 132;
/// `SCTP_INITMSG`.
pub(crate) const SCTP_INITMSG: c_int = 2;
/// `SCTP_NODELAY`.
pub(crate) const SCTP_NODELAY: c_int = 3;
/// `SCTP_ADAPTATION_LAYER`.
pub(crate) const SCTP_ADAPTATION_LAYER: c_int = 7;
/// `SCTP_PARTIAL_DELIVERY_POINT`.
pub(crate) const SCTP_PARTIAL_DELIVERY_POINT: c_int = 19;
/// `SCTP_RECVRCVINFO`.
pub(crate) const SCTP_RECVRCVINFO: c_int = 32;
/// `SCTP_RECVNXTINFO`.
pub(crate) const SCTP_RECVNXTINFO: c_int = 33;
/// `SCTP_SOCKOPT_BINDX_ADD`.
pub(crate) const SCTP_SOCKOPT_BINDX_ADD: c_int = 100;
/// `SCTP_SOCKOPT_CONNECTX` (the assoc id is setsockopt's return value).
pub(crate) const SCTP_SOCKOPT_CONNECTX: c_int = 110;
/// `SCTP_SOCKOPT_CONNECTX3` (a getsockopt that writes the assoc id back, even while a
/// non-blocking handshake is in progress).
pub(crate) const SCTP_SOCKOPT_CONNECTX3: c_int = 111;
/// `SCTP_GET_PEER_ADDRS`.
pub(crate) const SCTP_GET_PEER_ADDRS: c_int = 108;
/// `SCTP_GET_LOCAL_ADDRS`.
pub(crate) const SCTP_GET_LOCAL_ADDRS: c_int = 109;
/// `SCTP_PR_SUPPORTED`.
pub(crate) const SCTP_PR_SUPPORTED: c_int = 113;
/// `SCTP_ENABLE_STREAM_RESET`.
pub(crate) const SCTP_ENABLE_STREAM_RESET: c_int = 118;
/// `SCTP_RESET_STREAMS`.
pub(crate) const SCTP_RESET_STREAMS: c_int = 119;
/// `SCTP_ADD_STREAMS`.
pub(crate) const SCTP_ADD_STREAMS: c_int = 121;
/// `SCTP_EVENT`.
pub(crate) const SCTP_EVENT: c_int = 127;
/// `SCTP_SNDINFO` in `enum sctp_cmsg_type` (SCTP_INIT 0, SCTP_SNDRCV 1, SCTP_SNDINFO 2, ...).
pub(crate) const SCTP_SNDINFO_CMSG: c_int = 2;
/// `SCTP_RCVINFO` in `enum sctp_cmsg_type`.
pub(crate) const SCTP_RCVINFO_CMSG: c_int = 3;
/// `SCTP_NXTINFO` in `enum sctp_cmsg_type`.
pub(crate) const SCTP_NXTINFO_CMSG: c_int = 4;
/// `MSG_NOTIFICATION` (`= 0x8000` in `enum sctp_msg_flags`).
pub(crate) const MSG_NOTIFICATION: c_int = 0x8000;
/// `SCTP_PRINFO` in `enum sctp_cmsg_type`.
pub(crate) const SCTP_PRINFO_CMSG: c_int = 5;
/// `SCTP_AUTH_CHUNK`.
pub(crate) const SCTP_AUTH_CHUNK: c_int = 21;
/// `SCTP_AUTH_KEY`.
pub(crate) const SCTP_AUTH_KEY: c_int = 23;
/// `SCTP_AUTH_ACTIVE_KEY`.
pub(crate) const SCTP_AUTH_ACTIVE_KEY: c_int = 24;
/// `SCTP_AUTH_DELETE_KEY`.
pub(crate) const SCTP_AUTH_DELETE_KEY: c_int = 25;
/// `SCTP_AUTH_DEACTIVATE_KEY`.
pub(crate) const SCTP_AUTH_DEACTIVATE_KEY: c_int = 35;
/// `SCTP_RESET_ASSOC`.
pub(crate) const SCTP_RESET_ASSOC: c_int = 120;
