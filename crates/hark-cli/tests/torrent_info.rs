//! Runs the real `hark` binary: `hark torrent info` on torrents made by mktorrent and
//! libtorrent (the fixtures of hark-wire's metainfo tests), and on a broken file.

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../hark-wire/tests/vectors/bt")
        .join(name)
}

fn hark_torrent_info(path: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hark"))
        .args(["torrent", "info"])
        .arg(path)
        .output()
        .expect("run hark")
}

#[test]
fn torrent_info_lists_a_mktorrent_torrent() {
    // Made by `mktorrent -d -p -l 15 -a URL1,URL2 -a URL3 -w URL album`.
    let out = hark_torrent_info(&fixture("mktorrent.torrent"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let expected = "\
name          album
info hash     08b6b0c5e480c9a9aa6a95f416d2371d507c446a
version       v1
private       yes
piece length  32768
pieces        4
total size    100005 bytes
comment       hark fixture
created by    mktorrent 1.1
files         3
  100000  album/a.bin
       0  album/empty
       5  album/sub/b.txt
trackers      3
  tier 1  http://127.0.0.1:6969/announce
  tier 1  http://127.0.0.2:6969/announce
  tier 2  udp://127.0.0.1:6969
web seeds     1
  http://127.0.0.1:8000/album
";
    assert_eq!(text, expected);
}

#[test]
fn torrent_info_marks_the_padding_of_a_hybrid_torrent() {
    // Made by libtorrent 2.0's create_torrent (v1 + v2 hybrid, BEP 47 padding files).
    let out = hark_torrent_info(&fixture("libtorrent-hybrid.torrent"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.contains("version       hybrid (v1 part read)"),
        "{text}"
    );
    assert!(
        text.contains("info hash     12a29fc699f367fac2efb2e7bd2be8e3630f0e55"),
        "{text}"
    );
    assert!(text.contains("album/.pad/31072  (padding)"), "{text}");
    assert!(text.contains("private       no"), "{text}");
}

#[test]
fn torrent_info_refuses_a_broken_file_with_the_reason() {
    let path = std::env::temp_dir().join(format!("hark-broken-{}.torrent", std::process::id()));
    std::fs::write(&path, b"d4:infod4:name2:..ee").expect("write");
    let out = hark_torrent_info(&path);
    let _ = std::fs::remove_file(&path);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).expect("utf-8");
    assert!(
        err.contains("path component \"..\" at offset 14 is refused"),
        "{err}"
    );

    let out = hark_torrent_info(&fixture("libtorrent-v2.torrent"));
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).expect("utf-8");
    assert!(err.contains("BitTorrent v2 only"), "{err}");
}
