//! Hostile peers against libutp's callback table (`hark::utp`, mode (b)): a connection is
//! accepted through on_firewall/on_accept, then the input is a script of raw datagrams,
//! well-addressed packets with fuzzed fields, virtual clock jumps, and callback-side
//! commands (writes, closes, held reads and read_drained). Nothing may panic; every
//! datagram given to sendto must be well-formed uTP, on_read never gets an empty slice,
//! and a destroyed socket stays unknown.
#![no_main]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hark::utp::{Callbacks, UtpContext, UtpSocket, UtpState};
use hark_wire::utp::Packet;
use libfuzzer_sys::fuzz_target;

#[path = "common/utp_script.rs"]
mod utp_script;

/// What the callbacks share with the script.
#[derive(Default)]
struct Shared {
    socket: Option<UtpSocket>,
    hold: usize,
    write_on_writable: usize,
    close_on_eof: bool,
    destroyed: bool,
}

fuzz_target!(|data: &[u8]| {
    let peer: SocketAddr = "10.1.1.1:4000".parse().unwrap();
    let clock = Arc::new(Mutex::new(0u64));
    let shared = Arc::new(Mutex::new(Shared::default()));
    let (c, s1, s2, s3) = (
        Arc::clone(&clock),
        Arc::clone(&shared),
        Arc::clone(&shared),
        Arc::clone(&shared),
    );
    let mut seed = 7u32;
    let callbacks = Callbacks::new()
        .get_microseconds(move || *c.lock().unwrap())
        .get_random(move || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            seed
        })
        .sendto(move |_socket, datagram, to, _flags| {
            assert_eq!(to, peer);
            Packet::new_checked(datagram).expect("the context sent a malformed packet");
        })
        .on_firewall(|_, _| false)
        .on_accept(move |_, socket, _| s1.lock().unwrap().socket = Some(socket))
        .on_read(|_, _, data| assert!(!data.is_empty()))
        .get_read_buffer_size(move |_, _| s2.lock().unwrap().hold)
        .on_state_change(move |cx, socket, state| {
            let mut shared = s3.lock().unwrap();
            match state {
                UtpState::Writable => {
                    let n = shared.write_on_writable;
                    let _ = cx.write(socket, &vec![0xcd; n]);
                }
                UtpState::Eof if shared.close_on_eof => cx.close(socket),
                UtpState::Destroying => shared.destroyed = true,
                _ => {}
            }
        });
    let mut context = UtpContext::builder().callbacks(callbacks).build().expect("sendto is set");
    // The first byte's low bit: does the peer offer (and then use) the checksum extension?
    let (offer_integrity, data) = match data.split_first() {
        Some((first, rest)) => (first & 1 == 1, rest),
        None => (false, data),
    };
    let syn = utp_script::syn(offer_integrity);
    assert!(context.process_udp(&syn, peer));
    let socket = shared.lock().unwrap().socket.expect("on_accept ran");

    let mut input = data;
    while let [op, rest @ ..] = input {
        input = rest;
        match op % 7 {
            0 => {
                let Some((&len, rest)) = input.split_first() else { break };
                let len = usize::from(len).min(rest.len());
                let _ = context.process_udp(&rest[..len], peer);
                input = &rest[len..];
            }
            1 => {
                // A packet on the connection with fuzzed type, offsets, window, SACK, payload.
                let Some((packet, rest)) = utp_script::fuzzed_packet(input, *clock.lock().unwrap() as u32) else { break };
                let _ = context.process_udp(&packet, peer);
                input = rest;
            }
            2 => {
                let Some((&ms, rest)) = input.split_first() else { break };
                *clock.lock().unwrap() += u64::from(ms) * 7_000;
                context.check_timeouts();
                input = rest;
            }
            3 => {
                let Some((&len, rest)) = input.split_first() else { break };
                let _ = context.write(socket, &vec![0xab; usize::from(len) * 64]);
                shared.lock().unwrap().write_on_writable = usize::from(len) * 32;
                input = rest;
            }
            4 => {
                let Some((&hold, rest)) = input.split_first() else { break };
                shared.lock().unwrap().hold = usize::from(hold) * 100;
                let _ = context.read_drained(socket);
                input = rest;
            }
            5 => {
                shared.lock().unwrap().close_on_eof = true;
                if input.first() == Some(&0) {
                    let _ = context.close(socket);
                }
            }
            _ => context.issue_deferred_acks(),
        }
        if shared.lock().unwrap().destroyed {
            assert!(context.stats(socket).is_none(), "a destroyed socket stays unknown");
        }
    }
});
