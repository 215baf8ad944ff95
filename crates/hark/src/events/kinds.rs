//! The catalogue of event kinds: one `define_kinds!` entry each, then each kind's sentence.

use super::attributes::{Direction, DisconnectReason, FileOperation, Protocol};
use super::kind::{Describe, Verdict};
use crate::utp::UtpPacketHeader;
use bytes::Bytes;
use hark_proto::ipfilter::Rule;
use hark_wire::bt::metainfo::InfoHash;
use hark_wire::bt::tracker::AnnounceEvent;
use std::fmt::Write as _;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

define_kinds! {
    /// An incoming connection was declined, or an outgoing attempt aborted, because the
    /// remote address is blocked by the IP filter. Listeners may veto the block by
    /// returning `Verdict::Allow`; they are called when the decision is made.
    "ip_filter" => IpFiltered, on_ip_filter {
        category: IpBlock,
        severity: Debug,
        delivery: Droppable,
        reply: Verdict,
        attributes: {
            /// Remote address and port.
            address: SocketAddr,
            /// Transport and family of the connection.
            protocol: Protocol,
            /// Whether the connection was incoming or outgoing.
            direction: Direction,
            /// The filter rule that blocks the address.
            rule: Rule,
            /// Whether a listener vetoed the block and let the connection through.
            vetoed: bool,
        }
    }

    /// A socket is listening (or bound, for UDP) on one of the ports asked for.
    "listen_success" => ListenSuccess, on_listen_success {
        category: Connection,
        severity: Debug,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// Transport and family of the socket.
            protocol: Protocol,
            /// The bound local address and port.
            local: SocketAddr,
            /// Every port tried, in order; the last one is the bound one.
            tried: Vec<u16>,
        }
    }

    /// None of the ports asked for could be opened for listening.
    "listen_failure" => ListenFailure, on_listen_failure {
        category: Connection,
        severity: Fatal,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// Transport and family of the socket.
            protocol: Protocol,
            /// The local address the ports were tried on.
            ip: IpAddr,
            /// Every port tried, in order.
            tried: Vec<u16>,
            /// Why the last port failed.
            error: io::ErrorKind,
        }
    }

    /// The remote peer sent its 20-byte BitTorrent peer id.
    "peer_id" => PeerIdReceived, on_peer_id {
        category: Peer,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// Remote address and port.
            peer: SocketAddr,
            /// The peer id.
            peer_id: [u8; 20],
        }
    }

    /// A valid handshake was both sent to and received from the peer.
    "peer_handshake_complete" => PeerHandshakeComplete, on_peer_handshake_complete {
        category: Peer,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// Remote address and port.
            peer: SocketAddr,
        }
    }

    /// An established connection was lost or closed.
    "peer_disconnect" => PeerDisconnect, on_peer_disconnect {
        category: Peer,
        severity: Info,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// Remote address and port.
            peer: SocketAddr,
            /// Why the connection ended.
            reason: DisconnectReason,
        }
    }

    /// Bytes were received from a peer.
    "peer_data_in" => PeerDataIn, on_peer_data_in {
        category: TransportStats,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// Remote address and port.
            peer: SocketAddr,
            /// Number of bytes read.
            length: usize,
        }
    }

    /// Bytes were sent to a peer.
    "peer_data_out" => PeerDataOut, on_peer_data_out {
        category: TransportStats,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// Remote address and port.
            peer: SocketAddr,
            /// Number of bytes written.
            length: usize,
        }
    }

    /// A complete packet was parsed from a peer's data. For protocols with messages of
    /// their own (such as a BitTorrent peer layer); uTP reports datagrams as `utp_packet`.
    "peer_packet_in" => PeerPacketIn, on_peer_packet_in {
        category: Log,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// Remote address and port.
            peer: SocketAddr,
            /// The packet, as received.
            packet: Bytes,
        }
    }

    /// A packet was queued for sending to a peer. For protocols with messages of their
    /// own (such as a BitTorrent peer layer); uTP reports datagrams as `utp_packet`.
    "peer_packet_out" => PeerPacketOut, on_peer_packet_out {
        category: Log,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// Remote address and port.
            peer: SocketAddr,
            /// The packet, as queued.
            packet: Bytes,
        }
    }

    /// The uTP firewall callback (`on_firewall`) blocked an incoming connection.
    "utp_firewall" => UtpFirewall, on_utp_firewall {
        category: IpBlock,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The peer asking to connect.
            peer: SocketAddr,
        }
    }

    /// A uTP connection from a peer was accepted (libutp's `on_accept`).
    "utp_accept" => UtpAccept, on_utp_accept {
        category: Connection,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The peer that connected.
            peer: SocketAddr,
        }
    }

    /// An outgoing uTP connection is established (libutp's `on_connect`).
    "utp_connect" => UtpConnect, on_utp_connect {
        category: Connection,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The peer connected to.
            peer: SocketAddr,
        }
    }

    /// A uTP connection failed (libutp's `on_error`); `utp_destroying` follows.
    "utp_error" => UtpFailed, on_utp_error {
        category: Connection,
        severity: Warning,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The peer of the connection.
            peer: SocketAddr,
            /// libutp's error name: `UTP_ECONNREFUSED`, `UTP_ECONNRESET` or `UTP_ETIMEDOUT`.
            code: &'static str,
        }
    }

    /// A uTP connection became writable again (`UTP_STATE_WRITABLE`).
    "utp_writable" => UtpWritable, on_utp_writable {
        category: Connection,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The peer of the connection.
            peer: SocketAddr,
        }
    }

    /// The peer of a uTP connection finished sending (`UTP_STATE_EOF`).
    "utp_eof" => UtpEof, on_utp_eof {
        category: Connection,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The peer of the connection.
            peer: SocketAddr,
        }
    }

    /// A uTP connection is being destroyed (`UTP_STATE_DESTROYING`); its socket handle is
    /// invalid afterwards. After an orderly close this comes the linger
    /// (`ConnectionConfig::linger`, 2 s) after the last byte; `utp_fin_acked` marks the end
    /// of a sender's transfer.
    "utp_destroying" => UtpDestroying, on_utp_destroying {
        category: Connection,
        severity: Debug,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The peer of the connection.
            peer: SocketAddr,
            /// Payload bytes sent over the connection's life.
            bytes_sent: u64,
            /// Payload bytes received over the connection's life.
            bytes_received: u64,
        }
    }

    /// A uTP connection measured a queuing delay (libutp's `on_delay_sample`).
    "utp_delay_sample" => UtpDelaySample, on_utp_delay_sample {
        category: Performance,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The peer of the connection.
            peer: SocketAddr,
            /// The delay estimate, milliseconds.
            delay_ms: u32,
        }
    }

    /// Protocol overhead of a uTP connection (libutp's `on_overhead_statistics`), summed
    /// per direction and overhead type over one batch of datagrams: the callback runs per
    /// packet, the event once per batch.
    "utp_overhead" => UtpOverhead, on_utp_overhead {
        category: TransportStats,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The peer of the connection.
            peer: SocketAddr,
            /// True for sent bytes, false for received ones.
            sent: bool,
            /// Overhead bytes, summed over `packets`.
            length: u64,
            /// How many packets the sum covers.
            packets: u32,
            /// libutp's overhead type name, such as `ACK_OVERHEAD`.
            overhead: &'static str,
        }
    }

    /// uTP datagrams were sent to or received from a peer: the header fields and sizes of
    /// each, for following a connection packet by packet (the payload is what
    /// `peer_data_in` and the callbacks report). One event per peer and direction for each
    /// batch of datagrams the context handles (at most 1024 headers); emitted only while a
    /// listener watches it.
    "utp_packets" => UtpPackets, on_utp_packets {
        category: Log,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The other end.
            peer: SocketAddr,
            /// True for datagrams sent, false for ones received.
            sent: bool,
            /// Each datagram's header, in the order sent or received.
            headers: Vec<UtpPacketHeader>,
        }
    }

    /// A log line of the uTP context (libutp's `log` callback).
    "utp_log" => UtpLog, on_utp_log {
        category: Log,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// libutp's level name: `UTP_LOG_NORMAL`, `UTP_LOG_MTU` or `UTP_LOG_DEBUG`.
            level: &'static str,
            /// The line.
            text: String,
        }
    }

    /// The peer acknowledged the FIN of a uTP connection we closed, and with it every byte
    /// written before (hark's `on_fin_acked`): the moment a sender's transfer is complete.
    /// `utp_destroying` follows after the linger (`ConnectionConfig::linger`, 2 s).
    "utp_fin_acked" => UtpFinAcked, on_utp_fin_acked {
        category: Connection,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The peer of the connection.
            peer: SocketAddr,
            /// Payload bytes written over the connection's life, all acknowledged.
            bytes_sent: u64,
        }
    }

    /// A uTP connection ended, in order or not: uTP's counterpart of `tcp_closed` and
    /// `peer_disconnect`, at info level (`utp_eof` and `utp_destroying` are debug). Emitted
    /// with `UTP_STATE_DESTROYING`, after the linger of an orderly close.
    "utp_closed" => UtpClosed, on_utp_closed {
        category: Connection,
        severity: Info,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The peer of the connection.
            peer: SocketAddr,
            /// Why it ended: closed by the peer or by us (whoever sent the first FIN),
            /// reset, timed out, or a protocol error.
            reason: DisconnectReason,
            /// Payload bytes sent over the connection's life.
            bytes_sent: u64,
            /// Payload bytes received over the connection's life.
            bytes_received: u64,
        }
    }

    /// Events were dropped because the queue was full. Delivered where the gap is, once
    /// per gap, and exempt from the severity and category filters.
    "events_dropped" => EventsDropped, on_events_dropped {
        category: Performance,
        severity: Warning,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// How many events were dropped.
            count: u64,
            /// How many of each kind, in catalogue order, kinds with none left out.
            kinds: Vec<(KindId, u64)>,
        }
    }

    /// A TCP notifier was asked whether to connect through a proxy (`proxy_via`).
    "tcp_proxy_via" => TcpProxyVia, on_tcp_proxy_via {
        category: Connection,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The destination host asked for.
            host: String,
            /// The destination service asked for.
            service: String,
            /// The host the notifier chose to connect to.
            via_host: String,
            /// The service the notifier chose to connect to.
            via_service: String,
        }
    }

    /// A TCP connection has this many connection attempts in flight (`connecting`).
    "tcp_connecting" => TcpConnecting, on_tcp_connecting {
        category: Connection,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// Attempts in flight.
            count: usize,
        }
    }

    /// A TCP connection to a server is established (`connected`).
    "tcp_connected" => TcpConnected, on_tcp_connected {
        category: Connection,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// Remote address and port, once known.
            peer: Option<SocketAddr>,
        }
    }

    /// A listener accepted a TCP connection (`accepted`).
    "tcp_accepted" => TcpAccepted, on_tcp_accepted {
        category: Connection,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// Remote address and port, once known.
            peer: Option<SocketAddr>,
        }
    }

    /// A TCP connection could not be established to any address (`connect_failed`).
    "tcp_connect_failed" => TcpConnectFailed, on_tcp_connect_failed {
        category: Connection,
        severity: Warning,
        delivery: Guaranteed,
        reply: (),
        attributes: {
        }
    }

    /// A protocol wrapped around TCP (TLS) failed to authenticate the peer (`auth_failed`).
    "tcp_auth_failed" => TcpAuthFailed, on_tcp_auth_failed {
        category: Connection,
        severity: Critical,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// Remote address and port, once known.
            peer: Option<SocketAddr>,
        }
    }

    /// Bytes passed through a TCP notifier on their way out (`sent`, `sentv`).
    "tcp_sent" => TcpSent, on_tcp_sent {
        category: TransportStats,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// Bytes given to the notifier.
            length: usize,
        }
    }

    /// Bytes were delivered to a TCP notifier (`received`).
    "tcp_received" => TcpReceived, on_tcp_received {
        category: TransportStats,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// Bytes delivered.
            length: usize,
            /// Calls to `received` in this turn, from 1.
            times: usize,
        }
    }

    /// A TCP connection was told to expect frames of this size (`expect`).
    "tcp_expect" => TcpExpect, on_tcp_expect {
        category: Log,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The frame size asked for (0: whatever arrives).
            qty: usize,
        }
    }

    /// A TCP connection closed (`closed`).
    "tcp_closed" => TcpClosed, on_tcp_closed {
        category: Connection,
        severity: Info,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// Remote address and port, once known.
            peer: Option<SocketAddr>,
        }
    }

    /// A TCP connection stopped taking writes because the kernel send buffer is full (`throttled`).
    "tcp_throttled" => TcpThrottled, on_tcp_throttled {
        category: Performance,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// Bytes pending when it happened.
            pending: usize,
        }
    }

    /// A throttled TCP connection's pending queue drained (`unthrottled`).
    "tcp_unthrottled" => TcpUnthrottled, on_tcp_unthrottled {
        category: Performance,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
        }
    }

    /// A TCP listener is accepting connections (`listening`).
    "tcp_listening" => TcpListening, on_tcp_listening {
        category: Connection,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The bound address.
            local: Option<SocketAddr>,
        }
    }

    /// A TCP listener could not be set up (`not_listening`).
    "tcp_not_listening" => TcpNotListening, on_tcp_not_listening {
        category: Connection,
        severity: Fatal,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The address asked for.
            local: Option<SocketAddr>,
        }
    }

    /// A TCP listener stopped listening (`closed`).
    "tcp_listener_closed" => TcpListenerClosed, on_tcp_listener_closed {
        category: Connection,
        severity: Info,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The address it listened on.
            local: Option<SocketAddr>,
        }
    }

    /// An SCTP association came up, or up again after a peer restart (`SCTP_COMM_UP`,
    /// `SCTP_RESTART`).
    "sctp_assoc_up" => SctpAssocUp, on_sctp_assoc_up {
        category: Connection,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The association id.
            assoc_id: u32,
            /// Inbound streams.
            inbound_streams: u16,
            /// Outbound streams.
            outbound_streams: u16,
            /// True for `SCTP_RESTART`.
            restarted: bool,
        }
    }

    /// An SCTP association ended: shutdown complete, communication lost, or never started.
    "sctp_assoc_closed" => SctpAssocClosed, on_sctp_assoc_closed {
        category: Connection,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The association id.
            assoc_id: u32,
            /// `SCTP_SHUTDOWN_COMP`, `SCTP_COMM_LOST` or `SCTP_CANT_STR_ASSOC`.
            state: &'static str,
        }
    }

    /// An SCTP peer address changed state (`SCTP_PEER_ADDR_CHANGE`).
    "sctp_peer_address" => SctpPeerAddress, on_sctp_peer_address {
        category: Peer,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The association id.
            assoc_id: u32,
            /// The peer address.
            address: String,
            /// The new state's C name, e.g. `SCTP_ADDR_CONFIRMED`.
            state: String,
        }
    }

    /// An SCTP message could not be delivered; its data went back to the application.
    "sctp_send_failed" => SctpSendFailed, on_sctp_send_failed {
        category: Connection,
        severity: Warning,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The association id.
            assoc_id: u32,
            /// Bytes handed back.
            length: usize,
            /// True if the data had been put on the wire.
            was_sent: bool,
        }
    }

    /// Any SCTP notification, by its C name (pysctp's `sn_type`).
    "sctp_notification" => SctpNotification, on_sctp_notification {
        category: Log,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The notification's C name, e.g. `SCTP_SENDER_DRY_EVENT`.
            name: &'static str,
            /// Its `sn_type` in the Linux layout.
            sn_type: u16,
        }
    }

    // BitTorrent engine kinds (Net::BitTorrent's callbacks, then torrent status).

    /// Storage failed to open, read, write or allocate a file the torrent needs; the torrent
    /// is paused. Other torrents go on.
    "file_error" => FileError, on_file_error {
        category: Storage,
        severity: Fatal,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The file's path, starting with the torrent's name.
            file: PathBuf,
            /// What was being done to the file.
            operation: FileOperation,
            /// Why it failed.
            error: io::ErrorKind,
        }
    }

    /// A file was opened for reading, or for reading and writing.
    "file_open" => FileOpen, on_file_open {
        category: Storage,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The file's path, starting with the torrent's name.
            file: PathBuf,
            /// Whether it was opened for writing as well.
            writable: bool,
        }
    }

    /// A file was closed.
    "file_close" => FileClose, on_file_close {
        category: Storage,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The file's path, starting with the torrent's name.
            file: PathBuf,
        }
    }

    /// Bytes were written to a file.
    "file_write" => FileWrite, on_file_write {
        category: Storage,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The file's path, starting with the torrent's name.
            file: PathBuf,
            /// Where the write started in the file.
            offset: u64,
            /// Bytes written.
            length: usize,
        }
    }

    /// Bytes were read from a file.
    "file_read" => FileRead, on_file_read {
        category: Storage,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The file's path, starting with the torrent's name.
            file: PathBuf,
            /// Where the read started in the file.
            offset: u64,
            /// Bytes read.
            length: usize,
        }
    }

    /// An announce was sent (or attempted) to a tracker.
    "tracker_announce" => TrackerAnnounce, on_tracker_announce {
        category: Tracker,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The tracker's announce URL.
            url: String,
            /// The announce's `event`: started, completed, stopped or a regular one.
            event: AnnounceEvent,
        }
    }

    /// A tracker timed out, disconnected early, sent an invalid reply, a `failure reason`,
    /// or an HTTP status other than 200. The announcer retries, or tries the next tracker.
    "tracker_failure" => TrackerFailure, on_tracker_failure {
        category: Tracker,
        severity: Warning,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The tracker's announce URL.
            url: String,
            /// How many times in a row this tracker has failed, this time included.
            times_in_row: u32,
            /// The HTTP status (401: needs authentication, 404: not found, ...); 0 when it
            /// timed out or gave no HTTP status (UDP trackers, refused connections).
            status_code: u16,
            /// What went wrong: the tracker's `failure reason`, or hark's description.
            reason: String,
        }
    }

    /// A tracker answered an announce.
    "tracker_success" => TrackerSuccess, on_tracker_success {
        category: Tracker,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The tracker's announce URL.
            url: String,
            /// How many peers it returned.
            peers: usize,
            /// How long to wait before the next regular announce.
            interval: Duration,
        }
    }

    /// A tracker's reply carried a `warning message`: the announce worked, but the tracker has
    /// something to say.
    "tracker_warning" => TrackerWarning, on_tracker_warning {
        category: Tracker,
        severity: Warning,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The tracker's announce URL.
            url: String,
            /// The warning message.
            message: String,
        }
    }

    /// A web seed (BEP 19) failed: its name lookup, connection or HTTP status.
    "url_seed" => UrlSeed, on_url_seed {
        category: Peer,
        severity: Warning,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The web seed's URL.
            url: String,
            /// The HTTP status, or 0 when there was no HTTP reply.
            status_code: u16,
            /// What went wrong.
            reason: String,
        }
    }

    /// A finished piece failed its hash check.
    "piece_hash_failed" => PieceHashFailed, on_piece_hash_failed {
        category: Torrent,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The zero-based piece index.
            index: u32,
            /// The peers that sent blocks of the piece; empty when the check was of data
            /// already on disk.
            peers: Vec<SocketAddr>,
        }
    }

    /// A finished piece passed its hash check.
    "piece_hash_passed" => PieceHashPassed, on_piece_hash_passed {
        category: Torrent,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The zero-based piece index.
            index: u32,
            /// The peers that sent blocks of the piece; empty when the check was of data
            /// already on disk.
            peers: Vec<SocketAddr>,
        }
    }

    /// A peer was banned for taking part in too many corrupt pieces.
    "peer_ban" => PeerBan, on_peer_ban {
        category: Peer,
        severity: Info,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The torrent whose swarm the peer was in.
            torrent: InfoHash,
            /// The banned address.
            ip: IpAddr,
        }
    }

    /// A peer sent invalid data over the peer wire and is disconnected.
    "peer_error" => PeerError, on_peer_error {
        category: Peer,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The peer's id, if it had sent one.
            peer_id: Option<[u8; 20]>,
            /// The peer's address.
            ip: IpAddr,
            /// The peer's port.
            port: u16,
            /// What was invalid.
            reason: String,
        }
    }

    /// A peer sent an invalid piece request (out of range, while choked, or for a piece we do
    /// not have).
    "invalid_request" => InvalidRequest, on_invalid_request {
        category: Peer,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent whose swarm the peer is in.
            torrent: InfoHash,
            /// The peer's address.
            ip: IpAddr,
            /// The peer's port.
            port: u16,
            /// The requested piece.
            index: u32,
            /// The requested offset within the piece.
            begin: u32,
            /// The requested length.
            length: u32,
        }
    }

    /// Bytes were sent to a tracker.
    "tracker_write" => TrackerWrite, on_tracker_write {
        category: Tracker,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The tracker's announce URL.
            url: String,
            /// Bytes sent.
            length: usize,
        }
    }

    /// Bytes were received from a tracker.
    "tracker_read" => TrackerRead, on_tracker_read {
        category: Tracker,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The tracker's announce URL.
            url: String,
            /// Bytes received.
            length: usize,
        }
    }

    /// A torrent was added.
    "torrent_added" => TorrentAdded, on_torrent_added {
        category: Torrent,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// The torrent's name.
            name: String,
        }
    }

    /// A torrent was paused (by the user, or by a fatal `file_error`).
    "torrent_paused" => TorrentPaused, on_torrent_paused {
        category: Torrent,
        severity: Info,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
        }
    }

    /// A paused torrent was resumed.
    "torrent_resumed" => TorrentResumed, on_torrent_resumed {
        category: Torrent,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
        }
    }

    /// A torrent has every piece, verified.
    "torrent_finished" => TorrentFinished, on_torrent_finished {
        category: Torrent,
        severity: Info,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
        }
    }

    /// A torrent's progress changed: pieces verified so far.
    "piece_progress" => PieceProgress, on_piece_progress {
        category: Torrent,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The torrent, by its info hash.
            torrent: InfoHash,
            /// Pieces verified.
            pieces_done: u32,
            /// Pieces in the torrent.
            pieces_total: u32,
            /// Bytes of verified pieces.
            bytes_done: u64,
        }
    }

    /// A BEEP peer asks to start a channel (`channel_start_received`).
    "beep_start_received" => BeepStartReceived, on_beep_start_received {
        category: Connection,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The channel number.
            channel: u32,
            /// The profile URI.
            profile: String,
        }
    }

    /// A BEEP channel start was denied (by the start handler, or by default).
    "beep_start_denied" => BeepStartDenied, on_beep_start_denied {
        category: Connection,
        severity: Warning,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The channel number.
            channel: u32,
            /// The profile URI.
            profile: String,
            /// The reply code (421 normally).
            code: u16,
        }
    }

    /// A BEEP peer asks to close a channel (`channel_close_request`).
    "beep_close_received" => BeepCloseReceived, on_beep_close_received {
        category: Connection,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The channel number.
            channel: u32,
        }
    }

    /// A BEEP channel close request was denied by its close handler.
    "beep_close_denied" => BeepCloseDenied, on_beep_close_denied {
        category: Connection,
        severity: Warning,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The channel number.
            channel: u32,
            /// The reply code (550 normally).
            code: u16,
        }
    }

    /// A BEEP channel is closed.
    "beep_channel_closed" => BeepChannelClosed, on_beep_channel_closed {
        category: Connection,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The channel number.
            channel: u32,
            /// Whether the peer (or the session) closed it rather than us.
            by_peer: bool,
        }
    }

    /// An asynchronous BEEP channel open finished (`on_channel`).
    "beep_on_channel" => BeepOnChannel, on_beep_on_channel {
        category: Connection,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The channel number, or -1 if the open failed.
            number: i32,
        }
    }

    /// A BEEP message or reply reached a frame handler (`frame_received`).
    "beep_frame_received" => BeepFrameReceived, on_beep_frame_received {
        category: TransportStats,
        severity: Debug,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The channel number.
            channel: u32,
            /// MSG, RPY, ERR, ANS or NUL.
            keyword: String,
            /// The message number.
            msgno: u32,
            /// Payload octets, MIME headers included.
            length: usize,
        }
    }

    /// A BEEP connection broke (not an orderly release): `connection_closed`, once.
    "beep_connection_broken" => BeepConnectionBroken, on_beep_connection_broken {
        category: Connection,
        severity: Critical,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// Why, as the session saw it.
            reason: String,
        }
    }

    /// A BEEP SASL authentication succeeded (`sasl_status`).
    "beep_auth_complete" => BeepAuthComplete, on_beep_auth_complete {
        category: Connection,
        severity: Info,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The mechanism.
            mechanism: String,
            /// The authenticated identity.
            identity: String,
        }
    }

    /// A BEEP SASL authentication failed (`sasl_status`).
    "beep_auth_failed" => BeepAuthFailed, on_beep_auth_failed {
        category: Connection,
        severity: Warning,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The mechanism.
            mechanism: String,
            /// Why.
            reason: String,
        }
    }

    /// A BEEP peer asks to tune the session with TLS (`tls_accept_handler`).
    "beep_tls_requested" => BeepTlsRequested, on_beep_tls_requested {
        category: Connection,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The `serverName` the peer sent (empty if none).
            server_name: String,
        }
    }

    /// TLS is in place on a BEEP session (`tls_notify`, success).
    "beep_tls_complete" => BeepTlsComplete, on_beep_tls_complete {
        category: Connection,
        severity: Info,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The TLS version.
            version: String,
            /// The cipher suite.
            cipher_suite: String,
        }
    }

    /// TLS tuning of a BEEP session failed or was refused (`tls_notify`, failure).
    "beep_tls_failed" => BeepTlsFailed, on_beep_tls_failed {
        category: Connection,
        severity: Warning,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// Why.
            reason: String,
        }
    }

    /// A BEEP channel pool was created (`on_pool_created`).
    "beep_pool_created" => BeepPoolCreated, on_beep_pool_created {
        category: Connection,
        severity: Info,
        delivery: Droppable,
        reply: (),
        attributes: {
            /// The pool's id on its connection.
            pool: u32,
            /// The profile of its channels.
            profile: String,
            /// Channels it holds.
            channels: usize,
        }
    }

    /// A BEEP channel pool could not add a channel (`create_channel` failed).
    "beep_pool_grow_failed" => BeepPoolGrowFailed, on_beep_pool_grow_failed {
        category: Connection,
        severity: Warning,
        delivery: Guaranteed,
        reply: (),
        attributes: {
            /// The pool's id on its connection.
            pool: u32,
            /// Why.
            reason: String,
        }
    }
}

