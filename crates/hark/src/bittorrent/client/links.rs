//! Peer connections ("links"): a TCP connection or a uTP socket, from connecting through
//! the handshake (incoming ones are routed by the info hash it names) to its torrent peer.

use std::net::SocketAddr;
use std::time::Instant;

use hark_proto::bt::torrent::PeerHandle;
use hark_reactor::tcp::{TcpConn, TcpConnectionHandle};
use hark_wire::bt::peer::PROTOCOL;

use super::engine::Engine;
use super::packets::PacketSplitter;
use super::shared::lock;
use super::tcp::TcpPeer;
use super::types::{TorrentId, Transports};
use crate::events::{
    ConnectionId, Direction, DisconnectReason, KindId, PeerDataIn, PeerDataOut, PeerDisconnect,
    PeerError, PeerPacketIn, PeerPacketOut, Protocol,
};
use crate::utp::UtpSocket;

/// Names one link for the client's life.
pub(crate) type LinkId = u64;

/// Bytes of a handshake up to and including the info hash.
const HANDSHAKE_TO_HASH: usize = 48;

/// Most bytes an incoming link may send while its torrent is being checked.
const MAX_PARKED: usize = 64 * 1024;

/// Largest chunk moved from a session to a transport at once.
pub(crate) const CHUNK: usize = 64 * 1024;

/// The transport under a link.
#[derive(Debug)]
pub(crate) enum Transport {
    /// A TCP connection; its handle is known once connecting started or it was accepted.
    Tcp(Option<TcpConnectionHandle>),
    /// A uTP socket of the context of `family`.
    Utp { family: usize, socket: UtpSocket },
}

/// Where a link is.
#[derive(Debug)]
pub(crate) enum LinkState {
    /// Outgoing, the transport is connecting.
    Connecting { torrent: TorrentId },
    /// Incoming, waiting for the handshake's info hash.
    Handshake { buf: Vec<u8> },
    /// Incoming, for a torrent whose data is still being checked: the bytes so far wait
    /// (bounded) until it starts.
    Parked { torrent: TorrentId, buf: Vec<u8> },
    /// Carrying a torrent's peer session.
    Attached {
        torrent: TorrentId,
        peer: PeerHandle,
    },
    /// Closed on our side; waiting for the transport's end.
    Closing,
}

/// One peer connection.
#[derive(Debug)]
pub(crate) struct Link {
    pub transport: Transport,
    pub addr: SocketAddr,
    pub state: LinkState,
    /// An outgoing uTP attempt that falls back to TCP if it fails before connecting.
    pub fallback: bool,
    /// A TCP link was asked to run its `woken` and has not yet.
    pub wake_pending: bool,
    /// The transport ended first (the peer closed, reset, or timed out).
    pub transport_ended: bool,
    /// The stream cut into packets, each way, while `peer_packet_*` has listeners.
    pub packets_in: Option<PacketSplitter>,
    pub packets_out: Option<PacketSplitter>,
}

impl Link {
    fn new(transport: Transport, addr: SocketAddr, state: LinkState) -> Self {
        Link {
            transport,
            addr,
            state,
            fallback: false,
            wake_pending: false,
            transport_ended: false,
            packets_in: None,
            packets_out: None,
        }
    }

    pub fn torrent(&self) -> Option<TorrentId> {
        match self.state {
            LinkState::Connecting { torrent }
            | LinkState::Parked { torrent, .. }
            | LinkState::Attached { torrent, .. } => Some(torrent),
            _ => None,
        }
    }
}

fn family_of(addr: &SocketAddr) -> usize {
    usize::from(addr.is_ipv6())
}

impl Engine {
    fn new_link(&mut self, link: Link) -> LinkId {
        let id = self.next_link;
        self.next_link += 1;
        if let Transport::Utp { family, socket } = link.transport {
            self.utp_links.insert((family, socket), id);
        }
        self.links.insert(id, link);
        id
    }

    /// Whether `torrent` has a link to `addr` already.
    fn has_link(&self, torrent: TorrentId, addr: SocketAddr) -> bool {
        self.links
            .values()
            .any(|l| l.addr == addr && l.torrent() == Some(torrent))
    }

