//! `docs/events.md` is generated from the kind definitions and must match them.
//! Regenerate with `HARK_BLESS=1 cargo test -p hark --test events_catalogue`.

use hark::events::{Category, CategoryMask, Delivery, KindId, Severity, catalogue_markdown};
use std::path::PathBuf;

fn document_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/events.md")
}

#[test]
fn docs_events_md_matches_the_code() {
    let generated = catalogue_markdown();
    let path = document_path();
    if std::env::var_os("HARK_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/events.md");
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/events.md is stale; regenerate it with \
         `HARK_BLESS=1 cargo test -p hark --test events_catalogue`"
    );
}

#[test]
fn catalogue_lists_the_seed_kinds_with_their_severities() {
    let rows: Vec<(&str, Severity, Category, Delivery)> = KindId::ALL
        .iter()
        .map(|kind| {
            let info = kind.info();
            (info.name, info.severity, info.category, info.delivery)
        })
        .collect();
    use Category as C;
    use Delivery::{Droppable as D, Guaranteed as G};
    use Severity as S;
    assert_eq!(
        rows,
        [
            ("ip_filter", S::Debug, C::IpBlock, D),
            ("listen_success", S::Debug, C::Connection, G),
            ("listen_failure", S::Fatal, C::Connection, G),
            ("peer_id", S::Debug, C::Peer, D),
            ("peer_handshake_complete", S::Info, C::Peer, D),
            ("peer_disconnect", S::Info, C::Peer, G),
            ("peer_data_in", S::Debug, C::TransportStats, D),
            ("peer_data_out", S::Debug, C::TransportStats, D),
            ("peer_packet_in", S::Debug, C::Log, D),
            ("peer_packet_out", S::Debug, C::Log, D),
            ("utp_firewall", S::Debug, C::IpBlock, D),
            ("utp_accept", S::Info, C::Connection, D),
            ("utp_connect", S::Info, C::Connection, D),
            ("utp_error", S::Warning, C::Connection, G),
            ("utp_writable", S::Debug, C::Connection, D),
            ("utp_eof", S::Debug, C::Connection, D),
            ("utp_destroying", S::Debug, C::Connection, G),
            ("utp_delay_sample", S::Debug, C::Performance, D),
            ("utp_overhead", S::Debug, C::TransportStats, D),
            ("utp_packets", S::Debug, C::Log, D),
            ("utp_log", S::Debug, C::Log, D),
            ("utp_fin_acked", S::Debug, C::Connection, D),
            ("utp_closed", S::Info, C::Connection, G),
            ("events_dropped", S::Warning, C::Performance, G),
            ("tcp_proxy_via", S::Debug, C::Connection, D),
            ("tcp_connecting", S::Debug, C::Connection, D),
            ("tcp_connected", S::Info, C::Connection, D),
            ("tcp_accepted", S::Info, C::Connection, D),
            ("tcp_connect_failed", S::Warning, C::Connection, G),
            ("tcp_auth_failed", S::Critical, C::Connection, G),
            ("tcp_sent", S::Debug, C::TransportStats, D),
            ("tcp_received", S::Debug, C::TransportStats, D),
            ("tcp_expect", S::Debug, C::Log, D),
            ("tcp_closed", S::Info, C::Connection, G),
            ("tcp_throttled", S::Info, C::Performance, D),
            ("tcp_unthrottled", S::Info, C::Performance, D),
            ("tcp_listening", S::Info, C::Connection, D),
            ("tcp_not_listening", S::Fatal, C::Connection, G),
            ("tcp_listener_closed", S::Info, C::Connection, G),
            ("sctp_assoc_up", S::Info, C::Connection, D),
            ("sctp_assoc_closed", S::Info, C::Connection, D),
            ("sctp_peer_address", S::Debug, C::Peer, D),
            ("sctp_send_failed", S::Warning, C::Connection, D),
            ("sctp_notification", S::Debug, C::Log, D),
            ("file_error", S::Fatal, C::Storage, G),
            ("file_open", S::Debug, C::Storage, D),
            ("file_close", S::Debug, C::Storage, D),
            ("file_write", S::Debug, C::Storage, D),
            ("file_read", S::Debug, C::Storage, D),
            ("tracker_announce", S::Info, C::Tracker, D),
            ("tracker_failure", S::Warning, C::Tracker, G),
            ("tracker_success", S::Info, C::Tracker, D),
            ("tracker_warning", S::Warning, C::Tracker, D),
            ("url_seed", S::Warning, C::Peer, G),
            ("piece_hash_failed", S::Info, C::Torrent, D),
            ("piece_hash_passed", S::Info, C::Torrent, D),
            ("peer_ban", S::Info, C::Peer, G),
            ("peer_error", S::Debug, C::Peer, D),
            ("invalid_request", S::Debug, C::Peer, D),
            ("tracker_write", S::Debug, C::Tracker, D),
            ("tracker_read", S::Debug, C::Tracker, D),
            ("torrent_added", S::Info, C::Torrent, D),
            ("torrent_paused", S::Info, C::Torrent, G),
            ("torrent_resumed", S::Info, C::Torrent, D),
            ("torrent_finished", S::Info, C::Torrent, G),
            ("piece_progress", S::Debug, C::Torrent, D),
            ("beep_start_received", S::Info, C::Connection, D),
            ("beep_start_denied", S::Warning, C::Connection, G),
            ("beep_close_received", S::Info, C::Connection, D),
            ("beep_close_denied", S::Warning, C::Connection, G),
            ("beep_channel_closed", S::Info, C::Connection, D),
            ("beep_on_channel", S::Info, C::Connection, D),
            ("beep_frame_received", S::Debug, C::TransportStats, D),
            ("beep_connection_broken", S::Critical, C::Connection, G),
            ("beep_auth_complete", S::Info, C::Connection, G),
            ("beep_auth_failed", S::Warning, C::Connection, G),
            ("beep_tls_requested", S::Info, C::Connection, D),
            ("beep_tls_complete", S::Info, C::Connection, G),
            ("beep_tls_failed", S::Warning, C::Connection, G),
            ("beep_pool_created", S::Info, C::Connection, D),
            ("beep_pool_grow_failed", S::Warning, C::Connection, G),
        ]
    );
}

