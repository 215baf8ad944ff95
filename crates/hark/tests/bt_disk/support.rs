//! What the disk tests share: temporary directories, a tmpfs of a given size, seeded
//! torrents, and a disk pool whose outcomes come back to the test thread.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use hark::bittorrent::disk::{DiskConfig, DiskHandler, DiskPool, ResumeError, TorrentKey};
use hark_proto::bt::peer::PieceSet;
use hark_proto::bt::torrent::{Completion, DiskError, DiskJob, JobId};
use hark_reactor::workers::{WorkerConfig, WorkerPool};
use hark_reactor::{Reactor, ReactorConfig, ReactorThread};
use hark_wire::bt::bencode::OwnedValue;
use hark_wire::bt::metainfo::Info;
use sha1::{Digest, Sha1};

pub const DEADLINE: Duration = Duration::from_secs(30);

/// A directory under /tmp, removed (with everything in it) on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("hark-bt-disk-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(status.success(), "{program} {args:?} failed: {status}");
}

/// A tmpfs of `size` bytes mounted on a temporary directory (the tests run as root);
/// unmounted on drop.
pub struct Tmpfs {
    dir: TempDir,
}

impl Tmpfs {
    pub fn mount(name: &str, size: u64) -> Tmpfs {
        let dir = TempDir::new(name);
        let options = format!("size={size},mode=0755");
        run(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &options,
                "tmpfs",
                dir.path().to_str().unwrap(),
            ],
        );
        Tmpfs { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Gives the tmpfs `size` bytes (space freed).
    pub fn resize(&self, size: u64) {
        let options = format!("remount,size={size}");
        run("mount", &["-o", &options, self.path().to_str().unwrap()]);
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Sets or clears the immutable attribute (`chattr +i`): even root then gets `EPERM` for
/// writes, which is how a root test sees a permission refused.
pub fn set_immutable(path: &Path, on: bool) {
    run(
        "chattr",
        &[if on { "+i" } else { "-i" }, path.to_str().unwrap()],
    );
}

/// Clears the immutable attribute on drop, so the directory can be removed.
pub struct Immutable(pub PathBuf);

impl Immutable {
    pub fn new(path: &Path) -> Immutable {
        set_immutable(path, true);
        Immutable(path.to_owned())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        set_immutable(&self.0, false);
    }
}

/// Seeded bytes (xorshift), so a failure can be reproduced.
pub fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// A multi-file torrent named `name` of seeded content: (info, the content).
pub fn make_torrent(seed: u64, name: &str, lengths: &[u64], piece_length: u32) -> (Info, Vec<u8>) {
    let total: u64 = lengths.iter().sum();
    let data = content(seed, total as usize);
    let mut pieces = Vec::new();
    for chunk in data.chunks(piece_length as usize) {
        pieces.extend_from_slice(&Sha1::digest(chunk));
    }
    let files = lengths
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            OwnedValue::dict()
                .with("length", OwnedValue::Integer(len as i64))
                .with(
                    "path",
                    OwnedValue::List(vec![
                        OwnedValue::string("dir"),
                        OwnedValue::string(&format!("f{i}.bin")),
                    ]),
                )
        })
        .collect();
    let info = OwnedValue::dict()
        .with("files", OwnedValue::List(files))
        .with("name", OwnedValue::string(name))
        .with("piece length", OwnedValue::Integer(i64::from(piece_length)))
        .with("pieces", OwnedValue::Bytes(pieces))
        .to_vec();
    (Info::parse(&info).expect("valid info"), data)
}

/// Writes `data` as `info`'s files under `root` (what a finished download leaves).
pub fn write_files(root: &Path, info: &Info, data: &[u8]) {
    for file in &info.files {
        let path = root.join(info.file_path(file));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let at = file.offset as usize;
        std::fs::write(&path, &data[at..at + file.length as usize]).unwrap();
    }
}

/// What a disk pool handed to the reactor thread, forwarded to the test.
#[derive(Debug)]
pub enum Out {
    Done(TorrentKey, Completion),
    Checked(TorrentKey, Result<PieceSet, DiskError>),
    Saved(TorrentKey, Result<(), String>),
}

struct Forward(Sender<Out>);

impl DiskHandler for Forward {
    fn completed(&mut self, r: &mut Reactor, _: Instant, key: TorrentKey, c: Completion) {
        assert_eq!(std::thread::current().name(), Some("hark-reactor"));
        let _ = r;
        let _ = self.0.send(Out::Done(key, c));
    }

