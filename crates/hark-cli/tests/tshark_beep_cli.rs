//! A TLS-free `hark beep send` ↔ `hark beep listen` session on loopback, captured by
//! dumpcap and decoded by tshark's `beep` dissector: BEEP is seen, data and SEQ frames
//! decode, and no frame is malformed or an expert error.

mod common;

use common::beep::{ECHO, Listener, send};
use hark_suite::capture::LoopbackCapture;
use hark_suite::tshark;

#[test]
fn tshark_decodes_a_hark_beep_cli_session_without_malformed_frames() {
    let listener = Listener::start(&["--profile", ECHO]);
    let port = listener.port;
    let mut capture = LoopbackCapture::start_tcp(port);

    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 253) as u8).collect();
    let out = send(port, ECHO, &["--size", "20000", "-"], &data);
    drop(listener);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout == data, "the echo differs");

    let path = capture.finish().to_path_buf();
    let decode = format!("tcp.port=={port},beep");
    let rows = tshark::filtered_fields(
        &path,
        &[&decode],
        Some("beep"),
        &[
            "frame.number",
            "beep.msgno",
            "beep.seq.ackno",
            "beep.invalid_terminator",
            "beep.more.expected",
            "_ws.malformed",
            "_ws.expert.severity",
        ],
    );
    assert!(!rows.is_empty(), "tshark saw no BEEP");
    let (mut msgnos, mut seqs) = (0, 0);
    for row in &rows {
        let [
            frame,
            msgno,
            ackno,
            invalid,
            more_expected,
            malformed,
            severity,
        ] = &row[..]
        else {
            panic!("unexpected row {row:?}");
        };
        assert!(malformed.is_empty(), "frame {frame} is malformed: {row:?}");
        assert!(
            invalid.is_empty(),
            "frame {frame}: invalid terminator: {row:?}"
        );
        assert!(
            more_expected.is_empty(),
            "frame {frame}: bad more flag: {row:?}"
        );
        assert!(
            !severity.split(',').any(|s| s == "8388608"),
            "frame {frame} has an expert error: {row:?}"
        );
        msgnos += usize::from(!msgno.is_empty());
        seqs += usize::from(!ackno.is_empty());
    }
    eprintln!(
        "{} packets with BEEP, {msgnos} with data frames, {seqs} with SEQ",
        rows.len()
    );
    assert!(msgnos > 0, "data frames decoded: {rows:?}");
}
