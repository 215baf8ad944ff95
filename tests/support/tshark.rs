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
