//! Runs the real `hark` binary: `hark torrent create`, checked against third-party tools
//! from Debian's packages. libtorrent (python3-libtorrent) and `transmission-show`
//! (transmission-cli) must compute the info hash hark prints, libtorrent must find every
//! piece of the data valid, mktorrent must list the same files and piece hashes, and
//! `hark torrent info` must read it back. A missing tool fails the test (`cargo xtask ci`
//! installs them).

use hark_wire::bt::metainfo::Metainfo;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `album/`: `a.bin` (100,000 bytes), `empty` (0 bytes), `sub/b.txt` ("hello") and
/// `Z.txt` (an upper-case name: bytewise, it sorts first).
fn payload(test: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("hark-create-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("album/sub")).expect("payload dir");
    let pattern: Vec<u8> = (0..100_000u32).map(|i| ((i * 7 + 3) % 251) as u8).collect();
    std::fs::write(root.join("album/a.bin"), pattern).expect("a.bin");
    std::fs::write(root.join("album/empty"), b"").expect("empty");
    std::fs::write(root.join("album/sub/b.txt"), b"hello").expect("b.txt");
    std::fs::write(root.join("album/Z.txt"), b"last?").expect("Z.txt");
    root
}

fn hark(args: &[&str], path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hark"))
        .args(args)
        .arg(path)
        .output()
        .expect("run hark")
}

fn success(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

fn tool(command: &mut Command) -> String {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.output().unwrap_or_else(|error| {
        panic!("cannot run {program} ({error}): install it (`cargo xtask ci` does)")
    });
    success(&output, &program)
}

/// The `info hash` line of hark's listing.
fn hark_hash(listing: &str) -> String {
    listing
        .lines()
        .find_map(|line| line.strip_prefix("info hash     "))
        .unwrap_or_else(|| panic!("no info hash line in:\n{listing}"))
        .to_string()
}

fn transmission_show(torrent: &Path) -> String {
    tool(Command::new("transmission-show").arg(torrent))
}

fn transmission_hash(torrent: &Path) -> String {
    let text = transmission_show(torrent);
    text.lines()
        .find_map(|line| line.trim().strip_prefix("Hash: "))
        .unwrap_or_else(|| panic!("no Hash: line in transmission-show output:\n{text}"))
        .to_string()
}

/// libtorrent's v1 info hash, and how many pieces of the data under `save` it finds valid
/// after a full hash check, out of how many.
fn libtorrent_check(torrent: &Path, save: &Path) -> (String, u64, u64) {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/peers/libtorrent_interop.py");
    let scratch = save.join(".scratch");
    let text = tool(
        Command::new("/usr/bin/python3")
            .arg(script)
            .arg("check")
            .arg("--torrent")
            .arg(torrent)
            .arg("--save")
            .arg(save)
            .arg("--dir")
            .arg(&scratch),
    );
    let mut hash = None;
    let mut counts = None;
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        if let Some(h) = value.get("info_hash").and_then(|h| h.as_str()) {
            hash = Some(h.to_string());
        }
        if value.get("event").and_then(|e| e.as_str()) == Some("checked") {
            counts = Some((
                value["have"].as_u64().expect("have"),
                value["pieces"].as_u64().expect("pieces"),
            ));
        }
    }
    let (have, pieces) = counts.unwrap_or_else(|| panic!("no check result in:\n{text}"));
    (
        hash.unwrap_or_else(|| panic!("no info hash in:\n{text}")),
        have,
        pieces,
    )
}

#[test]
fn a_directory_with_an_odd_piece_length_matches_libtorrent_and_transmission() {
    let root = payload("odd");
    let torrent = root.join("album.torrent");
    let out = hark(
        &[
            "torrent",
            "create",
            "-t",
            "http://127.0.0.1:6969/announce,http://127.0.0.2:6969/announce",
            "-t",
            "udp://127.0.0.1:6969",
            "-w",
            "http://127.0.0.1:8000/",
            "--piece-length",
            "40000",
            "-o",
            torrent.to_str().expect("utf-8 path"),
        ],
        &root.join("album"),
    );
    let listing = success(&out, "hark torrent create");
    let hash = hark_hash(&listing);
    // 100,010 bytes in 40,000-byte pieces: a.bin ends inside piece 2, the last is short.
    for expected in [
        "piece length  40000\n",
        "pieces        3\n",
        "total size    100010 bytes\n",
        "files         4\n       5  album/Z.txt\n  100000  album/a.bin\n       0  album/empty\n       5  album/sub/b.txt\n",
        "  tier 1  http://127.0.0.1:6969/announce\n  tier 1  http://127.0.0.2:6969/announce\n  tier 2  udp://127.0.0.1:6969\n",
        "web seeds     1\n  http://127.0.0.1:8000/\n",
        "private       no\n",
    ] {
        assert!(
            listing.contains(expected),
            "{expected:?} not in:\n{listing}"
        );
    }

    assert_eq!(transmission_hash(&torrent), hash);
    let (lt_hash, have, pieces) = libtorrent_check(&torrent, &root);
    assert_eq!(lt_hash, hash);
    assert_eq!(
        (have, pieces),
        (3, 3),
        "libtorrent found pieces of hark's torrent invalid"
    );

    // Read back by `hark torrent info`: the same listing, without the `wrote` line.
    let info = success(&hark(&["torrent", "info"], &torrent), "hark torrent info");
    assert_eq!(listing.split_once('\n').expect("two lines").1, info);

    // Corrupting one byte of the last file makes libtorrent fail exactly one piece.
    std::fs::write(root.join("album/sub/b.txt"), b"hellO").expect("corrupt");
    let (_, have, _) = libtorrent_check(&torrent, &root);
    assert_eq!(have, 2);
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn files_and_piece_hashes_equal_mktorrents() {
    let root = payload("mktorrent");
    let ours = root.join("hark.torrent");
    let theirs = root.join("mktorrent.torrent");
    success(
        &hark(
            &[
                "torrent",
                "create",
                "--private",
                "--piece-length",
                "32K",
                "-o",
                ours.to_str().expect("utf-8"),
            ],
            &root.join("album"),
        ),
        "hark torrent create",
    );
    tool(
        Command::new("mktorrent")
            .args(["-p", "-l", "15", "-o"])
            .arg(&theirs)
            .arg(root.join("album")),
    );
    let ours = Metainfo::parse(&std::fs::read(&ours).expect("read")).expect("hark's torrent");
    let theirs = Metainfo::parse(&std::fs::read(&theirs).expect("read")).expect("mktorrent's");
    assert_eq!(ours.info.files, theirs.info.files);
    assert_eq!(ours.info.pieces, theirs.info.pieces);
    assert_eq!(ours.info.piece_length, theirs.info.piece_length);
    assert!(ours.info.private && theirs.info.private);
    // mktorrent's info dictionary has the same keys and values: the same info hash.
    assert_eq!(ours.info.info_hash, theirs.info.info_hash);
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn a_single_file_gets_an_automatic_piece_length() {
    let root = payload("single");
    let torrent = root.join("a.torrent");
    let listing = success(
        &hark(
            &[
                "torrent",
                "create",
                "--private",
                "-o",
                torrent.to_str().expect("utf-8"),
            ],
            &root.join("album/a.bin"),
        ),
        "hark torrent create",
    );
    assert!(listing.contains("name          a.bin\n"), "{listing}");
    assert!(listing.contains("piece length  16384\n"), "{listing}");
    assert!(listing.contains("pieces        7\n"), "{listing}");
    assert!(listing.contains("private       yes\n"), "{listing}");
    assert!(
        listing.contains("files         1\n  100000  a.bin\n"),
        "{listing}"
    );
    let hash = hark_hash(&listing);
    assert_eq!(transmission_hash(&torrent), hash);
    assert!(transmission_show(&torrent).contains("Private torrent"));
    let (lt_hash, have, pieces) = libtorrent_check(&torrent, &root.join("album"));
    assert_eq!((lt_hash.as_str(), have, pieces), (hash.as_str(), 7, 7));
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn nothing_to_share_is_refused_with_the_reason() {
    let root = payload("refused");
    let torrent = root.join("x.torrent");
    let out = hark(
        &["torrent", "create", "-o", torrent.to_str().expect("utf-8")],
        &root.join("album/empty"),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("holds no bytes"), "{err}");

    let out = hark(
        &["torrent", "create", "-o", torrent.to_str().expect("utf-8")],
        &root.join("missing"),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));

    let out = hark(
        &[
            "torrent",
            "create",
            "--piece-length",
            "0",
            "-o",
            torrent.to_str().expect("utf-8"),
        ],
        &root.join("album"),
    );
    assert!(!out.status.success());
    assert!(!torrent.exists());
    std::fs::remove_dir_all(&root).ok();
}
