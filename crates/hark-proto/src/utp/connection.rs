//! One uTP connection: the state machine behind libutp's socket.
//!
//! The endpoint owns connections and routes datagrams, timeouts and user calls to them;
//! a connection never touches another one.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::buffer_pool::BufferPool;
use super::config::{ConnectionConfig, MIN_RECV_BUFFER};
use super::event::{ConnectionError, ConnectionState, ConnectionStats, Event, OverheadKind};
use super::ledbat::Ledbat;
use super::packet::{
    self, CHECKSUM_OFFER, CHECKSUM_OVERHEAD, Extras, HEADER_LEN, Header, PacketType, Parsed,
    offers_checksum,
};
use super::recv_buffer::{Arrival, RecvBuffer};
use super::rtt::RttEstimator;
use super::send_buffer::{SendBuffer, SlotKind};
use super::seq::{seq_distance, seq_less, seq_less_eq};
use super::timers::{Timer, TimerTable};
use super::{ConnectionHandle, Incoming};
use crate::icmp::Unreachable;

/// Events are queued with the handle of the connection that raised them.
pub(crate) type EventQueue = VecDeque<(ConnectionHandle, Event)>;

/// Most packets sent and not yet acknowledged: libutp drops packets more than 1024
/// sequence numbers ahead of its cumulative ACK.
const MAX_UNACKED_PACKETS: usize = 1000;
/// Packets SACKed above a hole, or duplicate ACKs, before a fast resend.
const DUPLICATE_ACKS_BEFORE_RESEND: usize = 3;
/// Stale ACKs older than this many packets are treated as corrupt.
const ACK_NR_ALLOWED_WINDOW: u16 = 1024;
/// Largest selective ACK we ever build.
const SACK_CAPACITY: usize = 128;

/// Whether an ACK is owed to the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AckState {
    None,
    /// Sent on the driver's deferred-ack flush or when the DelayedAck timer fires.
    Deferred,
    /// Sent by the next `poll_transmit`.
    Now,
}

/// Where hark's integrity extension stands on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Integrity {
    /// Not offered, or the peer did not accept it: no checksums.
    Off,
    /// Offered in our SYN; the SYN-ACK will tell.
    Offered,
    /// Both sides checksum every packet; one without a valid checksum is dropped.
    On,
}

/// A RESET the connection asks the endpoint to send to its peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResetRequest {
    /// The id the peer receives on.
    pub connection_id: u16,
    /// What the RESET acknowledges.
    pub ack_nr: u16,
    /// Whether the peer expects a checksum.
    pub checksum: bool,
}

/// A uTP connection.
#[derive(Debug)]
pub(crate) struct Connection {
    handle: ConnectionHandle,
    remote: SocketAddr,
    recv_id: u16,
    send_id: u16,
    state: ConnectionState,
    /// Shared with the endpoint and its other connections until this one changes it.
    config: Arc<ConnectionConfig>,
    epoch: Instant,
    mss: usize,
    /// uTP header bytes of a data packet: the fixed header, plus the checksum extension
    /// while it is offered or on.
    header_overhead: usize,
    integrity: Integrity,
    reset_request: Option<ResetRequest>,
    udp_overhead: u32,
    timers: TimerTable,
    rtt: RttEstimator,
    cc: Ledbat,
    send: SendBuffer,
    recv: RecvBuffer,
    peer_wnd: usize,
    reply_micros: u32,
    syn_seq: u16,
    syn_pending: bool,
    syn_sent_at: Option<Instant>,
    syn_transmissions: u32,
    syn_ack_pending: bool,
    ack: AckState,
    unacked_received: u16,
    dup_acks: usize,
    fast_resend_seq: u16,
    recovery_until: Option<u16>,
    retransmit_credit: usize,
    consecutive_timeouts: u32,
    advance_timestamp: Option<u32>,
    write_blocked: bool,
    readable_notified: bool,
    eof_reported: bool,
    close_requested: bool,
    fin_pending: bool,
    fin_acked: bool,
    probe_allowed: bool,
    keepalive_pending: bool,
    last_advertised_wnd: usize,
    largest_payload_seen: usize,
    /// Path-MTU search: largest UDP payload known to pass, smallest known (or assumed)
    /// not to, and the probe in flight as (sequence number, UDP payload size).
    mtu_floor: u16,
    mtu_ceiling: u16,
    mtu_probe: Option<(u16, u16)>,
    error: Option<ConnectionError>,
    stats: ConnectionStats,
    pub(crate) half_open: bool,
    pub(crate) deferred_queued: bool,
    pub(crate) ready_queued: bool,
}

