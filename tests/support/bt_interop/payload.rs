//! The data every client-interop test moves: a multi-file torrent with an odd piece length
//! (48 KiB, not a power of two), files that end inside pieces, an empty file and a
//! subdirectory. The bytes are a seeded pattern, so a wrong or shifted block is caught.

use std::path::{Path, PathBuf};

/// The torrent's name (its top directory).
pub const NAME: &str = "hark-album";
/// Bytes per piece: three 16 KiB blocks.
pub const PIECE_LENGTH: u32 = 48 * 1024;

/// Path below [`NAME`] and length of each file, in the sorted order of the torrent.
pub const FILES: [(&str, usize); 5] = [
    ("a.bin", 700_001),
    ("empty", 0),
    ("sub/b.bin", 300_007),
    ("sub/c.txt", 5),
    ("z.bin", 98_303),
];

/// Total bytes of [`FILES`].
pub fn total_len() -> usize {
    FILES.iter().map(|(_, len)| len).sum()
}

/// The bytes of the file at `index` in [`FILES`].
pub fn file_bytes(index: usize) -> Vec<u8> {
    let (path, len) = FILES[index];
    // xorshift64*, seeded by the path: each file has its own bytes.
    let mut state = path.bytes().fold(0x9e37_79b9_7f4a_7c15_u64, |s, b| {
        (s ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// Writes the payload into `dir/NAME` and returns that directory.
pub fn write(dir: &Path) -> PathBuf {
    let top = dir.join(NAME);
    for (index, (path, _)) in FILES.iter().enumerate() {
        let file = top.join(path);
        std::fs::create_dir_all(file.parent().expect("a parent")).expect("payload directory");
        std::fs::write(&file, file_bytes(index)).expect("payload file");
    }
    top
}

/// Checks that `dir/NAME` holds exactly the payload (the empty file included); returns
/// what differs, or `Ok` when every file is byte-exact.
pub fn verify(dir: &Path) -> Result<(), String> {
    verify_files(dir, true)
}

/// As [`verify`], but a missing empty file is fine: transmission 3.00 does not create
/// zero-length files.
pub fn verify_except_empty_files(dir: &Path) -> Result<(), String> {
    verify_files(dir, false)
}

fn verify_files(dir: &Path, empty_files: bool) -> Result<(), String> {
    let top = dir.join(NAME);
    let mut problems = Vec::new();
    for (index, (path, len)) in FILES.iter().enumerate() {
        if *len == 0 && !empty_files {
            continue;
        }
        match std::fs::read(top.join(path)) {
            Ok(bytes) if bytes == file_bytes(index) => {}
            Ok(bytes) if bytes.len() != *len => {
                problems.push(format!("{path}: {} bytes, want {len}", bytes.len()));
            }
            Ok(bytes) => {
                let at = bytes
                    .iter()
                    .zip(file_bytes(index))
                    .position(|(a, b)| *a != b)
                    .unwrap_or(0);
                problems.push(format!("{path}: first wrong byte at {at}"));
            }
            Err(error) => problems.push(format!("{path}: {error}")),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}", top.display(), problems.join("; ")))
    }
}
