//! Runs the real `hark` binary: `hark decode sctp` prints fields, or fails with the error.

use std::process::Command;

#[test]
fn decode_sctp_prints_fields() {
    let out = Command::new(env!("CARGO_BIN_EXE_hark"))
        .args([
            "decode",
            "sctp",
            "--layout",
            "linux",
            "098000000c00000003000000",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("sender_dry_assoc_id: 3"), "{text}");
}

#[test]
fn decode_sctp_rejects_malformed_input() {
    let out = Command::new(env!("CARGO_BIN_EXE_hark"))
        .args([
            "decode",
            "sctp",
            "--layout",
            "freebsd",
            "0a0000000d00000003000000",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("length field says 13 bytes but 12 bytes were given"),
        "{err}"
    );
}