    /// Opens an outgoing connection to `addr` for `torrent`: uTP first (with TCP as the
    /// fallback) unless the settings say otherwise; the IP filter decides first.
    pub fn connect(&mut self, now: Instant, torrent: TorrentId, addr: SocketAddr) {
        let _ = now;
        let Some(entry) = self.torrents.get_mut(&torrent) else {
            return;
        };
        entry.known.insert(addr);
        if !entry.is_running() || self.has_link(torrent, addr) || self.is_own_address(addr) {
            return;
        }
        let family = family_of(&addr);
        let utp_ok = self.wiring.utp[family].is_some();
        let use_utp = match self.transports {
            Transports::TcpOnly => false,
            Transports::UtpOnly | Transports::UtpFirst => utp_ok,
        };
        if !use_utp && self.transports == Transports::UtpOnly {
            return;
        }
        let protocol = if use_utp {
            Protocol::udp_for(&addr)
        } else {
            Protocol::tcp_for(&addr)
        };
        if !self.admit(addr, protocol, Direction::Outgoing) {
            return;
        }
        if use_utp {
            self.connect_utp(torrent, addr, self.transports == Transports::UtpFirst);
        } else {
            self.connect_tcp(torrent, addr);
        }
    }

    fn connect_utp(&mut self, torrent: TorrentId, addr: SocketAddr, fallback: bool) {
        let family = family_of(&addr);
        let Some(ctx) = &self.wiring.utp[family] else {
            return;
        };
        let opened = lock(ctx).connect(addr);
        match opened {
            Ok(socket) => {
                let mut link = Link::new(
                    Transport::Utp { family, socket },
                    addr,
                    LinkState::Connecting { torrent },
                );
                link.fallback = fallback;
                self.new_link(link);
                self.wiring.mark_dirty(family);
            }
            Err(error) => {
                tracing::debug!(%addr, %error, "uTP connect refused");
                if fallback {
                    self.connect_tcp(torrent, addr);
                }
            }
        }
    }

