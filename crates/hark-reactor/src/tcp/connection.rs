//! One connection: its socket, its sans-IO core, and its notifier.

use super::config::TcpConfig;
use super::conn::{Commands, ConnCtx, FrameRef, ListenerId, Op, TcpConn, View};
use super::handle::ConnOp;
use super::notify::TcpNotify;
use hark_proto::tcp::{
    AttemptId, Backpressure, CloseAction, CloseState, ConnectAttempts, ReadBudget, RecvBuffer,
    SendQueue,
};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use std::borrow::Cow;
use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::sync::atomic::Ordering;

/// How many queued chunks one `writev` offers at most.
const MAX_IOV: usize = 64;

/// Builds the [`TcpConn`] for a callback from disjoint fields, so the notifier can be
/// borrowed beside it.
macro_rules! conn {
    ($this:ident) => {
        TcpConn {
            view: $this.view(),
            cmds: &mut $this.cmds,
            ctx: &$this.ctx,
        }
    };
}

/// The [`TcpConn`] for a callback run while commands apply: what it queues goes to
/// `spare`, after the batch being applied.
macro_rules! spare_conn {
    ($this:ident, $view:ident) => {
        TcpConn {
            view: $view,
            cmds: &mut $this.spare,
            ctx: &$this.ctx,
        }
    };
}

/// A connection owned by the reactor loop.
pub(crate) struct Connection {
    pub(crate) ctx: ConnCtx,
    notify: Box<dyn TcpNotify>,
    stream: Option<TcpStream>,
    pub(crate) attempts: Option<ConnectAttempts>,
    queue: SendQueue,
    recv: RecvBuffer,
    budget: ReadBudget,
    close: CloseState,
    cmds: Commands,
    spare: Commands,
    muted: bool,
    nodelay: bool,
    /// The connection wants another read turn after the other ready sockets.
    pub(crate) resume_wanted: bool,
    /// Already in the reactor's resume list.
    pub(crate) resume_scheduled: bool,
    /// The listener that accepted it.
    pub(crate) listener: Option<ListenerId>,
    /// Connection attempts in flight and their slab keys.
    pub(crate) attempt_keys: Vec<(AttemptId, usize)>,
    /// Released: the reactor removes it.
    pub(crate) released: bool,
    /// The frame `received` is looking at.
    current_frame: Option<FrameRef>,
}

impl Connection {
    pub(crate) fn new(ctx: ConnCtx, notify: Box<dyn TcpNotify>, config: &TcpConfig) -> Self {
        Self {
            ctx,
            notify,
            stream: None,
            attempts: None,
            queue: SendQueue::new(config.send_limit),
            recv: RecvBuffer::new(config.read_buffer_size),
            budget: ReadBudget::new(config.yield_after_reading),
            close: CloseState::new(),
            cmds: Commands::default(),
            spare: Commands::default(),
            muted: false,
            nodelay: config.nodelay,
            resume_wanted: false,
            resume_scheduled: false,
            listener: None,
            attempt_keys: Vec::new(),
            released: false,
            current_frame: None,
        }
    }

    fn view(&self) -> View {
        View {
            pending: self.queue.pending(),
            limit: self.queue.limit(),
            read_buffer_size: self.recv.capacity(),
            accepts_writes: self.close.accepts_writes(),
            throttled: self.queue.is_throttled(),
            muted: self.muted,
            expect: self.recv.expect(),
            frame: self.current_frame,
        }
    }

    /// Whether the connection is established.
    pub(crate) fn is_open(&self) -> bool {
        self.stream.is_some()
    }

    /// Calls `proxy_via` and returns the host and service to resolve.
    pub(crate) fn proxy_via(&mut self, host: &str, service: &str) -> (String, String) {
        self.notify.proxy_via(host, service)
    }

    /// Reports the attempts in flight.
    pub(crate) fn connecting(&mut self, registry: &Registry, count: usize) {
        self.notify.connecting(&mut conn!(self), count);
        self.settle(registry);
    }

    /// Reports that the connection will never be established, and releases it.
    pub(crate) fn connect_failed(&mut self) {
        self.notify.connect_failed(&mut conn!(self));
        self.mark_released();
    }

