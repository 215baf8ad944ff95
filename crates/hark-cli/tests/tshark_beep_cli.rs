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
    let counts = tshark::check_beep_capture(&path, port);
    assert!(counts.data > 0, "no data frame decoded: {counts:?}");
}