impl Describe for IpFiltered {
    fn describe(&self) -> String {
        let what = match self.direction {
            Direction::Incoming => "Declined the incoming",
            Direction::Outgoing => "Aborted the outgoing",
        };
        let mut text = format!(
            "{what} {} connection with {}: blocked by IP filter rule \"{}\" (level {}",
            self.protocol, self.address, self.rule.description, self.rule.level
        );
        if self.rule.line > 0 {
            let _ = write!(text, ", line {}", self.rule.line);
        }
        text.push_str(").");
        if self.vetoed {
            text.push_str(" A listener vetoed the block and let it through.");
        }
        text
    }
}

impl Describe for ListenSuccess {
    fn describe(&self) -> String {
        format!("Listening for {} on {}.", self.protocol, self.local)
    }
}

impl Describe for ListenFailure {
    fn describe(&self) -> String {
        let ports: Vec<String> = self.tried.iter().map(u16::to_string).collect();
        format!(
            "Could not listen for {} on {} on any of the ports tried ({}): {}.",
            self.protocol,
            self.ip,
            ports.join(", "),
            self.error
        )
    }
}

impl Describe for PeerIdReceived {
    fn describe(&self) -> String {
        let printable: String = self
            .peer_id
            .iter()
            .flat_map(|&byte| std::ascii::escape_default(byte))
            .map(char::from)
            .collect();
        format!("Peer {} sent its peer id \"{printable}\".", self.peer)
    }
}

