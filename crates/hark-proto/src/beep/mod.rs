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
