//! Fast resume (save through the pool, load, validate) and re-check on all the workers.

use hark::bittorrent::disk::{DiskConfig, DiskRequestError, ResumeData, ResumeError, TorrentFiles};
use hark_proto::bt::peer::PieceSet;

use crate::support::{Disk, Out, TempDir, make_torrent, write_files};

#[test]
fn a_recheck_finds_exactly_the_intact_pieces() {
    let dir = TempDir::new("recheck");
    // 7 files, odd piece length, an empty file.
    let lengths = [70_001, 0, 5, 130_000, 1, 99_999, 40_000];
    let (info, mut data) = make_torrent(31, "check", &lengths, 32_771);
    data[100_000] ^= 0xff; // corrupts piece 3
    write_files(dir.path(), &info, &data);
    // A short file 3 fails the pieces of its tail, a missing file 6 its pieces.
    let f3 = dir.path().join(info.file_path(&info.files[3]));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f3)
        .unwrap()
        .set_len(100_000)
        .unwrap();
    std::fs::remove_file(dir.path().join(info.file_path(&info.files[6]))).unwrap();

    let disk = Disk::new(DiskConfig {
        threads: 3,
        ..DiskConfig::default()
    });
    let key = disk
        .pool
        .add_torrent(TorrentFiles::from_info(dir.path(), &info).unwrap());
    disk.pool.recheck(key, &info).unwrap();
    assert_eq!(disk.pool.recheck(key, &info), Err(DiskRequestError::Busy));
    let have = match disk.next() {
        Out::Checked(k, result) => {
            assert_eq!(k, key);
            result.unwrap()
        }
        other => panic!("{other:?}"),
    };
    let piece = |offset: u64| (offset / 32_771) as u32;
    let f3_start = info.files[3].offset;
    let short_from = piece(f3_start + 100_000);
    let f6_start = info.files[6].offset;
    for index in 0..info.piece_count() as u32 {
        let expected = index != 3
            && !(short_from..=piece(f3_start + 129_999)).contains(&index)
            && index < piece(f6_start);
        assert_eq!(have.contains(index), expected, "piece {index}");
    }
    assert!(have.len() >= 3);

    // Another torrent's metainfo is refused.
    let (other, _) = make_torrent(31, "check", &[10], 32_771);
    assert_eq!(
        disk.pool.recheck(key, &other),
        Err(DiskRequestError::Mismatch)
    );
}

#[test]
fn resume_data_saved_by_the_pool_validates_until_a_file_changes() {
    let dir = TempDir::new("resume");
    let (info, data) = make_torrent(32, "res", &[50_000, 0, 30_000], 16_411);
    write_files(dir.path(), &info, &data);
    std::fs::remove_file(dir.path().join(info.file_path(&info.files[1]))).unwrap();
    let files = TorrentFiles::from_info(dir.path(), &info).unwrap();
    let disk = Disk::new(DiskConfig::default());
    let key = disk.pool.add_torrent(files.clone());
    let mut have = PieceSet::empty(info.piece_count() as u32);
    for index in [0, 2, 4] {
        have.insert(index);
    }
    let path = dir.path().join("res.resume");
    disk.pool
        .save_resume(key, path.clone(), info.info_hash.0, have.clone())
        .unwrap();
    match disk.next() {
        Out::Saved(k, result) => assert_eq!((k, result), (key, Ok(()))),
        other => panic!("{other:?}"),
    }
    assert!(
        !dir.path().join("res.resume.tmp").exists(),
        "the temporary file stays"
    );

    let loaded = ResumeData::load(&path).unwrap();
    let count = info.piece_count() as u32;
    assert_eq!(
        loaded.validate(&files, &info.info_hash.0, count).unwrap(),
        have
    );
    assert!(loaded.files[1].is_none(), "the missing empty file");

    // Another torrent, another piece count.
    assert!(matches!(
        loaded.validate(&files, &[0; 20], count),
        Err(ResumeError::InfoHash)
    ));
    assert!(matches!(
        loaded.validate(&files, &info.info_hash.0, count + 1),
        Err(ResumeError::PieceCount { .. })
    ));
    // A file written since (same length, later mtime) and a file that appeared.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let f2 = dir.path().join(info.file_path(&info.files[2]));
    std::fs::write(&f2, &data[50_000..]).unwrap();
    assert!(matches!(
        loaded.validate(&files, &info.info_hash.0, count),
        Err(ResumeError::FileChanged { file: 2 })
    ));
    std::fs::write(dir.path().join(info.file_path(&info.files[1])), b"").unwrap();
    let again = ResumeData::capture(&files, info.info_hash.0, have.clone()).unwrap();
    assert_eq!(
        again.validate(&files, &info.info_hash.0, count).unwrap(),
        have
    );
    // A malformed or missing resume file is a typed error.
    std::fs::write(&path, b"d7:versioni1ee").unwrap();
    assert!(matches!(
        ResumeData::load(&path),
        Err(ResumeError::Malformed(_))
    ));
    std::fs::write(&path, b"garbage").unwrap();
    assert!(matches!(
        ResumeData::load(&path),
        Err(ResumeError::Bencode(_))
    ));
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(ResumeData::load(&path), Err(ResumeError::Io(_))));
}
