//! Web seeds (BEP 19) on the one reactor: [`WebSeedDriver`] turns the `WebRequest`s of
//! `hark_proto`'s [`Torrent`](hark_proto::bt::torrent::Torrent) into HTTP/1.1 range
//! requests with keep-alive and feeds the pieces back, so a torrent can complete from web
//! seeds alone; a seed that answers 404 or refuses the connection becomes the torrent's
//! `url_seed` event.
//!
//! A single-file torrent fetched from a web seed of the example's own (it answers every
//! range request from the file in memory), with the disk jobs run on a `Vec`:
//!
//! ```
//! use hark::bittorrent::http::HttpConfig;
//! use hark::bittorrent::webseed::WebSeedDriver;
//! use hark_proto::bt::peer::{PieceSet, SessionConfig};
//! use hark_proto::bt::torrent::{Completion, DiskJob, Torrent, TorrentConfig};
//! use hark_wire::bt::bencode::OwnedValue;
//! use hark_wire::bt::metainfo::{Info, InfoHash};
//! use rand_core::SeedableRng;
//! use std::io::{BufRead, BufReader, Write};
//! use std::time::{Duration, Instant};
//!
//! let content: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
//! let pieces: Vec<u8> = content.chunks(32_768).flat_map(|p| InfoHash::of(p).0).collect();
//! let info = OwnedValue::dict()
//!     .with("length", OwnedValue::Integer(40_000))
//!     .with("name", OwnedValue::string("a.bin"))
//!     .with("piece length", OwnedValue::Integer(32_768))
//!     .with("pieces", OwnedValue::Bytes(pieces))
//!     .to_vec();
//! let info = Info::parse(&info)?;
//!
//! // The seed: HTTP/1.1 with keep-alive, answering `Range: bytes=a-b` with 206.
//! let server = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let url = format!("http://{}/a.bin", server.local_addr()?);
//! let served = content.clone();
//! std::thread::spawn(move || {
//!     let (stream, _) = server.accept().unwrap();
//!     let mut reader = BufReader::new(stream.try_clone().unwrap());
//!     let mut stream = stream;
//!     let mut range = (0, 0);
//!     let mut line = String::new();
//!     while reader.read_line(&mut line).unwrap() > 0 {
//!         if let Some(r) = line.strip_prefix("Range: bytes=") {
//!             let (a, b) = r.trim().split_once('-').unwrap();
//!             range = (a.parse::<usize>().unwrap(), b.parse::<usize>().unwrap());
//!         }
//!         if line == "\r\n" {
//!             let body = &served[range.0..=range.1];
//!             write!(stream, "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\n\r\n", body.len()).unwrap();
//!             stream.write_all(body).unwrap();
//!         }
//!         line.clear();
//!     }
//! });
//!
//! let reactor = hark_reactor::Reactor::spawn(hark_reactor::tcp::TcpConfig::default())?;
//! let mut seeds = WebSeedDriver::new(reactor.handle().clone(), HttpConfig::default());
//! let (ready, woken) = std::sync::mpsc::sync_channel(16);
//! seeds.set_wake(move || {
//!     let _ = ready.try_send(());
//! });
//! let config = TorrentConfig::new(SessionConfig::new(*b"-HK0001-000000000000"));
//! let rng = Box::new(rand_pcg::Pcg32::seed_from_u64(1));
//! let mut torrent = Torrent::new(Instant::now(), config, &info, PieceSet::empty(2), rng)?;
//! torrent.add_web_seed(url);
//! let mut disk = vec![0u8; 40_000];
//! while !torrent.is_finished() {
//!     let now = Instant::now();
//!     seeds.drive(now, &mut torrent);
//!     while let Some(job) = torrent.poll_disk_job() {
//!         let done = match job {
//!             DiskJob::Write { id, slices, data } => {
//!                 let at = slices[0].offset as usize;
//!                 disk[at..at + data.len()].copy_from_slice(&data);
//!                 Completion::Done(id)
//!             }
//!             DiskJob::HashPiece { id, slices, .. } => {
//!                 let at = slices[0].offset as usize;
//!                 let len: usize = slices.iter().map(|s| s.length as usize).sum();
//!                 Completion::Hashed(id, InfoHash::of(&disk[at..at + len]).0)
//!             }
//!             other => Completion::Done(other.id()),
//!         };
//!         torrent.handle_disk(now, done);
//!     }
//!     if seeds.in_flight() > 0 {
//!         woken.recv_timeout(Duration::from_secs(10))?;
//!     }
//! }
//! assert_eq!(disk, content);
//! assert_eq!(seeds.connections_opened(), 1);
//! # drop(seeds);
//! # reactor.shutdown()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod driver;

pub use driver::{FAILURE_CAPACITY, WebSeedDriver};