impl Describe for PeerHandshakeComplete {
    fn describe(&self) -> String {
        format!("Completed the handshake with peer {}.", self.peer)
    }
}

impl Describe for PeerDisconnect {
    fn describe(&self) -> String {
        format!(
            "The connection with peer {} ended: {}.",
            self.peer, self.reason
        )
    }
}

impl Describe for PeerDataIn {
    fn describe(&self) -> String {
        format!("Received {} bytes from peer {}.", self.length, self.peer)
    }
}

impl Describe for PeerDataOut {
    fn describe(&self) -> String {
        format!("Sent {} bytes to peer {}.", self.length, self.peer)
    }
}

impl Describe for PeerPacketIn {
    fn describe(&self) -> String {
        format!(
            "Parsed a {}-byte packet from peer {}.",
            self.packet.len(),
            self.peer
        )
    }
}

impl Describe for PeerPacketOut {
    fn describe(&self) -> String {
        format!(
            "Queued a {}-byte packet for peer {}.",
            self.packet.len(),
            self.peer
        )
    }
}

impl Describe for EventsDropped {
    fn describe(&self) -> String {
        let kinds: Vec<String> = self
            .kinds
            .iter()
            .map(|(kind, count)| format!("{count} {}", kind.name()))
            .collect();
        format!(
            "Dropped {} events because the event queue was full ({}).",
            self.count,
            kinds.join(", ")
        )
    }
}