#[test]
fn every_kind_is_documented_and_only_ip_filter_decides() {
    for kind in KindId::ALL {
        let info = kind.info();
        assert!(
            !info.summary.trim().is_empty(),
            "{} has no summary",
            info.name
        );
        assert_eq!(info.register_with, format!("on_{}", info.name));
        assert_eq!(info.decides, info.name == "ip_filter");
        for attribute in info.attributes {
            assert!(
                !attribute.doc.trim().is_empty(),
                "{}.{}",
                info.name,
                attribute.name
            );
        }
    }
}

#[test]
fn every_category_is_used_and_in_the_mask() {
    let used: Vec<Category> = KindId::ALL
        .iter()
        .map(|kind| kind.info().category)
        .collect();
    for category in Category::ALL {
        assert!(used.contains(&category), "{category} has no kind");
        assert!(CategoryMask::ALL.contains(category));
    }
    assert_eq!(CategoryMask::ALL.bits().count_ones(), 9);
}

#[test]
fn the_bittorrent_kinds_carry_the_seeds_attributes() {
    let attributes = |name: &str| -> Vec<&str> {
        let kind = KindId::ALL
            .iter()
            .find(|kind| kind.name() == name)
            .unwrap_or_else(|| panic!("no kind {name}"));
        kind.info().attributes.iter().map(|a| a.name).collect()
    };
    // Net::BitTorrent's attributes (its `torrent` object is hark's info hash, its `file`
    // object the file's path), then what hark adds.
    assert_eq!(
        attributes("tracker_failure")[..4],
        ["torrent", "url", "times_in_row", "status_code"]
    );
    assert_eq!(
        attributes("piece_hash_failed"),
        ["torrent", "index", "peers"]
    );
    assert_eq!(
        attributes("piece_hash_passed"),
        ["torrent", "index", "peers"]
    );
    assert_eq!(attributes("peer_ban"), ["torrent", "ip"]);
    assert_eq!(attributes("peer_error")[..2], ["peer_id", "ip"]);
    assert_eq!(attributes("invalid_request")[..2], ["torrent", "ip"]);
    assert_eq!(attributes("url_seed")[..2], ["torrent", "url"]);
    assert_eq!(attributes("file_write")[..2], ["torrent", "file"]);
    assert!(attributes("file_write").contains(&"length"));
    assert!(attributes("file_read").contains(&"length"));
    for name in ["file_error", "file_open", "file_close"] {
        assert_eq!(attributes(name)[..2], ["torrent", "file"]);
    }
    for name in ["tracker_announce", "tracker_success", "tracker_warning"] {
        assert_eq!(attributes(name)[0], "torrent");
    }
}