    /// Takes an established socket (connected or accepted) and tells the notifier.
    pub(crate) fn attach(
        &mut self,
        registry: &Registry,
        token: Token,
        mut stream: TcpStream,
        accepted: bool,
    ) {
        // Readable and writable once, edge-triggered: a writable edge with nothing pending is
        // a no-op flush, far cheaper than re-registering at every throttle transition.
        let interest = Interest::READABLE | Interest::WRITABLE;
        let registered = registry.register(&mut stream, token, interest);
        if self.nodelay {
            let _ = stream.set_nodelay(true);
        }
        self.ctx.local = stream.local_addr().ok();
        self.ctx.peer = stream.peer_addr().ok();
        self.stream = Some(stream);
        self.attempts = None;
        if registered.is_err() {
            self.fail();
        }
        if accepted {
            self.notify.accepted(&mut conn!(self));
        } else {
            self.notify.connected(&mut conn!(self));
        }
        self.flush();
        self.settle(registry);
    }

    /// Applies a command from another thread.
    pub(crate) fn remote_op(&mut self, registry: &Registry, op: ConnOp) {
        match op {
            ConnOp::Write(data) => {
                self.ctx
                    .shared
                    .in_channel
                    .fetch_sub(data.len(), Ordering::AcqRel);
                // Accepted against the limit by the handle already.
                let chunk = self.cmds.push_chunk(&data);
                self.cmds.ops.push(Op::Write(chunk));
            }
            ConnOp::Close => {
                // Through the notifier chain, so a wrapping protocol (TLS) queues its
                // closing records ahead of the shutdown.
                if self.is_open() && self.close.accepts_writes() {
                    self.notify.closing(&mut conn!(self));
                }
                self.cmds.ops.push(Op::Close);
            }
            ConnOp::HardClose => self.cmds.ops.push(Op::HardClose),
            ConnOp::Mute => self.cmds.ops.push(Op::Mute),
            ConnOp::Unmute => self.cmds.ops.push(Op::Unmute),
            ConnOp::Wake => {
                if self.is_open() && self.close.accepts_writes() {
                    self.notify.woken(&mut conn!(self));
                }
            }
        }
        self.settle(registry);
    }

    /// A handle on another thread refused a write past the limit: throttle, so the
    /// writer hears `throttled` now and `unthrottled` once there is room.
    pub(crate) fn remote_refused(&mut self, registry: &Registry) {
        self.ctx.shared.refused.store(false, Ordering::Release);
        self.queue.handle_refused();
        self.settle(registry);
    }

    /// When the notifier wants `handle_timeout`.
    pub(crate) fn poll_timeout(&self) -> Option<std::time::Instant> {
        self.notify.poll_timeout()
    }

    /// The notifier's timer is due.
    pub(crate) fn handle_timeout(&mut self, registry: &Registry, now: std::time::Instant) {
        if self.released {
            return;
        }
        self.notify.handle_timeout(&mut conn!(self), now);
        self.settle(registry);
    }

    /// Hard-closes for a reactor shutdown.
    pub(crate) fn shutdown(&mut self, registry: &Registry) {
        self.cmds.ops.push(Op::HardClose);
        self.settle(registry);
    }

    /// The socket is writable: flush what is pending.
    pub(crate) fn on_writable(&mut self, registry: &Registry) {
        // Most writable edges come with nothing queued (they accompany readable ones):
        // nothing to flush, and every earlier change was settled when it happened.
        if self.queue.is_empty() {
            return;
        }
        self.flush();
        self.settle(registry);
    }

