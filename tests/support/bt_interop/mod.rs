//! The harness of the BitTorrent client interop matrix: launchers for real third-party
//! peers, trackers and web seeds, each keeping its log and printing it when a test fails,
//! plus the test payload and its torrent.
//!
//! - [`hark_cli`]: the `hark` binary under test, downloading or seeding.
//! - [`libtorrent`]: python3-libtorrent seeding or downloading, over uTP, TCP or both.
//! - [`transmission`]: transmission-daemon 3.00 in a network namespace ([`crate::netns`]).
//! - [`aria2`]: aria2c (TCP), peers through a tracker.
//! - [`rtorrent`]: rtorrent (TCP) without a terminal, peers through the torrent's tracker.
//! - [`opentracker`]: Debian's opentracker with a whitelist in its chroot.
//! - [`web_seed`]: `python3 -m http.server`.
//! - [`hostile`]: a peer of our own that sends corrupt blocks, invalid requests and
//!   malformed messages.
//! - [`big_torrent`] and [`hark_child`]: the benches' large patterned torrent and hark's
//!   client downloading in a process of its own (peak RSS and CPU time from `wait4`).

pub mod aria2;
pub mod big_torrent;
pub mod hark_child;
pub mod hark_cli;
pub mod hostile;
pub mod libtorrent;
pub mod opentracker;
pub mod payload;
pub mod process;
pub mod rtorrent;
pub mod torrent;
pub mod transmission;
pub mod web_seed;

/// A TCP port that was free a moment ago on 127.0.0.1 (also free for UDP, checked).
pub fn free_port() -> u16 {
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free TCP port");
        let port = tcp.local_addr().expect("local address").port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}
