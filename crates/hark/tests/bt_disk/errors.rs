//! Every I/O error is a `Completion::Failed` naming the file: a full disk, a permission
//! refused, a file removed under an open torrent.

use std::io::ErrorKind;

use hark::bittorrent::disk::{DiskConfig, TorrentFiles, TorrentKey};
use hark_proto::bt::torrent::{Completion, DiskError, DiskJob, Storage};
use hark_wire::bt::metainfo::Info;

use crate::support::{Disk, Ids, Immutable, TempDir, Tmpfs, blocks, make_torrent};

/// Opens (and allocates) every file of `info` under `root`.
fn open_all(disk: &Disk, key: TorrentKey, info: &Info, ids: &mut Ids) {
    let mut jobs = Vec::new();
    for (file, entry) in info.files.iter().enumerate() {
        jobs.push(DiskJob::Open {
            id: ids.next(),
            file,
            path: info.file_path(entry),
        });
        jobs.push(DiskJob::Allocate {
            id: ids.next(),
            file,
            length: entry.length,
        });
    }
    for (id, c) in disk.run_all(key, jobs) {
        assert_eq!(c, Completion::Done(id));
    }
}

/// Writes the blocks of `info` in order until one fails; returns (blocks written, error).
fn write_until_failure(
    disk: &Disk,
    key: TorrentKey,
    info: &Info,
    data: &[u8],
    ids: &mut Ids,
) -> (usize, Option<DiskError>) {
    let storage = Storage::from_info(info);
    let mut written = 0;
    for index in 0..info.piece_count() as u32 {
        for (index, begin, length) in blocks(info, index) {
            let at = (u64::from(index) * u64::from(info.piece_length) + u64::from(begin)) as usize;
            let job = DiskJob::Write {
                id: ids.next(),
                slices: storage.map_block(index, begin, length),
                data: data[at..at + length as usize].to_vec(),
            };
            match disk.run(key, job) {
                Completion::Done(_) => written += 1,
                Completion::Failed(_, error) => return (written, Some(error)),
                other => panic!("{other:?}"),
            }
        }
    }
    (written, None)
}

fn hash_piece(disk: &Disk, key: TorrentKey, info: &Info, index: u32, ids: &mut Ids) -> Completion {
    let len = info.piece_len(index as usize).unwrap();
    let slices = Storage::from_info(info).map_block(index, 0, len);
    disk.run(
        key,
        DiskJob::HashPiece {
            id: ids.next(),
            index,
            slices,
        },
    )
}

#[test]
fn a_full_disk_fails_the_write_with_enospc_on_the_right_file() {
    let fs = Tmpfs::mount("full-writes", 256 * 1024);
    // File 1 holds most of the torrent and cannot fit.
    let (info, data) = make_torrent(21, "big", &[40_000, 600_000], 65_536);
    let disk = Disk::new(DiskConfig {
        cache_bytes: 0,
        ..DiskConfig::default()
    });
    let key = disk
        .pool
        .add_torrent(TorrentFiles::from_info(fs.path(), &info).unwrap());
    let mut ids = Ids::default();
    open_all(&disk, key, &info, &mut ids); // sparse: nothing reserved yet
    let (written, error) = write_until_failure(&disk, key, &info, &data, &mut ids);
    let error = error.expect("a 600 kB file fitted in a 256 KiB tmpfs");
    assert!(written > 4, "only {written} blocks fitted");
    assert_eq!(error.kind, ErrorKind::StorageFull, "{error}");
    assert_eq!(error.file, Some(1));
    // What was written before is intact and hashes right.
    assert_eq!(
        hash_piece(&disk, key, &info, 0, &mut ids),
        Completion::Hashed(ids.last(), info.pieces[0])
    );
}

