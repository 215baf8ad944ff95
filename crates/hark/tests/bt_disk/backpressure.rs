//! A full worker pool parks disk jobs in the bounded backlog, which empties as results come
//! back; a full backlog hands the job back.

use std::sync::mpsc;
use std::time::Instant;

use hark::bittorrent::disk::{DiskConfig, DiskSubmitError, TorrentFiles};
use hark_proto::bt::torrent::{Completion, DiskJob, Storage};
use hark_reactor::Reactor;
use hark_reactor::workers::{JobResult, WorkerConfig};

use crate::support::{DEADLINE, Disk, Ids, Out, TempDir, make_torrent};

#[test]
fn a_full_pool_parks_jobs_and_a_full_backlog_hands_them_back() {
    let dir = TempDir::new("backpressure");
    let (info, data) = make_torrent(51, "bp", &[64 * 1024], 16_384);
    let workers = WorkerConfig {
        threads: 1,
        queue_capacity: 1,
        ..WorkerConfig::default()
    };
    let config = DiskConfig {
        backlog_capacity: 2,
        cache_bytes: 0,
        ..DiskConfig::default()
    };
    let (disk, shared) = Disk::on_workers(workers, config);
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

    // Another owner of the same pool holds its only thread.
    let (release, blocked) = mpsc::channel::<()>();
    let other = shared.submitter(|_: &mut Reactor, _: Instant, r: JobResult<()>| r.unwrap());
    other
        .submit(move || {
            let _ = blocked.recv_timeout(DEADLINE);
        })
        .unwrap();

    // One job fits in the pool (2 in flight at most), two wait in the backlog, the fourth
    // comes back.
    let storage = Storage::from_info(&info);
    let write = |ids: &mut Ids, block: u32| DiskJob::Write {
        id: ids.next(),
        slices: storage.map_block(block, 0, 16_384),
        data: data[block as usize * 16_384..(block as usize + 1) * 16_384].to_vec(),
    };
    let mut accepted = Vec::new();
    for block in 0..3 {
        let job = write(&mut ids, block);
        accepted.push(job.id());
        disk.pool.submit(key, job).unwrap();
    }
    assert_eq!(disk.pool.backlog_len(), 2);
    let fourth = write(&mut ids, 3);
    let back = match disk.pool.submit(key, fourth.clone()) {
        Err(DiskSubmitError::Full(job)) => job,
        other => panic!("{other:?}"),
    };
    assert_eq!(back, fourth);

    // Released, the pool runs the parked jobs as results come back; none is lost.
    release.send(()).unwrap();
    let mut done = Vec::new();
    while done.len() < accepted.len() {
        match disk.next() {
            Out::Done(k, Completion::Done(id)) if k == key => done.push(id),
            other => panic!("{other:?}"),
        }
    }
    done.sort();
    assert_eq!(done, accepted);
    assert_eq!(disk.pool.backlog_len(), 0);
    assert!(matches!(disk.run(key, back), Completion::Done(_)));
}
