//! What a seeder and a downloader on this machine spend per GB whatever their code,
//! timed between the rounds so it sees the machine as the downloads do:
//! - the downloader filling the page cache with the torrent (16 KiB writes into fresh
//!   files, the client's default write chunk);
//! - the seeder reading the torrent back from the page cache;
//! - SHA-1 of every byte (the `sha1` crate, as the client hashes).
//!
//! Moving the bytes from one to the other is left out, so this is a lower bound of the
//! CPU time the two clients together need per GB.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use hark_suite::proc_cpu::this_thread;
use sha1::{Digest, Sha1};

use crate::data::{NAME, file_sizes};

/// Bytes read and hashed at a time.
const CHUNK: usize = 1 << 20;
/// Bytes per write, as `DiskConfig::write_chunk_bytes` by default.
const WRITE: usize = 16 << 10;

/// CPU seconds per GB (10^9 bytes) of each part of the floor.
#[derive(Debug, Clone, Copy)]
pub struct Floor {
    pub fill: f64,
    pub read: f64,
    pub sha1: f64,
}

impl Floor {
    /// The three parts together.
    pub fn total(&self) -> f64 {
        self.fill + self.read + self.sha1
    }
}

/// Reads the `total`-byte torrent under `seed_dir/NAME`, hashes it and writes a copy under
/// `scratch` (deleted again), timing each part on this thread's CPU clock.
pub fn measure(seed_dir: &Path, scratch: &Path, total: u64) -> std::io::Result<Floor> {
    std::fs::create_dir_all(scratch)?;
    let mut buf = vec![0u8; CHUNK];
    let (mut fill, mut read, mut sha1) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut hasher = Sha1::new();
    for (name, size) in file_sizes(total) {
        let mut source = File::open(seed_dir.join(NAME).join(&name))?;
        let mut copy = File::create(scratch.join(&name))?;
        let mut left = size;
        while left > 0 {
            let n = left.min(CHUNK as u64) as usize;
            let t0 = this_thread();
            source.read_exact(&mut buf[..n])?;
            let t1 = this_thread();
            hasher.update(&buf[..n]);
            let t2 = this_thread();
            for piece in buf[..n].chunks(WRITE) {
                copy.write_all(piece)?;
            }
            let t3 = this_thread();
            read += t1 - t0;
            sha1 += t2 - t1;
            fill += t3 - t2;
            left -= n as u64;
        }
    }
    std::hint::black_box(hasher.finalize());
    std::fs::remove_dir_all(scratch)?;
    let per_gb = |d: Duration| d.as_secs_f64() / (total as f64 / 1e9);
    Ok(Floor {
        fill: per_gb(fill),
        read: per_gb(read),
        sha1: per_gb(sha1),
    })
}
