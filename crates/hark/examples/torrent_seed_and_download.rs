//! A hark seeder and a hark downloader on loopback, with Net::BitTorrent's callbacks.
//!
//! Makes a two-file torrent (one file empty) in a temporary directory, seeds it from one
//! `hark::bittorrent::Client`, downloads it with another (over uTP, or TCP with `tcp` as
//! the argument), prints the events it watches and checks the bytes.
//!
//! ```text
//! cargo run -p hark --example torrent_seed_and_download [utp|tcp] [BYTES]
//! ```
//!
//! `BYTES` (default 300,001) sizes the data file, for a rough rate on loopback.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use hark::bittorrent::{AddTorrent, Client, ClientBuilder, Transports};
use hark::events::Protocol;
use hark_wire::bt::bencode::OwnedValue;
use sha1::{Digest, Sha1};

const PIECE_LENGTH: usize = 32_768;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (transports, protocol) = match std::env::args().nth(1).as_deref() {
        Some("tcp") => (Transports::TcpOnly, Protocol::Tcp4),
        None | Some("utp") => (Transports::UtpOnly, Protocol::Udp4),
        Some(other) => return Err(format!("unknown transport {other:?}: utp or tcp").into()),
    };
    let dir = std::env::temp_dir().join(format!("hark-torrent-example-{}", std::process::id()));
    let (seed_dir, leech_dir) = (dir.join("seed"), dir.join("leech"));

    let size: u32 = match std::env::args().nth(2) {
        Some(size) => size.parse()?,
        None => 300_001,
    };
    // The torrent: `example/data.bin` (`size` bytes) and `example/empty.txt` (0 bytes).
    let data: Vec<u8> = (0..size).map(|i| (i.wrapping_mul(7) % 256) as u8).collect();
    std::fs::create_dir_all(seed_dir.join("example"))?;
    std::fs::write(seed_dir.join("example/data.bin"), &data)?;
    std::fs::write(seed_dir.join("example/empty.txt"), b"")?;
    let pieces: Vec<u8> = data
        .chunks(PIECE_LENGTH)
        .flat_map(|p| <[u8; 20]>::from(Sha1::digest(p)))
        .collect();
    let file = |name: &str, length: usize| {
        OwnedValue::dict()
            .with("length", OwnedValue::Integer(length as i64))
            .with("path", OwnedValue::List(vec![OwnedValue::string(name)]))
    };
    let info = OwnedValue::dict()
        .with(
            "files",
            OwnedValue::List(vec![file("data.bin", data.len()), file("empty.txt", 0)]),
        )
        .with("name", OwnedValue::string("example"))
        .with("piece length", OwnedValue::Integer(PIECE_LENGTH as i64))
        .with("pieces", OwnedValue::Bytes(pieces));
    let torrent = OwnedValue::dict().with("info", info).to_vec();

    let loopback = || -> ClientBuilder {
        Client::builder()
            .ipv4(Some(Ipv4Addr::LOCALHOST))
            .ipv6(None)
            .port_list([0])
            .transports(transports)
    };
    let seeder = loopback()
        .on_listen_success(|_, event, _| println!("seeder: {}", event.message()))
        .build()?;
    let seeding = seeder.add_torrent(AddTorrent::from_bytes(&torrent, &seed_dir)?)?;
    seeder
        .wait_for(seeding, Duration::from_secs(30), |s| s.is_finished())
        .ok_or("the seeder never checked its data")?;
    let seeder_addr = seeder.local_addr(protocol).ok_or("no seeder address")?;

    let passed = Arc::new(AtomicU32::new(0));
    let count = Arc::clone(&passed);
    let downloader = loopback()
        .on_peer_handshake_complete(|_, event, _| println!("downloader: {}", event.message()))
        .on_piece_hash_passed(move |_, _, _| {
            count.fetch_add(1, Ordering::Relaxed);
        })
        .on_torrent_finished(|client, event, _| {
            println!("downloader: [{}] {}", event.severity, event.message());
            println!("downloader: {} torrent(s)", client.torrents().len());
        })
        .build()?;
    let start = Instant::now();
    let id = downloader
        .add_torrent(AddTorrent::from_bytes(&torrent, &leech_dir)?.peers([seeder_addr]))?;
    let status = downloader
        .wait_for(id, Duration::from_secs(60), |s| s.is_finished())
        .ok_or("the torrent never showed up")?;
    if !status.is_finished() {
        return Err(format!("not finished: {status:?}").into());
    }
    let got = std::fs::read(leech_dir.join("example/data.bin"))?;
    let empty = std::fs::metadata(leech_dir.join("example/empty.txt"))?.len();
    if got != data || empty != 0 {
        return Err("the downloaded files differ".into());
    }
    let elapsed = start.elapsed();
    println!(
        "downloaded {} bytes in {} pieces ({} passed their hash check) in {:?}, byte-exact ({:.1} MB/s)",
        status.bytes_done,
        status.pieces_total,
        passed.load(Ordering::Relaxed),
        elapsed,
        status.bytes_done as f64 / elapsed.as_secs_f64() / 1e6
    );
    drop(downloader);
    drop(seeder);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
