//! SHA-1 of every piece of a torrent's byte stream (its files laid end to end), on all
//! cores: threads take the next unhashed piece from a shared counter and read it with
//! positioned reads, so no file offset is shared between them.

use sha1::{Digest, Sha1};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One file of the stream, in stream order.
#[derive(Debug, Clone)]
pub struct StreamFile {
    /// Where it is on disk.
    pub path: PathBuf,
    /// Its length when it was listed; a file that changes size while hashing is an error.
    pub length: u64,
}

/// How much of a piece one read takes at most (pieces may be up to 2 GiB).
const READ_CHUNK: usize = 1 << 20;

/// Hashes the pieces of `files` (concatenated) cut every `piece_length` bytes, the last
/// piece shorter. `progress` is called with the bytes of each piece done, from any thread.
pub fn hash_pieces(
    files: &[StreamFile],
    piece_length: u32,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<[u8; 20]>, String> {
    let total: u64 = files.iter().map(|file| file.length).sum();
    let piece_length = u64::from(piece_length);
    if piece_length == 0 {
        return Err("the piece length must be at least 1".into());
    }
    let count = usize::try_from(total.div_ceil(piece_length))
        .map_err(|_| "too many pieces for this machine".to_string())?;
    // Opened once, shared by every thread (positioned reads need no `&mut`).
    let opened = files
        .iter()
        .filter(|file| file.length > 0)
        .map(|file| {
            File::open(&file.path)
                .map(|handle| (handle, file))
                .map_err(|error| format!("cannot open {}: {error}", file.path.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Start offset of each non-empty file in the stream.
    let mut starts = Vec::with_capacity(opened.len());
    let mut at = 0;
    for (_, file) in &opened {
        starts.push(at);
        at += file.length;
    }
    let stream = Stream {
        files: &opened,
        starts: &starts,
    };
    let next = AtomicUsize::new(0);
    let hashes = Mutex::new(vec![[0u8; 20]; count]);
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .min(count.max(1));
    let failure: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut buf = vec![0u8; READ_CHUNK.min(piece_length as usize)];
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count || failure.lock().map(|f| f.is_some()).unwrap_or(true) {
                        break;
                    }
                    let start = index as u64 * piece_length;
                    let len = piece_length.min(total - start);
                    match stream.hash(start, len, &mut buf) {
                        Ok(digest) => {
                            if let Ok(mut hashes) = hashes.lock() {
                                hashes[index] = digest;
                            }
                            progress(len);
                        }
                        Err(error) => {
                            if let Ok(mut failure) = failure.lock() {
                                failure.get_or_insert(error);
                            }
                            break;
                        }
                    }
                }
            });
        }
    });
    if let Some(error) = failure
        .into_inner()
        .map_err(|_| "a hashing thread panicked")?
    {
        return Err(error);
    }
    hashes
        .into_inner()
        .map_err(|_| "a hashing thread panicked".into())
}

/// The non-empty files with their start offsets.
struct Stream<'a> {
    files: &'a [(File, &'a StreamFile)],
    starts: &'a [u64],
}

impl Stream<'_> {
    /// SHA-1 of `len` bytes from stream offset `start`.
    fn hash(&self, mut start: u64, len: u64, buf: &mut [u8]) -> Result<[u8; 20], String> {
        let mut hasher = Sha1::new();
        let end = start + len;
        // The last file starting at or before `start`.
        let mut file = self
            .starts
            .partition_point(|&s| s <= start)
            .saturating_sub(1);
        while start < end {
            let (handle, meta) = &self.files[file];
            let file_end = self.starts[file] + meta.length;
            if start >= file_end {
                file += 1;
                continue;
            }
            let want = (end.min(file_end) - start).min(buf.len() as u64) as usize;
            let offset = start - self.starts[file];
            let read = handle
                .read_at(&mut buf[..want], offset)
                .map_err(|error| format!("cannot read {}: {error}", meta.path.display()))?;
            if read == 0 {
                return Err(format!(
                    "{} shrank while it was hashed (it had {} bytes)",
                    meta.path.display(),
                    meta.length
                ));
            }
            hasher.update(&buf[..read]);
            start += read as u64;
        }
        Ok(hasher.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> StreamFile {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        StreamFile {
            path,
            length: bytes.len() as u64,
        }
    }

    #[test]
    fn pieces_span_files_and_skip_empty_ones() {
        let dir = std::env::temp_dir().join(format!("hark-hasher-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let a: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let b: Vec<u8> = (0..777u32).map(|i| (i % 13) as u8).collect();
        let files = [
            write(&dir, "a", &a),
            write(&dir, "empty", b""),
            write(&dir, "b", &b),
        ];
        let stream = [a, b].concat();
        let hashes = hash_pieces(&files, 300, &|_| {}).expect("hash");
        let expected: Vec<[u8; 20]> = stream
            .chunks(300)
            .map(|piece| Sha1::digest(piece).into())
            .collect();
        assert_eq!(hashes, expected);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_file_shorter_than_listed_is_an_error() {
        let dir = std::env::temp_dir().join(format!("hark-hasher-short-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let mut file = write(&dir, "a", &[1; 100]);
        file.length = 200;
        let error = hash_pieces(&[file], 64, &|_| {}).expect_err("shrank");
        assert!(error.contains("shrank"), "{error}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
