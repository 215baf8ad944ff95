//! libtorrent (python3-libtorrent) as a seeder or a downloader of a given .torrent, through
//! `tools/peers/libtorrent_interop.py`. Its alerts are its log.

use crate::netns::NetNs;
use crate::peer_process::PeerProcess;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// Which transports a libtorrent peer uses (listening and dialing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// uTP only.
    Utp,
    /// TCP only.
    Tcp,
    /// Both (libtorrent's default preference).
    Both,
}

impl Transport {
    fn arg(self) -> &'static str {
        match self {
            Transport::Utp => "utp",
            Transport::Tcp => "tcp",
            Transport::Both => "both",
        }
    }
}

/// libtorrent seeding the data under `save` (checked in full first: the script exits with
/// an error if a piece is wrong), listening on `listen` (an IP) at a free port, inside `ns`
/// if given.
pub fn seed(
    ns: Option<&NetNs>,
    torrent: &Path,
    save: &Path,
    transport: Transport,
    listen: &str,
) -> PeerProcess {
    PeerProcess::start_with(
        ns.map(NetNs::exec_prefix)
            .as_ref()
            .map_or(&[][..], |p| &p[..]),
        "libtorrent_interop.py",
        &[
            "seed",
            "--torrent",
            &torrent.to_string_lossy(),
            "--save",
            &save.to_string_lossy(),
            "--transport",
            transport.arg(),
            "--listen",
            listen,
        ],
    )
}

/// libtorrent downloading into `save`, dialing `peers` (and using the torrent's trackers
/// and web seeds), inside `ns` if given.
pub fn download(
    ns: Option<&NetNs>,
    torrent: &Path,
    save: &Path,
    peers: &[SocketAddr],
    transport: Transport,
    listen: &str,
) -> PeerProcess {
    let torrent = torrent.to_string_lossy();
    let save = save.to_string_lossy();
    let peers: Vec<String> = peers.iter().map(ToString::to_string).collect();
    let mut args = vec![
        "download",
        "--torrent",
        &torrent,
        "--save",
        &save,
        "--transport",
        transport.arg(),
        "--listen",
        listen,
    ];
    for peer in &peers {
        args.extend(["--peer", peer]);
    }
    PeerProcess::start_with(
        ns.map(NetNs::exec_prefix)
            .as_ref()
            .map_or(&[][..], |p| &p[..]),
        "libtorrent_interop.py",
        &args,
    )
}

/// Waits until the downloader reports every piece checked.
pub fn wait_complete(peer: &mut PeerProcess, timeout: Duration) {
    peer.wait_line(timeout, |line| line.contains("\"event\": \"complete\""));
}
