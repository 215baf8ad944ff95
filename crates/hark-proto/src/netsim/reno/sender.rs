//! The sending half: slow start, congestion avoidance, NewReno fast recovery, RTO with backoff.

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use super::segment::{HEADER_LEN, SegmentRepr};
use crate::netsim::node::{Node, Transmit};

/// Settings of a [`RenoSender`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenoConfig {
    /// Payload bytes per segment (the datagram is [`HEADER_LEN`] bytes longer).
    pub mss: usize,
    /// Initial congestion window in segments.
    pub initial_window: u64,
    /// Retransmission timeout before any RTT sample.
    pub initial_rto: Duration,
    /// Lower bound of the retransmission timeout.
    pub min_rto: Duration,
    /// Upper bound of the backed-off retransmission timeout.
    pub max_rto: Duration,
    /// Bytes to send; `None` sends for ever.
    pub bytes_to_send: Option<u64>,
}

impl Default for RenoConfig {
    fn default() -> Self {
        Self {
            mss: 1400,
            initial_window: 10,
            initial_rto: Duration::from_secs(1),
            min_rto: Duration::from_millis(200),
            max_rto: Duration::from_secs(60),
            bytes_to_send: None,
        }
    }
}

/// Event counters of a [`RenoSender`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenoCounters {
    /// Data segments sent, retransmissions included.
    pub segments_sent: u64,
    /// Segments sent again (fast retransmit, partial ACK or after a timeout).
    pub retransmissions: u64,
    /// Fast retransmits triggered by three duplicate ACKs.
    pub fast_retransmits: u64,
    /// Retransmission timeouts.
    pub timeouts: u64,
    /// Datagrams ignored because they were not a valid ACK from the peer.
    pub ignored: u64,
}

/// A TCP-Reno-like sender (with NewReno partial-ACK handling) as a simulator [`Node`].
///
/// It is a model, not TCP: byte sequence numbers from 0, no handshake, no receive window,
/// payload bytes are zeros, one cumulative ACK expected per segment.
#[derive(Debug, Clone)]
pub struct RenoSender {
    peer: SocketAddr,
    config: RenoConfig,
    epoch: Instant,
    total: u64,
    snd_una: u64,
    snd_nxt: u64,
    snd_max: u64,
    cwnd: u64,
    ssthresh: u64,
    avoidance_acked: u64,
    dupacks: u32,
    recovery_point: Option<u64>,
    no_fast_retransmit_below: u64,
    retransmit: Option<u64>,
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    rto_deadline: Option<Instant>,
    counters: RenoCounters,
}

impl RenoSender {
    /// A sender to `peer`; `epoch` is the origin of its timestamps (use the sim's base).
    pub fn new(peer: SocketAddr, config: RenoConfig, epoch: Instant) -> Self {
        let mss = config.mss.max(1) as u64;
        let config = RenoConfig {
            mss: mss as usize,
            ..config
        };
        Self {
            peer,
            config,
            epoch,
            total: config.bytes_to_send.unwrap_or(u64::MAX),
            snd_una: 0,
            snd_nxt: 0,
            snd_max: 0,
            cwnd: config.initial_window.max(1).saturating_mul(mss),
            ssthresh: u64::MAX,
            avoidance_acked: 0,
            dupacks: 0,
            recovery_point: None,
            no_fast_retransmit_below: 0,
            retransmit: None,
            srtt: None,
            rttvar: Duration::ZERO,
            rto: config.initial_rto,
            rto_deadline: None,
            counters: RenoCounters::default(),
        }
    }

    /// Bytes the receiver has acknowledged.
    pub fn bytes_acked(&self) -> u64 {
        self.snd_una
    }

    /// Whether every byte to send has been acknowledged.
    pub fn is_complete(&self) -> bool {
        self.snd_una >= self.total
    }

    /// Congestion window in bytes.
    pub fn cwnd(&self) -> u64 {
        self.cwnd
    }

    /// Slow-start threshold in bytes (`u64::MAX` until the first loss).
    pub fn ssthresh(&self) -> u64 {
        self.ssthresh
    }

    /// Smoothed round-trip time, once measured.
    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// The current retransmission timeout.
    pub fn rto(&self) -> Duration {
        self.rto
    }

    /// Event counters.
    pub fn counters(&self) -> RenoCounters {
        self.counters
    }

    fn mss(&self) -> u64 {
        self.config.mss as u64
    }

    fn stamp(&self, now: Instant) -> u64 {
        let micros = now.saturating_duration_since(self.epoch).as_micros();
        u64::try_from(micros).unwrap_or(u64::MAX - 1) + 1
    }

