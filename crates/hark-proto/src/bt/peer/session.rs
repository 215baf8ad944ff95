//! The peer session: one BitTorrent peer-wire connection over a byte stream, sans-IO.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use hark_wire::bt::peer::{
    BlockRequest, Decoded, Decoder, EXTENDED_HANDSHAKE_ID, ExtendedHandshake, Frame, HandshakeRepr,
    MessageRepr, Reserved, piece_header,
};

use super::rate::RateMeter;
use super::{
    BLOCK_LEN, ConfigError, Event, InvalidRequest, PeerError, PieceSet, RequestError, ServeError,
    SessionConfig, TorrentShape,
};

/// Control messages may use this much beyond `max_send_buffer`.
const CONTROL_HEADROOM: usize = 64 * 1024;

/// A session that sent nothing after its opening messages (handshake, extended handshake,
/// pieces) sends one keep-alive this long after them. transmission 3.00 over uTP leaves
/// bytes that arrive in the same read as the end of our handshake unread until more bytes
/// come, so without it a seeder's bitfield would wait for the 60 s keep-alive.
const OPENING_NUDGE: Duration = Duration::from_secs(1);

/// The session's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
enum Timer {
    /// The peer's handshake is due.
    Handshake,
    /// Nothing received for the idle timeout.
    Idle,
    /// Time to send a keep-alive.
    KeepAlive,
    /// The oldest request in flight is due.
    Request,
}

const TIMERS: [Timer; 4] = [
    Timer::Handshake,
    Timer::Idle,
    Timer::KeepAlive,
    Timer::Request,
];

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Our handshake is queued; the peer's has not arrived.
    Handshaking,
    /// Both handshakes are exchanged.
    Open,
    /// Ended; the `Closed` event was queued.
    Closed,
}

/// One BitTorrent peer connection as a sans-IO state machine (the "stream core" contract:
/// `handle_bytes` / `poll_transmit` / `poll_timeout` / `handle_timeout` / `poll_event`).
///
/// After any `handle_*` call or command, drain [`PeerSession::poll_transmit`] and
/// [`PeerSession::poll_event`], then read [`PeerSession::poll_timeout`]. The session never
/// reads a clock: `now` comes with every call.
///
/// Memory is bounded: the receive buffer holds less than one message (whose length is
/// capped), the peer's requests queue up to `max_incoming_requests`, ours up to
/// `max_queue_depth`, and the send buffer up to `max_send_buffer` of block data plus 64 KiB of
/// control messages (a peer that makes us exceed that is ended).
#[derive(Debug)]
pub struct PeerSession {
    config: SessionConfig,
    shape: TorrentShape,
    info_hash: [u8; 20],
    state: State,
    decoder: Decoder,
    recv: Vec<u8>,
    out: VecDeque<u8>,
    events: VecDeque<Event>,
    created: Instant,
    last_received: Instant,
    last_sent: Instant,
    peer_id: Option<[u8; 20]>,
    negotiated: Reserved,
    /// Whether a bitfield / have_all / have_none may still come.
    pieces_window: bool,
    /// Whether the peer already sent its bitfield / have_all / have_none.
    pieces_said: bool,
    /// When the opening messages went out, while nothing has been sent since: one
    /// keep-alive follows [`OPENING_NUDGE`] later (see there).
    opened_quiet: Option<Instant>,
    ours: PieceSet,
    theirs: PieceSet,
    am_choking: bool,
    am_interested: bool,
    peer_choking: bool,
    peer_interested: bool,
    /// Pieces the peer lets us request while choked.
    allowed_in: PieceSet,
    /// Pieces we let the peer request while choked.
    allowed_out: PieceSet,
    /// Whether our canonical allowed-fast set is computed (or never will be: no Fast, no
    /// address).
    fast_set_sent: bool,
    /// Our canonical allowed-fast set for the peer: its pieces we have were sent, the
    /// others go out as we get them.
    fast_set: Vec<u32>,
    /// Our requests not yet sent.
    pending: VecDeque<BlockRequest>,
    /// Our requests sent and unanswered, oldest first, with when they went out.
    outstanding: VecDeque<(BlockRequest, Instant)>,
    /// Our requests cancelled lately: a piece or reject for them is not an error.
    cancelled: VecDeque<BlockRequest>,
    snubbed: bool,
    last_block: Option<Instant>,
    peer_reqq: Option<usize>,
    peer_extensions: Option<ExtendedHandshake>,
    down: RateMeter,
    up: RateMeter,
    /// The peer's requests we have not served.
    incoming: VecDeque<BlockRequest>,
}

