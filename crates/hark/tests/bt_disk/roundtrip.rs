//! Blocks written through jobs, hashed, read back byte-exact, under several settings.

use hark::bittorrent::disk::{Allocation, DiskConfig, TorrentFiles};
use hark_proto::bt::torrent::{Completion, DiskJob, Storage};
use sha1::{Digest, Sha1};

use crate::support::{Disk, Ids, TempDir, blocks, make_torrent};

/// An odd piece length, a file ending mid-piece, an empty file, a tiny file, a file
/// spanning pieces.
const LENGTHS: [u64; 5] = [10_000, 0, 25_001, 7, 16_411 * 2 + 3];
const PIECE: u32 = 16_411;

fn round_trip(config: DiskConfig) {
    let (info, data) = make_torrent(11, "multi", &LENGTHS, PIECE);
    let dir = TempDir::new("roundtrip");
    let disk = Disk::new(config.clone());
    let files = TorrentFiles::from_info(dir.path(), &info).unwrap();
    let storage = Storage::from_info(&info);
    let key = disk.pool.add_torrent(files);
    let mut ids = Ids::default();

    // Open and allocate every file, all at once (jobs run concurrently).
    let mut jobs = Vec::new();
    for (file, entry) in info.files.iter().enumerate() {
        let path = info.file_path(entry);
        jobs.push(DiskJob::Open {
            id: ids.next(),
            file,
            path,
        });
        jobs.push(DiskJob::Allocate {
            id: ids.next(),
            file,
            length: entry.length,
        });
    }
    for (id, c) in disk.run_all(key, jobs) {
        assert_eq!(c, Completion::Done(id), "{config:?}");
    }
    for entry in &info.files {
        let meta = std::fs::metadata(dir.path().join(info.file_path(entry))).unwrap();
        assert_eq!(meta.len(), entry.length, "allocated length");
    }

    // Every block, in one burst.
    let pieces = info.piece_count() as u32;
    let mut writes = Vec::new();
    for index in (0..pieces).rev() {
        for (index, begin, length) in blocks(&info, index) {
            let slices = storage.map_block(index, begin, length);
            let at = (u64::from(index) * u64::from(PIECE) + u64::from(begin)) as usize;
            let data = data[at..at + length as usize].to_vec();
            writes.push(DiskJob::Write {
                id: ids.next(),
                slices,
                data,
            });
        }
    }
    for (id, c) in disk.run_all(key, writes) {
        assert_eq!(c, Completion::Done(id), "{config:?}");
    }

    // Hash every piece; hash the blocks of the first.
    let mut hashes = Vec::new();
    let mut expect = std::collections::HashMap::new();
    for index in 0..pieces {
        let len = info.piece_len(index as usize).unwrap();
        let id = ids.next();
        expect.insert(id, info.pieces[index as usize]);
        hashes.push(DiskJob::HashPiece {
            id,
            index,
            slices: storage.map_block(index, 0, len),
        });
    }
    for (id, c) in disk.run_all(key, hashes) {
        assert_eq!(c, Completion::Hashed(id, expect[&id]), "{config:?}");
    }
    let first = blocks(&info, 0);
    let id = ids.next();
    let job = DiskJob::HashBlocks {
        id,
        index: 0,
        blocks: first
            .iter()
            .map(|&(i, b, l)| storage.map_block(i, b, l))
            .collect(),
    };
    let want = first
        .iter()
        .map(|&(_, b, l)| <[u8; 20]>::from(Sha1::digest(&data[b as usize..(b + l) as usize])))
        .collect();
    assert_eq!(disk.run(key, job), Completion::BlockHashes(id, want));

    // Read every block back.
    for index in 0..pieces {
        for (index, begin, length) in blocks(&info, index) {
            let id = ids.next();
            let slices = storage.map_block(index, begin, length);
            let at = (u64::from(index) * u64::from(PIECE) + u64::from(begin)) as usize;
            assert_eq!(
                disk.run(key, DiskJob::Read { id, slices }),
                Completion::Read(id, data[at..at + length as usize].to_vec())
            );
        }
    }

    // Close everything: the files on disk are the torrent's bytes.
    let closes = (0..info.files.len())
        .map(|file| DiskJob::Close {
            id: ids.next(),
            file,
        })
        .collect();
    for (id, c) in disk.run_all(key, closes) {
        assert_eq!(c, Completion::Done(id));
    }
    assert_eq!(disk.pool.cached_bytes(), 0);
    assert_eq!(disk.pool.open_files(), 0);
    for entry in &info.files {
        let on_disk = std::fs::read(dir.path().join(info.file_path(entry))).unwrap();
        let at = entry.offset as usize;
        assert!(
            on_disk == data[at..at + entry.length as usize],
            "{config:?}: file differs"
        );
    }
    assert!(disk.pool.remove_torrent(key));
}

#[test]
fn round_trip_with_the_write_cache() {
    round_trip(DiskConfig::default());
}

#[test]
fn round_trip_writing_through() {
    round_trip(DiskConfig {
        cache_bytes: 0,
        threads: 3,
        ..DiskConfig::default()
    });
}

#[test]
fn round_trip_in_writes_of_an_odd_length_and_in_whole_blocks() {
    for write_chunk_bytes in [1_000, 0] {
        round_trip(DiskConfig {
            write_chunk_bytes,
            cache_bytes: 0,
            ..DiskConfig::default()
        });
    }
}

#[test]
fn round_trip_with_a_small_cache_full_allocation_and_two_handles() {
    round_trip(DiskConfig {
        cache_bytes: 20_000,
        max_open_files: 2,
        allocation: Allocation::Full,
        queue_capacity: 2,
        threads: 2,
        ..DiskConfig::default()
    });
}

#[test]
fn a_job_for_another_path_or_an_unknown_torrent_is_refused() {
    let (info, _) = make_torrent(1, "t", &[100], 64);
    let dir = TempDir::new("refused");
    let disk = Disk::new(DiskConfig::default());
    let key = disk
        .pool
        .add_torrent(TorrentFiles::from_info(dir.path(), &info).unwrap());
    let id = hark_proto::bt::torrent::JobId(1);
    let c = disk.run(
        key,
        DiskJob::Open {
            id,
            file: 0,
            path: "elsewhere".into(),
        },
    );
    assert!(
        matches!(c, Completion::Failed(_, ref e) if e.file == Some(0) && e.kind == std::io::ErrorKind::InvalidInput),
        "{c:?}"
    );
    assert!(disk.pool.remove_torrent(key));
    let refused = disk.pool.submit(key, DiskJob::Close { id, file: 0 });
    assert!(matches!(
        refused,
        Err(hark::bittorrent::disk::DiskSubmitError::UnknownTorrent(_))
    ));
}
