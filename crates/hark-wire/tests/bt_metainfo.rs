//! Metainfo parsing: committed torrents made by real tools (regenerated live by
//! `bt_metainfo_tools.rs`), with the info hashes those tools printed, and hand-built
//! torrents for every refusal.

use hark_wire::bt::bencode::{self, OwnedValue};
use hark_wire::bt::metainfo::{Error, Info, InfoHash, MetaVersion, Metainfo, PathProblem};
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/bt")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn hash(hex: &str) -> InfoHash {
    hex.parse().expect("hex")
}

#[test]
fn fixtures_have_the_info_hashes_the_tools_printed() {
    // Printed by `transmission-show` (transmission-cli 3.00) and by libtorrent 2.0.8's
    // `torrent_info(...).info_hashes().v1` for each file; transmission-show cannot read the
    // hybrid, so that one is libtorrent's alone. mktorrent and libtorrent (v1 only, private)
    // made the same info dictionary from the same files, so their hashes agree.
    let cases = [
        (
            "transmission.torrent",
            "160800877e93dbeb1950727b45c532482dd33b1f",
        ),
        (
            "transmission-single.torrent",
            "525d07dd7673bbef77794114f60779089c853539",
        ),
        (
            "mktorrent.torrent",
            "08b6b0c5e480c9a9aa6a95f416d2371d507c446a",
        ),
        (
            "libtorrent-v1.torrent",
            "08b6b0c5e480c9a9aa6a95f416d2371d507c446a",
        ),
        (
            "libtorrent-hybrid.torrent",
            "12a29fc699f367fac2efb2e7bd2be8e3630f0e55",
        ),
    ];
    for (name, expected) in cases {
        let bytes = fixture(name);
        let meta = Metainfo::parse(&bytes).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(meta.info.info_hash, hash(expected), "{name}");
        // The hash covers the info dictionary's own bytes, which are kept.
        let root = bencode::decode(&bytes).expect("bencode");
        assert_eq!(
            meta.info.raw,
            root.get(b"info").expect("info").raw(),
            "{name}"
        );
        assert_eq!(Info::parse(&meta.info.raw).expect("info alone"), meta.info);
        assert_eq!(
            meta.comment.as_deref().unwrap_or("hark fixture"),
            "hark fixture"
        );
    }
}

#[test]
fn the_transmission_fixture_reads_field_by_field() {
    let meta = Metainfo::parse(&fixture("transmission.torrent")).expect("parse");
    assert_eq!(
        meta.created_by.as_deref(),
        Some("Transmission/3.00 (bb6b5a062e)")
    );
    assert_eq!(meta.comment.as_deref(), Some("hark fixture"));
    assert!(meta.creation_date.is_some());
    assert_eq!(
        meta.announce.as_deref(),
        Some("http://127.0.0.1:6969/announce")
    );
    assert_eq!(meta.info.piece_length, 32_768);
    assert_eq!(meta.info.piece_count(), 4);
    assert_eq!(meta.info.piece_len(3), Some(100_005 - 3 * 32_768));
    assert_eq!(meta.info.piece_len(4), None);
    assert_eq!(meta.info.meta_version, MetaVersion::V1);
    let paths: Vec<_> = meta
        .info
        .files
        .iter()
        .map(|f| meta.info.file_path(f))
        .collect();
    assert_eq!(
        paths,
        [Path::new("album/a.bin"), Path::new("album/sub/b.txt")]
    );
}

#[test]
fn a_v2_only_torrent_is_refused_with_a_typed_error() {
    // Made by libtorrent's create_torrent with the v2_only flag.
    let bytes = fixture("libtorrent-v2.torrent");
    assert!(matches!(Metainfo::parse(&bytes), Err(Error::V2Only { .. })));
}

fn info() -> OwnedValue {
    OwnedValue::dict()
        .with("length", OwnedValue::Integer(40_000))
        .with("name", OwnedValue::string("a.bin"))
        .with("piece length", OwnedValue::Integer(16_384))
        .with("pieces", OwnedValue::Bytes(vec![1; 60]))
}

fn torrent(info: OwnedValue) -> Vec<u8> {
    OwnedValue::dict().with("info", info).to_vec()
}

