//! One endpoint under test, fed packets by hand (smoltcp's TCP test style).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_core::TryRng;

use crate::utp::packet::{self, Extras, Header, PacketType};
use crate::utp::{ConnectionHandle, DatagramOutcome, Endpoint, EndpointConfig, Event};

/// An RNG that returns scripted values, then counts up.
pub struct Scripted(pub VecDeque<u32>, pub u32);

impl TryRng for Scripted {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.pop_front().unwrap_or_else(|| {
            self.1 = self.1.wrapping_add(1);
            self.1
        }))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from(self.try_next_u32()?))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for b in dst {
            *b = self.try_next_u32()? as u8;
        }
        Ok(())
    }
}

/// An owned packet, compared field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkt {
    pub ty: PacketType,
    pub conn_id: u16,
    pub ts: u32,
    pub ts_diff: u32,
    pub wnd: u32,
    pub seq: u16,
    pub ack: u16,
    pub sack: Option<Vec<u8>>,
    /// Extension bits (SYN and SYN-ACK of the integrity negotiation).
    pub bits: Option<[u8; 8]>,
    /// Whether the packet carries (on decode: a verified) checksum extension.
    pub checksum: bool,
    pub payload: Vec<u8>,
}

/// The default receive window of an idle connection.
pub const WND: u32 = 1 << 20;

pub const TEMPLATE: Pkt = Pkt {
    ty: PacketType::Data,
    conn_id: 0,
    ts: 0,
    ts_diff: 0,
    wnd: WND,
    seq: 0,
    ack: 0,
    sack: None,
    bits: None,
    checksum: false,
    payload: Vec::new(),
};

impl Pkt {
    pub fn encode(&self) -> Vec<u8> {
        let header = Header {
            packet_type: self.ty,
            connection_id: self.conn_id,
            timestamp_micros: self.ts,
            timestamp_difference_micros: self.ts_diff,
            wnd_size: self.wnd,
            seq_nr: self.seq,
            ack_nr: self.ack,
        };
        let mut buf = vec![0; 2048 + self.payload.len()];
        let extras = Extras {
            extension_bits: self.bits,
            checksum: self.checksum,
        };
        let n = packet::emit(
            &header,
            self.sack.as_deref(),
            extras,
            &self.payload,
            &mut buf,
        )
        .expect("test packet fits");
        buf.truncate(n);
        buf
    }

    pub fn decode(bytes: &[u8]) -> Pkt {
        let p = packet::parse(bytes).expect("core emitted a malformed packet");
        Pkt {
            ty: p.header.packet_type,
            conn_id: p.header.connection_id,
            ts: p.header.timestamp_micros,
            ts_diff: p.header.timestamp_difference_micros,
            wnd: p.header.wnd_size,
            seq: p.header.seq_nr,
            ack: p.header.ack_nr,
            sack: p.sack.map(<[u8]>::to_vec),
            bits: p.extras.extension_bits,
            checksum: p.extras.checksum,
            payload: p.payload.to_vec(),
        }
    }
}

pub fn remote() -> SocketAddr {
    "192.0.2.7:6881".parse().unwrap()
}

/// One endpoint, a virtual clock and a transmit buffer.
pub struct Harness {
    pub ep: Endpoint,
    pub t0: Instant,
    pub now: Instant,
    buf: Vec<u8>,
}

impl Harness {
    pub fn new(config: EndpointConfig, script: &[u32]) -> Self {
        let t0 = Instant::now();
        let rng = Box::new(Scripted(script.iter().copied().collect(), 1000));
        Self {
            ep: Endpoint::new(config, t0, rng),
            t0,
            now: t0,
            buf: vec![0; 65536],
        }
    }

    /// Microseconds since the epoch, as stamped on packets sent now.
    pub fn ts(&self) -> u32 {
        (self.now - self.t0).as_micros() as u32
    }

    /// Delivers a packet and returns what the endpoint made of it.
    pub fn deliver(&mut self, pkt: &Pkt) -> DatagramOutcome {
        self.ep.handle_datagram(self.now, remote(), &pkt.encode())
    }

    /// Delivers a packet that must be uTP.
    pub fn recv(&mut self, pkt: &Pkt) {
        assert!(self.deliver(pkt).is_utp());
    }

    pub fn recv_raw(&mut self, bytes: &[u8]) -> DatagramOutcome {
        self.ep.handle_datagram(self.now, remote(), bytes)
    }

    /// Drains everything the endpoint wants to send.
    pub fn sent(&mut self) -> Vec<Pkt> {
        let mut out = Vec::new();
        while let Some(t) = self.ep.poll_transmit(self.now, &mut self.buf) {
            assert_eq!(t.destination, remote());
            out.push(Pkt::decode(&self.buf[..t.len]));
        }
        out
    }

    /// Drains everything the endpoint wants to send, with the connection each datagram names.
    pub fn sent_by(&mut self) -> Vec<(Pkt, Option<ConnectionHandle>)> {
        let mut out = Vec::new();
        while let Some(t) = self.ep.poll_transmit(self.now, &mut self.buf) {
            out.push((Pkt::decode(&self.buf[..t.len]), t.connection));
        }
        out
    }

    /// Drains everything the endpoint wants to send, with each datagram's don't-fragment flag.
    pub fn sent_with_df(&mut self) -> Vec<(Pkt, bool)> {
        let mut out = Vec::new();
        while let Some(t) = self.ep.poll_transmit(self.now, &mut self.buf) {
            out.push((Pkt::decode(&self.buf[..t.len]), t.dont_fragment));
        }
        out
    }

    /// Drains events, leaving out the chatty statistics ones.
    pub fn events(&mut self) -> Vec<(ConnectionHandle, Event)> {
        std::iter::from_fn(|| self.ep.poll_event())
            .filter(|(_, e)| !matches!(e, Event::Overhead { .. } | Event::DelaySample(_)))
            .collect()
    }

    /// Jumps the clock to the next timer and runs it; returns how far it jumped.
    pub fn step_timer(&mut self) -> Option<Duration> {
        let at = self.ep.poll_timeout()?;
        let jumped = at.saturating_duration_since(self.now);
        self.now = self.now.max(at);
        self.ep.handle_timeout(self.now);
        Some(jumped)
    }
}