    fn checked(
        &mut self,
        _: &mut Reactor,
        _: Instant,
        key: TorrentKey,
        result: Result<PieceSet, DiskError>,
    ) {
        let _ = self.0.send(Out::Checked(key, result));
    }

    fn resume_saved(
        &mut self,
        _: &mut Reactor,
        _: Instant,
        key: TorrentKey,
        result: Result<(), ResumeError>,
    ) {
        let _ = self
            .0
            .send(Out::Saved(key, result.map_err(|e| e.to_string())));
    }
}

/// A reactor and a disk pool whose outcomes come back to the test thread.
pub struct Disk {
    pub pool: DiskPool,
    rx: Receiver<Out>,
    // Last: the reactor stops after the pool handle is gone.
    _reactor: ReactorThread,
}

impl Disk {
    pub fn new(config: DiskConfig) -> Disk {
        let reactor = Reactor::spawn(ReactorConfig::default()).unwrap();
        let (tx, rx) = channel();
        let pool = DiskPool::new(reactor.handle(), config, Forward(tx)).unwrap();
        Disk {
            pool,
            rx,
            _reactor: reactor,
        }
    }

    /// A disk pool on a worker pool of `workers` that the test can use too.
    pub fn on_workers(workers: WorkerConfig, config: DiskConfig) -> (Disk, WorkerPool) {
        let reactor = Reactor::spawn(ReactorConfig::default()).unwrap();
        let (tx, rx) = channel();
        let shared = WorkerPool::new(reactor.handle(), workers).unwrap();
        let pool = DiskPool::on_workers(&shared, config, Forward(tx));
        let disk = Disk {
            pool,
            rx,
            _reactor: reactor,
        };
        (disk, shared)
    }

    pub fn next(&self) -> Out {
        self.rx
            .recv_timeout(DEADLINE)
            .expect("no disk outcome within the deadline")
    }

    /// The next outcome if one comes within `wait`.
    pub fn next_within(&self, wait: Duration) -> Option<Out> {
        self.rx.recv_timeout(wait).ok()
    }

    /// The next outcome if one is there.
    pub fn try_next(&self) -> Option<Out> {
        self.rx.try_recv().ok()
    }

    /// Submits every job, then waits for all their completions (any order).
    pub fn run_all(&self, key: TorrentKey, jobs: Vec<DiskJob>) -> HashMap<JobId, Completion> {
        let ids: Vec<JobId> = jobs.iter().map(DiskJob::id).collect();
        for job in jobs {
            self.pool.submit(key, job).expect("submitted");
        }
        let mut out = HashMap::new();
        while out.len() < ids.len() {
            match self.next() {
                Out::Done(k, c) => {
                    assert_eq!(k, key);
                    let id = completion_id(&c);
                    assert!(ids.contains(&id), "unexpected completion {c:?}");
                    assert!(out.insert(id, c).is_none(), "two completions for {id:?}");
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        out
    }

    /// Runs one job and returns its completion.
    pub fn run(&self, key: TorrentKey, job: DiskJob) -> Completion {
        let id = job.id();
        self.run_all(key, vec![job]).remove(&id).unwrap()
    }
}

pub fn completion_id(c: &Completion) -> JobId {
    match c {
        Completion::Done(id)
        | Completion::Read(id, _)
        | Completion::Hashed(id, _)
        | Completion::BlockHashes(id, _)
        | Completion::Failed(id, _) => *id,
        other => panic!("unknown completion {other:?}"),
    }
}

/// Job ids for a test, counting up.
#[derive(Default)]
pub struct Ids(u64);

impl Ids {
    pub fn next(&mut self) -> JobId {
        self.0 += 1;
        JobId(self.0)
    }

    /// The id `next` gave last.
    pub fn last(&self) -> JobId {
        JobId(self.0)
    }
}

/// `(index, begin, length)` of every 16 KiB block of piece `index`.
pub fn blocks(info: &Info, index: u32) -> Vec<(u32, u32, u32)> {
    let len = info.piece_len(index as usize).unwrap();
    (0..len)
        .step_by(16 * 1024)
        .map(|begin| (index, begin, (len - begin).min(16 * 1024)))
        .collect()
}