fn files(list: Vec<(Vec<&str>, i64)>) -> OwnedValue {
    OwnedValue::List(
        list.into_iter()
            .map(|(path, length)| {
                OwnedValue::dict()
                    .with("length", OwnedValue::Integer(length))
                    .with(
                        "path",
                        OwnedValue::List(path.into_iter().map(OwnedValue::string).collect()),
                    )
            })
            .collect(),
    )
}

fn multi(list: Vec<(Vec<&str>, i64)>) -> OwnedValue {
    let OwnedValue::Dict(mut entries) = info() else {
        unreachable!()
    };
    entries.remove(&b"length"[..]);
    OwnedValue::Dict(entries).with("files", files(list))
}

#[test]
fn hostile_paths_are_refused_with_the_component_and_its_offset() {
    let cases: Vec<(Vec<&str>, PathProblem)> = vec![
        (vec!["..", "etc", "passwd"], PathProblem::ParentDir),
        (vec!["a", "..", "b"], PathProblem::ParentDir),
        (vec!["."], PathProblem::CurrentDir),
        (vec!["a", ""], PathProblem::Empty),
        (vec!["/etc/passwd"], PathProblem::ForbiddenCharacter('/')),
        (vec!["C:", "Windows"], PathProblem::ForbiddenCharacter(':')),
        (vec!["a\\..\\b"], PathProblem::ForbiddenCharacter('\\')),
        (vec!["a\0b"], PathProblem::ForbiddenCharacter('\0')),
        (vec!["COM1"], PathProblem::Reserved),
        (vec!["con.txt"], PathProblem::Reserved),
        (vec!["Lpt9 .log"], PathProblem::Reserved),
    ];
    for (path, problem) in cases {
        let bytes = torrent(multi(vec![(path.clone(), 40_000)]));
        match Metainfo::parse(&bytes) {
            Err(Error::UnsafePath {
                offset,
                component,
                problem: found,
            }) => {
                assert_eq!(found, problem, "{path:?}");
                // The offset points at the component's bencoded string.
                let encoded = format!("{}:{component}", component.len());
                assert!(bytes[offset..].starts_with(encoded.as_bytes()), "{path:?}");
            }
            other => panic!("{path:?}: {other:?}"),
        }
    }
    // Names that merely look alike are fine.
    let fine = torrent(multi(vec![
        (vec!["..a", "b..", ".hidden"], 20_000),
        (vec!["console.txt", "COM10", "nul-terminated"], 20_000),
    ]));
    assert!(Metainfo::parse(&fine).is_ok());
    // The name is checked too.
    let bytes = torrent(info().with("name", OwnedValue::string("..")));
    assert!(matches!(
        Metainfo::parse(&bytes),
        Err(Error::UnsafePath {
            problem: PathProblem::ParentDir,
            ..
        })
    ));
    let bytes = torrent(multi(vec![(vec![], 40_000)]));
    assert!(matches!(
        Metainfo::parse(&bytes),
        Err(Error::EmptyPath { .. })
    ));
}

