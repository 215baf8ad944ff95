//! A hark_proto `Torrent` completes from web seeds alone, driven by hark's web-seed driver
//! on a real reactor: a multi-file torrent (odd piece length, files ending mid-piece, an
//! empty file) served by `python3 -m http.server` (HTTP/1.0, no range support: whole
//! files, cut by the driver) and by a range-capable HTTP/1.1 keep-alive subclass of it;
//! a 404 and a refused connection give the torrent's `url_seed` event. The disk jobs run
//! on a `Vec` in the test.

use hark::bittorrent::http::{HttpConfig, HttpError};
use hark::bittorrent::webseed::WebSeedDriver;
use hark_proto::bt::peer::{PieceSet, SessionConfig};
use hark_proto::bt::torrent::{Completion, DiskJob, Event, Torrent, TorrentConfig};
use hark_reactor::{Reactor, ReactorThread};
use hark_wire::bt::bencode::OwnedValue;
use hark_wire::bt::metainfo::{Info, InfoHash};
use rand_core::SeedableRng;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::{Duration, Instant};

const PIECE: u64 = 16_411;
const NAME: &str = "album";
/// The files: one ends mid-piece, one is empty, one sits in a directory.
const FILES: [(&str, u64); 4] = [
    ("a.bin", 50_000),
    ("empty.txt", 0),
    ("sub dir/b.bin", 23_457),
    ("c.bin", 70_001),
];

fn content() -> Vec<u8> {
    let total: u64 = FILES.iter().map(|f| f.1).sum();
    let mut x = 0x2545_f491_u32;
    (0..total)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn info(content: &[u8]) -> Info {
    let pieces: Vec<u8> = content
        .chunks(PIECE as usize)
        .flat_map(|p| InfoHash::of(p).0)
        .collect();
    let files = FILES
        .iter()
        .map(|(path, length)| {
            OwnedValue::dict()
                .with("length", OwnedValue::Integer(*length as i64))
                .with(
                    "path",
                    OwnedValue::List(path.split('/').map(OwnedValue::string).collect()),
                )
        })
        .collect();
    let bytes = OwnedValue::dict()
        .with("files", OwnedValue::List(files))
        .with("name", OwnedValue::string(NAME))
        .with("piece length", OwnedValue::Integer(PIECE as i64))
        .with("pieces", OwnedValue::Bytes(pieces))
        .to_vec();
    Info::parse(&bytes).expect("info")
}

/// A directory holding NAME/... with the files, removed on drop.
struct Files(PathBuf);

impl Files {
    fn write(content: &[u8], tag: &str) -> Files {
        let root = std::env::temp_dir().join(format!("hark-webseed-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mut at = 0usize;
        for (path, length) in FILES {
            let file = root.join(NAME).join(path);
            std::fs::create_dir_all(file.parent().expect("parent")).expect("dir");
            std::fs::write(&file, &content[at..at + length as usize]).expect("file");
            at += length as usize;
        }
        Files(root)
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

/// A subclass of http.server's handler that answers `Range: bytes=a-b` with 206 and
/// keeps connections alive (HTTP/1.1).
const RANGES: &str = r#"
import http.server, os, re, sys
class Ranges(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        path = self.translate_path(self.path)
        m = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        if not os.path.isfile(path) or not m:
            return super().do_GET()
        with open(path, "rb") as f:
            data = f.read()
        first, last = int(m.group(1)), min(int(m.group(2)), len(data) - 1)
        body = data[first:last + 1]
        self.send_response(206)
        self.send_header("Content-Range", "bytes %d-%d/%d" % (first, last, len(data)))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.test(HandlerClass=Ranges, protocol="HTTP/1.1", port=int(sys.argv[1]), bind="127.0.0.1")
"#;

/// Python's http.server on `root` (with range support when `ranges`), once it answers.
fn serve(root: &std::path::Path, ranges: bool) -> (Server, u16) {
    let port = free_port();
    let mut command = Command::new("python3");
    if ranges {
        command.args(["-c", RANGES, &port.to_string()]);
    } else {
        command.args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ]);
    }
    let child = command
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e})"));
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "http.server did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    (server, port)
}

/// A reactor, a torrent with no pieces, its web-seed driver, and its disk on a `Vec`.
struct Rig {
    torrent: Torrent,
    seeds: WebSeedDriver,
    woken: Receiver<()>,
    disk: Vec<u8>,
    starts: Vec<u64>,
    events: Vec<Event>,
    _reactor: ReactorThread,
}

impl Rig {
    fn new(info: &Info) -> Rig {
        let reactor = Reactor::spawn(hark_reactor::tcp::TcpConfig::default()).expect("reactor");
        let mut seeds = WebSeedDriver::new(
            reactor.handle().clone(),
            HttpConfig {
                response_timeout: Duration::from_secs(5),
                ..HttpConfig::default()
            },
        );
        let (tx, woken) = sync_channel(64);
        seeds.set_wake(move || {
            let _ = tx.try_send(());
        });
        let config = TorrentConfig::new(SessionConfig::new(*b"-HK0001-webseedtest0"));
        let rng = Box::new(rand_pcg::Pcg32::seed_from_u64(7));
        let count = info.piece_count() as u32;
        let torrent = Torrent::new(Instant::now(), config, info, PieceSet::empty(count), rng)
            .expect("torrent");
        Rig {
            torrent,
            seeds,
            woken,
            disk: vec![0; info.total_length() as usize],
            starts: info.files.iter().map(|f| f.offset).collect(),
            events: Vec::new(),
            _reactor: reactor,
        }
    }

    fn run_disk(&mut self, now: Instant) {
        while let Some(job) = self.torrent.poll_disk_job() {
            let done = match job {
                DiskJob::Write { id, slices, data } => {
                    let mut at = 0;
                    for s in slices {
                        let to = (self.starts[s.file] + s.offset) as usize;
                        let len = s.length as usize;
                        self.disk[to..to + len].copy_from_slice(&data[at..at + len]);
                        at += len;
                    }
                    Completion::Done(id)
                }
                DiskJob::HashPiece { id, slices, .. } => {
                    let mut piece = Vec::new();
                    for s in slices {
                        let from = (self.starts[s.file] + s.offset) as usize;
                        piece.extend_from_slice(&self.disk[from..from + s.length as usize]);
                    }
                    Completion::Hashed(id, InfoHash::of(&piece).0)
                }
                other => Completion::Done(other.id()),
            };
            self.torrent.handle_disk(now, done);
        }
    }

    /// Drives torrent, seeds and disk until `done` (20 s at most).
    fn run_until(&mut self, done: impl Fn(&Rig) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let now = Instant::now();
            if self.torrent.poll_timeout().is_some_and(|at| at <= now) {
                self.torrent.handle_timeout(now);
            }
            self.seeds.drive(now, &mut self.torrent);
            self.run_disk(now);
            self.events
                .extend(std::iter::from_fn(|| self.torrent.poll_event()));
            if done(self) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "stuck with {} pieces; events: {:?}",
                self.torrent.have().len(),
                self.events
            );
            let _ = self.woken.recv_timeout(Duration::from_millis(50));
        }
    }
}