impl Describe for UtpFirewall {
    fn describe(&self) -> String {
        format!(
            "The uTP firewall callback blocked a connection from {}.",
            self.peer
        )
    }
}

impl Describe for UtpAccept {
    fn describe(&self) -> String {
        format!("Accepted a uTP connection from {}.", self.peer)
    }
}

impl Describe for UtpConnect {
    fn describe(&self) -> String {
        format!("Connected over uTP to {}.", self.peer)
    }
}

impl Describe for UtpFailed {
    fn describe(&self) -> String {
        format!(
            "The uTP connection with {} failed: {}.",
            self.peer, self.code
        )
    }
}

impl Describe for UtpWritable {
    fn describe(&self) -> String {
        format!("The uTP connection with {} is writable again.", self.peer)
    }
}

impl Describe for UtpEof {
    fn describe(&self) -> String {
        format!("{} finished sending over uTP.", self.peer)
    }
}

impl Describe for UtpDestroying {
    fn describe(&self) -> String {
        format!(
            "The uTP connection with {} is gone ({} bytes sent, {} received).",
            self.peer, self.bytes_sent, self.bytes_received
        )
    }
}

impl Describe for UtpDelaySample {
    fn describe(&self) -> String {
        format!(
            "The uTP connection with {} measured {} ms of queuing delay.",
            self.peer, self.delay_ms
        )
    }
}