#[test]
fn a_full_disk_behind_the_write_cache_fails_the_hash_that_flushes() {
    let fs = Tmpfs::mount("full-cache", 128 * 1024);
    let (info, data) = make_torrent(22, "cached", &[300_000], 65_536);
    let disk = Disk::new(DiskConfig {
        cache_bytes: 8 << 20,
        ..DiskConfig::default()
    });
    let key = disk
        .pool
        .add_torrent(TorrentFiles::from_info(fs.path(), &info).unwrap());
    let mut ids = Ids::default();
    open_all(&disk, key, &info, &mut ids);
    let (written, error) = write_until_failure(&disk, key, &info, &data, &mut ids);
    assert!(error.is_none(), "the cache took every block");
    assert_eq!(written, 19);
    assert!(disk.pool.cached_bytes() >= 300_000 - 65_536);
    // Hashing flushes each piece: the first ones fit, then the disk is full.
    let mut failed = None;
    for index in 0..info.piece_count() as u32 {
        match hash_piece(&disk, key, &info, index, &mut ids) {
            Completion::Hashed(_, digest) => assert_eq!(digest, info.pieces[index as usize]),
            Completion::Failed(_, error) => {
                failed = Some((index, error));
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    let (index, error) = failed.expect("300 kB were flushed into a 128 KiB tmpfs");
    assert!(index >= 1, "not even piece 0 fitted");
    assert_eq!(error.kind, ErrorKind::StorageFull, "{error}");
    assert_eq!(error.file, Some(0));
}

#[test]
fn a_refused_permission_fails_open_and_write() {
    let dir = TempDir::new("perm");
    let (info, data) = make_torrent(23, "perm", &[20_000, 20_000], 16_384);
    let disk = Disk::new(DiskConfig {
        cache_bytes: 0,
        ..DiskConfig::default()
    });
    let mut ids = Ids::default();

    // The torrent's directory cannot take new files.
    let top = dir.path().join("perm");
    std::fs::create_dir_all(top.join("dir")).unwrap();
    let locked = Immutable::new(&top.join("dir"));
    let key = disk
        .pool
        .add_torrent(TorrentFiles::from_info(dir.path(), &info).unwrap());
    let c = disk.run(
        key,
        DiskJob::Open {
            id: ids.next(),
            file: 1,
            path: info.file_path(&info.files[1]),
        },
    );
    match c {
        Completion::Failed(_, error) => {
            assert_eq!(error.kind, ErrorKind::PermissionDenied, "{error}");
            assert_eq!(error.file, Some(1));
        }
        other => panic!("opened in an immutable directory: {other:?}"),
    }
    drop(locked);

    // An open file that becomes immutable refuses the next write.
    open_all(&disk, key, &info, &mut ids);
    let file1 = dir.path().join(info.file_path(&info.files[1]));
    let _locked = Immutable::new(&file1);
    let (written, error) = write_until_failure(&disk, key, &info, &data, &mut ids);
    assert_eq!(
        written, 1,
        "file 0's blocks go in; the first block of file 1 does not"
    );
    let error = error.expect("wrote to an immutable file");
    assert_eq!(error.kind, ErrorKind::PermissionDenied, "{error}");
    assert_eq!(error.file, Some(1));
}

#[test]
fn a_file_without_write_permission_is_seeded_read_only() {
    let dir = TempDir::new("seed-ro");
    let (info, data) = make_torrent(25, "ro", &[30_000], 16_384);
    crate::support::write_files(dir.path(), &info, &data);
    let path = dir.path().join(info.file_path(&info.files[0]));
    let _locked = Immutable::new(&path);
    let disk = Disk::new(DiskConfig {
        cache_bytes: 0,
        ..DiskConfig::default()
    });
    let key = disk
        .pool
        .add_torrent(TorrentFiles::from_info(dir.path(), &info).unwrap());
    let mut ids = Ids::default();
    let open = DiskJob::Open {
        id: ids.next(),
        file: 0,
        path: info.file_path(&info.files[0]),
    };
    assert!(matches!(disk.run(key, open), Completion::Done(_)));
    let storage = Storage::from_info(&info);
    let id = ids.next();
    let read = DiskJob::Read {
        id,
        slices: storage.map_block(1, 0, 13_616),
    };
    assert_eq!(
        disk.run(key, read),
        Completion::Read(id, data[16_384..].to_vec())
    );
    assert_eq!(
        hash_piece(&disk, key, &info, 0, &mut ids),
        Completion::Hashed(ids.last(), info.pieces[0])
    );
    let write = DiskJob::Write {
        id: ids.next(),
        slices: storage.map_block(0, 0, 16),
        data: vec![0; 16],
    };
    match disk.run(key, write) {
        Completion::Failed(_, error) => {
            assert_eq!(error.kind, ErrorKind::PermissionDenied, "{error}");
            assert_eq!(error.file, Some(0));
        }
        other => panic!("wrote to a read-only file: {other:?}"),
    }
}

#[test]
fn a_file_removed_under_an_open_torrent_fails_its_jobs() {
    for max_open_files in [256, 1] {
        let dir = TempDir::new("removed");
        let (info, data) = make_torrent(24, "gone", &[40_000, 40_000], 16_384);
        let disk = Disk::new(DiskConfig {
            cache_bytes: 0,
            max_open_files,
            ..DiskConfig::default()
        });
        let key = disk
            .pool
            .add_torrent(TorrentFiles::from_info(dir.path(), &info).unwrap());
        let mut ids = Ids::default();
        open_all(&disk, key, &info, &mut ids);
        let storage = Storage::from_info(&info);
        // Piece 0 lies in file 0; remove file 0 while it is open (or closed by the table).
        std::fs::remove_file(dir.path().join(info.file_path(&info.files[0]))).unwrap();
        let write = DiskJob::Write {
            id: ids.next(),
            slices: storage.map_block(0, 0, 16_384),
            data: data[..16_384].to_vec(),
        };
        for job in [
            write,
            DiskJob::HashPiece {
                id: ids.next(),
                index: 0,
                slices: storage.map_block(0, 0, 16_384),
            },
        ] {
            match disk.run(key, job) {
                Completion::Failed(_, error) => {
                    assert_eq!(error.kind, ErrorKind::NotFound, "{error}");
                    assert_eq!(error.file, Some(0));
                }
                other => panic!("max_open_files {max_open_files}: {other:?}"),
            }
        }
        // File 1 is unaffected, and the removed file was not silently recreated.
        let c = disk.run(
            key,
            DiskJob::Write {
                id: ids.next(),
                slices: storage.map_block(3, 0, 16_384),
                data: data[3 * 16_384..4 * 16_384].to_vec(),
            },
        );
        assert!(matches!(c, Completion::Done(_)), "{c:?}");
        assert!(!dir.path().join(info.file_path(&info.files[0])).exists());
    }
}
