//! Runs the real `hark` binary: `hark decode beep` prints a BEEP stream frame by frame.

use std::process::Command;

/// RFC 3080 sections 2.3.1.1 to 2.3.1.3, as one initiator-to-listener and
/// listener-to-initiator capture would interleave them, plus a SEQ (RFC 3081) and an ANS/NUL
/// exchange on channel 1.
fn session() -> Vec<u8> {
    let text = "RPY 0 0 . 0 110\n\
Content-Type: application/beep+xml\n\
\n\
<greeting>\n   <profile uri='http://iana.org/beep/TLS' />\n</greeting>\n\
END\n\
MSG 0 1 . 52 120\n\
Content-Type: application/beep+xml\n\
\n\
<start number='1'>\n   <profile uri='http://iana.org/beep/SASL/OTP' />\n</start>\n\
END\n\
ERR 0 1 . 221 105\n\
Content-Type: application/beep+xml\n\
\n\
<error code='550'>all requested profiles are\nunsupported</error>\n\
END\n\
SEQ 1 0 4096\n\
ANS 1 0 * 0 9 3\n\
\nhello\n\
END\n\
NUL 1 0 . 9 0\n\
END\n\
MSG 0 2 . 235 71\n\
Content-Type: application/beep+xml\n\
\n\
<close number='1' code='200' />\n\
END\n";
    text.replace('\n', "\r\n").into_bytes()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hark(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hark"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn decode_beep_prints_every_field_and_channel0_xml() {
    let bytes = session();
    let out = hark(&["decode", "beep", &hex(&bytes)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "frame 1 at byte 0 (132 bytes): RPY 0 0 . 0 110",
        "  keyword: RPY",
        "  more: . (complete)",
        "  size: 110",
        "  content-type: application/beep+xml",
        "  content-transfer-encoding: binary",
        "  channel 0: greeting\n    profile: http://iana.org/beep/TLS",
        "  channel 0: start\n    number: 1\n    profile: http://iana.org/beep/SASL/OTP",
        "  seqno: 221",
        "  channel 0: error\n    code: 550\n    text: \"all requested profiles are\\r\\nunsupported\"",
        "SEQ\n  channel: 1\n  ackno: 0\n  window: 4096",
        "ANS 1 0 * 0 9 3\n  keyword: ANS",
        "  more: * (intermediate)",
        "  ansno: 3",
        "  payload: \"\\r\\nhello\\r\\n\"",
        "NUL 1 0 . 9 0",
        "  channel 0: close\n    number: 1\n    code: 200",
        &format!("7 frames in {} bytes", bytes.len()),
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn decode_beep_reads_a_file_and_reports_a_cut_frame() {
    let bytes = session();
    let path = std::env::temp_dir().join(format!("hark-decode-beep-{}.bin", std::process::id()));
    std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
    let out = hark(&["decode", "beep", "--file", path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("NUL 1 0 . 9 0"), "{text}");
    assert!(
        text.contains("incomplete frame at byte 469: 84 bytes present, at least 10 more needed"),
        "{text}"
    );
    assert!(text.contains("6 frames in 469 bytes"), "{text}");
}

#[test]
fn decode_beep_stops_at_a_poorly_formed_frame() {
    let mut bytes = session()[..132].to_vec();
    bytes.extend_from_slice(b"NUL 1 0 * 0 0\r\nEND\r\n");
    let out = hark(&["decode", "beep", &hex(&bytes)]);
    assert!(!out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("channel 0: greeting"), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(
            "poorly-formed BEEP frame 2 at byte 132: NUL frame with continuation indicator '*'"
        ),
        "{stderr}"
    );

    let too_big = hark(&["decode", "beep", "--max-payload", "100", &hex(&session())]);
    assert!(!too_big.status.success());
    let stderr = String::from_utf8(too_big.stderr).unwrap();
    assert!(stderr.contains("exceeds the maximum of 100"), "{stderr}");
}