impl Describe for UtpOverhead {
    fn describe(&self) -> String {
        let way = if self.sent {
            "sent to"
        } else {
            "received from"
        };
        let packets = if self.packets == 1 {
            "1 packet".to_string()
        } else {
            format!("{} packets", self.packets)
        };
        format!(
            "{} bytes of {} in {packets} {way} {} over uTP.",
            self.length, self.overhead, self.peer
        )
    }
}

impl Describe for UtpPackets {
    fn describe(&self) -> String {
        let (way, to) = if self.sent {
            ("Sent", "to")
        } else {
            ("Received", "from")
        };
        let count = self.headers.len();
        let bytes: usize = self
            .headers
            .iter()
            .map(|h| usize::from(h.datagram_len))
            .sum();
        let plural = if count == 1 { "" } else { "s" };
        let span = match (self.headers.first(), self.headers.last()) {
            (Some(first), Some(last)) if count > 1 => format!(
                "; first {} seq {} ack {}, last {} seq {} ack {}",
                first.packet_type.name(),
                first.seq_nr,
                first.ack_nr,
                last.packet_type.name(),
                last.seq_nr,
                last.ack_nr
            ),
            (Some(only), _) => format!(
                "; {} seq {} ack {} window {}",
                only.packet_type.name(),
                only.seq_nr,
                only.ack_nr,
                only.wnd_size
            ),
            _ => String::new(),
        };
        format!(
            "{way} {count} uTP datagram{plural} ({bytes} bytes{span}) {to} {}.",
            self.peer
        )
    }
}