    fn on_ack(&mut self, now: Instant, ack: u64, echo: u64) {
        if ack > self.snd_max {
            self.counters.ignored += 1;
            return;
        }
        if ack > self.snd_una {
            let acked = ack - self.snd_una;
            self.snd_una = ack;
            self.snd_nxt = self.snd_nxt.max(ack);
            self.dupacks = 0;
            if echo > 0 {
                let sent = self.epoch + Duration::from_micros(echo - 1);
                self.sample_rtt(now.saturating_duration_since(sent));
            }
            match self.recovery_point {
                Some(point) if ack >= point => {
                    self.cwnd = self.ssthresh;
                    self.recovery_point = None;
                }
                Some(_) => {
                    self.retransmit = Some(self.snd_una);
                    self.cwnd = self.cwnd.saturating_sub(acked) + self.mss();
                }
                None if self.cwnd < self.ssthresh => {
                    self.cwnd = self.cwnd.saturating_add(acked.min(self.mss()));
                }
                None => {
                    self.avoidance_acked += acked;
                    if self.avoidance_acked >= self.cwnd {
                        self.avoidance_acked -= self.cwnd;
                        self.cwnd = self.cwnd.saturating_add(self.mss());
                    }
                }
            }
            self.rto_deadline = (self.snd_una < self.snd_max).then(|| now + self.rto);
        } else if ack == self.snd_una && self.snd_una < self.snd_max {
            self.dupacks += 1;
            if self.recovery_point.is_some() {
                self.cwnd = self.cwnd.saturating_add(self.mss());
            } else if self.dupacks == 3 && self.snd_una >= self.no_fast_retransmit_below {
                self.ssthresh = self.halved_flight();
                self.recovery_point = Some(self.snd_max);
                self.retransmit = Some(self.snd_una);
                self.cwnd = self.ssthresh + 3 * self.mss();
                self.counters.fast_retransmits += 1;
            }
        }
    }

    fn halved_flight(&self) -> u64 {
        ((self.snd_max - self.snd_una) / 2).max(2 * self.mss())
    }

    /// RFC 6298 smoothing, with the timeout clamped to `[min_rto, max_rto]`.
    fn sample_rtt(&mut self, rtt: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(rtt);
                self.rttvar = rtt / 2;
            }
            Some(srtt) => {
                let deviation = srtt.abs_diff(rtt);
                self.rttvar = (self.rttvar * 3 + deviation) / 4;
                self.srtt = Some((srtt * 7 + rtt) / 8);
            }
        }
        let srtt = self.srtt.unwrap_or(rtt);
        let rto = srtt + (self.rttvar * 4).max(Duration::from_millis(1));
        self.rto = rto.clamp(self.config.min_rto, self.config.max_rto);
    }

    /// Writes one data segment covering `[seq, seq + len)`.
    fn emit(&mut self, now: Instant, seq: u64, len: u64, buf: &mut [u8]) -> Option<Transmit> {
        let room = buf.len().checked_sub(HEADER_LEN)? as u64;
        let len = len.min(room);
        let header = SegmentRepr::Data {
            seq,
            stamp: self.stamp(now),
        };
        header.emit(buf).ok()?;
        let end = HEADER_LEN + len as usize;
        buf.get_mut(HEADER_LEN..end)?.fill(0);
        self.counters.segments_sent += 1;
        if self.rto_deadline.is_none() {
            self.rto_deadline = Some(now + self.rto);
        }
        Some(Transmit {
            destination: self.peer,
            len: end,
        })
    }
}

impl Node for RenoSender {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        match (from == self.peer).then(|| SegmentRepr::parse(data)) {
            Some(Ok(SegmentRepr::Ack { ack, echo })) => self.on_ack(now, ack, echo),
            _ => self.counters.ignored += 1,
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        let Some(deadline) = self.rto_deadline else {
            return;
        };
        if now < deadline {
            return;
        }
        if self.snd_una >= self.snd_max {
            self.rto_deadline = None;
            return;
        }
        self.counters.timeouts += 1;
        self.ssthresh = self.halved_flight();
        self.cwnd = self.mss();
        self.avoidance_acked = 0;
        self.dupacks = 0;
        self.recovery_point = None;
        self.retransmit = None;
        self.no_fast_retransmit_below = self.snd_max;
        self.snd_nxt = self.snd_una;
        self.rto = (self.rto * 2).min(self.config.max_rto);
        self.rto_deadline = Some(now + self.rto);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if let Some(seq) = self.retransmit.take() {
            if seq < self.snd_max {
                let len = self.mss().min(self.snd_max - seq);
                self.counters.retransmissions += 1;
                return self.emit(now, seq, len, buf);
            }
        }
        let remaining = self.total.saturating_sub(self.snd_nxt);
        let len = self.mss().min(remaining);
        let flight = self.snd_nxt - self.snd_una;
        if len == 0 || flight + len > self.cwnd {
            return None;
        }
        let seq = self.snd_nxt;
        if seq < self.snd_max {
            self.counters.retransmissions += 1;
        }
        let transmit = self.emit(now, seq, len, buf)?;
        let sent = (transmit.len - HEADER_LEN) as u64;
        self.snd_nxt += sent;
        self.snd_max = self.snd_max.max(self.snd_nxt);
        Some(transmit)
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.rto_deadline
    }
}
