//! The `on_<event>` methods, one per Net::BitTorrent callback (and hark's torrent kinds),
//! on both [`ClientBuilder`] and [`ClientHandle`].

use super::builder::ClientBuilder;
use super::handle::ClientHandle;
use crate::events::{
    Event, FileClose, FileError, FileOpen, FileRead, FileWrite, HubListenerId, InvalidRequest,
    IpFiltered, Kind, ListenFailure, ListenSuccess, PeerBan, PeerDataIn, PeerDataOut,
    PeerDisconnect, PeerError, PeerHandshakeComplete, PeerIdReceived, PeerPacketIn, PeerPacketOut,
    PieceHashFailed, PieceHashPassed, PieceProgress, TorrentAdded, TorrentFinished, TorrentPaused,
    TorrentResumed, TrackerAnnounce, TrackerFailure, TrackerRead, TrackerSuccess, TrackerWarning,
    TrackerWrite, UrlSeed,
};

macro_rules! client_callbacks {
    ($($name:literal $on:ident => $Kind:ty;)*) => {
        impl ClientBuilder {
            $(
                #[doc = concat!("Sets a callback for every `", $name, "` event (see [`ClientHandle::on`]).")]
                #[must_use]
                pub fn $on<R, F>(self, f: F) -> Self
                where
                    R: Into<<$Kind as Kind>::Reply>,
                    F: FnMut(&ClientHandle, &Event, &$Kind) -> R + Send + 'static,
                {
                    self.on::<$Kind, R, F>(f)
                }
            )*
        }

        impl ClientHandle {
            $(
                #[doc = concat!("Registers a callback for every `", $name, "` event (see [`ClientHandle::on`]).")]
                pub fn $on<R, F>(&self, f: F) -> HubListenerId
                where
                    R: Into<<$Kind as Kind>::Reply>,
                    F: FnMut(&ClientHandle, &Event, &$Kind) -> R + Send + 'static,
                {
                    self.on::<$Kind, R, F>(f)
                }
            )*
        }
    };
}

client_callbacks! {
    "ip_filter" on_ip_filter => IpFiltered;
    "listen_failure" on_listen_failure => ListenFailure;
    "listen_success" on_listen_success => ListenSuccess;
    "peer_id" on_peer_id => PeerIdReceived;
    "peer_handshake_complete" on_peer_handshake_complete => PeerHandshakeComplete;
    "peer_disconnect" on_peer_disconnect => PeerDisconnect;
    "peer_data_in" on_peer_data_in => PeerDataIn;
    "peer_data_out" on_peer_data_out => PeerDataOut;
    "peer_packet_out" on_peer_packet_out => PeerPacketOut;
    "peer_packet_in" on_peer_packet_in => PeerPacketIn;
    "file_error" on_file_error => FileError;
    "file_open" on_file_open => FileOpen;
    "file_close" on_file_close => FileClose;
    "file_write" on_file_write => FileWrite;
    "file_read" on_file_read => FileRead;
    "tracker_announce" on_tracker_announce => TrackerAnnounce;
    "tracker_failure" on_tracker_failure => TrackerFailure;
    "tracker_success" on_tracker_success => TrackerSuccess;
    "tracker_warning" on_tracker_warning => TrackerWarning;
    "tracker_write" on_tracker_write => TrackerWrite;
    "tracker_read" on_tracker_read => TrackerRead;
    "url_seed" on_url_seed => UrlSeed;
    "piece_hash_failed" on_piece_hash_failed => PieceHashFailed;
    "piece_hash_passed" on_piece_hash_passed => PieceHashPassed;
    "peer_ban" on_peer_ban => PeerBan;
    "peer_error" on_peer_error => PeerError;
    "invalid_request" on_invalid_request => InvalidRequest;
    "torrent_added" on_torrent_added => TorrentAdded;
    "torrent_paused" on_torrent_paused => TorrentPaused;
    "torrent_resumed" on_torrent_resumed => TorrentResumed;
    "torrent_finished" on_torrent_finished => TorrentFinished;
    "piece_progress" on_piece_progress => PieceProgress;
}
