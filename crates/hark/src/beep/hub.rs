//! Every handler call as a `beep_*` event in the connection's event hub.

use hark_proto::beep::FrameType;

use super::connection::Connection;
use super::frame::Frame;
use crate::events::{
    BeepAuthComplete, BeepAuthFailed, BeepChannelClosed, BeepCloseDenied, BeepCloseReceived,
    BeepConnectionBroken, BeepFrameReceived, BeepOnChannel, BeepStartDenied, BeepStartReceived,
    EventKind,
};
use crate::events::{
    BeepPoolCreated, BeepPoolGrowFailed, BeepTlsComplete, BeepTlsFailed, BeepTlsRequested,
};

fn emit(conn: &Connection, kind: impl Into<EventKind>) {
    let Some(hub) = &conn.inner.hub else {
        return;
    };
    let kind = kind.into();
    let Ok(mut hub) = hub.lock() else {
        tracing::warn!(
            event = kind.name(),
            "event hub poisoned; BEEP event not emitted"
        );
        return;
    };
    if let Err(refused) = hub.emit(kind, None) {
        tracing::warn!(?refused, "event hub full; guaranteed BEEP event not queued");
    }
}

pub(crate) fn start_received(conn: &Connection, channel: u32, profile: &str) {
    let profile = profile.to_owned();
    emit(conn, BeepStartReceived { channel, profile });
}

pub(crate) fn start_denied(conn: &Connection, channel: u32, profile: &str, code: u16) {
    let profile = profile.to_owned();
    emit(
        conn,
        BeepStartDenied {
            channel,
            profile,
            code,
        },
    );
}

pub(crate) fn close_received(conn: &Connection, channel: u32) {
    emit(conn, BeepCloseReceived { channel });
}

pub(crate) fn close_denied(conn: &Connection, channel: u32, code: u16) {
    emit(conn, BeepCloseDenied { channel, code });
}

pub(crate) fn channel_closed(conn: &Connection, channel: u32, by_peer: bool) {
    emit(conn, BeepChannelClosed { channel, by_peer });
}

pub(crate) fn on_channel(conn: &Connection, number: i32) {
    emit(conn, BeepOnChannel { number });
}

pub(crate) fn frame_received(conn: &Connection, channel: u32, frame: &Frame) {
    let keyword = match frame.kind() {
        FrameType::Msg => "MSG",
        FrameType::Rpy => "RPY",
        FrameType::Err => "ERR",
        FrameType::Ans { .. } => "ANS",
        FrameType::Nul => "NUL",
    }
    .to_owned();
    let kind = BeepFrameReceived {
        channel,
        keyword,
        msgno: frame.msgno(),
        length: frame.payload().len(),
    };
    emit(conn, kind);
}

pub(crate) fn connection_broken(conn: &Connection, reason: &str) {
    let reason = reason.to_owned();
    emit(conn, BeepConnectionBroken { reason });
}

pub(crate) fn auth(conn: &Connection, mechanism: &str, ok: bool, text: &str) {
    let mechanism = mechanism.to_owned();
    let text = text.to_owned();
    if ok {
        emit(
            conn,
            BeepAuthComplete {
                mechanism,
                identity: text,
            },
        );
    } else {
        emit(
            conn,
            BeepAuthFailed {
                mechanism,
                reason: text,
            },
        );
    }
}

pub(crate) fn tls_requested(conn: &Connection, server_name: Option<&str>) {
    let server_name = server_name.unwrap_or_default().to_owned();
    emit(conn, BeepTlsRequested { server_name });
}

pub(crate) fn tls_complete(conn: &Connection, info: &super::tls::TlsInfo) {
    let kind = BeepTlsComplete {
        version: info.version.clone(),
        cipher_suite: info.cipher_suite.clone(),
    };
    emit(conn, kind);
}

pub(crate) fn tls_failed(conn: &Connection, reason: &str) {
    let reason = reason.to_owned();
    emit(conn, BeepTlsFailed { reason });
}

pub(crate) fn pool_created(conn: &Connection, pool: u32, profile: &str, channels: usize) {
    let profile = profile.to_owned();
    emit(
        conn,
        BeepPoolCreated {
            pool,
            profile,
            channels,
        },
    );
}

pub(crate) fn pool_grow_failed(conn: &Connection, pool: u32, reason: &str) {
    let reason = reason.to_owned();
    emit(conn, BeepPoolGrowFailed { pool, reason });
}
