//! The hostile peer of `tools/peers/hostile_peer.py`: it claims every piece, then sends
//! invalid requests and a malformed message on the first connection the downloader makes,
//! serves inverted (corrupt) blocks on a connection it makes to the downloader, and finally
//! dials the downloader again to see whether its address is refused. It should live on an
//! address of its own (127.0.0.2) so that banning it bans no honest peer.

use crate::peer_process::PeerProcess;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// The address the hostile peer listens and dials from.
pub const ADDRESS: &str = "127.0.0.2";

/// Starts the hostile peer for `torrent` with the real data under `save`; it dials
/// `downloader` (the downloader's listening address) for its second and third phases.
pub fn start(torrent: &Path, save: &Path, downloader: Option<SocketAddr>) -> PeerProcess {
    let torrent = torrent.to_string_lossy();
    let save = save.to_string_lossy();
    let connect = downloader.map(|address| address.to_string());
    let mut args = vec!["--torrent", &torrent, "--save", &save, "--listen", ADDRESS];
    if let Some(address) = &connect {
        args.extend(["--connect", address]);
    }
    PeerProcess::start("hostile_peer.py", &args)
}

/// Waits for the reconnect phase and returns whether the downloader answered it.
pub fn reconnect_answered(peer: &mut PeerProcess, timeout: Duration) -> bool {
    let line = peer.wait_line(timeout, |line| line.contains("\"event\": \"reconnect\""));
    line.contains("\"answered\": true")
}