fn completes_from(ranges: bool, tag: &str) -> (Rig, Vec<u8>) {
    let content = content();
    let files = Files::write(&content, tag);
    let (_server, port) = serve(&files.0, ranges);
    let info = info(&content);
    assert_eq!(info.files[1].length, 0);
    assert_ne!(info.files[0].length % PIECE, 0);
    let mut rig = Rig::new(&info);
    rig.torrent
        .add_web_seed(format!("http://127.0.0.1:{port}/"));
    rig.run_until(|rig| rig.torrent.is_finished());
    (rig, content)
}

#[test]
fn a_torrent_completes_from_python_http_server_alone() {
    let (rig, content) = completes_from(false, "plain");
    assert!(
        rig.disk == content,
        "the download differs from the files served"
    );
    assert!(
        !rig.events
            .iter()
            .any(|e| matches!(e, Event::UrlSeed { .. })),
        "{:?}",
        rig.events
    );
}

#[test]
fn a_torrent_completes_from_a_range_server_over_kept_alive_connections() {
    let (rig, content) = completes_from(true, "ranges");
    assert!(
        rig.disk == content,
        "the download differs from the files served"
    );
    assert!(
        !rig.events
            .iter()
            .any(|e| matches!(e, Event::UrlSeed { .. }))
    );
    // 11 pieces, several spanning two or three files: far more range requests than
    // connections, which were kept alive.
    let pieces = content.len().div_ceil(PIECE as usize) as u64;
    assert!(
        rig.seeds.connections_opened() < pieces / 2,
        "{} connections for {pieces} pieces",
        rig.seeds.connections_opened()
    );
}

#[test]
fn a_404_and_a_refused_connection_give_url_seed() {
    let content = content();
    let files = Files::write(&content, "missing");
    let (_server, port) = serve(&files.0, false);
    let info = info(&content);
    let mut rig = Rig::new(&info);
    let missing = format!("http://127.0.0.1:{port}/nothing-here/");
    let refused_port = free_port();
    let refused = format!("http://127.0.0.1:{refused_port}/");
    rig.torrent.add_web_seed(missing.clone());
    rig.torrent.add_web_seed(refused.clone());
    let url_seeds = |rig: &Rig| -> Vec<(String, u16, String)> {
        rig.events
            .iter()
            .filter_map(|e| match e {
                Event::UrlSeed {
                    url,
                    status_code,
                    error,
                } => Some((url.clone(), *status_code, error.clone())),
                _ => None,
            })
            .collect()
    };
    rig.run_until(|rig| url_seeds(rig).len() >= 2);
    let seen = url_seeds(&rig);
    let status_of = |url: &str| seen.iter().find(|s| s.0 == url).map(|s| s.1);
    assert_eq!(status_of(&missing), Some(404), "{seen:?}");
    assert_eq!(status_of(&refused), Some(0), "{seen:?}");
    assert_eq!(rig.torrent.have().len(), 0);
    // The precise reason behind the refused seed's failure.
    let failures: Vec<_> = std::iter::from_fn(|| rig.seeds.poll_http_failure()).collect();
    assert!(
        failures.iter().any(|(seed, _, error)| *seed == 1
            && *error
                == HttpError::ConnectFailed {
                    host: "127.0.0.1".into(),
                    port: refused_port
                }),
        "{failures:?}"
    );
}
