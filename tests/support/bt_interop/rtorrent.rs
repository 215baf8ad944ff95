//! rtorrent (Debian's 0.9.8, on rakshasa's libtorrent: an independent TCP implementation)
//! seeding or downloading a given .torrent, with no terminal (`system.daemon.set`).
//!
//! rtorrent takes its settings from a config file of the test's own (`-n -o import=FILE`:
//! `-o` alone splits values at commas), writes its log to standard output (kept by
//! [`LoggedProcess`]), and marks the end of its hash check and of its download by touching
//! files in its session directory. It has no way to be given a peer: a downloader finds
//! hark through the torrent's tracker, and it refuses a torrent without one, so the test
//! torrent names a tracker in both directions. Encryption is allowed, not required
//! (hark speaks plain BitTorrent); DHT, PEX and UDP trackers are off.

use super::process::LoggedProcess;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A running rtorrent.
pub struct Rtorrent {
    /// The process and its log.
    pub process: LoggedProcess,
    session: PathBuf,
}

/// The marker touched when the hash check of the loaded torrent is done.
const HASHED: &str = "hark-marker-hashed";
/// The marker touched when the download completes (every piece passed its check).
const FINISHED: &str = "hark-marker-finished";

impl Rtorrent {
    /// rtorrent seeding the data under `save` (which holds the torrent's name) on TCP
    /// `port` of 127.0.0.1, once its hash check of it is done.
    pub fn seed(torrent: &Path, save: &Path, port: u16) -> Rtorrent {
        let mut rtorrent = Rtorrent::start("rtorrent seed", torrent, save, port);
        rtorrent.wait_marker(HASHED, Duration::from_secs(20));
        rtorrent
    }

    /// rtorrent downloading into `save` from the peers the torrent's tracker names.
    pub fn download(torrent: &Path, save: &Path, port: u16) -> Rtorrent {
        Rtorrent::start("rtorrent download", torrent, save, port)
    }

    /// Waits until the download completed (rtorrent checks every piece it receives);
    /// fails the test with rtorrent's log otherwise.
    pub fn wait_complete(&mut self, timeout: Duration) {
        self.wait_marker(FINISHED, timeout);
    }

    fn start(name: &str, torrent: &Path, save: &Path, port: u16) -> Rtorrent {
        let session = crate::peer_process::unique_dir("rtorrent-session");
        std::fs::create_dir_all(save).expect("rtorrent's save directory");
        let marker = |name: &str| session.join(name).display().to_string();
        let config = format!(
            "system.daemon.set = true\n\
             directory.default.set = {save}\n\
             session.path.set = {session}\n\
             network.bind_address.set = 127.0.0.1\n\
             network.port_range.set = {port}-{port}\n\
             network.port_random.set = no\n\
             dht.mode.set = disable\n\
             protocol.pex.set = no\n\
             trackers.use_udp.set = no\n\
             protocol.encryption.set = allow_incoming,try_outgoing,enable_retry\n\
             log.open_file = main, /dev/stdout\n\
             log.add_output = info, main\n\
             method.set_key = event.download.hash_done, hark_marker, \
             \"execute.nothrow=touch,{hashed}\"\n\
             method.set_key = event.download.finished, hark_marker, \
             \"execute.nothrow=touch,{finished}\"\n\
             schedule2 = hark_load, 0, 0, \"load.start_verbose={torrent}\"\n",
            save = save.display(),
            session = session.display(),
            hashed = marker(HASHED),
            finished = marker(FINISHED),
            torrent = torrent.display(),
        );
        let rc = session.join("hark.rc");
        std::fs::write(&rc, config).expect("rtorrent's config");
        let mut command = Command::new("rtorrent");
        command
            .arg("-n")
            .arg("-o")
            .arg(format!("import={}", rc.display()));
        let mut process = LoggedProcess::spawn(name, command);
        process.own_dir(session.clone());
        Rtorrent { process, session }
    }

    fn wait_marker(&mut self, marker: &str, timeout: Duration) {
        let path = self.session.join(marker);
        let deadline = Instant::now() + timeout;
        while !path.exists() {
            if !self.process.running() {
                self.process
                    .fail(&format!("exited before {marker} was touched"));
            }
            if Instant::now() > deadline {
                self.process
                    .fail(&format!("{marker} not touched within {timeout:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
