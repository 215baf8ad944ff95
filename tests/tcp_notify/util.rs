//! Helpers shared by the TCP notifier tests.

use hark::tcp::{TcpConn, TcpNotify};
use std::net::SocketAddr;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

/// How long any test waits for one event before failing.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Receives or fails the test with `what`.
pub fn expect_msg<T>(rx: &Receiver<T>, what: &str) -> T {
    rx.recv_timeout(PATIENCE)
        .unwrap_or_else(|err| panic!("waiting for {what}: {err}"))
}

/// A loopback address nothing listens on: a port just released.
pub fn refusing_addr(ip: [u8; 4]) -> SocketAddr {
    let probe = std::net::TcpListener::bind((std::net::Ipv4Addr::from(ip), 0)).unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    addr
}

/// A streaming 64-bit hash over 8-byte words (FNV-style multiply), fast enough in debug
/// builds for hundreds of megabytes; bytes are hashed the same however they are split.
#[derive(Debug, Clone, Default)]
pub struct StreamHash {
    hash: u64,
    carry: [u8; 8],
    carry_len: usize,
    len: u64,
}

impl StreamHash {
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    /// Feeds bytes.
    pub fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        if self.carry_len > 0 {
            let take = (8 - self.carry_len).min(data.len());
            self.carry[self.carry_len..self.carry_len + take].copy_from_slice(&data[..take]);
            self.carry_len += take;
            data = &data[take..];
            if self.carry_len < 8 {
                return;
            }
            self.word(u64::from_le_bytes(self.carry));
            self.carry_len = 0;
        }
        let mut words = data.chunks_exact(8);
        for word in &mut words {
            self.word(u64::from_le_bytes(word.try_into().unwrap()));
        }
        let rest = words.remainder();
        self.carry[..rest.len()].copy_from_slice(rest);
        self.carry_len = rest.len();
    }

    fn word(&mut self, word: u64) {
        self.hash = (self.hash ^ word).wrapping_mul(Self::PRIME).rotate_left(17);
    }

    /// The hash and byte count so far (a trailing partial word included).
    pub fn finish(&self) -> (u64, u64) {
        let mut hash = self.hash;
        for &byte in &self.carry[..self.carry_len] {
            hash = (hash ^ u64::from(byte)).wrapping_mul(Self::PRIME);
        }
        (hash, self.len)
    }
}

/// Pseudo-random bytes from a seed (xorshift64*), filled 8 bytes at a time.
pub fn fill_pseudo_random(state: &mut u64, out: &mut [u8]) {
    for word in out.chunks_mut(8) {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let bytes = state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
        word.copy_from_slice(&bytes[..word.len()]);
    }
}

/// A notifier that sends its accepted/connected handle and closed signal to the test.
pub struct Signals {
    pub connected: Sender<hark::tcp::TcpConnectionHandle>,
    pub closed: Sender<()>,
}

impl TcpNotify for Signals {
    fn accepted(&mut self, conn: &mut TcpConn<'_>) {
        let _ = self.connected.send(conn.handle());
    }
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        let _ = self.connected.send(conn.handle());
    }
    fn closed(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.closed.send(());
    }
}

#[test]
fn stream_hash_ignores_how_bytes_are_split() {
    let mut state = 7;
    let mut data = vec![0; 1001];
    fill_pseudo_random(&mut state, &mut data);
    let mut whole = StreamHash::default();
    whole.update(&data);
    let mut pieces = StreamHash::default();
    for piece in data.chunks(3) {
        pieces.update(piece);
    }
    assert_eq!(whole.finish(), pieces.finish());
    let mut other = StreamHash::default();
    data[500] ^= 1;
    other.update(&data);
    assert_ne!(whole.finish(), other.finish());
}

/// Writes through a cross-thread handle, waiting while the connection's pending limit or
/// the command channel is full.
pub fn write_retrying(conn: &hark::tcp::TcpConnection, data: &[u8]) {
    use hark::tcp::{HandleError, WriteError};
    loop {
        match conn.write(data) {
            Ok(()) => return,
            Err(HandleError::Busy | HandleError::Write(WriteError::LimitExceeded { .. })) => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(err) => panic!("write failed: {err}"),
        }
    }
}