impl PeerSession {
    /// A session for the torrent `info_hash` of `shape`, of which we have `ours`. Our
    /// handshake is queued at once; everything else waits for the peer's.
    pub fn new(
        now: Instant,
        config: SessionConfig,
        shape: TorrentShape,
        info_hash: [u8; 20],
        ours: PieceSet,
    ) -> Result<Self, ConfigError> {
        let count = shape.piece_count();
        if ours.capacity() != count {
            return Err(ConfigError::PieceCount {
                pieces: ours.capacity(),
                torrent: count,
            });
        }
        if config.min_queue_depth == 0 || config.min_queue_depth > config.max_queue_depth {
            return Err(ConfigError::QueueDepth);
        }
        let max_len = config
            .max_message_len
            .max(u32::try_from(shape.bitfield_len() + 1).unwrap_or(u32::MAX));
        let mut session = Self {
            shape,
            info_hash,
            state: State::Handshaking,
            decoder: Decoder::new(max_len),
            recv: Vec::new(),
            out: VecDeque::new(),
            events: VecDeque::new(),
            created: now,
            last_received: now,
            last_sent: now,
            peer_id: None,
            negotiated: Reserved::NONE,
            pieces_window: true,
            pieces_said: false,
            opened_quiet: None,
            ours,
            theirs: PieceSet::empty(count),
            am_choking: true,
            am_interested: false,
            peer_choking: true,
            peer_interested: false,
            allowed_in: PieceSet::empty(count),
            allowed_out: PieceSet::empty(count),
            fast_set_sent: false,
            fast_set: Vec::new(),
            pending: VecDeque::new(),
            outstanding: VecDeque::new(),
            cancelled: VecDeque::new(),
            snubbed: false,
            last_block: None,
            peer_reqq: None,
            peer_extensions: None,
            down: RateMeter::new(now),
            up: RateMeter::new(now),
            incoming: VecDeque::new(),
            config,
        };
        let hello = HandshakeRepr {
            reserved: session.config.reserved,
            info_hash,
            peer_id: session.config.peer_id,
        };
        session.out.extend(hello.to_bytes());
        Ok(session)
    }

    // ---- input -------------------------------------------------------------------------

