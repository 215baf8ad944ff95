//! Shared helpers for hark's cross-crate integration tests and benches.

pub mod bittorrent;
pub mod bt_client;
pub mod bt_interop;
pub mod capture;
pub mod captures;
pub mod hark_seeder;
pub mod netns;
pub mod pcap;
pub mod peer_process;
pub mod proc_cpu;
pub mod report;
pub mod seeder_check;
pub mod torrent_fixture;
pub mod tracker;
pub mod transfer;
pub mod tshark;
pub mod utp_peer;