impl Describe for UtpFinAcked {
    fn describe(&self) -> String {
        format!(
            "{} acknowledged all {} bytes sent over uTP and the close.",
            self.peer, self.bytes_sent
        )
    }
}

impl Describe for UtpClosed {
    fn describe(&self) -> String {
        format!(
            "The uTP connection with {} ended: {} ({} bytes sent, {} received).",
            self.peer, self.reason, self.bytes_sent, self.bytes_received
        )
    }
}

impl Describe for UtpLog {
    fn describe(&self) -> String {
        format!("{}: {}", self.level, self.text)
    }
}

/// "peer 1.2.3.4:5" or "an unknown peer".
fn peer_text(peer: Option<SocketAddr>) -> String {
    peer.map_or_else(
        || "an unknown peer".to_owned(),
        |peer| format!("peer {peer}"),
    )
}

/// "1.2.3.4:5" or "an unknown address".
fn addr_text(addr: Option<SocketAddr>) -> String {
    addr.map_or_else(|| "an unknown address".to_owned(), |addr| addr.to_string())
}

impl Describe for TcpProxyVia {
    fn describe(&self) -> String {
        format!(
            "Connecting to {}:{} via {}:{}.",
            self.host, self.service, self.via_host, self.via_service
        )
    }
}

impl Describe for TcpConnecting {
    fn describe(&self) -> String {
        format!("{} TCP connection attempts in flight.", self.count)
    }
}