#[test]
fn sizes_and_hashes_must_agree() {
    let with = |key: &str, value: OwnedValue| torrent(info().with(key, value));
    assert!(Metainfo::parse(&torrent(info())).is_ok());
    assert!(matches!(
        Metainfo::parse(&with("pieces", OwnedValue::Bytes(vec![1; 59]))),
        Err(Error::InvalidPieces { len: 59, .. })
    ));
    assert!(matches!(
        Metainfo::parse(&with("pieces", OwnedValue::Bytes(vec![1; 40]))),
        Err(Error::PieceCountMismatch {
            expected: 3,
            actual: 2,
            ..
        })
    ));
    for bad in [0, -1, 1 << 32] {
        assert!(matches!(
            Metainfo::parse(&with("piece length", OwnedValue::Integer(bad))),
            Err(Error::InvalidPieceLength { value, .. }) if value == bad
        ));
    }
    assert!(matches!(
        Metainfo::parse(&with("length", OwnedValue::Integer(-5))),
        Err(Error::InvalidLength { value: -5, .. })
    ));
    assert!(matches!(
        Metainfo::parse(&with("files", files(vec![(vec!["x"], 1)]))),
        Err(Error::BothLengthAndFiles { .. })
    ));
    let huge = torrent(multi(vec![
        (vec!["a"], i64::MAX),
        (vec!["b"], i64::MAX),
        (vec!["c"], 2),
    ]));
    assert!(matches!(
        Metainfo::parse(&huge),
        Err(Error::TotalLengthOverflow { .. })
    ));
    assert!(matches!(
        Metainfo::parse(&torrent(multi(vec![]))),
        Err(Error::NoFiles { .. })
    ));
    assert!(matches!(
        Metainfo::parse(&with("private", OwnedValue::Integer(2))),
        Err(Error::InvalidPrivate { value: 2, .. })
    ));
    assert!(matches!(
        Metainfo::parse(&with("name", OwnedValue::Integer(2))),
        Err(Error::WrongType {
            key: "name",
            expected: "a string",
            ..
        })
    ));
    assert!(matches!(
        Metainfo::parse(&with("name", OwnedValue::Bytes(vec![0xff, 0xfe]))),
        Err(Error::NotUtf8 { key: "name", .. })
    ));
    assert!(matches!(
        Metainfo::parse(&with("meta version", OwnedValue::Integer(3))),
        Err(Error::UnsupportedMetaVersion { version: 3, .. })
    ));
    let OwnedValue::Dict(mut no_length) = info() else {
        unreachable!()
    };
    no_length.remove(&b"length"[..]);
    let bytes = torrent(OwnedValue::Dict(no_length));
    assert_eq!(
        Metainfo::parse(&bytes),
        Err(Error::Missing {
            key: "length",
            offset: 7
        })
    );
    assert_eq!(
        Metainfo::parse(b"d8:announce1:xe"),
        Err(Error::Missing {
            key: "info",
            offset: 0
        })
    );
    assert_eq!(
        Metainfo::parse(b"le"),
        Err(Error::WrongType {
            key: "torrent",
            offset: 0,
            expected: "a dictionary"
        })
    );
    assert!(matches!(
        Metainfo::parse(b"d4:infod"),
        Err(Error::Bencode(bencode::Error::Truncated { .. }))
    ));
    // An empty torrent (one empty file) has no pieces.
    let empty = torrent(
        info()
            .with("length", OwnedValue::Integer(0))
            .with("pieces", OwnedValue::Bytes(vec![])),
    );
    assert_eq!(
        Metainfo::parse(&empty).expect("empty").info.piece_count(),
        0
    );
}

#[test]
fn trackers_follow_bep_12_and_web_seeds_bep_19() {
    let tier =
        |urls: &[&str]| OwnedValue::List(urls.iter().map(|u| OwnedValue::string(u)).collect());
    let bytes = OwnedValue::dict()
        .with("announce", OwnedValue::string("http://a/announce"))
        .with(
            "announce-list",
            OwnedValue::List(vec![
                tier(&["http://b/announce", "udp://c:1"]),
                tier(&[]),
                tier(&["udp://d:2"]),
            ]),
        )
        .with("info", info())
        .with("url-list", OwnedValue::string("http://seed/file"))
        .to_vec();
    let meta = Metainfo::parse(&bytes).expect("parse");
    // announce-list wins over announce; empty tiers are dropped.
    assert_eq!(
        meta.tracker_tiers(),
        [vec!["http://b/announce", "udp://c:1"], vec!["udp://d:2"]]
    );
    assert_eq!(meta.url_list, ["http://seed/file"]);
    let only_announce = OwnedValue::dict()
        .with("announce", OwnedValue::string("http://a/announce"))
        .with("info", info())
        .with("url-list", tier(&["http://s1/", "http://s2/"]))
        .to_vec();
    let meta = Metainfo::parse(&only_announce).expect("parse");
    assert_eq!(meta.tracker_tiers(), [vec!["http://a/announce"]]);
    assert_eq!(meta.url_list, ["http://s1/", "http://s2/"]);
    let none = Metainfo::parse(&torrent(info())).expect("parse");
    assert!(none.tracker_tiers().is_empty() && none.url_list.is_empty());
}
