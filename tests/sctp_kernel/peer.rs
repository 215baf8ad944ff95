//! One SCTP socket under test: registered with mio, drained to WouldBlock, its notifications
//! fed to hark-proto's association tracker.

use hark_proto::sctp::{AssocEvent, AssociationTracker};
use hark_reactor::sctp::{Received, SctpError, SctpSocket};
use hark_wire::sctp::{Layout, NotificationType};
use mio::{Events, Interest, Poll, Token};
use std::collections::BTreeSet;
use std::io;
use std::time::{Duration, Instant};

/// Every notification kind Linux defines (the older SCTP_SEND_FAILED is replaced by the
/// event form once SCTP_SEND_FAILED_EVENT is subscribed).
pub const LINUX_KINDS: &[NotificationType] = &[
    NotificationType::AssocChange,
    NotificationType::PeerAddrChange,
    NotificationType::RemoteError,
    NotificationType::ShutdownEvent,
    NotificationType::AdaptationIndication,
    NotificationType::PartialDeliveryEvent,
    NotificationType::AuthenticationEvent,
    NotificationType::SenderDryEvent,
    NotificationType::SendFailedEvent,
    NotificationType::StreamResetEvent,
    NotificationType::AssocResetEvent,
    NotificationType::StreamChangeEvent,
];

/// How long a test waits for the kernel before failing.
const PATIENCE: Duration = Duration::from_secs(15);

pub fn io(err: SctpError) -> io::Error {
    io::Error::other(err.to_string())
}

pub struct Peer {
    pub name: &'static str,
    pub sock: SctpSocket,
    poll: Poll,
    pub tracker: AssociationTracker,
    pub events: Vec<AssocEvent>,
    pub data: Vec<Received>,
    pub kinds: BTreeSet<&'static str>,
    pub read_size: usize,
    /// A one-to-one socket read end of stream.
    pub eof: bool,
}

impl Peer {
    pub fn new(name: &'static str, mut sock: SctpSocket) -> io::Result<Self> {
        sock.set_nonblocking(true).map_err(io)?;
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut sock, Token(0), Interest::READABLE)?;
        Ok(Peer {
            name,
            sock,
            poll,
            tracker: AssociationTracker::new(Layout::Linux),
            events: Vec::new(),
            data: Vec::new(),
            kinds: BTreeSet::new(),
            read_size: 64 * 1024,
            eof: false,
        })
    }

    /// Reads everything queued, waiting up to `wait` for readability first.
    pub fn pump(&mut self, wait: Duration) -> io::Result<()> {
        if self.eof {
            std::thread::sleep(wait);
            return Ok(());
        }
        let mut events = Events::with_capacity(4);
        self.poll.poll(&mut events, Some(wait))?;
        loop {
            match self.sock.recvv(self.read_size) {
                Ok(received) if received.is_eof() => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(received) => self.take(received)?,
                Err(err) if err.is_would_block() => return Ok(()),
                Err(err) => return Err(io(err)),
            }
        }
    }

    /// Records one message: a notification updates the tracker (and is printed in hex with
    /// `--nocapture`, for the wire tests' kernel vectors), data is kept.
    pub fn take(&mut self, received: Received) -> io::Result<()> {
        if let Some(parsed) = received.notification() {
            let n = parsed.map_err(|err| io::Error::other(err.to_string()))?;
            let hex: String = received.data.iter().map(|b| format!("{b:02x}")).collect();
            println!("HARK-VECTOR linux {} {} {hex}", self.name, n.kind().name());
            self.kinds.insert(n.kind().name());
            self.tracker.handle_notification(Instant::now(), &n);
            while let Some(event) = self.tracker.poll_event() {
                self.events.push(event);
            }
        } else {
            self.data.push(received);
        }
        Ok(())
    }

    /// Pumps until `done` holds, or fails naming `what`.
    pub fn wait_for(&mut self, what: &str, done: impl Fn(&Peer) -> bool) -> io::Result<()> {
        let deadline = Instant::now() + PATIENCE;
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::other(format!(
                    "{}: no {what} within {PATIENCE:?}; kinds {:?}, events {:#?}",
                    self.name, self.kinds, self.events
                )));
            }
            self.pump(left.min(Duration::from_millis(200)))?;
        }
        Ok(())
    }

    /// The socket, still non-blocking and registered with this peer's (dropped) poll.
    pub fn into_socket(self) -> SctpSocket {
        self.sock
    }

    /// Prints which notification kinds this socket received (the report collects them).
    pub fn report(&self, test: &str) {
        println!("HARK-KINDS {test} {}: {:?}", self.name, self.kinds);
    }
}
