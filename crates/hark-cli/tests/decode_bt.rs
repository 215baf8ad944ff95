//! Runs the real `hark` binary: `hark decode bt` lists a peer-wire stream one message a line,
//! from hex or from a file, and fails with the offset and the error on a hostile stream.

use std::process::Command;

/// A handshake (extension + Fast + DHT bits), `have_all`, `unchoke` and a `request`.
const STREAM: &str = concat!(
    "13426974546f7272656e742070726f746f636f6c",
    "0000000000100005",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "2d4c54323030302d6162636465666768696a6b6c",
    "000000010e",
    "0000000101",
    "0000000d06000000010000400000004000",
);

fn hark(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hark"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn decode_bt_lists_a_stream_from_hex() {
    let out = hark(&["decode", "bt", STREAM]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].starts_with("0       handshake reserved=0000000000100005 [extension,fast,dht]"),
        "{text}"
    );
    assert!(lines[0].ends_with("\"-LT2000-abcdefghijkl\""), "{text}");
    assert_eq!(lines[1], "68      have_all");
    assert_eq!(lines[2], "73      unchoke");
    assert_eq!(lines[3], "78      request index=1 begin=16384 length=16384");
}

#[test]
fn decode_bt_reads_a_file() {
    let path = std::env::temp_dir().join(format!("hark-decode-bt-{}.bin", std::process::id()));
    std::fs::write(&path, [0u8, 0, 0, 5, 4, 0, 0, 0, 9, 0, 0, 0, 0]).unwrap();
    let out = hark(&["decode", "bt", "--file", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "0       have piece=9\n9       keep_alive\n"
    );
}

#[test]
fn decode_bt_refuses_an_oversize_length() {
    let out = hark(&["decode", "bt", "--max-len", "16", "0000000101 00000100"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("at byte 5: peer wire: message of 256 bytes exceeds the maximum of 16"),
        "{err}"
    );
}

#[test]
fn decode_bt_lists_a_recorded_libtorrent_stream() {
    // Recorded by tools/bt-peer-wire-capture.py (see hark-wire's tests/bt_peer_recorded.rs).
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../hark-wire/tests/vectors/bt_libtorrent_leecher.bin"
    );
    let out = hark(&["decode", "bt", "--file", path]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let kinds: Vec<&str> = text
        .lines()
        .map(|line| line.split_whitespace().nth(1).unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        [
            "handshake",
            "extended",
            "have_none",
            "port",
            "interested",
            "request",
            "request",
            "request",
            "have"
        ],
        "{text}"
    );
    assert!(
        text.contains("request index=2 begin=0 length=1000"),
        "{text}"
    );
    assert!(
        text.contains(
            "68      extended id=0 length=203 handshake m={lt_donthave=7,share_mode=8,upload_only=3,ut_holepunch=4,ut_metadata=2,ut_pex=1} v=\"libtorrent/2.0.8.0\" reqq=2000 yourip=127.0.0.1 p=40607"
        ),
        "{text}"
    );
}
