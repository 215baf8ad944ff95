//! A large single-file torrent for the BitTorrent benches: a patterned payload (every
//! 8-byte word a mix of its own index, so a block written at a wrong offset shows) written
//! and hashed on every core, its `.torrent` made with hark's bencode writer, a resume
//! file so that hark seeders start without re-hashing it, and a byte-exact check of a
//! downloaded copy.

use hark::bittorrent::AddTorrent;
use hark::bittorrent::disk::{FileStamp, ResumeData};
use hark_proto::bt::peer::PieceSet;
use hark_wire::bt::bencode::OwnedValue;
use sha1::{Digest, Sha1};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The torrent's name (its one file's name).
pub const NAME: &str = "hark-bench.bin";

/// A payload on disk and its `.torrent`.
#[derive(Debug, Clone)]
pub struct BigTorrent {
    /// The `.torrent` file.
    pub file: PathBuf,
    /// The bytes of [`BigTorrent::file`].
    pub bytes: Vec<u8>,
    /// The directory that holds [`NAME`] (a seeder's save directory).
    pub seed_dir: PathBuf,
    /// Payload length.
    pub len: u64,
    /// Bytes per piece.
    pub piece_length: u64,
}

/// Word `index` of the payload.
fn word(index: u64) -> u64 {
    let mut z = index.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z ^ (z >> 31)
}

/// Fills `buf` with the payload bytes from `offset` (a multiple of 8).
fn fill(buf: &mut [u8], offset: u64) {
    let first = offset / 8;
    let mut chunks = buf.chunks_mut(8);
    for (i, chunk) in (&mut chunks).enumerate() {
        let bytes = word(first + i as u64).to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

/// The pieces `0..count` split over the cores: calls `each(piece, buf)` for every piece on
/// one of `threads` threads, with `buf` sized to the piece; returns what each call gave,
/// in piece order.
fn per_piece<T: Send>(
    len: u64,
    piece_length: u64,
    each: impl Fn(u64, &mut Vec<u8>) -> T + Sync,
) -> Vec<T> {
    let count = len.div_ceil(piece_length);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let mut results: Vec<(u64, T)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let each = &each;
                s.spawn(move || {
                    let mut buf = Vec::with_capacity(piece_length as usize);
                    (t..count)
                        .step_by(threads as usize)
                        .map(|piece| {
                            let start = piece * piece_length;
                            buf.resize((len - start).min(piece_length) as usize, 0);
                            (piece, each(piece, &mut buf))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a payload thread panicked"))
            .collect()
    });
    results.sort_by_key(|(piece, _)| *piece);
    results.into_iter().map(|(_, value)| value).collect()
}

impl BigTorrent {
    /// Writes `len` bytes as `dir/seed/NAME` and makes `dir/NAME.torrent` with pieces of
    /// `piece_length` bytes (a power of two of at least 16 KiB).
    pub fn make(dir: &Path, len: u64, piece_length: u64) -> BigTorrent {
        assert!(
            piece_length.is_power_of_two() && piece_length >= 16 * 1024,
            "piece length {piece_length}: a power of two of at least 16 KiB"
        );
        let seed_dir = dir.join("seed");
        std::fs::create_dir_all(&seed_dir).expect("seed directory");
        let out = File::create(seed_dir.join(NAME)).expect("create the payload");
        out.set_len(len).expect("size the payload");
        let hashes = per_piece(len, piece_length, |piece, buf| {
            let start = piece * piece_length;
            fill(buf, start);
            out.write_all_at(buf, start).expect("write the payload");
            <[u8; 20]>::from(Sha1::digest(&buf[..]))
        });
        let info = OwnedValue::dict()
            .with("length", OwnedValue::Integer(len as i64))
            .with("name", OwnedValue::string(NAME))
            .with("piece length", OwnedValue::Integer(piece_length as i64))
            .with("pieces", OwnedValue::Bytes(hashes.concat()));
        let bytes = OwnedValue::dict().with("info", info).to_vec();
        let file = dir.join(format!("{NAME}.torrent"));
        std::fs::write(&file, &bytes).expect("write the .torrent");
        BigTorrent {
            file,
            bytes,
            seed_dir,
            len,
            piece_length,
        }
    }

    /// Writes a resume file for the seed data into `resume_dir` (as hark's client names
    /// it), so a client with that resume directory seeds at once instead of re-hashing.
    pub fn write_resume(&self, resume_dir: &Path) {
        let add = AddTorrent::from_bytes(&self.bytes, &self.seed_dir).expect("our own .torrent");
        let pieces = u32::try_from(self.len.div_ceil(self.piece_length)).expect("piece count");
        let stamp = FileStamp::of(&self.seed_dir.join(NAME)).expect("stat the payload");
        let resume = ResumeData {
            info_hash: add.info_hash().0,
            have: PieceSet::full(pieces),
            files: vec![stamp],
        };
        std::fs::create_dir_all(resume_dir).expect("resume directory");
        resume
            .save(&resume_dir.join(format!("{}.resume", add.info_hash())))
            .expect("write the resume file");
    }

    /// Checks that `dir/NAME` holds exactly the payload; returns what differs.
    pub fn verify(&self, dir: &Path) -> Result<(), String> {
        let path = dir.join(NAME);
        let file = File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let got = file.metadata().map_err(|e| e.to_string())?.len();
        if got != self.len {
            return Err(format!(
                "{}: {got} bytes, want {}",
                path.display(),
                self.len
            ));
        }
        let wrong: Vec<u64> = per_piece(self.len, self.piece_length, |piece, buf| {
            let start = piece * self.piece_length;
            let mut want = vec![0; buf.len()];
            fill(&mut want, start);
            let same = file.read_exact_at(buf, start).is_ok() && *buf == want;
            (!same).then_some(piece)
        })
        .into_iter()
        .flatten()
        .collect();
        match wrong.first() {
            None => Ok(()),
            Some(first) => Err(format!(
                "{}: {} wrong pieces, the first {first}",
                path.display(),
                wrong.len()
            )),
        }
    }
}