impl Connection {
    #[allow(clippy::too_many_arguments)]
    fn new(
        handle: ConnectionHandle,
        remote: SocketAddr,
        recv_id: u16,
        send_id: u16,
        config: Arc<ConnectionConfig>,
        epoch: Instant,
        first_data_seq: u16,
        ack_nr: u16,
        integrity: Integrity,
    ) -> Self {
        let header_overhead = HEADER_LEN
            + match integrity {
                Integrity::Off => 0,
                Integrity::Offered | Integrity::On => CHECKSUM_OVERHEAD,
            };
        let mss = usize::from(config.udp_mtu(remote))
            .saturating_sub(header_overhead)
            .max(64);
        let rtt = RttEstimator::new(config.initial_rto, config.min_rto, config.max_rto);
        let cc = Ledbat::new(config.ledbat(), mss);
        let send = SendBuffer::new(config.send_buffer, mss, first_data_seq);
        let recv = RecvBuffer::new(config.recv_buffer.max(MIN_RECV_BUFFER), 1024, ack_nr);
        // The smallest datagram we agree to: a header and 64 bytes of payload.
        let mtu_floor = config.udp_mtu(remote).max((HEADER_LEN + 64) as u16);
        let mtu_ceiling = if config.mtu_probing {
            config.probe_mtu_ceiling(remote).max(mtu_floor)
        } else {
            mtu_floor
        };
        Self {
            handle,
            remote,
            recv_id,
            send_id,
            state: ConnectionState::Idle,
            udp_overhead: u32::from(ConnectionConfig::udp_overhead(remote)),
            config,
            epoch,
            mss,
            header_overhead,
            integrity,
            reset_request: None,
            timers: TimerTable::default(),
            rtt,
            cc,
            send,
            recv,
            peer_wnd: 0,
            reply_micros: 0,
            syn_seq: first_data_seq.wrapping_sub(1),
            syn_pending: false,
            syn_sent_at: None,
            syn_transmissions: 0,
            syn_ack_pending: false,
            ack: AckState::None,
            unacked_received: 0,
            dup_acks: 0,
            fast_resend_seq: first_data_seq,
            recovery_until: None,
            retransmit_credit: 0,
            consecutive_timeouts: 0,
            advance_timestamp: None,
            write_blocked: false,
            readable_notified: false,
            eof_reported: false,
            close_requested: false,
            fin_pending: false,
            fin_acked: false,
            probe_allowed: false,
            keepalive_pending: false,
            last_advertised_wnd: 0,
            largest_payload_seen: 0,
            mtu_floor,
            mtu_ceiling,
            mtu_probe: None,
            error: None,
            stats: ConnectionStats::default(),
            half_open: false,
            deferred_queued: false,
            ready_queued: false,
        }
    }

