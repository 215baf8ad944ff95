//! Drives the sans-IO TCP core (framing, send queue, close state, connect attempts) with
//! arbitrary operations and checks its invariants: frames are exactly `expect` bytes, no
//! received byte is lost or reordered, pending counts add up, `Release` comes at most once.
#![no_main]

use hark_proto::tcp::{
    AttemptId, CloseAction, CloseState, ConnectAttempts, ConnectEvent, RecvBuffer, SendQueue,
};
use libfuzzer_sys::fuzz_target;
use std::io::IoSlice;
use std::net::SocketAddr;

fuzz_target!(|data: &[u8]| {
    let mut ops = data.iter().copied();
    let mut recv = RecvBuffer::new(64);
    let mut fed: Vec<u8> = Vec::new();
    let mut delivered: Vec<u8> = Vec::new();
    let mut queue = SendQueue::new(200);
    let mut queued_model: Vec<u8> = Vec::new();
    let mut close = CloseState::new();
    let mut releases = 0;
    let addrs: Vec<SocketAddr> = (0..3).map(|i| SocketAddr::from(([127, 0, 0, 1], i))).collect();
    let mut attempts = ConnectAttempts::new(addrs);
    while attempts.poll_start().is_some() {}
    let mut outcomes = 0;
    let mut counter = 0u8;

    while let Some(op) = ops.next() {
        let arg = ops.next().unwrap_or(0);
        match op % 10 {
            0 => {
                let spare = recv.spare_mut();
                let n = usize::from(arg).min(spare.len());
                for byte in spare.iter_mut().take(n) {
                    *byte = counter;
                    fed.push(counter);
                    counter = counter.wrapping_add(1);
                }
                recv.handle_read(n);
            }
            1 => {
                let qty = usize::from(arg % 80);
                let ok = recv.set_expect(qty).is_ok();
                assert_eq!(ok, qty <= recv.capacity());
            }
            2 => {
                while let Some(range) = recv.next_frame() {
                    let len = range.len();
                    if recv.expect() > 0 {
                        assert_eq!(len, recv.expect());
                    }
                    delivered.extend_from_slice(recv.frame(range));
                    recv.consume(len);
                }
            }
            3 => {
                let chunk = vec![arg; usize::from(arg % 64)];
                if queue.push(chunk.clone()).is_ok() {
                    queued_model.extend_from_slice(&chunk);
                }
                assert!(queue.pending() <= queue.limit());
            }
            4 => {
                let mut slices = [IoSlice::new(&[]); 4];
                let count = queue.io_slices(&mut slices);
                let offered: usize = slices[..count].iter().map(|s| s.len()).sum();
                let mut flat = Vec::new();
                for slice in &slices[..count] {
                    flat.extend_from_slice(slice);
                }
                assert!(queued_model.starts_with(&flat));
                let n = usize::from(arg).min(offered);
                queue.handle_written(n, offered);
                queued_model.drain(..n);
                assert_eq!(queue.queued(), queued_model.len());
            }
            5 => queue.handle_blocked(),
            6 => match arg % 4 {
                0 => close.close(),
                1 => close.hard_close(),
                2 => close.handle_peer_eof(),
                _ => close.handle_flushed(arg & 4 == 0),
            },
            7 => {
                let id = AttemptId(usize::from(arg % 4));
                if arg & 0x80 == 0 {
                    attempts.handle_failed(id);
                } else {
                    attempts.handle_connected(id);
                }
            }
            8 => {
                let _ = queue.poll_backpressure();
            }
            _ => queue.clear(),
        }
        if op % 10 == 9 {
            queued_model.clear();
        }
        while let Some(action) = close.poll_action() {
            if action == CloseAction::Release {
                releases += 1;
            }
        }
        while let Some(event) = attempts.poll_event() {
            if matches!(event, ConnectEvent::Connected { .. } | ConnectEvent::Failed) {
                outcomes += 1;
            }
        }
        assert!(releases <= 1);
        assert!(outcomes <= 1);
        assert!(fed.starts_with(&delivered));
        assert_eq!(fed.len() - delivered.len(), recv.buffered());
    }
});
