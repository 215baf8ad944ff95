//! The sending half: slow start, congestion avoidance, fast retransmit with Reno's halving and
//! SACK-driven recovery, RTO with backoff.

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use super::ranges::RangeSet;
use super::segment::{DATA_HEADER_LEN, SackBlocks, SegmentRepr};
use crate::netsim::node::{Node, Transmit};

/// Most SACKed ranges the sender remembers.
const MAX_SCOREBOARD_RANGES: usize = 4096;

/// Settings of a [`RenoSender`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenoConfig {
    /// Payload bytes per segment (the datagram is [`DATA_HEADER_LEN`] bytes longer).
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
    /// Segments sent again (fast retransmit, recovery or after a timeout).
    pub retransmissions: u64,
    /// Fast retransmits triggered by three duplicate ACKs (each halves the window).
    pub fast_retransmits: u64,
    /// Retransmission timeouts.
    pub timeouts: u64,
    /// Datagrams ignored because they were not a valid ACK from the peer.
    pub ignored: u64,
}

/// Loss recovery after a fast retransmit, until everything sent before it is acknowledged.
#[derive(Debug, Clone, Copy)]
struct Recovery {
    /// `snd_max` when recovery began.
    point: u64,
    /// Holes below this have been retransmitted in this recovery.
    cursor: u64,
}