impl Describe for TcpConnected {
    fn describe(&self) -> String {
        format!("Connected to {}.", peer_text(self.peer))
    }
}

impl Describe for TcpAccepted {
    fn describe(&self) -> String {
        format!("Accepted a TCP connection from {}.", peer_text(self.peer))
    }
}

impl Describe for TcpConnectFailed {
    fn describe(&self) -> String {
        "Could not connect to any address of the server.".to_owned()
    }
}

impl Describe for TcpAuthFailed {
    fn describe(&self) -> String {
        format!("Authentication of {} failed.", peer_text(self.peer))
    }
}

impl Describe for TcpSent {
    fn describe(&self) -> String {
        format!("Sending {} bytes.", self.length)
    }
}

impl Describe for TcpReceived {
    fn describe(&self) -> String {
        format!(
            "Received {} bytes (call {} of this turn).",
            self.length, self.times
        )
    }
}

impl Describe for TcpExpect {
    fn describe(&self) -> String {
        format!("Expecting frames of {} bytes.", self.qty)
    }
}

impl Describe for TcpClosed {
    fn describe(&self) -> String {
        format!("The TCP connection with {} closed.", peer_text(self.peer))
    }
}

impl Describe for TcpThrottled {
    fn describe(&self) -> String {
        format!("Throttled with {} bytes pending.", self.pending)
    }
}

impl Describe for TcpUnthrottled {
    fn describe(&self) -> String {
        "Unthrottled: the pending queue drained.".to_owned()
    }
}

impl Describe for TcpListening {
    fn describe(&self) -> String {
        format!("Listening for TCP on {}.", addr_text(self.local))
    }
}

impl Describe for TcpNotListening {
    fn describe(&self) -> String {
        format!("Could not listen for TCP on {}.", addr_text(self.local))
    }
}

impl Describe for TcpListenerClosed {
    fn describe(&self) -> String {
        format!("Stopped listening for TCP on {}.", addr_text(self.local))
    }
}

impl Describe for SctpAssocUp {
    fn describe(&self) -> String {
        let how = if self.restarted { "restarted" } else { "up" };
        format!(
            "SCTP association {} is {how} with {} inbound and {} outbound streams.",
            self.assoc_id, self.inbound_streams, self.outbound_streams
        )
    }
}

impl Describe for SctpAssocClosed {
    fn describe(&self) -> String {
        format!("SCTP association {} ended ({}).", self.assoc_id, self.state)
    }
}

impl Describe for SctpPeerAddress {
    fn describe(&self) -> String {
        format!(
            "SCTP association {}: peer address {} is now {}.",
            self.assoc_id, self.address, self.state
        )
    }
}

impl Describe for SctpSendFailed {
    fn describe(&self) -> String {
        let when = if self.was_sent {
            "after sending"
        } else {
            "before sending"
        };
        format!(
            "SCTP association {} failed {} bytes {when}; the data went back to the application.",
            self.assoc_id, self.length
        )
    }
}

impl Describe for SctpNotification {
    fn describe(&self) -> String {
        format!("SCTP notification {} ({:#06x}).", self.name, self.sn_type)
    }
}

impl Describe for FileError {
    fn describe(&self) -> String {
        format!(
            "Could not {} {} of torrent {}: {}. The torrent is paused.",
            self.operation,
            self.file.display(),
            self.torrent,
            self.error
        )
    }
}

impl Describe for FileOpen {
    fn describe(&self) -> String {
        let how = if self.writable {
            "reading and writing"
        } else {
            "reading"
        };
        format!("Opened {} for {how}.", self.file.display())
    }
}

impl Describe for FileClose {
    fn describe(&self) -> String {
        format!("Closed {}.", self.file.display())
    }
}

impl Describe for FileWrite {
    fn describe(&self) -> String {
        format!(
            "Wrote {} bytes to {} at offset {}.",
            self.length,
            self.file.display(),
            self.offset
        )
    }
}

impl Describe for FileRead {
    fn describe(&self) -> String {
        format!(
            "Read {} bytes from {} at offset {}.",
            self.length,
            self.file.display(),
            self.offset
        )
    }
}

impl Describe for TrackerAnnounce {
    fn describe(&self) -> String {
        format!(
            "Announcing torrent {} to {} ({} announce).",
            self.torrent, self.url, self.event
        )
    }
}

impl Describe for TrackerFailure {
    fn describe(&self) -> String {
        let status = if self.status_code == 0 {
            String::new()
        } else {
            format!(", HTTP status {}", self.status_code)
        };
        let times = if self.times_in_row == 1 {
            "once".to_owned()
        } else {
            format!("{} times in a row", self.times_in_row)
        };
        format!(
            "Tracker {} failed ({}{status}); it has failed {times}.",
            self.url, self.reason
        )
    }
}

impl Describe for TrackerSuccess {
    fn describe(&self) -> String {
        format!(
            "Tracker {} answered with {} peers; next announce in {} s.",
            self.url,
            self.peers,
            self.interval.as_secs()
        )
    }
}

impl Describe for TrackerWarning {
    fn describe(&self) -> String {
        format!("Tracker {} warns: {}", self.url, self.message)
    }
}

impl Describe for UrlSeed {
    fn describe(&self) -> String {
        let status = if self.status_code == 0 {
            String::new()
        } else {
            format!(" (HTTP status {})", self.status_code)
        };
        format!("Web seed {} failed{status}: {}.", self.url, self.reason)
    }
}

/// "from 1.2.3.4:5, 6.7.8.9:10" or "from data on disk".
fn sources_text(peers: &[SocketAddr]) -> String {
    if peers.is_empty() {
        return "from data on disk".to_owned();
    }
    let peers: Vec<String> = peers.iter().map(SocketAddr::to_string).collect();
    format!("from {}", peers.join(", "))
}