    /// An outgoing connection: receives on `recv_id`, sends on `recv_id + 1`, and its SYN
    /// (carrying `recv_id`) has sequence number `syn_seq`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn connect(
        handle: ConnectionHandle,
        remote: SocketAddr,
        recv_id: u16,
        syn_seq: u16,
        config: Arc<ConnectionConfig>,
        epoch: Instant,
        now: Instant,
        events: &mut EventQueue,
    ) -> Self {
        let integrity = if config.integrity_offered() {
            Integrity::Offered
        } else {
            Integrity::Off
        };
        let mut conn = Self::new(
            handle,
            remote,
            recv_id,
            recv_id.wrapping_add(1),
            config,
            epoch,
            syn_seq.wrapping_add(1),
            0,
            integrity,
        );
        conn.syn_pending = true;
        conn.peer_wnd = conn.mss;
        conn.arm_idle(now);
        conn.set_state(ConnectionState::SynSent, events);
        conn
    }

    /// An accepted incoming connection: the SYN carried the peer's receive id `c`, so we
    /// receive on `c + 1` and send on `c`. Our SYN-ACK (an ST_STATE) carries `our_seq`,
    /// which is not consumed: our first DATA packet reuses it. If the SYN offered the
    /// integrity extension and we offer it too, the SYN-ACK accepts it and every packet
    /// from then on is checksummed.
    pub(crate) fn accept(
        handle: ConnectionHandle,
        incoming: &Incoming,
        our_seq: u16,
        config: Arc<ConnectionConfig>,
        epoch: Instant,
        now: Instant,
        events: &mut EventQueue,
    ) -> Self {
        let id = incoming.connection_id;
        let integrity = if incoming.offers_integrity && config.integrity_offered() {
            Integrity::On
        } else {
            Integrity::Off
        };
        let mut conn = Self::new(
            handle,
            incoming.remote,
            id.wrapping_add(1),
            id,
            config,
            epoch,
            our_seq,
            incoming.seq_nr,
            integrity,
        );
        conn.peer_wnd = incoming.wnd_size as usize;
        conn.reply_micros = conn
            .now_micros(incoming.received_at)
            .wrapping_sub(incoming.timestamp_micros);
        conn.syn_ack_pending = true;
        conn.half_open = true;
        conn.stats.packets_received = 1;
        conn.overhead(
            false,
            incoming.datagram_len as u32 + conn.udp_overhead,
            OverheadKind::Connect,
            events,
        );
        // A half-open connection lives only as long as the initiator keeps retrying its SYN.
        let retries = conn.config.syn_retries.min(8) + 1;
        let mut half_open_life = conn.config.initial_rto.saturating_mul(1 << retries);
        if let Some(idle) = conn.config.idle_timeout {
            half_open_life = half_open_life.min(idle);
        }
        conn.timers.set(Timer::Idle, now + half_open_life);
        conn.set_state(ConnectionState::SynReceived, events);
        conn
    }

    pub(crate) fn remote(&self) -> SocketAddr {
        self.remote
    }

    pub(crate) fn recv_id(&self) -> u16 {
        self.recv_id
    }

    pub(crate) fn send_id(&self) -> u16 {
        self.send_id
    }

    pub(crate) fn state(&self) -> ConnectionState {
        self.state
    }

    pub(crate) fn stats(&self) -> ConnectionStats {
        self.stats
    }

    pub(crate) fn is_destroyed(&self) -> bool {
        self.state == ConnectionState::Destroying
    }

    pub(crate) fn wants_deferred_ack(&self) -> bool {
        self.ack == AckState::Deferred
    }

    pub(crate) fn rtt(&self) -> &RttEstimator {
        &self.rtt
    }

    pub(crate) fn congestion(&self) -> &Ledbat {
        &self.cc
    }

    pub(crate) fn mss(&self) -> usize {
        self.mss
    }

    pub(crate) fn peer_window(&self) -> usize {
        self.peer_wnd
    }

    pub(crate) fn bytes_in_flight(&self) -> usize {
        self.send.in_flight_bytes()
    }

    pub(crate) fn readable(&self) -> usize {
        self.recv.readable()
    }

    /// Packets written (data, and the FIN once `close` was called) that the peer has not
    /// acknowledged yet, sent or not.
    pub(crate) fn unacknowledged_packets(&self) -> usize {
        usize::from(seq_distance(self.send.first_seq(), self.send.next_seq()))
            + usize::from(self.fin_pending)
    }

    /// Whether the peer acknowledged our FIN (and so every byte written before `close`).
    pub(crate) fn fin_acked(&self) -> bool {
        self.fin_acked
    }

    pub(crate) fn send_buffer_free(&self) -> usize {
        self.send.free_bytes()
    }

    /// Bytes of buffer storage the connection holds now.
    pub(crate) fn buffer_bytes(&self) -> usize {
        self.send.storage_bytes() + self.recv.storage_bytes()
    }

    /// Gives the connection's buffers back to the endpoint's pool (it is going away).
    pub(crate) fn release_buffers(&mut self, pool: &mut BufferPool) {
        self.send.release(pool);
        self.recv.release(pool);
    }

    pub(crate) fn set_target_delay(&mut self, target: Duration) {
        Arc::make_mut(&mut self.config).target_delay = target;
        self.cc.set_target_delay(target);
    }

    pub(crate) fn set_mtu(&mut self, udp_mtu: u16) {
        self.mtu_floor = udp_mtu;
        self.mtu_ceiling = udp_mtu;
        self.mtu_probe = None;
        self.update_mss();
    }

    /// Whether the integrity extension is on.
    pub(crate) fn integrity_active(&self) -> bool {
        self.integrity == Integrity::On
    }

    /// The RESET this connection wants sent to its peer, once.
    pub(crate) fn take_reset_request(&mut self) -> Option<ResetRequest> {
        self.reset_request.take()
    }

    /// Asks the endpoint to send the peer a RESET (with a checksum if the peer expects one).
    fn request_reset(&mut self, checksum: bool) {
        self.reset_request = Some(ResetRequest {
            connection_id: self.send_id,
            ack_nr: self.recv.ack_nr(),
            checksum,
        });
    }

    /// Recomputes the payload size from the path MTU and the header overhead.
    fn update_mss(&mut self) {
        self.mss = usize::from(self.mtu_floor)
            .saturating_sub(self.header_overhead)
            .max(64);
        self.cc.set_mss(self.mss);
    }

    /// The extensions every packet after the handshake carries.
    fn extras(&self) -> Extras {
        Extras::checksum(self.integrity == Integrity::On)
    }

    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    fn now_micros(&self, now: Instant) -> u32 {
        now.saturating_duration_since(self.epoch).as_micros() as u32
    }

    fn is_established(&self) -> bool {
        matches!(
            self.state,
            ConnectionState::Connected | ConnectionState::ConnectedFull | ConnectionState::Closing
        )
    }

    fn set_state(&mut self, state: ConnectionState, events: &mut EventQueue) {
        if self.state != state {
            self.state = state;
            events.push_back((self.handle, Event::StateChanged(state)));
        }
    }

    fn overhead(&self, sent: bool, bytes: u32, kind: OverheadKind, events: &mut EventQueue) {
        if self.config.report_overhead {
            events.push_back((self.handle, Event::Overhead { sent, bytes, kind }));
        }
    }

    fn arm_idle(&mut self, now: Instant) {
        if let Some(idle) = self.config.idle_timeout {
            self.timers.set(Timer::Idle, now + idle);
        }
    }

    fn arm_rto(&mut self, now: Instant) {
        self.timers.set(Timer::Rto, now + self.rtt.rto());
    }

    fn destroy(&mut self, events: &mut EventQueue) {
        if self.state == ConnectionState::Destroying {
            return;
        }
        self.timers.stop_all();
        self.ack = AckState::None;
        self.set_state(ConnectionState::Destroying, events);
        events.push_back((self.handle, Event::Destroying));
    }

    fn fail(&mut self, error: ConnectionError, events: &mut EventQueue) {
        if self.error.is_some() || self.state == ConnectionState::Destroying {
            return;
        }
        self.error = Some(error);
        events.push_back((self.handle, Event::Error(error)));
        if error != ConnectionError::TimedOut {
            self.set_state(ConnectionState::Reset, events);
        }
        self.destroy(events);
    }

    /// The failure that ended the connection, if any.
    pub(crate) fn error(&self) -> Option<ConnectionError> {
        self.error
    }

    /// Queues application data; returns how much was accepted.
    pub(crate) fn write(
        &mut self,
        data: &[u8],
        events: &mut EventQueue,
        pool: &mut BufferPool,
    ) -> Result<usize, super::WriteError> {
        if let Some(error) = self.error {
            return Err(super::WriteError::Failed(error));
        }
        if self.close_requested || self.state == ConnectionState::Destroying {
            return Err(super::WriteError::Closed);
        }
        let probe = self.next_probe_size();
        let (accepted, probe_seq) = self.send.write(
            data,
            self.mss,
            probe.map(|size| usize::from(size).saturating_sub(self.header_overhead)),
            pool,
        );
        if let (Some(seq), Some(size)) = (probe_seq, probe) {
            self.mtu_probe = Some((seq, size));
        }
        if accepted < data.len() {
            self.write_blocked = true;
            if self.state == ConnectionState::Connected {
                self.set_state(ConnectionState::ConnectedFull, events);
            }
        }
        Ok(accepted)
    }

    /// The UDP payload size of the next path-MTU probe, if one should go out.
    fn next_probe_size(&self) -> Option<u16> {
        if self.mtu_probe.is_some() || self.mtu_ceiling.saturating_sub(self.mtu_floor) < 8 {
            return None;
        }
        Some(self.mtu_floor + (self.mtu_ceiling - self.mtu_floor).div_ceil(2))
    }

    /// Learns from the probe in flight: delivered on its don't-fragment transmission
    /// raises the floor (and the packet size); sent again means it was lost, which
    /// lowers the ceiling.
    fn update_mtu_search(&mut self) {
        let Some((seq, size)) = self.mtu_probe else {
            return;
        };
        match self.send.status(seq) {
            Some((transmissions, _)) if transmissions > 1 => {
                self.mtu_ceiling = size - 1;
                self.mtu_probe = None;
            }
            Some((_, false)) => {}
            Some((_, true)) | None => {
                self.mtu_probe = None;
                self.mtu_floor = size;
                self.update_mss();
            }
        }
    }

    /// Copies readable data into `buf`.
    pub(crate) fn read(&mut self, buf: &mut [u8], pool: &mut BufferPool) -> usize {
        let n = self.recv.read(buf, pool);
        self.after_read(n);
        n
    }

    /// The readable data in place (two slices when the ring wraps).
    pub(crate) fn readable_slices(&self) -> (&[u8], &[u8]) {
        self.recv.slices()
    }

    /// Drops `n` readable bytes the application has used in place.
    pub(crate) fn consume(&mut self, n: usize, pool: &mut BufferPool) -> usize {
        let n = self.recv.consume(n, pool);
        self.after_read(n);
        n
    }

    fn after_read(&mut self, n: usize) {
        if self.recv.readable() == 0 {
            self.readable_notified = false;
        }
        // Tell a sender that was stopped by our window that it may go on.
        let window = self.recv.window();
        let threshold = self.largest_payload_seen.max(1);
        let half = self.recv.capacity() / 2;
        if n > 0
            && self.is_established()
            && ((self.last_advertised_wnd < threshold && window >= threshold)
                || (self.last_advertised_wnd < half && window >= half))
        {
            self.ack = AckState::Now;
        }
    }

    /// Closes the sending direction: a FIN follows the queued data (also when called
    /// before the handshake completed).
    pub(crate) fn close(&mut self, events: &mut EventQueue) {
        if self.close_requested || self.state == ConnectionState::Destroying {
            return;
        }
        self.close_requested = true;
        self.fin_pending = !self.send.push_fin();
        self.write_blocked = false;
        if self.is_established() {
            self.set_state(ConnectionState::Closing, events);
        }
    }

    /// Sends a RESET-less abort: the connection is dropped at once.
    pub(crate) fn abort(&mut self, events: &mut EventQueue) {
        self.destroy(events);
    }

    /// Turns a deferred ACK into one that the next `poll_transmit` sends.
    pub(crate) fn flush_deferred_ack(&mut self) {
        self.deferred_queued = false;
        if self.ack == AckState::Deferred {
            self.ack = AckState::Now;
            self.timers.stop(Timer::DelayedAck);
        }
    }

    /// Handles a RESET addressed to this connection; with the integrity extension on, one
    /// without a checksum is dropped (it was damaged, or forged).
    pub(crate) fn handle_reset(&mut self, checksummed: bool, events: &mut EventQueue) {
        if self.integrity == Integrity::On && !checksummed {
            self.stats.checksum_missing += 1;
            return;
        }
        let error = if self.state == ConnectionState::SynSent {
            ConnectionError::Refused
        } else {
            ConnectionError::Reset
        };
        if self.close_requested && self.fin_acked {
            self.destroy(events);
        } else {
            self.fail(error, events);
        }
    }

    /// An ICMP report that the peer is unreachable. A connection attempt fails whatever
    /// the kind; an established connection only when the peer's port is closed (other
    /// kinds may be passing routing trouble, which retransmissions ride out, as TCP
    /// treats them). True if the connection ended.
    pub(crate) fn handle_unreachable(
        &mut self,
        kind: Unreachable,
        events: &mut EventQueue,
    ) -> bool {
        if self.state == ConnectionState::Destroying || self.error.is_some() {
            return false;
        }
        if self.state != ConnectionState::SynSent && kind != Unreachable::Port {
            return false;
        }
        if self.close_requested && self.fin_acked {
            // Everything was delivered; the peer went away while we lingered.
            self.destroy(events);
        } else if self.state == ConnectionState::SynSent {
            self.fail(ConnectionError::Unreachable(kind), events);
        } else {
            self.fail(ConnectionError::PeerPortClosed, events);
        }
        true
    }

    /// Handles one parsed packet addressed to this connection (never a RESET).
    pub(crate) fn handle_packet(
        &mut self,
        now: Instant,
        datagram_len: usize,
        p: &Parsed<'_>,
        events: &mut EventQueue,
        pool: &mut BufferPool,
    ) {
        if self.state == ConnectionState::Destroying {
            return;
        }
        let h = p.header;
        // With the extension on, the peer checksums everything; only its SYN, retried
        // before it saw our SYN-ACK, cannot carry a checksum.
        let retried_syn =
            h.packet_type == PacketType::Syn && self.state == ConnectionState::SynReceived;
        if self.integrity == Integrity::On && !p.extras.checksum && !retried_syn {
            self.stats.checksum_missing += 1;
            return;
        }
        self.stats.packets_received += 1;
        if h.packet_type == PacketType::Syn {
            // A retransmitted SYN: our SYN-ACK was lost.
            if self.state == ConnectionState::SynReceived && h.seq_nr == self.recv.ack_nr() {
                self.syn_ack_pending = true;
            }
            return;
        }
        if self.state == ConnectionState::SynSent {
            if h.packet_type != PacketType::State {
                return;
            }
            if h.ack_nr != self.syn_seq {
                if p.extras.checksum {
                    // An intact SYN-ACK for a SYN we never sent: ours arrived damaged.
                    self.request_reset(true);
                    self.fail(ConnectionError::CorruptHandshake, events);
                }
                return;
            }
            if !self.negotiate_integrity(p, events) {
                return;
            }
            self.recv.set_ack_nr(h.seq_nr.wrapping_sub(1));
            if let (1, Some(at)) = (self.syn_transmissions, self.syn_sent_at) {
                let sample = now.saturating_duration_since(at);
                self.rtt.on_sample(sample);
                self.cc.on_rtt_sample(sample);
            }
            self.timers.stop(Timer::Rto);
            self.consecutive_timeouts = 0;
            self.overhead(
                false,
                datagram_len as u32 + self.udp_overhead,
                OverheadKind::Connect,
                events,
            );
            self.set_state(ConnectionState::Connected, events);
            events.push_back((self.handle, Event::Connected));
            if self.close_requested {
                self.set_state(ConnectionState::Closing, events);
            }
            if !self.send.has_pending() {
                // Lets an accepting hark peer complete; harmless to libutp.
                self.ack = AckState::Now;
            }
        }

        // Drop packets acknowledging what we never sent, or absurdly old ACKs (libutp
        // drops these as suspicious too).
        let newest_sent = self.send.next_unsent().wrapping_sub(1);
        let oldest_acked = self.send.first_seq().wrapping_sub(1);
        let stale = seq_less(h.ack_nr, oldest_acked)
            && seq_distance(h.ack_nr, oldest_acked) > ACK_NR_ALLOWED_WINDOW;
        if !seq_less_eq(h.ack_nr, newest_sent) || stale {
            self.stats.dropped += 1;
            return;
        }
        // Cumulative ACKs never go back. A packet sent after the one that advanced ours
        // (by the peer's clock) but acknowledging less means the peer lacks data we have
        // already freed (a damaged header claimed it): unrecoverable. Keepalives repeat
        // the previous ACK minus one, so a step of one is allowed.
        let regressed = seq_less(h.ack_nr, oldest_acked)
            && seq_distance(h.ack_nr, oldest_acked) >= 2
            && self
                .advance_timestamp
                .is_some_and(|t| (h.timestamp_micros.wrapping_sub(t) as i32) > 0);
        if regressed {
            self.stats.dropped += 1;
            self.fail(ConnectionError::Protocol, events);
            return;
        }
        self.arm_idle(now);
        self.reply_micros = self.now_micros(now).wrapping_sub(h.timestamp_micros);
        self.peer_wnd = h.wnd_size as usize;

        if self.state == ConnectionState::SynReceived {
            self.half_open = false;
            self.set_state(ConnectionState::Connected, events);
            events.push_back((self.handle, Event::Connected));
            if self.close_requested {
                self.set_state(ConnectionState::Closing, events);
            } else if self.write_blocked {
                self.set_state(ConnectionState::ConnectedFull, events);
            }
        }

        let kind = match h.packet_type {
            PacketType::State => OverheadKind::Ack,
            PacketType::Fin => OverheadKind::Close,
            _ => OverheadKind::Header,
        };
        let overhead = if kind == OverheadKind::Header {
            datagram_len - p.payload.len()
        } else {
            datagram_len
        };
        self.overhead(false, overhead as u32 + self.udp_overhead, kind, events);

        self.process_ack(now, p, events, pool);
        self.update_mtu_search();

        match h.packet_type {
            PacketType::Data | PacketType::Fin => self.process_data(now, p, events, pool),
            _ => {}
        }
        self.check_finished(now);
    }

    /// Reads the SYN-ACK's answer to our integrity offer; false if the SYN-ACK must be
    /// dropped (damaged) or ended the connection (integrity required and refused).
    fn negotiate_integrity(&mut self, p: &Parsed<'_>, events: &mut EventQueue) -> bool {
        if self.integrity != Integrity::Offered {
            return true;
        }
        let accepted = p
            .extras
            .extension_bits
            .is_some_and(|bits| offers_checksum(&bits));
        if p.extras.checksum {
            self.integrity = Integrity::On;
        } else if accepted {
            // A peer that accepts always checksums: this SYN-ACK was damaged. Its retry
            // (answering our next SYN) will do.
            self.stats.checksum_missing += 1;
            return false;
        } else if self.config.require_integrity {
            self.request_reset(false);
            self.fail(ConnectionError::IntegrityRequired, events);
            return false;
        } else {
            self.integrity = Integrity::Off;
            self.header_overhead = HEADER_LEN;
            self.update_mss();
            // Nothing has fed congestion control yet: start it afresh at the larger packet
            // size, so the initial window holds as many packets as configured.
            self.cc = Ledbat::new(self.config.ledbat(), self.mss);
        }
        true
    }

    fn process_ack(
        &mut self,
        now: Instant,
        p: &Parsed<'_>,
        events: &mut EventQueue,
        pool: &mut BufferPool,
    ) {
        let h = p.header;
        let Some(mut outcome) = self.send.ack_cumulative(h.ack_nr, now, pool) else {
            return;
        };
        let cumulative_progress = outcome.packets > 0 || outcome.fin_acked;
        if let Some(mask) = p.sack {
            let selective = self.send.ack_selective(h.ack_nr.wrapping_add(2), mask, now);
            outcome.bytes += selective.bytes;
            outcome.packets += selective.packets;
            if selective.rtt_sample.is_some() {
                outcome.rtt_sample = selective.rtt_sample;
            }
        }
        if outcome.packets > 0 || outcome.fin_acked {
            self.consecutive_timeouts = 0;
            if let Some(sample) = outcome.rtt_sample {
                self.rtt.on_sample(sample);
                self.cc.on_rtt_sample(sample);
            }
            if h.timestamp_micros != 0 {
                self.cc.on_reverse_delay_sample(now, self.reply_micros);
            }
            if h.timestamp_difference_micros != 0 {
                let queuing = self.cc.on_delay_sample(now, h.timestamp_difference_micros);
                if self.config.report_delay_samples {
                    let ms = u32::try_from(queuing.as_millis()).unwrap_or(u32::MAX);
                    events.push_back((self.handle, Event::DelaySample(ms)));
                }
            }
            self.cc.on_ack(now, outcome.bytes);
        }
        if cumulative_progress {
            self.advance_timestamp = Some(h.timestamp_micros);
            self.dup_acks = 0;
            if self
                .recovery_until
                .is_some_and(|end| seq_less_eq(end, self.send.first_seq()))
            {
                self.recovery_until = None;
            }
            if seq_less(self.fast_resend_seq, self.send.first_seq()) {
                self.fast_resend_seq = self.send.first_seq();
            }
        } else if h.packet_type == PacketType::State
            && p.payload.is_empty()
            && h.ack_nr == self.send.first_seq().wrapping_sub(1)
            && self.send.unacked_packets() > 0
            && outcome.packets == 0
        {
            self.dup_acks += 1;
            if self.dup_acks == DUPLICATE_ACKS_BEFORE_RESEND {
                let first = self.send.first_seq();
                if seq_less_eq(self.fast_resend_seq, first) && self.send.mark_lost(first) {
                    self.fast_resend_seq = first.wrapping_add(1);
                    self.on_loss_detected(now, 1);
                }
            }
        }
        if p.sack.is_some() {
            let lost = self.send.detect_losses(DUPLICATE_ACKS_BEFORE_RESEND as u64);
            if lost > 0 {
                self.on_loss_detected(now, lost);
            }
        }
        if outcome.fin_acked && !self.fin_acked {
            self.fin_acked = true;
            events.push_back((self.handle, Event::FinAcked));
        }
        if self.send.unacked_packets() == 0 {
            self.timers.stop(Timer::Rto);
        } else if cumulative_progress {
            self.arm_rto(now);
        }
        if self.fin_pending && self.send.push_fin() {
            self.fin_pending = false;
        }
        if self.write_blocked && self.send.free_bytes() > 0 && !self.close_requested {
            self.write_blocked = false;
            if self.state == ConnectionState::ConnectedFull {
                self.set_state(ConnectionState::Connected, events);
            }
            events.push_back((self.handle, Event::Writable));
        }
        self.update_zero_window(now);
    }

    fn on_loss_detected(&mut self, now: Instant, packets: usize) {
        self.stats.fast_retransmits += packets as u64;
        self.retransmit_credit = self.retransmit_credit.max(1);
        if self.recovery_until.is_none() {
            self.cc.on_loss(now);
            self.recovery_until = Some(self.send.next_unsent());
        }
    }

    fn update_zero_window(&mut self, now: Instant) {
        let blocked = self.send.has_pending()
            && self.send.in_flight_packets() == 0
            && self.send.peek_len().is_some_and(|len| len > self.peer_wnd);
        if blocked {
            if self.timers.get(Timer::ZeroWindow).is_none() && !self.probe_allowed {
                self.timers.set(
                    Timer::ZeroWindow,
                    now + self.config.zero_window_probe_interval,
                );
            }
        } else {
            self.timers.stop(Timer::ZeroWindow);
            self.probe_allowed = false;
        }
    }

    fn process_data(
        &mut self,
        now: Instant,
        p: &Parsed<'_>,
        events: &mut EventQueue,
        pool: &mut BufferPool,
    ) {
        let h = p.header;
        let fin = h.packet_type == PacketType::Fin;
        self.largest_payload_seen = self.largest_payload_seen.max(p.payload.len());
        match self.recv.insert(h.seq_nr, p.payload, fin, pool) {
            Arrival::InOrder { bytes } => {
                self.stats.bytes_received += bytes as u64;
                if bytes > 0 && !self.readable_notified {
                    self.readable_notified = true;
                    events.push_back((self.handle, Event::Readable));
                }
                self.unacked_received = self.unacked_received.saturating_add(1);
                if self.recv.has_held()
                    || fin
                    || self.unacked_received >= self.config.ack_every_packets
                {
                    self.ack = AckState::Now;
                } else if self.ack == AckState::None {
                    self.ack = AckState::Deferred;
                    self.timers
                        .set(Timer::DelayedAck, now + self.config.delayed_ack_timeout);
                }
                if self.recv.is_eof() && !self.eof_reported {
                    self.eof_reported = true;
                    self.ack = AckState::Now;
                    events.push_back((self.handle, Event::Eof));
                    if self.is_established() {
                        self.set_state(ConnectionState::Closing, events);
                    }
                }
            }
            Arrival::OutOfOrder => self.ack = AckState::Now,
            Arrival::Duplicate => {
                self.stats.duplicates += 1;
                self.ack = AckState::Now;
            }
            Arrival::NoRoom | Arrival::OutOfWindow => {
                self.stats.dropped += 1;
                self.ack = AckState::Now;
            }
        }
    }

    fn check_finished(&mut self, now: Instant) {
        if self.state == ConnectionState::Destroying || !self.fin_acked {
            return;
        }
        if self.eof_reported {
            let at = now + self.config.linger.max(self.rtt.rto());
            if self
                .timers
                .get(Timer::Linger)
                .is_none_or(|armed| armed > at)
            {
                self.timers.set(Timer::Linger, at);
            }
        } else {
            // Our FIN is acknowledged; wait for the peer's FIN while it keeps talking.
            let wait = self
                .config
                .idle_timeout
                .unwrap_or(Duration::from_secs(60))
                .min(Duration::from_secs(30));
            self.timers.set(Timer::Linger, now + wait);
        }
    }

    /// Runs every timer that is due.
    pub(crate) fn handle_timeout(&mut self, now: Instant, events: &mut EventQueue) {
        while let Some(timer) = self.timers.pop_expired(now) {
            if self.state == ConnectionState::Destroying {
                return;
            }
            match timer {
                Timer::Rto => self.on_rto(now, events),
                Timer::DelayedAck => {
                    if self.ack == AckState::Deferred {
                        self.ack = AckState::Now;
                    }
                }
                Timer::KeepAlive => {
                    if self.is_established() {
                        self.keepalive_pending = true;
                    }
                }
                Timer::Idle => self.fail(ConnectionError::TimedOut, events),
                Timer::ZeroWindow => {
                    if self.send.has_pending() && self.send.in_flight_packets() == 0 {
                        self.probe_allowed = true;
                    }
                }
                Timer::Linger => self.destroy(events),
            }
        }
    }

    fn on_rto(&mut self, now: Instant, events: &mut EventQueue) {
        match self.state {
            ConnectionState::SynSent => {
                if self.syn_transmissions > self.config.syn_retries {
                    self.fail(ConnectionError::TimedOut, events);
                } else {
                    self.rtt.on_timeout();
                    self.syn_pending = true;
                }
            }
            _ if self.send.unacked_packets() > 0 => {
                // A probe into a closed window going unanswered is not a failure.
                if self.peer_wnd >= self.mss.min(self.send.peek_len().unwrap_or(0).max(1)) {
                    self.consecutive_timeouts += 1;
                }
                self.stats.timeouts += 1;
                if self.consecutive_timeouts > self.config.max_consecutive_timeouts {
                    self.fail(ConnectionError::TimedOut, events);
                    return;
                }
                self.rtt.on_timeout();
                self.cc.on_timeout();
                self.send.mark_all_lost();
                self.recovery_until = None;
                self.dup_acks = 0;
                self.fast_resend_seq = self.send.next_unsent();
                // Stays armed even if the window lets nothing go out right now.
                self.arm_rto(now);
            }
            _ => {}
        }
    }

    fn header(&self, now: Instant, packet_type: PacketType, seq_nr: u16, ack_nr: u16) -> Header {
        Header {
            packet_type,
            connection_id: if packet_type == PacketType::Syn {
                self.recv_id
            } else {
                self.send_id
            },
            timestamp_micros: self.now_micros(now),
            timestamp_difference_micros: self.reply_micros,
            wnd_size: u32::try_from(self.recv.window()).unwrap_or(u32::MAX),
            seq_nr,
            ack_nr,
        }
    }

    /// Books a control packet (SYN, SYN-ACK, ACK) of `len` bytes as sent and reports its
    /// overhead; returns what `poll_transmit` hands back for it.
    fn control_sent(
        &mut self,
        now: Instant,
        len: usize,
        kind: OverheadKind,
        events: &mut EventQueue,
    ) -> (usize, bool) {
        self.sent(now, len);
        self.overhead(true, len as u32 + self.udp_overhead, kind, events);
        (len, false)
    }

    fn sent(&mut self, now: Instant, len: usize) {
        self.stats.packets_sent += 1;
        self.last_advertised_wnd = self.recv.window();
        if let Some(interval) = self.config.keepalive_interval {
            self.timers.set(Timer::KeepAlive, now + interval);
        }
        let _ = len;
    }

    fn acked_by_send(&mut self) {
        if !self.recv.has_held() {
            self.ack = AckState::None;
            self.timers.stop(Timer::DelayedAck);
        }
        self.unacked_received = 0;
        self.keepalive_pending = false;
    }

    /// Writes the next packet this connection wants to send into `buf`.
    pub(crate) fn poll_transmit(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        events: &mut EventQueue,
    ) -> Option<(usize, bool)> {
        if self.state == ConnectionState::Destroying {
            return None;
        }
        if self.syn_pending {
            let header = self.header(now, PacketType::Syn, self.syn_seq, 0);
            let extras = Extras {
                extension_bits: (self.integrity == Integrity::Offered).then_some(CHECKSUM_OFFER),
                checksum: false,
            };
            let len = packet::emit(&header, None, extras, &[], buf)?;
            self.syn_pending = false;
            self.syn_transmissions += 1;
            self.syn_sent_at = Some(now);
            self.arm_rto(now);
            return Some(self.control_sent(now, len, OverheadKind::Connect, events));
        }
        if self.syn_ack_pending {
            let header = self.header(
                now,
                PacketType::State,
                self.send.first_seq(),
                self.recv.ack_nr(),
            );
            let on = self.integrity == Integrity::On;
            let extras = Extras {
                extension_bits: on.then_some(CHECKSUM_OFFER),
                checksum: on,
            };
            let len = packet::emit(&header, None, extras, &[], buf)?;
            self.syn_ack_pending = false;
            return Some(self.control_sent(now, len, OverheadKind::Connect, events));
        }
        if self.is_established() {
            if let Some(sent) = self.try_send_data(now, buf, events) {
                return Some(sent);
            }
        }
        let keepalive = self.keepalive_pending && self.is_established();
        if self.ack == AckState::Now || keepalive {
            let mut sack = [0u8; SACK_CAPACITY];
            let sack_len = self
                .recv
                .write_sack(&mut sack[..self.config.max_sack_bytes.min(SACK_CAPACITY)]);
            let ack_nr = if self.ack == AckState::Now {
                self.recv.ack_nr()
            } else {
                // libutp's keepalive: a duplicate of an older ACK.
                self.recv.ack_nr().wrapping_sub(1)
            };
            let header = self.header(now, PacketType::State, self.send.next_seq(), ack_nr);
            let sack = (sack_len > 0).then_some(&sack[..sack_len]);
            let len = packet::emit(&header, sack, self.extras(), &[], buf)?;
            self.ack = AckState::None;
            self.timers.stop(Timer::DelayedAck);
            self.unacked_received = 0;
            self.keepalive_pending = false;
            return Some(self.control_sent(now, len, OverheadKind::Ack, events));
        }
        None
    }

    fn try_send_data(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        events: &mut EventQueue,
    ) -> Option<(usize, bool)> {
        let len = self.send.peek_len()?;
        let retransmission = self.send.next_is_retransmission();
        let in_flight = self.send.in_flight_bytes();
        let window = self.cc.window().min(self.peer_wnd);
        let nothing_in_flight = self.send.in_flight_packets() == 0;
        let fits = in_flight + len <= window || (nothing_in_flight && len <= self.peer_wnd);
        let allowed = if retransmission {
            fits || nothing_in_flight || self.retransmit_credit > 0 || self.probe_allowed
        } else {
            (fits || self.probe_allowed) && self.send.unacked_packets() < MAX_UNACKED_PACKETS
        };
        if !allowed {
            self.update_zero_window(now);
            return None;
        }
        let needed = packet::emitted_len(0, self.extras(), len);
        if buf.len() < needed {
            return None;
        }
        let out = self.send.next_outgoing(now)?;
        let is_probe = self.mtu_probe.is_some_and(|(seq, _)| seq == out.seq_nr);
        if is_probe && out.retransmission {
            // The probe was lost: resend it fragmentable and lower the ceiling.
            self.update_mtu_search();
        }
        if out.retransmission {
            self.retransmit_credit = self.retransmit_credit.saturating_sub(1);
        }
        self.probe_allowed = false;
        self.timers.stop(Timer::ZeroWindow);
        let packet_type = match out.kind {
            SlotKind::Data => PacketType::Data,
            SlotKind::Fin => PacketType::Fin,
        };
        let header = self.header(now, packet_type, out.seq_nr, self.recv.ack_nr());
        let written = packet::emit(
            &header,
            None,
            self.extras(),
            self.send.payload(out.seq_nr),
            buf,
        )?;
        if self.timers.get(Timer::Rto).is_none() {
            self.arm_rto(now);
        }
        self.acked_by_send();
        self.sent(now, written);
        let total = written as u32 + self.udp_overhead;
        if out.retransmission {
            self.stats.retransmits += 1;
            self.overhead(true, total, OverheadKind::Retransmit, events);
        } else {
            self.stats.bytes_sent += out.len as u64;
            let kind = if packet_type == PacketType::Fin {
                OverheadKind::Close
            } else {
                OverheadKind::Header
            };
            let bytes = if kind == OverheadKind::Header {
                total - out.len as u32
            } else {
                total
            };
            self.overhead(true, bytes, kind, events);
        }
        Some((written, is_probe && !out.retransmission))
    }
}
