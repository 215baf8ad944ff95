//! Real notifications written by a real SCTP stack, recorded once.
//!
//! Provenance: `vectors/sctp_usrsctp_live.txt` is the output of
//! `tools/sctp-vectors/usrsctp_live.c` (`make -C tools/sctp-vectors live`) linked with
//! Debian's libusrsctp 0.9.5.0 on x86_64. The root package's `tests/sctp_usrsctp_live.rs`
//! runs the same program on every test run; both check the same facts (`usrsctp/mod.rs`).

mod usrsctp;

use usrsctp::Delivered;

fn delivered() -> Vec<Delivered> {
    usrsctp::assemble(include_str!("vectors/sctp_usrsctp_live.txt"))
}

#[test]
fn every_real_notification_parses_and_re_emits() {
    usrsctp::every_notification_parses_and_re_emits(&delivered());
}

#[test]
fn every_kind_is_seen() {
    usrsctp::every_kind_is_seen(&delivered());
}

#[test]
fn assoc_ids_are_consistent_per_socket() {
    usrsctp::assoc_ids_are_consistent_per_socket(&delivered());
}

#[test]
fn association_up_carries_the_feature_list() {
    usrsctp::association_up_carries_the_feature_list(&delivered());
}

#[test]
fn peer_abort_carries_the_abort_chunk() {
    usrsctp::peer_abort_carries_the_abort_chunk(&delivered());
}

#[test]
fn large_send_failures_arrive_in_pieces() {
    usrsctp::large_send_failures_arrive_in_pieces(&delivered());
}

#[test]
fn injected_error_chunk_is_a_remote_error() {
    usrsctp::injected_error_chunk_is_a_remote_error(&delivered());
}

#[test]
fn the_other_kinds_carry_the_values_set() {
    usrsctp::the_other_kinds_carry_the_values_set(&delivered());
}
