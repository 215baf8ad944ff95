//! Runs Debian's tshark over a capture and reads the fields it decodes.
//!
//! A missing tshark is a test failure with instructions, never a silent skip.

use std::path::Path;
use std::process::Command;

/// Decodes `capture` with tshark and returns, per packet, the values of `fields` (empty
/// string where a field is absent). `decode_as` entries are passed as `-d` options, e.g.
/// `udp.port==6881,bt-utp`.
pub fn fields(capture: &Path, decode_as: &[&str], fields: &[&str]) -> Vec<Vec<String>> {
    filtered_fields(capture, decode_as, None, fields)
}

/// As [`fields`], for the packets that match the display filter `filter` (`-Y`).
pub fn filtered_fields(
    capture: &Path,
    decode_as: &[&str],
    filter: Option<&str>,
    fields: &[&str],
) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n").arg("-r").arg(capture);
    if let Some(filter) = filter {
        cmd.args(["-Y", filter]);
    }
    for rule in decode_as {
        cmd.args(["-d", rule]);
    }
    cmd.args(["-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]);
    for field in fields {
        cmd.args(["-e", field]);
    }
    let output = cmd.output().unwrap_or_else(|err| {
        panic!("tshark could not run ({err}); install it with `cargo xtask ci` or `apt-get install tshark`")
    });
    assert!(
        output.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.split('|').map(str::to_owned).collect())
        .collect()
}

/// What [`check_beep_capture`] counted.
#[derive(Debug, Clone, Copy)]
pub struct BeepCounts {
    /// Packets that carry BEEP.
    pub packets: usize,
    /// Packets with a data frame (a msgno).
    pub data: usize,
    /// Packets with a SEQ frame (an ackno).
    pub seqs: usize,
}

/// Decodes the BEEP session on TCP `port` in `capture` with tshark's `beep` dissector and
/// asserts BEEP was seen and that no frame is malformed, has an invalid terminator or a
/// bad more flag, or carries an expert error; returns the counts.
pub fn check_beep_capture(capture: &Path, port: u16) -> BeepCounts {
    let decode = format!("tcp.port=={port},beep");
    let rows = filtered_fields(
        capture,
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
    let (mut data, mut seqs) = (0, 0);
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
        data += usize::from(!msgno.is_empty());
        seqs += usize::from(!ackno.is_empty());
    }
    let counts = BeepCounts {
        packets: rows.len(),
        data,
        seqs,
    };
    eprintln!(
        "{} packets with BEEP, {data} with data frames, {seqs} with SEQ",
        counts.packets
    );
    counts
}
