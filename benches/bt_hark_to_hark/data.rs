//! The bench's torrent: files of deterministic bytes written to a directory (so they sit
//! in the page cache), the metainfo naming them, and a check of a downloaded copy.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use hark_wire::bt::bencode::OwnedValue;
use sha1::{Digest, Sha1};

/// The torrent's name (its directory under a save directory).
pub const NAME: &str = "bench";

/// Bytes generated and checked at a time.
const CHUNK: usize = 1 << 20;

/// The byte at every offset of the torrent's data: eight bytes of a splitmix64 of the
/// offset's 8-byte word, so any range can be regenerated to check a copy.
fn fill(offset: u64, out: &mut [u8]) {
    debug_assert_eq!(offset % 8, 0);
    for (i, word) in out.chunks_mut(8).enumerate() {
        let mut z = (offset / 8 + i as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        word.copy_from_slice(&z.to_le_bytes()[..word.len()]);
    }
}

/// The file sizes of a `total`-byte torrent: three quarters in one file, the rest in a
/// second that starts mid-piece, and an empty third (as a real multi-file torrent has).
pub fn file_sizes(total: u64) -> Vec<(String, u64)> {
    let first = (total / 4 * 3 + 12_345).min(total);
    vec![
        ("data-0.bin".into(), first),
        ("data-1.bin".into(), total - first),
        ("empty.txt".into(), 0),
    ]
}

/// Writes the torrent's files under `dir/NAME` and returns its metainfo (bencoded).
pub fn create(dir: &Path, total: u64, piece_length: u64) -> std::io::Result<Vec<u8>> {
    let root = dir.join(NAME);
    std::fs::create_dir_all(&root)?;
    let mut pieces = Vec::new();
    let mut hasher = Sha1::new();
    let mut in_piece = 0u64;
    let mut offset = 0u64;
    let mut buf = vec![0u8; CHUNK];
    for (name, size) in file_sizes(total) {
        let mut file = File::create(root.join(&name))?;
        let end = offset + size;
        while offset < end {
            // Chunks end at piece and file boundaries, so hashing follows pieces exactly.
            let n = (end - offset)
                .min(CHUNK as u64)
                .min(piece_length - in_piece) as usize;
            let aligned = offset / 8 * 8;
            let lead = (offset - aligned) as usize;
            let bytes = &mut buf[..(lead + n).div_ceil(8) * 8];
            fill(aligned, bytes);
            let bytes = &bytes[lead..lead + n];
            file.write_all(bytes)?;
            hasher.update(bytes);
            in_piece += n as u64;
            offset += n as u64;
            if in_piece == piece_length {
                pieces.extend_from_slice(&hasher.finalize_reset());
                in_piece = 0;
            }
        }
    }
    if in_piece > 0 {
        pieces.extend_from_slice(&hasher.finalize_reset());
    }
    let files = file_sizes(total)
        .into_iter()
        .map(|(name, length)| {
            OwnedValue::dict()
                .with("length", OwnedValue::Integer(length as i64))
                .with("path", OwnedValue::List(vec![OwnedValue::string(&name)]))
        })
        .collect();
    let info = OwnedValue::dict()
        .with("files", OwnedValue::List(files))
        .with("name", OwnedValue::string(NAME))
        .with("piece length", OwnedValue::Integer(piece_length as i64))
        .with("pieces", OwnedValue::Bytes(pieces));
    Ok(OwnedValue::dict().with("info", info).to_vec())
}

/// Compares the files under `dir/NAME` with the bytes `create` wrote, byte for byte.
pub fn verify(dir: &Path, total: u64) -> Result<(), String> {
    let root = dir.join(NAME);
    let mut offset = 0u64;
    let mut want = vec![0u8; CHUNK + 16];
    let mut got = vec![0u8; CHUNK];
    for (name, size) in file_sizes(total) {
        let path = root.join(&name);
        let mut file = File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let length = file.metadata().map_err(|e| e.to_string())?.len();
        if length != size {
            return Err(format!("{name}: {length} bytes, expected {size}"));
        }
        let end = offset + size;
        while offset < end {
            let n = (end - offset).min(CHUNK as u64) as usize;
            file.read_exact(&mut got[..n])
                .map_err(|e| format!("{name}: {e}"))?;
            let aligned = offset / 8 * 8;
            let lead = (offset - aligned) as usize;
            let bytes = &mut want[..(lead + n).div_ceil(8) * 8];
            fill(aligned, bytes);
            if got[..n] != bytes[lead..lead + n] {
                return Err(format!("{name}: differs near byte {offset}"));
            }
            offset += n as u64;
        }
    }
    Ok(())
}
