//! Two real endpoints for loopback transfers through reactors: a sender that keeps a
//! window of datagrams in flight and a sink that acknowledges once per received batch
//! (the deferred-ACK pattern a uTP core will use).

use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Instant;

use hark_reactor::{DatagramEndpoint, Transmit};

/// Bytes per data datagram.
pub const PAYLOAD: usize = 1400;

/// The bytes after each datagram's 8-byte number: position-dependent, so a shifted or
/// mis-split segment does not match, and cheap to copy and compare (memcpy/memcmp).
static BODY: [u8; PAYLOAD - 8] = {
    let mut body = [0u8; PAYLOAD - 8];
    let mut i = 0;
    while i < body.len() {
        body[i] = (i * 7 + 3) as u8;
        i += 1;
    }
    body
};

/// Sends numbered datagrams to one peer, at most `window` beyond the last acknowledgement.
pub struct WindowedSender {
    to: SocketAddr,
    window: u64,
    sent: u64,
    target: u64,
    acked: u64,
    done: Option<mpsc::Sender<u64>>,
}

impl WindowedSender {
    /// A sender to `to` keeping at most `window` datagrams unacknowledged.
    pub fn new(to: SocketAddr, window: u64) -> Self {
        WindowedSender {
            to,
            window,
            sent: 0,
            target: 0,
            acked: 0,
            done: None,
        }
    }

    /// Sends `datagrams` more; `done` gets the acknowledged total once all are acknowledged.
    pub fn extend(&mut self, datagrams: u64, done: mpsc::Sender<u64>) {
        self.target += datagrams;
        self.done = Some(done);
    }
}

impl DatagramEndpoint for WindowedSender {
    fn handle_datagram(&mut self, _now: Instant, _from: SocketAddr, data: &[u8]) {
        let Some(bytes) = data.get(..8) else { return };
        let acked = u64::from_be_bytes(bytes.try_into().unwrap_or([0; 8]));
        self.acked = self.acked.max(acked);
        if self.acked >= self.target {
            if let Some(done) = self.done.take() {
                let _ = done.send(self.acked);
            }
        }
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.sent >= self.target || self.sent - self.acked >= self.window {
            return None;
        }
        let datagram = buf.get_mut(..PAYLOAD)?;
        let seq = self.sent;
        datagram[..8].copy_from_slice(&seq.to_be_bytes());
        datagram[8..].copy_from_slice(&BODY);
        self.sent += 1;
        Some(Transmit {
            destination: self.to,
            len: PAYLOAD,
            dont_fragment: false,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

/// Receives numbered datagrams, checks order and contents, and acknowledges the running
/// count once per received batch.
#[derive(Default)]
pub struct AckingSink {
    /// Datagrams received in order with the right contents.
    pub received: u64,
    /// Datagrams with a wrong number, length or contents.
    pub bad: u64,
    /// Acknowledgements sent.
    pub acks: u64,
    ack_to: Option<SocketAddr>,
    ack_pending: bool,
}

impl DatagramEndpoint for AckingSink {
    fn handle_datagram(&mut self, _now: Instant, from: SocketAddr, data: &[u8]) {
        self.ack_to = Some(from);
        let seq = data
            .get(..8)
            .map(|b| u64::from_be_bytes(b.try_into().unwrap_or([0; 8])));
        let good = data.len() == PAYLOAD && seq == Some(self.received) && data[8..] == BODY[..];
        if good {
            self.received += 1;
        } else {
            self.bad += 1;
        }
    }

    fn flush_deferred(&mut self, _now: Instant) {
        self.ack_pending = true;
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if !self.ack_pending {
            return None;
        }
        let to = self.ack_to?;
        self.ack_pending = false;
        buf.get_mut(..8)?
            .copy_from_slice(&self.received.to_be_bytes());
        self.acks += 1;
        Some(Transmit {
            destination: to,
            len: 8,
            dont_fragment: false,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}
