//! TCP peer connections on the reactor: one notifier per connection feeding the engine,
//! and the listener that admits incoming ones through the IP filter.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use hark_reactor::tcp::{ListenerCtl, TcpConn, TcpListenNotify, TcpNotify};

use super::links::LinkId;
use super::shared::{Shared, lock};
use crate::events::{Admission, Direction, DisconnectReason, Protocol};

/// The notifier of one TCP peer connection.
pub(crate) struct TcpPeer {
    shared: Arc<Shared>,
    link: LinkId,
    /// Reported `closed` or `connect_failed` already.
    ended: bool,
}

impl TcpPeer {
    pub fn new(shared: Arc<Shared>, link: LinkId) -> Self {
        TcpPeer {
            shared,
            link,
            ended: false,
        }
    }

    fn end(&mut self, reason: DisconnectReason) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        let link = self.link;
        self.shared.enter(Instant::now(), |engine, now| {
            engine.link_ended(now, link, reason)
        });
    }
}

impl TcpNotify for TcpPeer {
    fn accepted(&mut self, conn: &mut TcpConn<'_>) {
        let handle = conn.handle();
        let link = self.link;
        self.shared.enter(Instant::now(), |engine, _| {
            if let Some(l) = engine.links.get_mut(&link) {
                l.transport = super::links::Transport::Tcp(Some(handle));
            }
        });
    }

    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        let link = self.link;
        self.shared
            .enter_tcp(Instant::now(), link, conn, |engine, now, _| {
                engine.link_connected(now, link);
            });
    }

    fn connect_failed(&mut self, _conn: &mut TcpConn<'_>) {
        self.end(DisconnectReason::Reset);
    }

    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        let link = self.link;
        self.shared
            .enter_tcp(Instant::now(), link, conn, |engine, now, _| {
                engine.link_bytes(now, link, data);
            });
        true
    }

    fn woken(&mut self, conn: &mut TcpConn<'_>) {
        let link = self.link;
        self.shared
            .enter_tcp(Instant::now(), link, conn, |engine, now, conn| {
                engine.woken(link);
                engine.flush_link(now, link, Some(conn));
            });
    }

    fn unthrottled(&mut self, conn: &mut TcpConn<'_>) {
        let link = self.link;
        self.shared
            .enter_tcp(Instant::now(), link, conn, |engine, now, conn| {
                engine.flush_link(now, link, Some(conn));
            });
    }

    fn closed(&mut self, _conn: &mut TcpConn<'_>) {
        self.end(DisconnectReason::ClosedByPeer);
    }
}

/// The listener of one address family: admits incoming connections through the IP filter
/// and gives each a [`TcpPeer`].
pub(crate) struct PeerListener {
    pub shared: Arc<Shared>,
}

impl TcpListenNotify for PeerListener {
    fn connected(
        &mut self,
        _listener: &mut ListenerCtl<'_>,
        peer: SocketAddr,
    ) -> Option<Box<dyn TcpNotify>> {
        let protocol = Protocol::tcp_for(&peer);
        let admitted =
            lock(&self.shared.wiring.hub).admit(peer, protocol, Direction::Incoming, None);
        if admitted == Admission::Deny {
            return None;
        }
        let link = {
            let mut engine = lock(&self.shared.engine);
            let link = engine.reserve_link();
            engine.insert_incoming_tcp(link, peer);
            link
        };
        Some(Box::new(TcpPeer::new(Arc::clone(&self.shared), link)))
    }
}
