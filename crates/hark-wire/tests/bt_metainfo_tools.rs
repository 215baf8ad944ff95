//! Torrents made live by third-party tools from Debian's packages (`transmission-create`
//! and `transmission-show` from transmission-cli, `mktorrent`, libtorrent's
//! `create_torrent` from python3-libtorrent), parsed by hark: the info hash must equal the
//! one the tools print, and the committed fixtures in `tests/vectors/bt/` must be what the
//! tools make today. A missing tool fails the test (`cargo xtask ci` installs them).
//!
//! Regenerate the fixtures with `HARK_BLESS=1 cargo test -p hark-wire --test
//! bt_metainfo_tools`.

use hark_wire::bt::metainfo::{Error, InfoHash, MetaVersion, Metainfo};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The payload every tool hashes: `album/a.bin` (100,000 bytes of a fixed pattern),
/// `album/empty` (0 bytes) and `album/sub/b.txt` ("hello"). With 32 KiB pieces the last
/// piece is short and a file ends mid-piece.
fn payload(test: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("hark-bt-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("album/sub")).expect("payload dir");
    let pattern: Vec<u8> = (0..100_000u32).map(|i| ((i * 7 + 3) % 251) as u8).collect();
    std::fs::write(root.join("album/a.bin"), pattern).expect("a.bin");
    std::fs::write(root.join("album/empty"), b"").expect("empty");
    std::fs::write(root.join("album/sub/b.txt"), b"hello").expect("b.txt");
    root
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/bt")
        .join(name)
}

fn run(command: &mut Command) -> String {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.output().unwrap_or_else(|error| {
        panic!("cannot run {program} ({error}): install it (`cargo xtask ci` does)")
    });
    assert!(
        output.status.success(),
        "{program} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The `Hash:` line of `transmission-show`.
fn transmission_show_hash(torrent: &Path) -> InfoHash {
    let text = run(Command::new("transmission-show").arg(torrent));
    let line = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Hash: "))
        .unwrap_or_else(|| panic!("no Hash: line in transmission-show output:\n{text}"));
    line.parse().expect("40 hex digits")
}

/// libtorrent's own v1 info hash of a torrent file.
fn libtorrent_hash(torrent: &Path) -> InfoHash {
    let text = run(Command::new("/usr/bin/python3")
        .arg("-c")
        .arg("import sys, libtorrent as lt; print(lt.torrent_info(sys.argv[1]).info_hashes().v1)")
        .arg(torrent));
    text.trim().parse().expect("40 hex digits")
}

/// Checks the fixture against what the tool made now: same info dictionary bytes (the
/// parts outside it, such as the creation date, may differ), or writes it when blessing.
fn compare_with_fixture(name: &str, made: &[u8]) {
    let path = fixture_path(name);
    if std::env::var_os("HARK_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("vectors dir");
        std::fs::write(&path, made).expect("write fixture");
    }
    let committed = std::fs::read(&path).unwrap_or_else(|error| panic!("{name}: {error}"));
    let (now, then) = (Metainfo::parse(made), Metainfo::parse(&committed));
    match (now, then) {
        (Ok(now), Ok(then)) => assert_eq!(now.info, then.info, "{name} changed"),
        (Err(now), Err(then)) => assert_eq!(now, then, "{name} changed"),
        (now, then) => panic!("{name}: now {now:?}, committed {then:?}"),
    }
}

#[test]
fn transmission_create_torrents_have_the_hash_transmission_prints() {
    let root = payload("transmission");
    let multi = root.join("transmission.torrent");
    run(Command::new("transmission-create")
        .current_dir(&root)
        .args(["-o", multi.to_str().expect("utf-8")])
        .args(["-t", "http://127.0.0.1:6969/announce"])
        .args(["-t", "udp://127.0.0.1:6969"])
        .args(["-s", "32", "-c", "hark fixture", "album"]));
    let bytes = std::fs::read(&multi).expect("torrent");
    let meta = Metainfo::parse(&bytes).expect("parse");
    assert_eq!(meta.info.info_hash, transmission_show_hash(&multi));
    assert_eq!(meta.info.info_hash, libtorrent_hash(&multi));
    assert_eq!(meta.info.name, "album");
    assert_eq!(meta.info.piece_length, 32 * 1024);
    // transmission-create leaves empty files out.
    let files: Vec<_> = meta
        .info
        .files
        .iter()
        .map(|f| (f.path.join("/"), f.length))
        .collect();
    assert_eq!(
        files,
        [("a.bin".to_owned(), 100_000), ("sub/b.txt".to_owned(), 5)]
    );
    assert_eq!(meta.info.piece_count(), 4);
    assert_eq!(
        meta.tracker_tiers(),
        [
            vec!["http://127.0.0.1:6969/announce".to_owned()],
            vec!["udp://127.0.0.1:6969".to_owned()]
        ]
    );
    assert!(meta.url_list.is_empty()); // transmission-create 3.00 has no web seed option
    assert!(!meta.info.private);
    compare_with_fixture("transmission.torrent", &bytes);

    let single = root.join("transmission-single.torrent");
    run(Command::new("transmission-create")
        .current_dir(&root)
        .args(["-o", single.to_str().expect("utf-8")])
        .args(["-p", "-t", "http://127.0.0.1:6969/announce"])
        .args(["-s", "16", "album/a.bin"]));
    let bytes = std::fs::read(&single).expect("torrent");
    let meta = Metainfo::parse(&bytes).expect("parse");
    assert_eq!(meta.info.info_hash, transmission_show_hash(&single));
    assert!(meta.info.single_file && meta.info.private);
    assert_eq!(
        (meta.info.name.as_str(), meta.info.total_length()),
        ("a.bin", 100_000)
    );
    assert_eq!(meta.info.piece_count(), 7);
    assert_eq!(meta.info.piece_len(6), Some(100_000 - 6 * 16_384));
    compare_with_fixture("transmission-single.torrent", &bytes);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn mktorrent_torrents_have_the_hash_transmission_and_libtorrent_print() {
    let root = payload("mktorrent");
    let out = root.join("mktorrent.torrent");
    // mktorrent prints no info hash; transmission-show and libtorrent read it.
    run(Command::new("mktorrent")
        .current_dir(&root)
        .args(["-d", "-p", "-l", "15", "-c", "hark fixture"])
        .args([
            "-a",
            "http://127.0.0.1:6969/announce,http://127.0.0.2:6969/announce",
        ])
        .args(["-a", "udp://127.0.0.1:6969"])
        .args(["-w", "http://127.0.0.1:8000/album"])
        .args(["-o", out.to_str().expect("utf-8"), "album"]));
    let bytes = std::fs::read(&out).expect("torrent");
    let meta = Metainfo::parse(&bytes).expect("parse");
    assert_eq!(meta.info.info_hash, transmission_show_hash(&out));
    assert_eq!(meta.info.info_hash, libtorrent_hash(&out));
    assert!(meta.info.private);
    let files: Vec<_> = meta
        .info
        .files
        .iter()
        .map(|f| (f.path.join("/"), f.length, f.offset))
        .collect();
    assert_eq!(
        files,
        [
            ("a.bin".to_owned(), 100_000, 0),
            ("empty".to_owned(), 0, 100_000),
            ("sub/b.txt".to_owned(), 5, 100_000)
        ]
    );
    assert_eq!(
        meta.tracker_tiers(),
        [
            vec![
                "http://127.0.0.1:6969/announce".to_owned(),
                "http://127.0.0.2:6969/announce".to_owned()
            ],
            vec!["udp://127.0.0.1:6969".to_owned()]
        ]
    );
    assert_eq!(meta.url_list, ["http://127.0.0.1:8000/album"]);
    compare_with_fixture("mktorrent.torrent", &bytes);
    let _ = std::fs::remove_dir_all(&root);
}

fn libtorrent_create(root: &Path, mode: &str, out: &str, private: bool) -> (Vec<u8>, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/lt_create_torrent.py");
    let out = root.join(out);
    let printed = run(Command::new("/usr/bin/python3").arg(script).args([
        mode,
        root.to_str().expect("utf-8"),
        "album",
        out.to_str().expect("utf-8"),
        "32768",
        "http://127.0.0.1:6969/announce|udp://127.0.0.1:6969,udp://127.0.0.2:6969",
        "http://127.0.0.1:8000/",
        if private { "1" } else { "0" },
    ]));
    (
        std::fs::read(&out).expect("torrent"),
        printed.trim().to_owned(),
    )
}

#[test]
fn libtorrent_create_torrent_v1_and_hybrid_have_the_hash_libtorrent_prints() {
    let root = payload("libtorrent");
    let tiers = [
        vec!["http://127.0.0.1:6969/announce".to_owned()],
        vec![
            "udp://127.0.0.1:6969".to_owned(),
            "udp://127.0.0.2:6969".to_owned(),
        ],
    ];

    let (bytes, printed) = libtorrent_create(&root, "v1", "libtorrent-v1.torrent", true);
    let meta = Metainfo::parse(&bytes).expect("parse v1");
    assert_eq!(meta.info.info_hash.to_string(), printed);
    assert_eq!(meta.info.meta_version, MetaVersion::V1);
    assert!(meta.info.private);
    assert_eq!(meta.tracker_tiers(), tiers);
    assert_eq!(meta.url_list, ["http://127.0.0.1:8000/"]);
    compare_with_fixture("libtorrent-v1.torrent", &bytes);

    // A hybrid torrent pads each file to a piece boundary with BEP 47 padding files.
    let (bytes, printed) = libtorrent_create(&root, "hybrid", "libtorrent-hybrid.torrent", false);
    let meta = Metainfo::parse(&bytes).expect("parse hybrid");
    assert_eq!(meta.info.info_hash.to_string(), printed);
    assert_eq!(meta.info.meta_version, MetaVersion::Hybrid);
    let real: Vec<_> = meta
        .info
        .files
        .iter()
        .filter(|f| !f.padding)
        .map(|f| (f.path.join("/"), f.length))
        .collect();
    assert_eq!(
        real,
        [
            ("a.bin".to_owned(), 100_000),
            ("empty".to_owned(), 0),
            ("sub/b.txt".to_owned(), 5)
        ]
    );
    let padding: u64 = meta
        .info
        .files
        .iter()
        .filter(|f| f.padding)
        .map(|f| f.length)
        .sum();
    // a.bin and b.txt (the last file too) are each padded to a whole piece.
    assert_eq!(padding, 5 * 32_768 - 100_005);
    assert_eq!(meta.info.piece_count(), 5);
    compare_with_fixture("libtorrent-hybrid.torrent", &bytes);

    let (bytes, printed) = libtorrent_create(&root, "v2", "libtorrent-v2.torrent", false);
    assert_eq!(printed, "none");
    assert!(matches!(Metainfo::parse(&bytes), Err(Error::V2Only { .. })));
    compare_with_fixture("libtorrent-v2.torrent", &bytes);
    let _ = std::fs::remove_dir_all(&root);
}
