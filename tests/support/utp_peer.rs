//! A hark uTP endpoint (the `hark::utp` facade in reactor mode) whose callbacks report to
//! a channel, so a test thread can wait for what a real peer sends, with timeouts.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use hark::utp::{
    Callbacks, ContextHandle, UtpContext, UtpErrorCode, UtpReactor, UtpSocket, UtpState,
};

/// What the callbacks saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UtpEvent {
    /// `on_accept`.
    Accepted(UtpSocket, SocketAddr),
    /// `on_connect`.
    Connected(UtpSocket),
    /// `on_read`.
    Read(UtpSocket, Vec<u8>),
    /// `on_error`.
    Error(UtpSocket, UtpErrorCode),
    /// `on_state_change` (EOF, DESTROYING, WRITABLE).
    State(UtpSocket, UtpState),
}

/// Decides what to write in reply to an event; runs on the reactor thread.
pub type Responder = Box<dyn FnMut(&mut ContextHandle<'_>, &UtpEvent) + Send>;

/// A hark uTP endpoint on a local address reporting its callbacks.
pub struct UtpPeer {
    /// The reactor; dropping it stops the thread.
    pub reactor: UtpReactor,
    events: Receiver<UtpEvent>,
    /// Every event so far, in order (reads without their bytes, which go to `stream`).
    pub log: Vec<UtpEvent>,
    /// All bytes read so far, in order.
    stream: Vec<u8>,
}

impl UtpPeer {
    /// Starts an endpoint on 127.0.0.1; `respond` sees every event first and may write or
    /// close.
    pub fn spawn(respond: Responder) -> UtpPeer {
        UtpPeer::spawn_on(IpAddr::V4(Ipv4Addr::LOCALHOST), respond)
    }

    /// Starts an endpoint on a free UDP port of the local address `ip`.
    pub fn spawn_on(ip: IpAddr, respond: Responder) -> UtpPeer {
        let (tx, events) = mpsc::channel();
        let respond = std::sync::Arc::new(std::sync::Mutex::new(respond));
        let report = move |cx: &mut ContextHandle<'_>, tx: &Sender<UtpEvent>, event: UtpEvent| {
            if let Ok(mut respond) = respond.lock() {
                respond(cx, &event);
            }
            let _ = tx.send(event);
        };
        let report = std::sync::Arc::new(report);
        let (r1, r2, r3, r4, r5) = (
            report.clone(),
            report.clone(),
            report.clone(),
            report.clone(),
            report,
        );
        let (t1, t2, t3, t4, t5) = (tx.clone(), tx.clone(), tx.clone(), tx.clone(), tx);
        let callbacks = Callbacks::new()
            .on_accept(move |cx, s, addr| r1(cx, &t1, UtpEvent::Accepted(s, addr)))
            .on_connect(move |cx, s| r2(cx, &t2, UtpEvent::Connected(s)))
            .on_read(move |cx, s, data| r3(cx, &t3, UtpEvent::Read(s, data.to_vec())))
            .on_error(move |cx, s, code| r4(cx, &t4, UtpEvent::Error(s, code)))
            .on_state_change(move |cx, s, state| r5(cx, &t5, UtpEvent::State(s, state)));
        let reactor = UtpReactor::bind_range(UtpContext::builder().callbacks(callbacks), ip, [0])
            .unwrap_or_else(|err| panic!("a hark uTP reactor on {ip}: {err}"));
        UtpPeer {
            reactor,
            events,
            log: Vec::new(),
            stream: Vec::new(),
        }
    }

    /// The endpoint's UDP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.reactor.local_addr()
    }

    /// Waits up to `timeout` until `done` holds for the bytes read so far (across all
    /// sockets); panics with the event log on a timeout or a failed connection.
    pub fn read_until(&mut self, timeout: Duration, done: impl Fn(&[u8]) -> bool) -> &[u8] {
        let deadline = Instant::now() + timeout;
        loop {
            if done(&self.stream) {
                return &self.stream;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(UtpEvent::Error(_, code)) => {
                    panic!("the uTP connection failed: {code}; events: {:?}", self.log)
                }
                Ok(UtpEvent::Read(socket, data)) => {
                    self.stream.extend_from_slice(&data);
                    self.log.push(UtpEvent::Read(socket, Vec::new()));
                }
                Ok(event) => self.log.push(event),
                Err(RecvTimeoutError::Timeout) => panic!(
                    "timed out after {timeout:?}; read {} bytes; events: {:?}",
                    self.stream.len(),
                    self.log
                ),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the reactor stopped; events: {:?}", self.log)
                }
            }
        }
    }

    /// All bytes read so far, in order.
    pub fn bytes_read(&self) -> &[u8] {
        &self.stream
    }
}
