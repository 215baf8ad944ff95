//! A TLS-free `hark beep send` ↔ `hark beep listen` session on loopback, captured by
//! dumpcap and decoded by tshark's `beep` dissector: BEEP is seen, data and SEQ frames
//! decode, and no frame is malformed or an expert error.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use hark_suite::capture::LoopbackCapture;
use hark_suite::tshark;

const HARK: &str = env!("CARGO_BIN_EXE_hark");
const ECHO: &str = "http://example.org/beep/echo";

#[test]
fn tshark_decodes_a_hark_beep_cli_session_without_malformed_frames() {
    let mut listener = Command::new(HARK)
        .args([
            "beep",
            "listen",
            "-l",
            "127.0.0.1",
            "-p",
            "0",
            "--profile",
            ECHO,
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(listener.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let port: u16 = line
        .trim()
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    std::thread::spawn(move || for _ in stderr.lines() {});
    let mut capture = LoopbackCapture::start_tcp(port);

    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 253) as u8).collect();
    let mut send = Command::new(HARK)
        .args([
            "beep",
            "send",
            "127.0.0.1",
            &port.to_string(),
            "--profile",
            ECHO,
        ])
        .args(["--size", "20000", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = send.stdin.take().unwrap();
    let sent = data.clone();
    let writer = std::thread::spawn(move || input.write_all(&sent));
    let out = send.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let _ = listener.kill();
    let _ = listener.wait();
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
