//! transmission-daemon 3.00 seeding or downloading a given .torrent inside a network
//! namespace, through `tools/peers/transmission_client.py` (its daemon log is the script's
//! standard error). Inside the namespace its peer sockets are on an address outside
//! 127.0.0.0/8: transmission never dials loopback peers and keys peers by IP alone. It
//! rechokes every 10 s, so a new downloader may wait that long for its first unchoke.

use crate::netns::NetNs;
use crate::peer_process::PeerProcess;
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

/// transmission seeding the data under `save` (verified first), its peer port on `listen`.
pub fn seed(ns: &NetNs, torrent: &Path, save: &Path, listen: Ipv4Addr) -> PeerProcess {
    start(ns, "seed", torrent, save, listen)
}

/// transmission downloading into `save` from the peers the torrent's tracker names.
pub fn download(ns: &NetNs, torrent: &Path, save: &Path, listen: Ipv4Addr) -> PeerProcess {
    start(ns, "download", torrent, save, listen)
}

/// Waits until the downloader reports every piece valid and its files flushed.
pub fn wait_complete(peer: &mut PeerProcess, timeout: Duration) {
    peer.wait_line(timeout, |line| line.contains("\"event\": \"complete\""));
}

fn start(ns: &NetNs, mode: &str, torrent: &Path, save: &Path, listen: Ipv4Addr) -> PeerProcess {
    PeerProcess::start_with(
        &ns.exec_prefix(),
        "transmission_client.py",
        &[
            mode,
            "--torrent",
            &torrent.to_string_lossy(),
            "--save",
            &save.to_string_lossy(),
            "--listen",
            &listen.to_string(),
        ],
    )
}
