//! Tracker announces on the one reactor: HTTP trackers through
//! [`HttpClient`](super::http::HttpClient), UDP trackers (BEP 15) through a datagram core on
//! the client's shared UDP socket, next to uTP, for `hark_proto`'s sans-IO
//! [`Announcer`](hark_proto::bt::announce::Announcer).
//!
//! [`TrackerDriver`] is an owned value that drives one announcer per torrent and queues
//! their [`TrackerEvent`](hark_proto::bt::announce::TrackerEvent)s (a `Success` carries the
//! peers); [`UdpTrackerCore`] is the datagram core it sends and receives through, claiming
//! only replies to its own outstanding transactions (action 0–3, a known transaction id,
//! from the tracker it was sent to), so uTP's datagrams are never taken.
//!
//! An HTTP announce to a tracker of the example's own, which answers with one compact
//! peer:
//!
//! ```
//! use hark::bittorrent::http::HttpConfig;
//! use hark::bittorrent::tracker::TrackerDriver;
//! use hark_proto::bt::announce::{Announcer, AnnouncerConfig, Stats, TorrentParams, TrackerEvent};
//! use hark_proto::netsim::SimRng;
//! use hark_wire::bt::metainfo::InfoHash;
//! use std::io::{Read, Write};
//! use std::time::{Duration, Instant};
//!
//! let tracker = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let url = format!("http://{}/announce", tracker.local_addr()?);
//! std::thread::spawn(move || {
//!     let (mut stream, _) = tracker.accept().unwrap();
//!     let mut request = [0u8; 2048];
//!     let _ = stream.read(&mut request).unwrap();
//!     let body = b"d8:intervali1800e5:peers6:\x7f\x00\x00\x02\x1a\xe1e";
//!     write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).unwrap();
//!     stream.write_all(body).unwrap();
//! });
//!
//! let reactor = hark_reactor::Reactor::spawn(hark_reactor::tcp::TcpConfig::default())?;
//! let mut driver = TrackerDriver::new(reactor.handle().clone(), HttpConfig::default());
//! let (ready, woken) = std::sync::mpsc::sync_channel(16);
//! driver.set_wake(move || {
//!     let _ = ready.try_send(());
//! });
//! let torrent = InfoHash([7; 20]);
//! let params = TorrentParams { info_hash: torrent, peer_id: [1; 20], port: 6881 };
//! let announcer =
//!     Announcer::new(AnnouncerConfig::default(), params, &[vec![url]], Box::new(SimRng::new(1)))?;
//! driver.add(torrent, announcer);
//! driver.announcer_mut(torrent).unwrap().start(Instant::now(), Stats::default());
//! driver.drive(Instant::now());
//! let peers = loop {
//!     woken.recv_timeout(Duration::from_secs(10))?;
//!     driver.drive(Instant::now());
//!     let success = std::iter::from_fn(|| driver.poll_event()).find_map(|(_, event)| match event {
//!         TrackerEvent::Success { peers, .. } => Some(peers),
//!         _ => None,
//!     });
//!     if let Some(peers) = success {
//!         break peers;
//!     }
//! };
//! assert_eq!(peers, ["127.0.0.2:6881".parse()?]);
//! # drop(driver);
//! # reactor.shutdown()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod driver;
mod udp;

pub use driver::{EVENT_CAPACITY, TrackerDriver};
pub use udp::{UdpTrackerCore, looks_like_udp_tracker_reply};
