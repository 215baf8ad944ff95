//! Small nodes for driving the network simulator in tests.
#![allow(dead_code)]

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use hark_proto::netsim::{Node, Transmit};

/// An address on the simulated network.
pub fn addr(host: u8, port: u16) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, host], port))
}

/// Sends `count` datagrams of `size` bytes (at least 8) to `peer`, one every `interval`
/// (all at once if zero). Each starts with its index as a big-endian u64; the rest is a
/// pattern derived from the index.
pub struct Blaster {
    pub peer: SocketAddr,
    pub count: u64,
    pub size: usize,
    pub interval: Duration,
    pub sent: u64,
    next: Option<Instant>,
}

impl Blaster {
    pub fn new(peer: SocketAddr, count: u64, size: usize, interval: Duration) -> Self {
        Self {
            peer,
            count,
            size: size.max(8),
            interval,
            sent: 0,
            next: None,
        }
    }
}

/// The payload byte at `offset` of datagram `index`.
pub fn pattern(index: u64, offset: usize) -> u8 {
    (index as usize).wrapping_mul(31).wrapping_add(offset) as u8
}

impl Node for Blaster {
    fn handle_datagram(&mut self, _now: Instant, _from: SocketAddr, _data: &[u8]) {}

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.sent >= self.count {
            return None;
        }
        let due = *self.next.get_or_insert(now);
        if now < due {
            return None;
        }
        let index = self.sent;
        buf[..8].copy_from_slice(&index.to_be_bytes());
        for (offset, byte) in buf[8..self.size].iter_mut().enumerate() {
            *byte = pattern(index, offset + 8);
        }
        self.sent += 1;
        self.next = Some(due + self.interval);
        Some(Transmit {
            destination: self.peer,
            len: self.size,
        })
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        if self.sent < self.count {
            self.next
        } else {
            None
        }
    }
}

/// Records every datagram it receives.
#[derive(Default)]
pub struct Sink {
    pub received: Vec<Received>,
}

/// One datagram seen by a [`Sink`].
pub struct Received {
    pub at: Instant,
    pub from: SocketAddr,
    pub index: u64,
    pub data: Vec<u8>,
}

impl Node for Sink {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        let mut index = [0u8; 8];
        if let Some(head) = data.get(..8) {
            index.copy_from_slice(head);
        }
        self.received.push(Received {
            at: now,
            from,
            index: u64::from_be_bytes(index),
            data: data.to_vec(),
        });
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, _now: Instant, _buf: &mut [u8]) -> Option<Transmit> {
        None
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        None
    }
}

impl Sink {
    /// Indices in arrival order.
    pub fn indices(&self) -> Vec<u64> {
        self.received.iter().map(|r| r.index).collect()
    }

    /// How many arrivals had a smaller index than some earlier arrival.
    pub fn out_of_order(&self) -> usize {
        let mut highest = None;
        let mut late = 0;
        for index in self.indices() {
            match highest {
                Some(h) if index < h => late += 1,
                _ => highest = Some(index),
            }
        }
        late
    }
}