/// A TCP-Reno-like sender as a simulator [`Node`].
///
/// Congestion control is Reno's: slow start, +1 MSS per window in congestion avoidance,
/// halving on three duplicate ACKs, one MSS after a timeout. Loss recovery uses the receiver's
/// SACK blocks: every hole below the highest SACKed byte is taken as lost and resent once per
/// recovery, and data is sent while the estimated bytes in the network ("pipe", as in RFC 6675
/// with forward-acknowledgement loss marking) stay below the halved window. So several losses
/// in one window do not end in a timeout. It is a model, not TCP: byte offsets from 0, no
/// handshake, no receive window, zero payload bytes.
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
    scoreboard: RangeSet,
    recovery: Option<Recovery>,
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
            scoreboard: RangeSet::with_limit(MAX_SCOREBOARD_RANGES),
            recovery: None,
            no_fast_retransmit_below: 0,
            retransmit: None,
            srtt: None,
            rttvar: Duration::ZERO,
            rto: config.initial_rto,
            rto_deadline: None,
            counters: RenoCounters::default(),
        }
    }

    /// Bytes the receiver has acknowledged cumulatively.
    pub fn bytes_acked(&self) -> u64 {
        self.snd_una
    }

    /// Whether every byte to send has been acknowledged.
    pub fn is_complete(&self) -> bool {
        self.snd_una >= self.total
    }

    /// Whether the sender is in loss recovery.
    pub fn in_recovery(&self) -> bool {
        self.recovery.is_some()
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

    /// When a retransmission timeout started at `now` expires (`now` if that overflows).
    fn rto_from(&self, now: Instant) -> Instant {
        now.checked_add(self.rto).unwrap_or(now)
    }

    fn flight(&self) -> u64 {
        self.snd_max - self.snd_una
    }

    fn on_ack(&mut self, now: Instant, ack: u64, echo: u64, sack: &SackBlocks) {
        if ack > self.snd_max {
            self.counters.ignored += 1;
            return;
        }
        for &(start, end) in sack.as_slice() {
            let (start, end) = (start.max(ack), end.min(self.snd_max));
            let _ = self.scoreboard.insert(start, end);
        }
        if ack > self.snd_una {
            self.on_new_ack(now, ack, echo);
        } else if ack == self.snd_una && self.snd_una < self.snd_max {
            self.dupacks += 1;
            if self.recovery.is_none()
                && self.dupacks == 3
                && self.snd_una >= self.no_fast_retransmit_below
            {
                self.enter_recovery();
            }
        }
    }

    fn on_new_ack(&mut self, now: Instant, ack: u64, echo: u64) {
        let acked = ack - self.snd_una;
        self.snd_una = ack;
        self.snd_nxt = self.snd_nxt.max(ack);
        self.scoreboard.remove_below(ack);
        self.dupacks = 0;
        let sent = echo
            .checked_sub(1)
            .and_then(|micros| self.epoch.checked_add(Duration::from_micros(micros)));
        if let Some(sent) = sent.filter(|sent| *sent <= now) {
            self.sample_rtt(now - sent);
        }
        let mss = self.mss();
        match &mut self.recovery {
            Some(recovery) if ack >= recovery.point => {
                self.recovery = None;
                self.cwnd = self.ssthresh;
            }
            Some(recovery) => recovery.cursor = recovery.cursor.max(ack),
            None if self.cwnd < self.ssthresh => {
                self.cwnd = self.cwnd.saturating_add(acked.min(mss));
            }
            None => {
                self.avoidance_acked += acked;
                if self.avoidance_acked >= self.cwnd {
                    self.avoidance_acked -= self.cwnd;
                    self.cwnd = self.cwnd.saturating_add(mss);
                }
            }
        }
        self.rto_deadline = (self.snd_una < self.snd_max).then(|| self.rto_from(now));
    }

    /// Three duplicate ACKs: halve, resend the first hole now, then resend holes and send new
    /// data as the pipe allows.
    fn enter_recovery(&mut self) {
        let flight = self.flight();
        self.ssthresh = (flight / 2).max(2 * self.mss());
        self.cwnd = self.ssthresh;
        self.avoidance_acked = 0;
        self.retransmit = Some(self.snd_una);
        let first_end = self.snd_una + self.mss().min(flight);
        self.recovery = Some(Recovery {
            point: self.snd_max,
            cursor: first_end,
        });
        self.counters.fast_retransmits += 1;
    }

    /// Bytes believed to be in the network during recovery: everything above the highest
    /// SACKed byte, plus holes already resent and not yet acknowledged.
    fn pipe(&self, cursor: u64) -> u64 {
        let fack = self.scoreboard.highest_end().unwrap_or(self.snd_una);
        let above = self.snd_max.saturating_sub(fack);
        let resent_end = cursor.min(fack);
        let resent = resent_end.saturating_sub(self.snd_una)
            - self.scoreboard.covered_between(self.snd_una, resent_end);
        above + resent
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

    /// Writes one data segment covering `[seq, seq + len)`, cut to fit `buf`.
    fn emit(&mut self, now: Instant, seq: u64, len: u64, buf: &mut [u8]) -> Option<Transmit> {
        let room = buf.len().checked_sub(DATA_HEADER_LEN)? as u64;
        let len = len.min(room);
        let header = SegmentRepr::Data {
            seq,
            stamp: self.stamp(now),
        };
        header.emit(buf).ok()?;
        let end = DATA_HEADER_LEN + len as usize;
        buf.get_mut(DATA_HEADER_LEN..end)?.fill(0);
        self.counters.segments_sent += 1;
        if seq < self.snd_max {
            self.counters.retransmissions += 1;
        }
        if self.rto_deadline.is_none() {
            self.rto_deadline = Some(self.rto_from(now));
        }
        Some(Transmit {
            destination: self.peer,
            len: end,
        })
    }

    /// Sends new data (or, after a timeout, resends from `snd_nxt`, skipping SACKed ranges).
    fn send_next(&mut self, now: Instant, buf: &mut [u8], within_cwnd: bool) -> Option<Transmit> {
        if self.snd_nxt < self.snd_max {
            if let Some(end) = self.scoreboard.covering_end(self.snd_nxt) {
                self.snd_nxt = end;
            }
        }
        let len = self.mss().min(self.total.saturating_sub(self.snd_nxt));
        let outstanding = self.snd_nxt - self.snd_una;
        if len == 0 || (within_cwnd && outstanding + len > self.cwnd) {
            return None;
        }
        let seq = self.snd_nxt;
        let transmit = self.emit(now, seq, len, buf)?;
        self.snd_nxt += (transmit.len - DATA_HEADER_LEN) as u64;
        self.snd_max = self.snd_max.max(self.snd_nxt);
        Some(transmit)
    }

    /// In recovery: while the pipe is below the window, the next hole below the highest
    /// SACKed byte, else new data.
    fn send_in_recovery(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let recovery = self.recovery?;
        let cursor = recovery.cursor.max(self.snd_una);
        if self.pipe(cursor) + self.mss() > self.cwnd {
            return None;
        }
        match self.scoreboard.next_gap(cursor) {
            Some((start, end)) if start < self.snd_max => {
                let len = self.mss().min(end - start);
                let transmit = self.emit(now, start, len, buf)?;
                if let Some(r) = &mut self.recovery {
                    r.cursor = start + (transmit.len - DATA_HEADER_LEN) as u64;
                }
                Some(transmit)
            }
            _ => self.send_next(now, buf, false),
        }
    }
}

impl Node for RenoSender {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        match (from == self.peer).then(|| SegmentRepr::parse(data)) {
            Some(Ok(SegmentRepr::Ack { ack, echo, sack })) => self.on_ack(now, ack, echo, &sack),
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
        self.ssthresh = (self.flight() / 2).max(2 * self.mss());
        self.cwnd = self.mss();
        self.avoidance_acked = 0;
        self.dupacks = 0;
        self.recovery = None;
        self.retransmit = None;
        self.no_fast_retransmit_below = self.snd_max;
        self.snd_nxt = self.snd_una;
        self.rto = (self.rto * 2).min(self.config.max_rto);
        self.rto_deadline = Some(self.rto_from(now));
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if let Some(seq) = self.retransmit.take() {
            if seq < self.snd_max {
                let len = self.mss().min(self.snd_max - seq);
                return self.emit(now, seq, len, buf);
            }
        }
        if self.recovery.is_some() {
            return self.send_in_recovery(now, buf);
        }
        self.send_next(now, buf, true)
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.rto_deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> SocketAddr {
        "10.0.0.2:2".parse().unwrap()
    }

    fn ack(ack: u64, echo: u64, blocks: &[(u64, u64)]) -> Vec<u8> {
        let mut sack = SackBlocks::default();
        for &(start, end) in blocks {
            sack.push(start, end);
        }
        let mut buf = vec![0u8; 128];
        let len = SegmentRepr::Ack { ack, echo, sack }.emit(&mut buf).unwrap();
        buf.truncate(len);
        buf
    }

    /// Drains the sender; returns the sequence numbers it sent.
    fn drain(sender: &mut RenoSender, now: Instant) -> Vec<u64> {
        let mut buf = [0u8; 2048];
        let mut seqs = Vec::new();
        while let Some(t) = sender.poll_transmit(now, &mut buf) {
            assert_eq!(t.destination, peer());
            match SegmentRepr::parse(&buf[..t.len]).unwrap() {
                SegmentRepr::Data { seq, .. } => seqs.push(seq),
                other => panic!("sent {other:?}"),
            }
        }
        seqs
    }

    fn config() -> RenoConfig {
        RenoConfig {
            mss: 1000,
            initial_window: 4,
            ..RenoConfig::default()
        }
    }

    #[test]
    fn sends_the_initial_window_then_grows_in_slow_start() {
        let t0 = Instant::now();
        let mut s = RenoSender::new(peer(), config(), t0);
        assert_eq!(drain(&mut s, t0), vec![0, 1000, 2000, 3000]);
        assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(1)));
        let t1 = t0 + Duration::from_millis(100);
        s.handle_datagram(t1, peer(), &ack(1000, 1, &[]));
        assert_eq!(s.cwnd(), 5000);
        assert_eq!(drain(&mut s, t1), vec![4000, 5000]);
        assert_eq!(s.srtt(), Some(Duration::from_millis(100)));
    }

    #[test]
    fn three_duplicate_acks_halve_and_resend_the_hole() {
        let t0 = Instant::now();
        let mut s = RenoSender::new(peer(), config(), t0);
        drain(&mut s, t0);
        let t1 = t0 + Duration::from_millis(100);
        for end in [2000, 3000, 4000] {
            s.handle_datagram(t1, peer(), &ack(0, 1, &[(1000, end)]));
        }
        assert!(s.in_recovery());
        assert_eq!(s.counters().fast_retransmits, 1);
        assert_eq!(s.cwnd(), 2000);
        // The hole goes out at once; the pipe (nothing above the SACKed data) allows new data.
        assert_eq!(drain(&mut s, t1), vec![0, 4000]);
        s.handle_datagram(t1, peer(), &ack(5000, 1, &[]));
        assert!(!s.in_recovery());
        assert_eq!(s.cwnd(), 2000);
    }

    #[test]
    fn timeout_backs_off_and_goes_back_to_one_segment() {
        let t0 = Instant::now();
        let mut s = RenoSender::new(peer(), config(), t0);
        drain(&mut s, t0);
        let fire = t0 + Duration::from_secs(1);
        s.handle_timeout(fire - Duration::from_millis(1));
        assert_eq!(s.counters().timeouts, 0);
        s.handle_timeout(fire);
        assert_eq!(s.counters().timeouts, 1);
        assert_eq!(s.cwnd(), 1000);
        assert_eq!(s.rto(), Duration::from_secs(2));
        assert_eq!(drain(&mut s, fire), vec![0]);
        assert_eq!(s.poll_timeout(), Some(fire + Duration::from_secs(2)));
    }

    #[test]
    fn hostile_acks_are_harmless() {
        let t0 = Instant::now();
        let mut s = RenoSender::new(peer(), config(), t0);
        drain(&mut s, t0);
        s.handle_datagram(t0, peer(), &ack(4000, u64::MAX, &[(0, u64::MAX)]));
        s.handle_datagram(t0, peer(), &ack(u64::MAX, 1, &[]));
        s.handle_datagram(t0, peer(), &[0xff; 40]);
        assert_eq!(s.bytes_acked(), 4000);
        assert_eq!(s.counters().ignored, 2);
    }
}
