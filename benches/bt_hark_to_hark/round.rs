//! The seeder client (one for the whole run) and one download by a fresh client.

use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hark::bittorrent::{AddTorrent, Client, ClientBuilder, Transports};
use hark::events::Protocol;
use hark::utp::EndpointConfig;

use crate::Args;
use crate::cpu::Stopwatch;

/// The transport of a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Utp,
    Tcp,
}

impl Via {
    pub fn name(self) -> &'static str {
        match self {
            Via::Utp => "uTP",
            Via::Tcp => "TCP",
        }
    }
}

/// One download's figures.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    bytes: u64,
    /// Peer-wire bytes the downloader received (blocks dropped and fetched again count
    /// twice).
    pub received: u64,
    seconds: f64,
    cpu_seconds: f64,
}

impl Sample {
    /// Torrent bytes per second, in MB (10^6 bytes).
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / self.seconds / 1e6
    }

    /// CPU seconds (both clients, every thread) per GB (10^9 bytes) moved.
    pub fn cpu_per_gb(&self) -> f64 {
        self.cpu_seconds / (self.bytes as f64 / 1e9)
    }
}

/// A loopback client, uTP connections with `utp_buffer`-byte buffers and window and
/// packets of up to `utp_mtu` bytes.
fn client(transports: Transports, utp_buffer: usize, utp_mtu: u16) -> ClientBuilder {
    let mut utp = EndpointConfig::default();
    utp.connection.send_buffer = utp_buffer;
    utp.connection.recv_buffer = utp_buffer;
    utp.connection.max_window = utp_buffer;
    utp.connection.udp_mtu_v4 = utp_mtu;
    Client::builder()
        .ipv4(Some(Ipv4Addr::LOCALHOST))
        .ipv6(None)
        .port_list([0])
        .transports(transports)
        .utp_config(utp)
}

/// The client seeding the torrent over both transports.
pub struct Seeder {
    client: Client,
}

impl Seeder {
    /// Starts seeding `torrent` from `dir` (its data is checked first).
    pub fn start(
        torrent: &[u8],
        dir: &Path,
        utp_buffer: usize,
        utp_mtu: u16,
    ) -> Result<Seeder, String> {
        let client = client(Transports::UtpFirst, utp_buffer, utp_mtu)
            .build()
            .map_err(|e| format!("seeder: {e}"))?;
        let add = AddTorrent::from_bytes(torrent, dir).map_err(|e| format!("seeder: {e}"))?;
        let id = client
            .add_torrent(add)
            .map_err(|e| format!("seeder: {e}"))?;
        let status = client
            .wait_for(id, Duration::from_secs(600), |s| s.is_finished())
            .ok_or("seeder: the torrent vanished")?;
        if !status.is_finished() {
            return Err(format!("seeder: its data did not check: {status:?}"));
        }
        Ok(Seeder { client })
    }

    /// A fresh client downloads the torrent into `dir` from the seeder over `via`.
    pub fn download(
        &self,
        torrent: &[u8],
        dir: &Path,
        via: Via,
        args: &Args,
    ) -> Result<Sample, String> {
        let (transports, protocol) = match via {
            Via::Utp => (Transports::UtpOnly, Protocol::Udp4),
            Via::Tcp => (Transports::TcpOnly, Protocol::Tcp4),
        };
        let seeder = self
            .client
            .local_addr(protocol)
            .ok_or("the seeder does not listen")?;
        let (done_tx, done_rx) = mpsc::sync_channel(1);
        let downloader = client(transports, args.utp_buffer, args.utp_mtu)
            .on_torrent_finished(move |_, _, _| {
                let _ = done_tx.try_send(Instant::now());
            })
            .build()
            .map_err(|e| format!("downloader: {e}"))?;
        let add = AddTorrent::from_bytes(torrent, dir)
            .map_err(|e| format!("downloader: {e}"))?
            .peers([seeder]);
        let clock = Stopwatch::start();
        let start = Instant::now();
        let id = downloader
            .add_torrent(add)
            .map_err(|e| format!("downloader: {e}"))?;
        let finished = done_rx.recv_timeout(args.timeout);
        let cpu_seconds = clock.cpu_seconds();
        let status = downloader.torrent_status(id);
        drop(downloader);
        let end = finished.map_err(|_| {
            format!(
                "{} download not finished after {:?}: {status:?}",
                via.name(),
                args.timeout
            )
        })?;
        Ok(Sample {
            bytes: args.bytes,
            received: status.as_ref().map_or(0, |s| s.bytes_received),
            seconds: end.duration_since(start).as_secs_f64(),
            cpu_seconds,
        })
    }
}