    /// One read turn: deliver buffered frames and read until would-block, the end of the
    /// stream, a yield, or the read budget.
    pub(crate) fn read_turn(&mut self, registry: &Registry) {
        self.budget.start_turn();
        loop {
            while !self.muted && !self.released {
                let Some(range) = self.recv.next_frame() else {
                    break;
                };
                let len = range.len();
                let times = self.budget.handle_delivered(len);
                let frame = self.recv.frame(range.clone());
                self.current_frame = Some(FrameRef {
                    addr: frame.as_ptr().addr(),
                    len,
                    start: range.start,
                });
                let keep_going = {
                    let mut conn = conn!(self);
                    self.notify
                        .received(&mut conn, self.recv.frame(range), times)
                };
                if !keep_going {
                    self.budget.handle_yield_request();
                }
                // Commands apply while the frame is still in the buffer, so writing it
                // back needs no copy.
                self.settle(registry);
                self.current_frame = None;
                self.recv.consume(len);
                if self.budget.should_yield() && !self.released {
                    self.resume_wanted = true;
                    return;
                }
            }
            if self.muted || self.released || !self.close.wants_read() {
                return;
            }
            let Some(stream) = self.stream.as_ref() else {
                return;
            };
            let spare = self.recv.spare_mut();
            if spare.is_empty() {
                return;
            }
            match (&*stream).read(spare) {
                Ok(0) => {
                    self.close.handle_peer_eof();
                    self.settle(registry);
                    return;
                }
                Ok(n) => self.recv.handle_read(n),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.fail();
                    self.settle(registry);
                    return;
                }
            }
        }
    }

    /// Applies queued commands and reports backpressure until nothing changes, then
    /// releases the connection if it closed.
    fn settle(&mut self, registry: &Registry) {
        if self.released {
            return;
        }
        loop {
            self.apply();
            if std::mem::take(&mut self.cmds.refused) | std::mem::take(&mut self.spare.refused) {
                self.queue.handle_refused();
            }
            self.drive_close();
            if self.close.is_closed() {
                self.release(registry);
                return;
            }
            match self.queue.poll_backpressure() {
                Some(Backpressure::Throttled) => self.notify.throttled(&mut conn!(self)),
                Some(Backpressure::Unthrottled) => self.notify.unthrottled(&mut conn!(self)),
                None if self.cmds.ops.is_empty() => break,
                None => {}
            }
        }
        self.ctx
            .shared
            .pending
            .store(self.queue.pending(), Ordering::Release);
    }

    /// Applies the queued commands in order. Commands that callbacks queue meanwhile (a
    /// wrapper's `sent` may write more) collect in `spare` and are applied next, so the
    /// batch being applied is never moved and its written bytes are never copied.
    fn apply(&mut self) {
        while !self.cmds.ops.is_empty() {
            let mut index = 0;
            while let Some(op) = self.cmds.ops.get(index).cloned() {
                index += 1;
                if self.close.is_closed() {
                    break;
                }
                self.apply_op(op);
            }
            self.cmds.clear();
            if !self.spare.ops.is_empty() {
                std::mem::swap(&mut self.cmds, &mut self.spare);
            }
        }
    }

    /// Applies one command of `self.cmds`; the callbacks it runs queue into `self.spare`.
    fn apply_op(&mut self, op: Op) {
        match op {
            Op::Write(chunk) => {
                let view = self.view();
                let data = Cow::Borrowed(self.cmds.chunk(chunk));
                let out = self.notify.sent(&mut spare_conn!(self, view), data);
                write_or_queue(&mut self.queue, &mut self.close, self.stream.as_ref(), out);
            }
            Op::WriteFinal(chunk) => {
                let data = Cow::Borrowed(self.cmds.chunk(chunk));
                write_or_queue(&mut self.queue, &mut self.close, self.stream.as_ref(), data);
            }
            Op::FlushSent => {
                let view = self.view();
                let out = self
                    .notify
                    .sent(&mut spare_conn!(self, view), Cow::Borrowed(&[]));
                self.enqueue(out);
            }
            Op::WriteRecv(range) => {
                // Bytes of the frame being delivered, still in the read buffer.
                let view = self.view();
                let data = Cow::Borrowed(self.recv.frame(range));
                let out = self.notify.sent(&mut spare_conn!(self, view), data);
                write_or_queue(&mut self.queue, &mut self.close, self.stream.as_ref(), out);
            }
            Op::Writev(chunks) => {
                let view = self.view();
                let data = chunks
                    .map(|chunk| Cow::Borrowed(self.cmds.chunk(chunk)))
                    .collect();
                let out = self.notify.sentv(&mut spare_conn!(self, view), data);
                for chunk in out {
                    self.queue.push_reserved(0, chunk.into_owned());
                }
                self.flush();
            }
            Op::Close => self.close.close(),
            Op::HardClose => {
                self.queue.clear();
                self.close.hard_close();
            }
            Op::Mute => self.muted = true,
            Op::Unmute => {
                if self.muted {
                    self.muted = false;
                    self.resume_wanted = true;
                }
            }
            Op::Expect(qty) => {
                let view = self.view();
                let qty = self.notify.expect(&mut spare_conn!(self, view), qty);
                // The caller's quantity was checked; a wrapper rewrote it past the buffer.
                if self.recv.set_expect(qty).is_err() {
                    self.fail();
                } else if self.recv.buffered() > 0 {
                    self.resume_wanted = true;
                }
            }
            Op::NoDelay(nodelay) => {
                if let Some(stream) = &self.stream {
                    let _ = stream.set_nodelay(nodelay);
                }
            }
        }
    }

    /// Writes `data` at once when nothing is pending, queuing what the socket refuses.
    fn enqueue(&mut self, data: Cow<'_, [u8]>) {
        write_or_queue(&mut self.queue, &mut self.close, self.stream.as_ref(), data);
    }

    /// Writes pending chunks until the queue drains or the socket stops taking bytes.
    fn flush(&mut self) {
        if !self.close.wants_write() {
            return;
        }
        let Some(stream) = self.stream.as_ref() else {
            return;
        };
        while !self.queue.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_IOV];
            let count = self.queue.io_slices(&mut slices);
            let chosen = slices.get(..count).unwrap_or_default();
            let offered: usize = chosen.iter().map(|slice| slice.len()).sum();
            match (&*stream).write_vectored(chosen) {
                Ok(n) => {
                    self.queue.handle_written(n, offered);
                    if n < offered {
                        return;
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.queue.handle_blocked();
                    return;
                }
                Err(_) => {
                    self.fail();
                    return;
                }
            }
        }
    }

    fn drive_close(&mut self) {
        // While still connecting, a graceful close waits for the connection and its flush.
        let flushed = self.stream.is_some() && self.queue.is_empty();
        if self.close.is_closing() && self.close.wants_write() && flushed {
            self.close.handle_flushed(!self.muted);
        }
        while let Some(action) = self.close.poll_action() {
            if action == CloseAction::ShutdownWrite {
                if let Some(stream) = &self.stream {
                    let _ = stream.shutdown(Shutdown::Write);
                }
            }
        }
    }

    fn fail(&mut self) {
        self.queue.clear();
        self.close.hard_close();
    }

    fn release(&mut self, registry: &Registry) {
        if let Some(mut stream) = self.stream.take() {
            let _ = registry.deregister(&mut stream);
        }
        // Also when closed by the user while still connecting: `closed` ends every
        // connection that did not end with `connect_failed`.
        self.notify.closed(&mut conn!(self));
        self.queue.clear();
        self.mark_released();
    }

    fn mark_released(&mut self) {
        self.released = true;
        self.ctx.shared.closed.store(true, Ordering::Release);
    }
}

/// Writes `data` directly when nothing is pending, queuing what the socket does not take
/// (a short write or would-block throttles). A socket error hard-closes.
fn write_or_queue(
    queue: &mut SendQueue,
    close: &mut CloseState,
    stream: Option<&TcpStream>,
    data: Cow<'_, [u8]>,
) {
    if data.is_empty() {
        return;
    }
    let direct = queue.is_empty() && close.wants_write();
    let Some(mut stream) = stream.filter(|_| direct) else {
        queue.push_reserved(0, data.into_owned());
        return;
    };
    let mut written = 0;
    loop {
        let rest = data.get(written..).unwrap_or_default();
        match stream.write(rest) {
            Ok(n) if n >= rest.len() => return,
            // A short write: the kernel buffer is full.
            Ok(n) => {
                written += n;
                let rest = data.get(written..).unwrap_or_default();
                queue.push_remainder(rest);
                queue.handle_direct_write(rest.len());
                return;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                queue.push_remainder(rest);
                queue.handle_blocked();
                return;
            }
            Err(_) => {
                queue.clear();
                close.hard_close();
                return;
            }
        }
    }
}
