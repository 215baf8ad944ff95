//! A multi-file torrent for client tests: a piece length that is no power of two, a file
//! that ends mid-piece, an empty file, a file in a subdirectory and a tiny last file. The
//! data is deterministic; the `.torrent` is built with hark's bencode writer and SHA-1.

use std::path::{Path, PathBuf};

use hark_wire::bt::bencode::OwnedValue;
use hark_wire::bt::metainfo::InfoHash;

/// The torrent's name: its files live under `DIR/NAME`.
pub const NAME: &str = "hark-fixture";

/// 24 KiB: a multiple of the 16 KiB block, no power of two (pieces of one and a half blocks).
pub const PIECE_LENGTH: u32 = 24_576;

/// The files: path components and length. `a.bin` ends mid-piece, `empty.txt` is empty.
pub const FILES: &[(&[&str], usize)] = &[
    (&["a.bin"], 40_000),
    (&["empty.txt"], 0),
    (&["sub", "b.bin"], 100_003),
    (&["c.bin"], 7),
];

/// A fixture scaled up: each file's length times `scale` (the empty one stays empty).
#[derive(Debug, Clone)]
pub struct Fixture {
    /// File lengths, in [`FILES`] order.
    pub lengths: Vec<usize>,
}

impl Fixture {
    /// The files of [`FILES`], each `scale` times as long.
    pub fn scaled(scale: usize) -> Fixture {
        Fixture {
            lengths: FILES.iter().map(|(_, len)| len * scale).collect(),
        }
    }

    /// `DIR/NAME/...` of file `index`.
    pub fn path(&self, dir: &Path, index: usize) -> PathBuf {
        let mut full = dir.join(NAME);
        for part in FILES[index].0 {
            full.push(part);
        }
        full
    }

    /// Writes the files under `dir/NAME` and returns the `.torrent` bytes (no tracker, no
    /// web seed).
    pub fn write(&self, dir: &Path) -> Vec<u8> {
        self.write_with(dir, &[], &[])
    }

    /// Writes the files under `dir/NAME` and returns the `.torrent` bytes, announcing to
    /// `trackers` (one tier each) and listing `web_seeds` (BEP 19 `url-list`).
    pub fn write_with(&self, dir: &Path, trackers: &[&str], web_seeds: &[&str]) -> Vec<u8> {
        let mut stream = Vec::new();
        let mut files = Vec::new();
        for (index, ((path, _), len)) in FILES.iter().zip(&self.lengths).enumerate() {
            let data = contents(index, *len);
            let full = self.path(dir, index);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, &data).unwrap();
            stream.extend_from_slice(&data);
            files.push(
                OwnedValue::dict()
                    .with("length", OwnedValue::Integer(*len as i64))
                    .with(
                        "path",
                        OwnedValue::List(path.iter().map(|p| OwnedValue::string(p)).collect()),
                    ),
            );
        }
        let pieces: Vec<u8> = stream
            .chunks(PIECE_LENGTH as usize)
            .flat_map(|piece| InfoHash::of(piece).0)
            .collect();
        let info = OwnedValue::dict()
            .with("files", OwnedValue::List(files))
            .with("name", OwnedValue::string(NAME))
            .with("piece length", OwnedValue::Integer(i64::from(PIECE_LENGTH)))
            .with("pieces", OwnedValue::Bytes(pieces));
        let mut torrent = OwnedValue::dict().with("info", info);
        if let Some(first) = trackers.first() {
            let tiers = trackers
                .iter()
                .map(|t| OwnedValue::List(vec![OwnedValue::string(t)]))
                .collect();
            torrent = torrent
                .with("announce", OwnedValue::string(first))
                .with("announce-list", OwnedValue::List(tiers));
        }
        if !web_seeds.is_empty() {
            let seeds = web_seeds.iter().map(|u| OwnedValue::string(u)).collect();
            torrent = torrent.with("url-list", OwnedValue::List(seeds));
        }
        torrent.to_vec()
    }

    /// Asserts that `leech` holds the same files as `seed`, byte for byte.
    pub fn assert_same(&self, seed: &Path, leech: &Path) {
        for (index, len) in self.lengths.iter().enumerate() {
            let (a, b) = (self.path(seed, index), self.path(leech, index));
            let a = std::fs::read(&a).unwrap_or_else(|e| panic!("{}: {e}", a.display()));
            let b = std::fs::read(&b).unwrap_or_else(|e| panic!("{}: {e}", b.display()));
            assert_eq!(a.len(), *len);
            assert!(a == b, "{:?} differs", FILES[index].0);
        }
    }
}

/// Deterministic bytes for file `index`.
fn contents(index: usize, len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9u32.wrapping_mul(index as u32 + 1);
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}