    pub(crate) fn connect_tcp(&mut self, torrent: TorrentId, addr: SocketAddr) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let id = self.next_link;
        let notify = TcpPeer::new(shared, id);
        match self.wiring.reactor.connect_addrs(vec![addr], notify) {
            Ok(handle) => {
                let link = Link::new(
                    Transport::Tcp(Some(handle)),
                    addr,
                    LinkState::Connecting { torrent },
                );
                let got = self.new_link(link);
                debug_assert_eq!(got, id);
            }
            Err(error) => tracing::debug!(%addr, %error, "TCP connect not queued"),
        }
    }

    /// Reserves the id the next link will get (for a notifier made before its link).
    pub fn reserve_link(&mut self) -> LinkId {
        let id = self.next_link;
        self.next_link += 1;
        id
    }

    /// Inserts an incoming TCP link under an id reserved before.
    pub fn insert_incoming_tcp(&mut self, id: LinkId, addr: SocketAddr) {
        let link = Link::new(
            Transport::Tcp(None),
            addr,
            LinkState::Handshake { buf: Vec::new() },
        );
        self.links.insert(id, link);
    }

    /// An incoming uTP connection was accepted (`on_firewall` admitted it).
    pub fn utp_accepted(&mut self, family: usize, socket: UtpSocket, addr: SocketAddr) {
        self.new_link(Link::new(
            Transport::Utp { family, socket },
            addr,
            LinkState::Handshake { buf: Vec::new() },
        ));
    }

    /// The transport of `link` is connected (outgoing): its torrent gets a peer.
    pub fn link_connected(&mut self, now: Instant, link: LinkId) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        if let Transport::Tcp(None) = l.transport {
            return;
        }
        let LinkState::Connecting { torrent } = l.state else {
            return;
        };
        self.attach(now, link, torrent);
    }

    /// Makes `link` a peer of `torrent`; closes it when the torrent refuses.
    fn attach(&mut self, now: Instant, link: LinkId, torrent: TorrentId) -> bool {
        let Some(l) = self.links.get_mut(&link) else {
            return false;
        };
        let addr = l.addr;
        let Some(entry) = self.torrents.get_mut(&torrent) else {
            self.close_link(link);
            return false;
        };
        if !entry.is_running() {
            self.close_link(link);
            return false;
        }
        match entry.torrent.add_peer(now, addr) {
            Ok(peer) => {
                entry.peers.insert(peer, link);
                l.state = LinkState::Attached { torrent, peer };
                self.touched.insert(torrent);
                true
            }
            Err(error) => {
                tracing::debug!(%addr, %error, "torrent refused a peer");
                self.close_link(link);
                false
            }
        }
    }

    /// Bytes from `link`'s transport.
    pub fn link_bytes(&mut self, now: Instant, link: LinkId, data: &[u8]) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let connection = Some(ConnectionId(link));
        if self.wants_data_in {
            self.wiring.emit(
                PeerDataIn {
                    peer: l.addr,
                    length: data.len(),
                },
                connection,
            );
        }
        match &mut l.state {
            LinkState::Attached { torrent, peer } => {
                let (torrent, peer) = (*torrent, *peer);
                if self.wants_packets_in {
                    let addr = l.addr;
                    let packets = l
                        .packets_in
                        .get_or_insert_with(PacketSplitter::default)
                        .feed(data);
                    for packet in packets {
                        self.wiring
                            .emit(PeerPacketIn { peer: addr, packet }, connection);
                    }
                }
                if let Some(entry) = self.torrents.get_mut(&torrent) {
                    entry.received += data.len() as u64;
                    entry.torrent.handle_peer_bytes(now, peer, data);
                    self.touched.insert(torrent);
                }
            }
            LinkState::Handshake { buf } => {
                let take = data.len().min(HANDSHAKE_TO_HASH.saturating_sub(buf.len()));
                buf.extend_from_slice(&data[..take]);
                let shown = buf.len().min(1 + PROTOCOL.len());
                let plausible = buf
                    .first()
                    .is_none_or(|&n| usize::from(n) == PROTOCOL.len())
                    && (shown <= 1 || buf[1..shown] == PROTOCOL[..shown - 1]);
                if !plausible {
                    self.refuse_incoming(link, "not a BitTorrent handshake".into());
                    return;
                }
                if buf.len() < HANDSHAKE_TO_HASH {
                    return;
                }
                let mut hash = [0u8; 20];
                hash.copy_from_slice(&buf[28..48]);
                let head = std::mem::take(buf);
                let Some(&torrent) = self.by_hash.get(&hash) else {
                    let checking = self
                        .checking
                        .iter()
                        .find(|(_, add)| add.metainfo.info.info_hash.0 == hash)
                        .map(|(id, _)| *id);
                    match checking {
                        Some(torrent) => {
                            let mut buf = head;
                            buf.extend_from_slice(&data[take..]);
                            l.state = LinkState::Parked { torrent, buf };
                            self.park_overflow(link);
                        }
                        None => self.refuse_incoming(
                            link,
                            format!("handshake for an unknown torrent {hash:02x?}"),
                        ),
                    }
                    return;
                };
                if self.attach(now, link, torrent) {
                    self.link_bytes(now, link, &head);
                    if take < data.len() {
                        self.link_bytes(now, link, &data[take..]);
                    }
                }
            }
            LinkState::Parked { buf, .. } => {
                buf.extend_from_slice(data);
                self.park_overflow(link);
            }
            LinkState::Connecting { .. } | LinkState::Closing => {}
        }
    }

    /// Refuses a parked link that sent more than a parked link may hold.
    fn park_overflow(&mut self, link: LinkId) {
        let over = matches!(
            self.links.get(&link).map(|l| &l.state),
            Some(LinkState::Parked { buf, .. }) if buf.len() > MAX_PARKED
        );
        if over {
            self.refuse_incoming(link, "sent too much before its torrent was checked".into());
        }
    }

    /// Torrent `torrent` started: the links parked for it join it.
    pub fn unpark(&mut self, now: Instant, torrent: TorrentId) {
        let parked: Vec<LinkId> = self
            .links
            .iter()
            .filter(
                |(_, l)| matches!(l.state, LinkState::Parked { torrent: t, .. } if t == torrent),
            )
            .map(|(id, _)| *id)
            .collect();
        for link in parked {
            let buf = match self.links.get_mut(&link).map(|l| &mut l.state) {
                Some(LinkState::Parked { buf, .. }) => std::mem::take(buf),
                _ => continue,
            };
            if self.attach(now, link, torrent) {
                self.link_bytes(now, link, &buf);
            }
        }
    }

    /// Ends an incoming connection whose handshake names no torrent of ours.
    fn refuse_incoming(&mut self, link: LinkId, reason: String) {
        if let Some(l) = self.links.get(&link) {
            self.wiring.emit(
                PeerError {
                    peer_id: None,
                    ip: l.addr.ip(),
                    port: l.addr.port(),
                    reason,
                },
                Some(ConnectionId(link)),
            );
        }
        self.close_link(link);
    }

    /// Closes `link`'s transport (its peer, if any, is the caller's to remove).
    pub fn close_link(&mut self, link: LinkId) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        if matches!(l.state, LinkState::Closing) {
            return;
        }
        l.state = LinkState::Closing;
        match &l.transport {
            Transport::Tcp(Some(handle)) => {
                if handle.close().is_err() {
                    self.retry_close.push(link);
                }
            }
            Transport::Tcp(None) => {}
            Transport::Utp { family, socket } => {
                if let Some(ctx) = &self.wiring.utp[*family] {
                    let _ = lock(ctx).close(*socket);
                    self.wiring.mark_dirty(*family);
                }
            }
        }
        if l.transport_ended {
            self.forget_link(link);
        }
    }

    /// The transport of `link` ended (or failed to connect): its peer goes, or an
    /// outgoing uTP attempt falls back to TCP.
    pub fn link_ended(&mut self, now: Instant, link: LinkId, reason: DisconnectReason) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        l.transport_ended = true;
        match l.state {
            LinkState::Attached { torrent, peer } => {
                l.state = LinkState::Closing;
                let addr = l.addr;
                self.schedule_retry(now, torrent, addr);
                if let Some(entry) = self.torrents.get_mut(&torrent) {
                    entry.peers.remove(&peer);
                    entry.torrent.remove_peer(now, peer);
                    self.touched.insert(torrent);
                }
                self.wiring.emit(
                    PeerDisconnect { peer: addr, reason },
                    Some(ConnectionId(link)),
                );
            }
            LinkState::Connecting { torrent } => {
                let (addr, fallback) = (l.addr, l.fallback);
                let utp = matches!(l.transport, Transport::Utp { .. });
                self.forget_link(link);
                if utp && fallback {
                    tracing::debug!(%addr, "uTP failed; falling back to TCP");
                    self.connect_tcp(torrent, addr);
                } else {
                    self.schedule_retry(now, torrent, addr);
                }
                return;
            }
            LinkState::Handshake { .. } | LinkState::Parked { .. } | LinkState::Closing => {}
        }
        self.close_link(link);
        self.forget_link(link);
    }

    /// Drops `link` from the tables.
    fn forget_link(&mut self, link: LinkId) {
        if let Some(l) = self.links.remove(&link) {
            if let Transport::Utp { family, socket } = l.transport {
                self.utp_links.remove(&(family, socket));
            }
        }
    }

    /// The session's peer of `link` was closed by its torrent: close the transport.
    pub fn peer_closed(&mut self, torrent: TorrentId, peer: PeerHandle, reason: DisconnectReason) {
        let Some(entry) = self.torrents.get_mut(&torrent) else {
            return;
        };
        let Some(link) = entry.peers.remove(&peer) else {
            return;
        };
        if let Some(l) = self.links.get(&link) {
            let addr = l.addr;
            let reason = if l.transport_ended {
                DisconnectReason::ClosedByPeer
            } else {
                reason
            };
            self.wiring.emit(
                PeerDisconnect { peer: addr, reason },
                Some(ConnectionId(link)),
            );
        }
        self.close_link(link);
    }

    /// Moves `link`'s pending output into its transport, within the transport's room. A
    /// TCP link other than `current` is woken to do it from its own notifier.
    pub fn flush_link(&mut self, now: Instant, link: LinkId, current: Option<&mut TcpConn<'_>>) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let LinkState::Attached { torrent, peer } = l.state else {
            return;
        };
        let Some(entry) = self.torrents.get_mut(&torrent) else {
            return;
        };
        let buf = &mut self.buf;
        let mut sent = 0usize;
        match (&l.transport, current) {
            (Transport::Tcp(_), Some(conn)) => loop {
                let room = conn.room();
                let has_output = entry
                    .torrent
                    .peer(peer)
                    .is_some_and(|s| s.send_buffer_len() > 0);
                if !has_output {
                    break;
                }
                if room == 0 {
                    conn.wait_for_room();
                    break;
                }
                let want = room.min(buf.len());
                let n = entry
                    .torrent
                    .poll_peer_transmit(now, peer, &mut buf[..want]);
                if n == 0 {
                    break;
                }
                packets_out(&self.wiring, l, self.wants_packets_out, &buf[..n], link);
                if conn.write(&buf[..n]).is_err() {
                    // Within the room: refused only when closing. The peer goes with it.
                    break;
                }
                sent += n;
            },
            (Transport::Tcp(handle), None) => {
                let has_output = entry
                    .torrent
                    .peer(peer)
                    .is_some_and(|s| s.send_buffer_len() > 0);
                if has_output && !l.wake_pending {
                    if let Some(handle) = handle {
                        l.wake_pending = true;
                        if handle.wake().is_err() {
                            self.retry_wake.push(link);
                        }
                    }
                }
            }
            (Transport::Utp { family, socket }, _) => {
                let (family, socket) = (*family, *socket);
                let Some(ctx) = &self.wiring.utp[family] else {
                    return;
                };
                let mut ctx = lock(ctx);
                let (wiring, wants) = (&self.wiring, self.wants_packets_out);
                loop {
                    // Straight from the session's queue into the socket: what the socket
                    // refuses stays queued, for `UTP_STATE_WRITABLE`.
                    let mut short = false;
                    let n = entry.torrent.poll_peer_transmit_with(now, peer, |bytes| {
                        let accepted = ctx.write(socket, bytes).unwrap_or(0);
                        packets_out(wiring, l, wants, &bytes[..accepted], link);
                        short = accepted < bytes.len();
                        accepted
                    });
                    sent += n;
                    if n == 0 || short {
                        break;
                    }
                }
                drop(ctx);
                if sent > 0 {
                    self.wiring.mark_dirty(family);
                }
            }
        }
        if sent > 0 {
            entry.sent += sent as u64;
            self.touched.insert(torrent);
            if self.wants_data_out {
                self.wiring.emit(
                    PeerDataOut {
                        peer: l.addr,
                        length: sent,
                    },
                    Some(ConnectionId(link)),
                );
            }
        }
    }

    /// A TCP link ran its `woken`.
    pub fn woken(&mut self, link: LinkId) {
        if let Some(l) = self.links.get_mut(&link) {
            l.wake_pending = false;
        }
    }

    /// Retries wakes and closes a full command channel refused.
    pub fn retry_refused(&mut self) {
        for link in std::mem::take(&mut self.retry_wake) {
            if let Some(Link {
                transport: Transport::Tcp(Some(handle)),
                ..
            }) = self.links.get(&link)
            {
                if handle.wake().is_err() {
                    self.retry_wake.push(link);
                }
            }
        }
        for link in std::mem::take(&mut self.retry_close) {
            if let Some(Link {
                transport: Transport::Tcp(Some(handle)),
                ..
            }) = self.links.get(&link)
            {
                if handle.close().is_err() {
                    self.retry_close.push(link);
                }
            }
        }
    }

    /// Whether anyone listens to `kind`.
    pub fn wants(&self, kind: KindId) -> bool {
        self.wiring.wants(kind)
    }
}

/// Emits the `peer_packet_out` events of `bytes` about to be sent on `l`.
fn packets_out(
    wiring: &super::shared::Wiring,
    l: &mut Link,
    wanted: bool,
    bytes: &[u8],
    link: LinkId,
) {
    if !wanted {
        return;
    }
    let addr = l.addr;
    let packets = l
        .packets_out
        .get_or_insert_with(PacketSplitter::default)
        .feed(bytes);
    for packet in packets {
        wiring.emit(
            PeerPacketOut { peer: addr, packet },
            Some(ConnectionId(link)),
        );
    }
}