impl Describe for PieceHashFailed {
    fn describe(&self) -> String {
        format!(
            "Piece {} of torrent {} failed its hash check ({}).",
            self.index,
            self.torrent,
            sources_text(&self.peers)
        )
    }
}

impl Describe for PieceHashPassed {
    fn describe(&self) -> String {
        format!(
            "Piece {} of torrent {} passed its hash check ({}).",
            self.index,
            self.torrent,
            sources_text(&self.peers)
        )
    }
}

impl Describe for PeerBan {
    fn describe(&self) -> String {
        format!(
            "Banned {} from torrent {} for sending corrupt data.",
            self.ip, self.torrent
        )
    }
}

impl Describe for PeerError {
    fn describe(&self) -> String {
        let id = self.peer_id.map_or_else(String::new, |id| {
            let printable: String = id
                .iter()
                .flat_map(|&byte| std::ascii::escape_default(byte))
                .map(char::from)
                .collect();
            format!(" (peer id \"{printable}\")")
        });
        format!(
            "Peer {}{id} sent invalid data and was disconnected: {}.",
            SocketAddr::new(self.ip, self.port),
            self.reason
        )
    }
}

impl Describe for InvalidRequest {
    fn describe(&self) -> String {
        format!(
            "Peer {} sent an invalid request for piece {}, offset {}, {} bytes.",
            SocketAddr::new(self.ip, self.port),
            self.index,
            self.begin,
            self.length
        )
    }
}

impl Describe for TrackerWrite {
    fn describe(&self) -> String {
        format!("Sent {} bytes to tracker {}.", self.length, self.url)
    }
}

impl Describe for TrackerRead {
    fn describe(&self) -> String {
        format!("Received {} bytes from tracker {}.", self.length, self.url)
    }
}

impl Describe for TorrentAdded {
    fn describe(&self) -> String {
        format!("Added torrent \"{}\" ({}).", self.name, self.torrent)
    }
}

impl Describe for TorrentPaused {
    fn describe(&self) -> String {
        format!("Paused torrent {}.", self.torrent)
    }
}

impl Describe for TorrentResumed {
    fn describe(&self) -> String {
        format!("Resumed torrent {}.", self.torrent)
    }
}

impl Describe for TorrentFinished {
    fn describe(&self) -> String {
        format!("Torrent {} is complete and verified.", self.torrent)
    }
}

impl Describe for PieceProgress {
    fn describe(&self) -> String {
        format!(
            "Torrent {}: {} of {} pieces verified ({} bytes).",
            self.torrent, self.pieces_done, self.pieces_total, self.bytes_done
        )
    }
}

impl Describe for BeepStartReceived {
    fn describe(&self) -> String {
        format!(
            "BEEP channel {} start asked for with {}.",
            self.channel, self.profile
        )
    }
}

impl Describe for BeepStartDenied {
    fn describe(&self) -> String {
        format!(
            "BEEP channel {} start ({}) denied with {}.",
            self.channel, self.profile, self.code
        )
    }
}

impl Describe for BeepCloseReceived {
    fn describe(&self) -> String {
        format!("BEEP channel {} close asked for.", self.channel)
    }
}

impl Describe for BeepCloseDenied {
    fn describe(&self) -> String {
        format!(
            "BEEP channel {} close denied with {}.",
            self.channel, self.code
        )
    }
}

impl Describe for BeepChannelClosed {
    fn describe(&self) -> String {
        let by = if self.by_peer { "the peer" } else { "us" };
        format!("BEEP channel {} closed by {by}.", self.channel)
    }
}

impl Describe for BeepOnChannel {
    fn describe(&self) -> String {
        if self.number < 0 {
            "BEEP channel open failed.".to_owned()
        } else {
            format!("BEEP channel {} open.", self.number)
        }
    }
}

impl Describe for BeepFrameReceived {
    fn describe(&self) -> String {
        format!(
            "BEEP {} {} on channel {} ({} bytes).",
            self.keyword, self.msgno, self.channel, self.length
        )
    }
}

impl Describe for BeepConnectionBroken {
    fn describe(&self) -> String {
        format!("BEEP connection broken: {}.", self.reason)
    }
}

impl Describe for BeepAuthComplete {
    fn describe(&self) -> String {
        format!(
            "BEEP {} authentication of {} complete.",
            self.mechanism, self.identity
        )
    }
}

impl Describe for BeepAuthFailed {
    fn describe(&self) -> String {
        format!(
            "BEEP {} authentication failed: {}.",
            self.mechanism, self.reason
        )
    }
}

impl Describe for BeepTlsRequested {
    fn describe(&self) -> String {
        if self.server_name.is_empty() {
            "BEEP TLS tuning asked for.".to_owned()
        } else {
            format!("BEEP TLS tuning asked for {}.", self.server_name)
        }
    }
}

impl Describe for BeepTlsComplete {
    fn describe(&self) -> String {
        format!(
            "BEEP session now over {} ({}).",
            self.version, self.cipher_suite
        )
    }
}

impl Describe for BeepTlsFailed {
    fn describe(&self) -> String {
        format!("BEEP TLS tuning failed: {}.", self.reason)
    }
}

impl Describe for BeepPoolCreated {
    fn describe(&self) -> String {
        format!(
            "BEEP channel pool {} created on {} with {} channels.",
            self.pool, self.profile, self.channels
        )
    }
}

impl Describe for BeepPoolGrowFailed {
    fn describe(&self) -> String {
        format!(
            "BEEP channel pool {} could not add a channel: {}.",
            self.pool, self.reason
        )
    }
}
