//! BEEP sessions (RFC 3080 with the TCP mapping of RFC 3081), sans-IO.
//!
//! A [`Session`] runs one BEEP session over a byte stream: bytes in with
//! [`Session::handle_bytes`], frames out with [`Session::poll_transmit`], [`Event`]s out with
//! [`Session::poll_event`]. Frames are read and written with `hark_wire::beep`.
//!
//! What it enforces and does:
//! - Roles: an initiator starts odd channels, a listener even ones. Both greet at once
//!   without waiting for the other (as Vortex does); a listener configured to refuse sends
//!   an ERR greeting (421) and closes.
//! - Message rules of RFC 3080 2.2.1.1: msgnos unique among outstanding MSGs of a channel,
//!   replies sent in the order the MSGs arrived whatever order the application answers
//!   in, one-to-many ANS/NUL replies, frames of a message contiguous (only ANS of
//!   different ansno interleave), seqnos per channel and direction modulo 2^32. A
//!   poorly-formed frame ends the session without a response; a poorly-formed reply on a
//!   channel other than 0 drops only that channel (and a close is sent for it).
//! - Channel start and close requests are owned decisions ([`ChannelStartRequest`],
//!   [`ChannelCloseRequest`]) answered now or later; dropped undecided, a start is denied
//!   (421) and a close accepted. An unknown profile gets 554 without asking. A close is
//!   confirmed only after every MSG on the channel is answered; closing channel 0 releases
//!   the session, after which the listener closes the transport first.
//! - RFC 3081 flow control: every channel starts with a 4096-octet window, configurable per
//!   profile and growable ([`Session::set_window`]), never shrinking; a SEQ goes out once
//!   more than half the window has been consumed (Vortex's rule), before any data; frames
//!   are cut to the peer's window and `max_frame_payload`, channels with data served
//!   round-robin.
//! - TLS tuning: [`Session::start_tls`] or an accepted TLS start leads to
//!   [`Event::TlsSwitch`]; the driver puts TLS under the session there and calls
//!   [`Session::reset_after_tls`] (all channels gone, new greetings).
//! - Bounded memory: received data counts against its channel's window until its event is
//!   polled, send queues have a limit (`QueueFull`, [`Event::Throttled`]), and a peer that
//!   never sends SEQ stalls only its own channel.
//! - SASL: [`Session::start_sasl`] with a [`SaslClient`], and [`Session::set_sasl_server`]
//!   with a [`SaslServerFactory`] on the other side; [`Event::Sasl`] reports the outcome.
//!   A security layer a mechanism negotiates is only recorded (it excludes TLS); putting
//!   it under the session is the driver's business, as with TLS.
//!
//! # Order of calls
//!
//! After any `handle_*` call or user operation: drain [`Session::poll_transmit`] into the
//! transport, then [`Session::poll_event`], then read [`Session::poll_timeout`] and
//! [`Session::transport_action`]. [`Session::handle_bytes`] returns how much it consumed:
//! keep the rest and feed it again after draining events (or, at a TLS switch point, hand
//! it to TLS).
//!
//! # Example
//!
//! Two sessions back to back: the initiator starts a channel, sends a MSG, and the
//! listener answers it with an RPY.
//!
//! ```
//! use std::time::Instant;
//!
//! use hark_proto::beep::{Event, Reply, Role, Session, SessionConfig};
//!
//! const ECHO: &str = "http://example.org/beep/echo";
//! let now = Instant::now();
//! let mut initiator = Session::new(now, SessionConfig::new(Role::Initiator).profile(ECHO));
//! let mut listener = Session::new(now, SessionConfig::new(Role::Listener).profile(ECHO));
//!
//! // Moves what `src` writes into `dst` and shows `app` each event of `dst`.
//! fn shuttle(src: &mut Session, dst: &mut Session, dst_initiates: bool,
//!            app: &mut dyn FnMut(bool, &mut Session, Event)) -> bool {
//!     let mut buf = vec![0u8; 16 * 1024];
//!     let mut moved = false;
//!     while let Some(n) = src.poll_transmit(Instant::now(), &mut buf) {
//!         moved = true;
//!         assert_eq!(dst.handle_bytes(Instant::now(), &buf[..n]), n);
//!         while let Some(ev) = dst.poll_event() {
//!             app(dst_initiates, dst, ev);
//!         }
//!     }
//!     moved
//! }
//! fn pump(a: &mut Session, b: &mut Session, app: &mut dyn FnMut(bool, &mut Session, Event)) {
//!     while shuttle(a, b, false, app) | shuttle(b, a, true, app) {}
//! }
//!
//! let mut answer = None;
//! pump(&mut initiator, &mut listener, &mut |is_initiator, s, ev| match ev {
//!     Event::GreetingReceived { .. } if is_initiator => {
//!         s.start_channel(&[ECHO]).unwrap();
//!     }
//!     Event::ChannelStartRequested(request) => {
//!         request.accept(); // or deny(421, ..); dropping it denies
//!     }
//!     Event::ChannelStarted { channel, .. } if is_initiator => {
//!         s.send(channel, &b"\r\nhello"[..]).unwrap();
//!     }
//!     Event::Message { channel, msgno, payload } => {
//!         s.reply(channel, msgno, payload).unwrap();
//!     }
//!     Event::Reply { reply: Reply::Rpy(body), .. } => answer = Some(body),
//!     _ => {}
//! });
//! assert_eq!(answer.as_deref(), Some(&b"\r\nhello"[..]));
//! ```

mod channel;
mod config;
mod decision;
mod error;
mod event;
mod mgmt_xml;
mod sasl;
mod session;
mod window;

#[cfg(test)]
mod tests;

pub use config::{Delivery, ProfileConfig, Role, SessionConfig};
pub use decision::{ChannelCloseRequest, ChannelStartRequest, OfferedProfile};
pub use error::{
    ChannelCloseReason, CloseError, LimitError, ProtocolError, ReplyError, SendError,
    SessionCloseReason, StartError, WindowError,
};
pub use event::{Event, FrameType, Reply, SaslStatus, ThrottleCause, TlsRole, TransportAction};
pub use sasl::{SaslClient, SaslServer, SaslServerFactory, SaslStep};
pub use session::{
    DEFAULT_GREETING_TIMEOUT, MIN_TRANSMIT_BUFFER, SASL_PROFILE_PREFIX, Session, TLS_PROFILE,
};
pub use window::{DEFAULT_WINDOW, MAX_WINDOW};