    /// Takes bytes the peer sent. Decodes every whole frame; keeps the rest (less than one
    /// message) for the next call.
    ///
    /// Frames are decoded in place from `bytes`: only a frame split across calls is put
    /// together in the receive buffer, from just the bytes it lacks (copying all of `bytes`
    /// behind a partial frame moved every received byte once more).
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        if self.state == State::Closed || bytes.is_empty() {
            return;
        }
        self.last_received = now;
        let mut rest = bytes;
        if !self.recv.is_empty() {
            let mut buf = std::mem::take(&mut self.recv);
            loop {
                let (used, needed) = self.consume(now, &buf);
                if self.state == State::Closed {
                    return;
                }
                buf.drain(..used);
                if buf.is_empty() || rest.is_empty() {
                    break;
                }
                // `needed` is a lower bound, so these bytes never reach past the frame.
                let take = needed.clamp(1, rest.len());
                buf.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
            }
            // Empty unless `rest` is; kept either way for its capacity.
            self.recv = buf;
        }
        if !rest.is_empty() {
            let (used, _) = self.consume(now, rest);
            if self.state == State::Closed {
                return;
            }
            self.recv.extend_from_slice(&rest[used..]);
        }
        self.flush_requests(now);
    }

    /// Decodes frames from `input`; returns how many bytes they took and how many more the
    /// next frame needs at least (0 once the session ended).
    fn consume(&mut self, now: Instant, input: &[u8]) -> (usize, usize) {
        let mut at = 0;
        while self.state != State::Closed {
            match self.decoder.decode(&input[at..]) {
                Ok(Decoded::Complete { value, consumed }) => {
                    at += consumed;
                    match value {
                        Frame::Handshake(hs) => self.on_handshake(now, &hs),
                        Frame::Message(msg) => self.on_message(now, msg),
                    }
                }
                Ok(Decoded::Incomplete { needed }) => return (at, needed),
                Err(err) => {
                    let error = if self.decoder.handshake_done() {
                        PeerError::Wire(err)
                    } else {
                        PeerError::BadHandshake(err)
                    };
                    self.end(error);
                }
            }
        }
        (at, 0)
    }

    /// Fires the timers that are due; a spurious call does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let deadlines = self.deadlines();
        for timer in TIMERS {
            if self.state == State::Closed {
                return;
            }
            if deadlines[timer as usize].is_none_or(|at| at > now) {
                continue;
            }
            match timer {
                Timer::Handshake => self.end(PeerError::HandshakeTimeout),
                Timer::Idle => self.end(PeerError::IdleTimeout),
                Timer::KeepAlive => {
                    self.opened_quiet = None;
                    self.push(now, &MessageRepr::KeepAlive);
                }
                Timer::Request => self.time_out_requests(now),
            }
        }
        self.flush_requests(now);
    }

    fn time_out_requests(&mut self, now: Instant) {
        while let Some((request, _)) = self.outstanding.pop_front() {
            self.remember_cancelled(request);
            self.push(now, &MessageRepr::Cancel(request));
            self.event(Event::RequestTimedOut(request));
        }
        if !self.snubbed {
            self.snubbed = true;
            self.event(Event::Snubbed);
        }
    }

    // ---- output ------------------------------------------------------------------------

    /// Copies queued bytes into the start of `buf`; returns how many (0 when nothing is
    /// queued). The caller must deliver all of them, in order, before the next call's
    /// (the signature of hark-reactor's `StreamCore::poll_transmit`).
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> usize {
        self.poll_transmit_with(now, copy_into(buf))
    }

    /// Hands the queued bytes to `write` in order, as one or two slices, without copying
    /// them first; `write` returns how many of a slice it took, and a short count ends the
    /// call. Only the bytes taken leave the queue; returns how many. The alternative to
    /// [`PeerSession::poll_transmit`] for a sink that copies anyway (a uTP send buffer).
    pub fn poll_transmit_with(
        &mut self,
        _now: Instant,
        mut write: impl FnMut(&[u8]) -> usize,
    ) -> usize {
        let (front, back) = self.out.as_slices();
        let mut taken = 0;
        for slice in [front, back] {
            if slice.is_empty() {
                continue;
            }
            let n = write(slice).min(slice.len());
            taken += n;
            if n < slice.len() {
                break;
            }
        }
        self.out.drain(..taken);
        taken
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`PeerSession::handle_timeout`] next has work to do.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines().into_iter().flatten().min()
    }

    fn deadlines(&self) -> [Option<Instant>; 4] {
        let mut out = [None; 4];
        match self.state {
            State::Closed => return out,
            State::Handshaking => {
                out[Timer::Handshake as usize] = Some(self.created + self.config.handshake_timeout);
            }
            State::Open => {
                out[Timer::KeepAlive as usize] = Some(match self.opened_quiet {
                    Some(opened) => opened + OPENING_NUDGE,
                    None => self.last_sent + self.config.keep_alive_interval,
                });
            }
        }
        out[Timer::Idle as usize] = Some(self.last_received + self.config.idle_timeout);
        if let Some(&(_, sent)) = self.outstanding.front() {
            let since = self.last_block.map_or(sent, |block| block.max(sent));
            out[Timer::Request as usize] = Some(since + self.config.request_timeout);
        }
        out
    }

    // ---- commands ----------------------------------------------------------------------

    /// Chokes the peer. Under Fast its pending requests (except for allowed-fast pieces)
    /// are rejected; without Fast they are dropped, as BEP 3 says choking does.
    pub fn choke(&mut self, now: Instant) {
        if self.state == State::Closed || self.am_choking {
            return;
        }
        self.am_choking = true;
        if self.state != State::Open {
            return;
        }
        self.push(now, &MessageRepr::Choke);
        self.send_fast_set(now);
        if self.negotiated.fast() {
            let (keep, refuse): (VecDeque<_>, VecDeque<_>) = self
                .incoming
                .drain(..)
                .partition(|r| self.allowed_out.contains(r.index));
            self.incoming = keep;
            for request in refuse {
                self.push(now, &MessageRepr::Reject(request));
            }
        } else {
            self.incoming.clear();
        }
    }

    /// Unchokes the peer: its requests will be served.
    pub fn unchoke(&mut self, now: Instant) {
        if self.state == State::Closed || !self.am_choking {
            return;
        }
        self.am_choking = false;
        if self.state == State::Open {
            self.push(now, &MessageRepr::Unchoke);
        }
    }

    /// Tells the peer whether we want its pieces.
    pub fn set_interested(&mut self, now: Instant, interested: bool) {
        if self.state == State::Closed || self.am_interested == interested {
            return;
        }
        self.am_interested = interested;
        if self.state == State::Open {
            let msg = if interested {
                MessageRepr::Interested
            } else {
                MessageRepr::NotInterested
            };
            self.push(now, &msg);
        }
    }

    /// We verified `piece`: tell the peer. False if `piece` is past the end.
    pub fn have(&mut self, now: Instant, piece: u32) -> bool {
        if !self.ours.insert(piece) {
            return false;
        }
        if self.state == State::Open {
            self.push(now, &MessageRepr::Have { piece });
            if self.fast_set.contains(&piece) && !self.allowed_out.contains(piece) {
                self.allowed_out.insert(piece);
                self.push(now, &MessageRepr::AllowedFast { piece });
            }
        }
        true
    }

    /// Lets the peer request `piece` while choked (BEP 6). False unless Fast is negotiated
    /// and `piece` exists.
    pub fn allow_fast(&mut self, now: Instant, piece: u32) -> bool {
        if self.state != State::Open || !self.negotiated.fast() || !self.allowed_out.insert(piece) {
            return false;
        }
        self.push(now, &MessageRepr::AllowedFast { piece });
        true
    }

    /// Queues a request for a block the peer has. It goes out as soon as the peer unchokes
    /// us (or has allowed the piece fast) and the queue depth has room.
    pub fn request(&mut self, now: Instant, request: BlockRequest) -> Result<(), RequestError> {
        if self.state == State::Closed {
            return Err(RequestError::Closed);
        }
        if !self
            .shape
            .contains_block(request.index, request.begin, request.length)
        {
            return Err(RequestError::OutOfRange);
        }
        if !self.theirs.contains(request.index) {
            return Err(RequestError::PeerLacksPiece);
        }
        if self.pending.contains(&request) || self.outstanding.iter().any(|(r, _)| *r == request) {
            return Err(RequestError::AlreadyRequested);
        }
        if self.pending.len() + self.outstanding.len() >= self.config.max_queue_depth {
            return Err(RequestError::QueueFull);
        }
        self.pending.push_back(request);
        self.flush_requests(now);
        Ok(())
    }

    /// Withdraws a request of ours: dropped if not sent yet, cancelled on the wire if it
    /// was. False if there was no such request.
    pub fn cancel(&mut self, now: Instant, request: BlockRequest) -> bool {
        if let Some(at) = self.pending.iter().position(|r| *r == request) {
            self.pending.remove(at);
            return true;
        }
        if let Some(at) = self.outstanding.iter().position(|(r, _)| *r == request) {
            self.outstanding.remove(at);
            self.remember_cancelled(request);
            self.push(now, &MessageRepr::Cancel(request));
            return true;
        }
        false
    }

    /// Sends the block the peer requested (from [`Event::BlockRequested`]).
    pub fn serve(
        &mut self,
        now: Instant,
        request: BlockRequest,
        data: &[u8],
    ) -> Result<(), ServeError> {
        if self.state == State::Closed {
            return Err(ServeError::Closed);
        }
        let Some(at) = self.incoming.iter().position(|r| *r == request) else {
            return Err(ServeError::NotPending);
        };
        if data.len() != request.length as usize {
            return Err(ServeError::WrongLength {
                got: data.len(),
                expected: request.length,
            });
        }
        if self.out.len() + 13 + data.len() > self.config.max_send_buffer {
            return Err(ServeError::SendBufferFull);
        }
        let header = piece_header(request.index, request.begin, request.length).map_err(|_| {
            ServeError::WrongLength {
                got: data.len(),
                expected: request.length,
            }
        })?;
        self.incoming.remove(at);
        self.out.extend(header);
        self.out.extend(data);
        self.last_sent = now;
        self.up.record(now, data.len() as u64);
        Ok(())
    }

    /// Ends the session from our side ([`PeerError::Closed`]); queued output is dropped.
    pub fn close(&mut self) {
        self.end(PeerError::Closed);
    }

    // ---- state -------------------------------------------------------------------------

    /// The peer's id, once its handshake arrived.
    pub fn peer_id(&self) -> Option<[u8; 20]> {
        self.peer_id
    }

    /// The reserved bits both sides set (none before the handshake).
    pub fn negotiated(&self) -> Reserved {
        self.negotiated
    }

    /// The pieces the peer has.
    pub fn peer_pieces(&self) -> &PieceSet {
        &self.theirs
    }

    /// The pieces the peer has and lets us request while it chokes us (its allowed-fast
    /// set, BEP 6); empty without Fast.
    pub fn allowed_fast_pieces(&self) -> PieceSet {
        let mut out = PieceSet::empty(self.shape.piece_count());
        if self.negotiated.fast() {
            for piece in 0..self.shape.piece_count() {
                if self.allowed_in.contains(piece) && self.theirs.contains(piece) {
                    out.insert(piece);
                }
            }
        }
        out
    }

    /// The pieces we have.
    pub fn our_pieces(&self) -> &PieceSet {
        &self.ours
    }

    /// Whether the peer chokes us.
    pub fn peer_choking(&self) -> bool {
        self.peer_choking
    }

    /// Whether the peer is interested in our pieces.
    pub fn peer_interested(&self) -> bool {
        self.peer_interested
    }

    /// Whether we choke the peer.
    pub fn am_choking(&self) -> bool {
        self.am_choking
    }

    /// Whether we told the peer we are interested.
    pub fn am_interested(&self) -> bool {
        self.am_interested
    }

    /// Whether the peer snubs us (a request timed out and no block came since).
    pub fn is_snubbed(&self) -> bool {
        self.snubbed
    }

    /// Whether the session has ended (a stream driver then closes the connection).
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Our requests sent and unanswered, oldest first.
    pub fn outstanding_requests(&self) -> impl Iterator<Item = BlockRequest> + '_ {
        self.outstanding.iter().map(|(r, _)| *r)
    }

    /// How many of our requests are sent and unanswered or not sent yet.
    pub fn requests_in_flight(&self) -> usize {
        self.outstanding.len() + self.pending.len()
    }

    /// Our requests not sent yet.
    pub fn pending_requests(&self) -> impl Iterator<Item = BlockRequest> + '_ {
        self.pending.iter().copied()
    }

    /// The peer's requests we have not served.
    pub fn incoming_requests(&self) -> impl Iterator<Item = BlockRequest> + '_ {
        self.incoming.iter().copied()
    }

    /// Bytes queued for sending.
    pub fn send_buffer_len(&self) -> usize {
        self.out.len()
    }

    /// Block bytes per second received from the peer over the last seconds.
    pub fn download_rate(&self, now: Instant) -> u64 {
        self.down.rate(now)
    }

    /// Block bytes per second served to the peer over the last seconds.
    pub fn upload_rate(&self, now: Instant) -> u64 {
        self.up.rate(now)
    }

    /// The peer's extended handshake (BEP 10), once it arrived.
    pub fn peer_extensions(&self) -> Option<&ExtendedHandshake> {
        self.peer_extensions.as_ref()
    }

    /// The peer's request queue limit (`reqq`), when it told us one.
    pub fn peer_reqq(&self) -> Option<usize> {
        self.peer_reqq
    }

    /// Caps the requests we keep in flight at the peer's limit (`reqq` from its extended
    /// handshake).
    pub fn set_peer_reqq(&mut self, now: Instant, reqq: usize) {
        self.peer_reqq = Some(reqq.max(1));
        self.flush_requests(now);
    }

    /// How many requests we keep in flight: enough for `request_queue_time` at the
    /// measured download rate, between the configured bounds (and the peer's `reqq`); one
    /// while the peer snubs us.
    pub fn queue_depth(&self, now: Instant) -> usize {
        if self.snubbed {
            return 1;
        }
        let max = self
            .peer_reqq
            .map_or(self.config.max_queue_depth, |q| {
                q.min(self.config.max_queue_depth)
            })
            .max(1);
        let bytes = self.down.rate(now) as f64 * self.config.request_queue_time.as_secs_f64();
        let want = (bytes / f64::from(BLOCK_LEN)).ceil() as usize;
        want.clamp(self.config.min_queue_depth.min(max), max)
    }

    /// How many more blocks the owner should [`PeerSession::request`] to fill the queue.
    pub fn wanted_requests(&self, now: Instant) -> usize {
        self.queue_depth(now)
            .saturating_sub(self.outstanding.len() + self.pending.len())
    }

    // ---- internals ---------------------------------------------------------------------

    /// Queues a message; ends the peer if the send buffer's headroom is gone.
    fn push(&mut self, now: Instant, msg: &MessageRepr<'_>) {
        if self.state == State::Closed {
            return;
        }
        // Something follows the opening messages: no nudge needed.
        self.opened_quiet = None;
        let len = msg.buffer_len();
        if self.out.len() + len > self.config.max_send_buffer + CONTROL_HEADROOM {
            self.end(PeerError::SendBufferOverflow);
            return;
        }
        let mut buf = [0u8; 32];
        match buf.get_mut(..len).map(|b| msg.emit(b)) {
            Some(Ok(n)) => self.out.extend(&buf[..n]),
            _ => {
                let mut big = vec![0u8; len];
                if msg.emit(&mut big).is_ok() {
                    self.out.extend(big);
                }
            }
        }
        self.last_sent = now;
    }

    /// Queues an event, unless the session has ended (`Closed` is the last event).
    fn event(&mut self, event: Event) {
        if self.state != State::Closed {
            self.events.push_back(event);
        }
    }

    fn end(&mut self, error: PeerError) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.out.clear();
        self.recv = Vec::new();
        self.pending.clear();
        self.outstanding.clear();
        self.incoming.clear();
        self.events.push_back(Event::Closed(error)); // the last event
    }

    fn remember_cancelled(&mut self, request: BlockRequest) {
        if self.cancelled.len() >= self.config.max_queue_depth {
            self.cancelled.pop_front();
        }
        self.cancelled.push_back(request);
    }

    /// Sends pending requests while the queue depth has room and the peer lets us.
    fn flush_requests(&mut self, now: Instant) {
        if self.state != State::Open {
            return;
        }
        let depth = self.queue_depth(now);
        while self.outstanding.len() < depth {
            let next = if !self.peer_choking {
                if self.pending.is_empty() {
                    None
                } else {
                    Some(0)
                }
            } else if self.negotiated.fast() {
                self.pending
                    .iter()
                    .position(|r| self.allowed_in.contains(r.index))
            } else {
                None
            };
            let Some(at) = next else { break };
            let Some(request) = self.pending.remove(at) else {
                break;
            };
            self.push(now, &MessageRepr::Request(request));
            self.outstanding.push_back((request, now));
        }
    }

    fn on_handshake(&mut self, now: Instant, hs: &HandshakeRepr) {
        if hs.info_hash != self.info_hash {
            self.end(PeerError::InfoHashMismatch { got: hs.info_hash });
            return;
        }
        self.state = State::Open;
        self.peer_id = Some(hs.peer_id);
        self.negotiated = self.config.reserved.intersect(hs.reserved);
        self.event(Event::PeerId(hs.peer_id));
        self.event(Event::HandshakeComplete {
            reserved: self.negotiated,
        });
        // The extended handshake (libtorrent's order), our pieces, then the state set
        // before the handshake.
        if self.negotiated.extension_protocol() {
            let ours = ExtendedHandshake {
                m: self.config.extensions.clone(),
                v: self.config.client.clone(),
                reqq: Some(u32::try_from(self.config.max_incoming_requests).unwrap_or(u32::MAX)),
                yourip: self.config.peer_ip,
                p: self.config.listen_port,
            };
            let payload = ours.to_vec();
            self.push(
                now,
                &MessageRepr::Extended {
                    id: EXTENDED_HANDSHAKE_ID,
                    payload: &payload,
                },
            );
        }
        let fast = self.negotiated.fast();
        if fast && self.ours.is_full() {
            self.push(now, &MessageRepr::HaveAll);
        } else if fast && self.ours.is_empty() {
            self.push(now, &MessageRepr::HaveNone);
        } else if !self.ours.is_empty() {
            let bits = self.ours.as_wire().to_vec();
            self.push(now, &MessageRepr::Bitfield(&bits));
        }
        if !self.am_choking {
            self.push(now, &MessageRepr::Unchoke);
        } else {
            self.send_fast_set(now);
        }
        if self.am_interested {
            self.push(now, &MessageRepr::Interested);
        }
        self.opened_quiet = Some(now);
    }

    /// Computes our canonical allowed-fast set (BEP 6) and sends the pieces of it we have,
    /// once: after the handshake if we choke the peer, else at our first choke (the rest
    /// follow their `have`s). Nothing without Fast or the peer's address.
    fn send_fast_set(&mut self, now: Instant) {
        if self.fast_set_sent || self.state != State::Open {
            return;
        }
        self.fast_set_sent = true;
        let Some(ip) = self.config.peer_ip else {
            return;
        };
        if !self.negotiated.fast() {
            return;
        }
        self.fast_set = super::allowed_fast_set(
            ip,
            &self.info_hash,
            self.shape.piece_count(),
            self.config.allowed_fast,
        );
        for at in 0..self.fast_set.len() {
            let piece = self.fast_set[at];
            if self.ours.contains(piece) && !self.allowed_out.contains(piece) {
                self.allowed_out.insert(piece);
                self.push(now, &MessageRepr::AllowedFast { piece });
            }
        }
    }

    fn set_pieces(&mut self, message: &'static str, pieces: PieceSet) {
        if !self.pieces_window {
            // aria2 1.36 says have_none first and, once it has pieces, sends a bitfield
            // instead of haves. A later bitfield that only adds pieces to what the peer
            // already said is taken as those haves; anything else ends the peer.
            let adds_only = (0..pieces.capacity())
                .all(|piece| !self.theirs.contains(piece) || pieces.contains(piece));
            if self.pieces_said && message == "bitfield" && adds_only {
                for piece in 0..pieces.capacity() {
                    if pieces.contains(piece) {
                        self.on_have(piece);
                    }
                }
                return;
            }
            self.end(PeerError::LateBitfield { message });
            return;
        }
        self.pieces_window = false;
        self.pieces_said = true;
        self.theirs = pieces;
        self.event(Event::PeerPieces);
    }

    fn on_message(&mut self, now: Instant, msg: MessageRepr<'_>) {
        let name = msg.name();
        let keeps_window = matches!(
            msg,
            MessageRepr::KeepAlive | MessageRepr::Extended { .. } | MessageRepr::Port(_)
        );
        let is_pieces = matches!(
            msg,
            MessageRepr::Bitfield(_) | MessageRepr::HaveAll | MessageRepr::HaveNone
        );
        if !keeps_window && !is_pieces {
            self.pieces_window = false;
        }
        let needs_fast = matches!(
            msg,
            MessageRepr::HaveAll
                | MessageRepr::HaveNone
                | MessageRepr::Suggest { .. }
                | MessageRepr::AllowedFast { .. }
                | MessageRepr::Reject(_)
        );
        if needs_fast && !self.negotiated.fast() {
            self.end(PeerError::FastNotNegotiated { message: name });
            return;
        }
        if let MessageRepr::Have { piece }
        | MessageRepr::Suggest { piece }
        | MessageRepr::AllowedFast { piece } = msg
        {
            let count = self.shape.piece_count();
            if piece >= count {
                self.end(PeerError::PieceOutOfRange {
                    message: name,
                    piece,
                    count,
                });
                return;
            }
        }
        let count = self.shape.piece_count();
        match msg {
            MessageRepr::Choke => self.on_choke(),
            MessageRepr::Unchoke => self.on_unchoke(),
            MessageRepr::Interested => self.on_interest(true),
            MessageRepr::NotInterested => self.on_interest(false),
            MessageRepr::Have { piece } => self.on_have(piece),
            MessageRepr::Bitfield(bits) => match PieceSet::from_wire(bits, count) {
                Ok(set) => self.set_pieces(name, set),
                Err(err) => self.end(PeerError::Bitfield(err)),
            },
            MessageRepr::HaveAll => self.set_pieces(name, PieceSet::full(count)),
            MessageRepr::HaveNone => self.set_pieces(name, PieceSet::empty(count)),
            MessageRepr::Request(request) => self.on_request(now, request),
            MessageRepr::Piece { index, begin, data } => self.on_piece(now, index, begin, data),
            MessageRepr::Cancel(request) => self.on_cancel(now, request),
            MessageRepr::Port(port) => self.event(Event::Port(port)),
            MessageRepr::Suggest { piece } => self.event(Event::Suggest(piece)),
            MessageRepr::AllowedFast { piece } => {
                self.allowed_in.insert(piece);
                self.event(Event::AllowedFast(piece));
            }
            MessageRepr::Reject(request) => self.on_reject(request),
            MessageRepr::Extended { id, payload } => self.on_extended(now, id, payload),
            // Keep-alives only reset the idle clock; BEP 3 ignores unknown ids.
            _ => {}
        }
    }

    fn on_choke(&mut self) {
        if self.peer_choking {
            return;
        }
        self.peer_choking = true;
        if !self.negotiated.fast() {
            // BEP 3: a choke discards our requests; they go out again after the unchoke.
            while let Some((request, _)) = self.outstanding.pop_back() {
                self.pending.push_front(request);
            }
        }
        self.event(Event::Choked);
    }

    fn on_unchoke(&mut self) {
        if self.peer_choking {
            self.peer_choking = false;
            self.event(Event::Unchoked);
        }
    }

    fn on_interest(&mut self, interested: bool) {
        if self.peer_interested != interested {
            self.peer_interested = interested;
            self.event(if interested {
                Event::Interested
            } else {
                Event::NotInterested
            });
        }
    }

    fn on_have(&mut self, piece: u32) {
        if !self.theirs.contains(piece) {
            self.theirs.insert(piece);
            self.event(Event::Have(piece));
        }
    }

    fn on_cancel(&mut self, now: Instant, request: BlockRequest) {
        // A cancel for a request already served (or never made) is a harmless race.
        let Some(at) = self.incoming.iter().position(|r| *r == request) else {
            return;
        };
        self.incoming.remove(at);
        if self.negotiated.fast() {
            // BEP 6: a cancelled request is answered with a reject.
            self.push(now, &MessageRepr::Reject(request));
        }
        self.event(Event::RequestCancelled(request));
    }

    fn on_extended(&mut self, now: Instant, id: u8, payload: &[u8]) {
        if !self.negotiated.extension_protocol() {
            self.end(PeerError::ExtensionNotNegotiated);
            return;
        }
        if id != EXTENDED_HANDSHAKE_ID {
            self.event(Event::Extended {
                id,
                payload: payload.to_vec(),
            });
            return;
        }
        match ExtendedHandshake::parse(payload) {
            Ok(hs) => {
                if let Some(reqq) = hs.reqq {
                    self.set_peer_reqq(now, reqq as usize);
                }
                self.peer_extensions = Some(hs.clone());
                self.event(Event::ExtendedHandshake(hs));
            }
            Err(err) => self.end(PeerError::BadExtendedHandshake(err)),
        }
    }

    fn on_request(&mut self, now: Instant, request: BlockRequest) {
        let reason = if request.length > self.config.max_request_len {
            Some(InvalidRequest::TooLong)
        } else if !self
            .shape
            .contains_block(request.index, request.begin, request.length)
        {
            Some(InvalidRequest::OutOfRange)
        } else if !self.ours.contains(request.index) {
            Some(InvalidRequest::DontHave)
        } else if self.am_choking
            && !(self.negotiated.fast() && self.allowed_out.contains(request.index))
        {
            Some(InvalidRequest::Choked)
        } else if self.incoming.contains(&request) {
            // A duplicate: serving the first answers both.
            return;
        } else if self.incoming.len() >= self.config.max_incoming_requests {
            Some(InvalidRequest::QueueFull)
        } else {
            None
        };
        match reason {
            None => {
                self.incoming.push_back(request);
                self.event(Event::BlockRequested(request));
            }
            Some(reason) => {
                if self.negotiated.fast() {
                    self.push(now, &MessageRepr::Reject(request));
                }
                self.event(Event::InvalidRequest { request, reason });
            }
        }
    }

    fn on_piece(&mut self, now: Instant, index: u32, begin: u32, data: &[u8]) {
        let request = BlockRequest {
            index,
            begin,
            length: u32::try_from(data.len()).unwrap_or(u32::MAX),
        };
        if let Some(at) = self.outstanding.iter().position(|(r, _)| *r == request) {
            self.outstanding.remove(at);
        } else if let Some(at) = self.pending.iter().position(|r| *r == request) {
            // Sent before a choke that re-queued it.
            self.pending.remove(at);
        } else if let Some(at) = self.cancelled.iter().position(|r| *r == request) {
            // Answered after we cancelled: still good data.
            self.cancelled.remove(at);
        } else {
            self.end(PeerError::UnexpectedPiece(request));
            return;
        }
        self.down.record(now, data.len() as u64);
        self.last_block = Some(now);
        if self.snubbed {
            self.snubbed = false;
            self.event(Event::Unsnubbed);
        }
        self.event(Event::Block {
            request,
            data: data.to_vec(),
        });
    }

    fn on_reject(&mut self, request: BlockRequest) {
        if let Some(at) = self.outstanding.iter().position(|(r, _)| *r == request) {
            self.outstanding.remove(at);
            self.event(Event::Rejected(request));
        } else if let Some(at) = self.cancelled.iter().position(|r| *r == request) {
            // The answer BEP 6 requires to our cancel.
            self.cancelled.remove(at);
        } else {
            self.end(PeerError::UnexpectedReject(request));
        }
    }
}

/// A sink for `poll_transmit_with` that copies what it is handed into `buf`, whole slices
/// at a time, as far as `buf` has room.
pub(crate) fn copy_into(buf: &mut [u8]) -> impl FnMut(&[u8]) -> usize + '_ {
    let mut filled = 0;
    move |bytes: &[u8]| {
        let n = bytes.len().min(buf.len() - filled);
        buf[filled..filled + n].copy_from_slice(&bytes[..n]);
        filled += n;
        n
    }
}
