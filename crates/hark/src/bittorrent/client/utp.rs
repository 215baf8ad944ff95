//! uTP on the client's UDP sockets: hark's uTP context as a datagram core, its callbacks
//! turned into [`Note`]s for the engine. The IPv4 socket's core (or the IPv6 one's, without
//! IPv4) also carries the torrents' timers.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hark_proto::utp::{EndpointConfig, Unreachable};
use hark_reactor::{DatagramEndpoint, Transmit};

use super::shared::{Note, Shared, lock};
use crate::events::{Admission, Direction, EventHub, Protocol};
use crate::utp::{Callbacks, UtpContext, UtpSocket, UtpState, looks_like_utp};

/// A context whose callbacks leave notes in `notes` and ask `hub`'s IP filter about
/// incoming connections.
pub(crate) fn context(
    family: usize,
    notes: Arc<Mutex<VecDeque<Note>>>,
    hub: Arc<Mutex<EventHub>>,
    config: EndpointConfig,
) -> UtpContext {
    let notes_read = Arc::clone(&notes);
    let push = move |note: Note| lock(&notes).push_back(note);
    let (p1, p2, p4, p5) = (push.clone(), push.clone(), push.clone(), push);
    let callbacks = Callbacks::new()
        .on_firewall(move |_, addr: SocketAddr| {
            let protocol = Protocol::udp_for(&addr);
            let admitted = lock(&hub).admit(addr, protocol, Direction::Incoming, None);
            admitted == Admission::Deny
        })
        .on_accept(move |_, socket, addr| p1(Note::Accept(family, socket, addr)))
        .on_connect(move |_, socket| p2(Note::Connected(family, socket)))
        .on_read(move |_, socket, data| read_note(&notes_read, family, socket, data))
        .on_error(move |_, socket, code| p4(Note::Error(family, socket, code)))
        .on_state_change(move |_, socket, state| match state {
            UtpState::Writable => p5(Note::Writable(family, socket)),
            UtpState::Eof => p5(Note::Eof(family, socket)),
            UtpState::Destroying => p5(Note::Destroying(family, socket)),
            UtpState::Connect => p5(Note::Connected(family, socket)),
        });
    let mut context = UtpContext::builder()
        .callbacks(callbacks)
        .endpoint_config(config)
        .build_unchecked();
    let limit = context.connection_config().send_buffer.max(64 * 1024);
    context.gauge = Some(Arc::new(crate::utp::Gauge::new(limit)));
    context
}

/// Most bytes one [`Note::Read`] gathers from consecutive reads of a socket.
const READ_NOTE_MAX: usize = 256 * 1024;

/// Leaves the bytes of an `on_read` callback for the engine: appended to the last note
/// when it is a read of the same socket (a packet's worth arrives per callback; one note
/// per batch of them saves an allocation and a pass through the engine per packet).
fn read_note(notes: &Mutex<VecDeque<Note>>, family: usize, socket: UtpSocket, data: &[u8]) {
    let mut notes = lock(notes);
    if let Some(Note::Read(f, s, buf)) = notes.back_mut() {
        if *f == family && *s == socket && buf.len() + data.len() <= READ_NOTE_MAX {
            buf.extend_from_slice(data);
            return;
        }
    }
    notes.push_back(Note::Read(family, socket, data.to_vec()));
}

/// The datagram core of one of the client's UDP sockets.
pub(crate) struct UtpCore {
    pub shared: Arc<Shared>,
    pub family: usize,
    /// This core carries the torrents' timers.
    pub primary: bool,
    /// An instant in the past: "due now".
    pub epoch: Instant,
}

impl UtpCore {
    fn ctx(&self) -> &Mutex<UtpContext> {
        self.shared.wiring.utp[self.family]
            .as_ref()
            .expect("a UtpCore exists only for a bound family")
    }

    /// Hands the notes the context's callbacks left to the engine.
    fn settle(&self, now: Instant) {
        let pending = !lock(&self.shared.wiring.notes).is_empty();
        if pending {
            self.shared.enter(now, |_, _| {});
        }
    }
}

impl DatagramEndpoint for UtpCore {
    fn claim(&self, _from: SocketAddr, data: &[u8]) -> bool {
        looks_like_utp(data)
    }

    fn max_datagram_size(&self) -> usize {
        usize::from(lock(self.ctx()).datagram_limit())
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        let mut ctx = lock(self.ctx());
        ctx.observe(now);
        let _ = ctx.handle_datagram(now, from, data);
    }

    fn flush_deferred(&mut self, now: Instant) {
        {
            let mut ctx = lock(self.ctx());
            ctx.observe(now);
            ctx.flush_batch(now);
        }
        self.settle(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.shared.wiring.dirty[self.family].store(false, Ordering::Release);
        {
            let mut ctx = lock(self.ctx());
            ctx.observe(now);
            ctx.run_timers(now);
        }
        if self.primary {
            self.shared
                .enter(now, |engine, now| engine.handle_timeout(now));
        } else {
            self.settle(now);
        }
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        loop {
            let drained = {
                let mut ctx = lock(self.ctx());
                if let Some(t) = ctx.next_transmit(now, buf) {
                    return Some(Transmit {
                        destination: t.destination,
                        len: t.len,
                        dont_fragment: t.dont_fragment,
                    });
                }
                ctx.drain(now)
            };
            let notes = !lock(&self.shared.wiring.notes).is_empty();
            if notes {
                self.shared.enter(now, |_, _| {});
            } else if !drained {
                return None;
            }
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.shared.wiring.dirty[self.family].load(Ordering::Acquire) {
            return Some(self.epoch);
        }
        let utp = lock(self.ctx()).core_timeout();
        let torrents = if self.primary {
            lock(&self.shared.engine).poll_timeout()
        } else {
            None
        };
        utp.into_iter().chain(torrents).min()
    }

    fn handle_icmp_error(
        &mut self,
        now: Instant,
        destination: SocketAddr,
        kind: Unreachable,
        quoted: &[u8],
    ) {
        {
            let mut ctx = lock(self.ctx());
            ctx.observe(now);
            let _ = ctx.icmp_error(now, destination, kind, quoted);
            ctx.drain(now);
        }
        self.settle(now);
    }
}
