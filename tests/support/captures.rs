//! Runs a `tools/*-vectors.py` capture script against a real peer and reads its output.

use std::process::Command;

/// Runs `tools/<script>` with Debian's `/usr/bin/python3` and returns its `label hex` lines
/// as `(label, bytes)`. A missing interpreter or peer fails the test with instructions.
pub fn run(script: &str) -> Vec<(String, Vec<u8>)> {
    let path = format!("{}/tools/{script}", env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("/usr/bin/python3")
        .arg(&path)
        .output()
        .unwrap_or_else(|err| {
            panic!("/usr/bin/python3 {path}: {err} (`cargo xtask ci` installs the peers)")
        });
    assert!(
        output.status.success(),
        "{script} failed (its peers are installed by `cargo xtask ci`): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(label, hex)| (label.to_string(), decode_hex(hex)))
        .collect()
}

fn decode_hex(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .map(|i| {
            u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex from the capture script")
        })
        .collect()
}
