//! `expect(qty)` framing of length-prefixed messages.

use crate::util::{expect_msg, fill_pseudo_random, write_retrying};
use hark::tcp::{ExpectError, Reactor, TcpConfig, TcpConn, TcpConnection, TcpListener, TcpNotify};
use std::sync::mpsc::{self, Sender};

/// Reads `u32` big-endian length prefixes and bodies with `expect`.
struct LengthPrefixed {
    want_header: bool,
    bodies: Vec<Vec<u8>>,
    sizes: Vec<usize>,
    done: Sender<(Vec<Vec<u8>>, Vec<usize>)>,
}

impl TcpNotify for LengthPrefixed {
    fn accepted(&mut self, conn: &mut TcpConn<'_>) {
        conn.expect(4).unwrap();
    }
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        self.sizes.push(data.len());
        if self.want_header {
            let len = u32::from_be_bytes(data.try_into().expect("a 4-byte header"));
            conn.expect(len as usize).unwrap();
        } else {
            self.bodies.push(data.to_vec());
            conn.expect(4).unwrap();
        }
        self.want_header = !self.want_header;
        true
    }
    fn closed(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.done.send((
            std::mem::take(&mut self.bodies),
            std::mem::take(&mut self.sizes),
        ));
    }
}

#[test]
fn length_prefixed_messages_arrive_one_frame_each() {
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let (done, result) = mpsc::channel();
    let listener = TcpListener::bind(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        move |_peer| {
            let notify: Box<dyn TcpNotify> = Box::new(LengthPrefixed {
                want_header: true,
                bodies: Vec::new(),
                sizes: Vec::new(),
                done: done.clone(),
            });
            Some(notify)
        },
    )
    .unwrap();

    let mut seed = 0x5eed_u64;
    let mut messages = Vec::new();
    let mut stream = Vec::new();
    for i in 0..500usize {
        let mut body = vec![0; 1 + (i * 7919) % 40_000];
        fill_pseudo_random(&mut seed, &mut body);
        stream.extend_from_slice(&(body.len() as u32).to_be_bytes());
        stream.extend_from_slice(&body);
        messages.push(body);
    }

    let client = Reactor::spawn(TcpConfig::default()).unwrap();
    let conn = TcpConnection::connect_addrs(
        client.handle(),
        vec![listener.local_addr()],
        |_: &mut TcpConn<'_>, _: &[u8], _| true,
    )
    .unwrap();
    // Odd-sized writes, so frames straddle reads.
    for piece in stream.chunks(7777) {
        write_retrying(&conn, piece);
    }
    conn.close().unwrap();

    let (bodies, sizes) = expect_msg(&result, "the server's messages");
    assert_eq!(bodies.len(), messages.len());
    assert!(bodies == messages, "bodies differ from what was sent");
    let expected_sizes: Vec<usize> = messages.iter().flat_map(|m| [4, m.len()]).collect();
    assert_eq!(
        sizes, expected_sizes,
        "every received call is exactly one frame"
    );
}

#[test]
fn expect_above_the_read_buffer_size_is_refused() {
    let config = TcpConfig {
        read_buffer_size: 1024,
        ..TcpConfig::default()
    };
    let server = Reactor::spawn(config).unwrap();
    let (tx, rx) = mpsc::channel();
    let listener = TcpListener::bind(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        move |_peer| {
            let tx = tx.clone();
            let notify: Box<dyn TcpNotify> = Box::new(ExpectProbe(tx));
            Some(notify)
        },
    )
    .unwrap();
    let client = Reactor::spawn(TcpConfig::default()).unwrap();
    let _conn = TcpConnection::connect_addrs(
        client.handle(),
        vec![listener.local_addr()],
        |_: &mut TcpConn<'_>, _: &[u8], _| true,
    )
    .unwrap();
    assert_eq!(
        expect_msg(&rx, "the expect outcome"),
        (
            Err(ExpectError::TooLarge {
                qty: 1025,
                read_buffer_size: 1024
            }),
            Ok(())
        )
    );
}

struct ExpectProbe(Sender<(Result<(), ExpectError>, Result<(), ExpectError>)>);

impl TcpNotify for ExpectProbe {
    fn accepted(&mut self, conn: &mut TcpConn<'_>) {
        let _ = self.0.send((conn.expect(1025), conn.expect(1024)));
        conn.hard_close();
    }
}
