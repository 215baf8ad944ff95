//! The state of one channel: windows, the messages in flight both ways, reply order.

use std::collections::{BTreeMap, VecDeque};

use bytes::{Bytes, BytesMut};

use hark_wire::beep::header::FrameType;

use super::window::{RecvWindow, SendWindow};

/// A message (or reply) queued for sending, sent frame by frame from `offset`.
#[derive(Debug, Clone)]
pub(crate) struct OutMessage {
    pub(crate) kind: FrameType,
    pub(crate) msgno: u32,
    pub(crate) payload: Bytes,
    pub(crate) offset: usize,
}

impl OutMessage {
    pub(crate) fn new(kind: FrameType, msgno: u32, payload: Bytes) -> Self {
        Self {
            kind,
            msgno,
            payload,
            offset: 0,
        }
    }

    /// Octets not yet sent.
    pub(crate) fn remaining(&self) -> usize {
        self.payload.len() - self.offset
    }
}

/// How a received MSG is being answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answering {
    /// Not yet.
    No,
    /// With ANS frames so far (the next ansno).
    Answers { next_ansno: u32 },
    /// RPY, ERR or NUL queued: nothing more may be added.
    Final,
}

/// A received MSG whose reply is not completely sent; kept in arrival order.
#[derive(Debug)]
pub(crate) struct ReplySlot {
    pub(crate) msgno: u32,
    /// Reply parts queued and not yet started.
    pub(crate) parts: VecDeque<OutMessage>,
    pub(crate) answering: Answering,
}

/// A reply to one of our MSGs, being received.
#[derive(Debug, Default)]
pub(crate) struct ReplyRx {
    /// Keyword of the last frame received for this reply.
    pub(crate) last: Option<FrameType>,
    /// The RPY or ERR payload assembled so far.
    pub(crate) body: BytesMut,
    /// ANS payloads being assembled, by ansno.
    pub(crate) answers: BTreeMap<u32, BytesMut>,
}

/// Whether, and how, the channel is going away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closing {
    /// Open.
    No,
    /// We want to close: no new MSGs; the close request goes out once every MSG we sent
    /// is answered and our queue is empty.
    Wanted { code: u16, sent: bool },
    /// The peer sent a poorly-formed reply: frames are counted and discarded, a close is
    /// pending or sent.
    Aborted { sent: bool },
}

/// One open channel.
#[derive(Debug)]
pub(crate) struct Channel {
    pub(crate) profile: String,
    pub(crate) rx: RecvWindow,
    pub(crate) tx: SendWindow,
    pub(crate) closing: Closing,
    /// The message whose frames are arriving (msgno, keyword): no other may interleave.
    pub(crate) busy: Option<(u32, FrameType)>,
    /// A MSG being received (message delivery) and its msgno.
    pub(crate) in_msg: Option<(u32, BytesMut)>,
    /// Received MSGs awaiting our complete reply, in arrival order.
    pub(crate) awaiting: VecDeque<ReplySlot>,
    /// Our MSGs awaiting a complete reply, by msgno.
    pub(crate) outstanding: BTreeMap<u32, ReplyRx>,
    /// The next msgno we try for a MSG.
    pub(crate) next_msgno: u32,
    /// Our MSGs not yet started.
    pub(crate) msgs: VecDeque<OutMessage>,
    /// The message whose frames are going out (contiguity).
    pub(crate) current: Option<OutMessage>,
    /// Whether `current` is a reply (from `awaiting`'s head).
    pub(crate) current_is_reply: bool,
    /// Fairness between our MSGs and our replies.
    pub(crate) reply_turn: bool,
    /// Octets queued and not sent.
    pub(crate) queued: usize,
    pub(crate) throttled_queue: bool,
    pub(crate) throttled_window: bool,
    /// A close request from the peer we accepted: `<ok/>` waits until every MSG is
    /// answered. Holds the channel-0 msgno of the close MSG.
    pub(crate) ok_pending: Option<u32>,
    /// For a channel the peer started: the channel-0 msgno of its start, until our
    /// `<profile>` reply has gone out (no data may precede it).
    pub(crate) opening: Option<u32>,
    /// A SASL tuning channel: the session itself handles its messages.
    pub(crate) sasl: bool,
}

impl Channel {
    pub(crate) fn new(profile: String, window: u32) -> Self {
        Self {
            profile,
            rx: RecvWindow::new(window),
            tx: SendWindow::default(),
            closing: Closing::No,
            busy: None,
            in_msg: None,
            awaiting: VecDeque::new(),
            outstanding: BTreeMap::new(),
            next_msgno: 0,
            msgs: VecDeque::new(),
            current: None,
            current_is_reply: false,
            reply_turn: false,
            queued: 0,
            throttled_queue: false,
            throttled_window: false,
            ok_pending: None,
            opening: None,
            sasl: false,
        }
    }

    /// A msgno not used by any outstanding MSG (RFC 3080 2.2.1: unique among MSGs whose
    /// reply is not complete), or `None` if all 2^31 are in use.
    pub(crate) fn alloc_msgno(&mut self) -> Option<u32> {
        if self.outstanding.len() >= 0x7fff_ffff {
            return None;
        }
        let mut n = self.next_msgno;
        while self.outstanding.contains_key(&n) {
            n = (n + 1) & 0x7fff_ffff;
        }
        self.next_msgno = (n + 1) & 0x7fff_ffff;
        Some(n)
    }

    /// Whether the reply head has a part ready to start.
    fn reply_ready(&self) -> bool {
        self.awaiting.front().is_some_and(|s| !s.parts.is_empty())
    }

    /// Whether a data frame could go out now, window permitting.
    pub(crate) fn has_data(&self) -> bool {
        if self.opening.is_some() {
            return false;
        }
        self.current.is_some() || self.reply_ready() || (!self.msgs.is_empty() && !self.aborted())
    }

    pub(crate) fn aborted(&self) -> bool {
        matches!(self.closing, Closing::Aborted { .. })
    }

    /// Makes `current` the next message to send, alternating between replies and MSGs.
    pub(crate) fn pick_current(&mut self) -> bool {
        if self.current.is_some() {
            return true;
        }
        let reply = self.reply_ready();
        let msg = !self.msgs.is_empty() && !self.aborted();
        let take_reply = match (reply, msg) {
            (false, false) => return false,
            (true, false) => true,
            (false, true) => false,
            (true, true) => self.reply_turn,
        };
        self.reply_turn = !take_reply;
        if take_reply {
            let slot = self
                .awaiting
                .front_mut()
                .expect("reply_ready checked the head");
            self.current = slot.parts.pop_front();
            self.current_is_reply = true;
        } else {
            self.current = self.msgs.pop_front();
            self.current_is_reply = false;
        }
        self.current.is_some()
    }

    /// After the last frame of `current` went out: retire a finished reply slot.
    pub(crate) fn finish_current(&mut self) {
        let Some(msg) = self.current.take() else {
            return;
        };
        if self.current_is_reply && !matches!(msg.kind, FrameType::Ans { .. }) {
            // RPY, ERR or NUL completes the reply.
            self.awaiting.pop_front();
        }
    }

    /// Every MSG we sent has its complete reply and nothing of ours is queued.
    pub(crate) fn quiet_outbound(&self) -> bool {
        self.outstanding.is_empty() && self.msgs.is_empty() && self.current.is_none()
    }

    /// Every MSG received has been completely answered.
    pub(crate) fn all_answered(&self) -> bool {
        self.awaiting.is_empty() && self.in_msg.is_none() && self.busy.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msgnos_skip_outstanding_ones_and_wrap() {
        let mut c = Channel::new("p".into(), 4096);
        c.outstanding.insert(0, ReplyRx::default());
        c.outstanding.insert(1, ReplyRx::default());
        assert_eq!(c.alloc_msgno(), Some(2));
        c.next_msgno = 0x7fff_ffff;
        assert_eq!(c.alloc_msgno(), Some(0x7fff_ffff));
        assert_eq!(c.alloc_msgno(), Some(2), "0 and 1 are still outstanding");
    }

    #[test]
    fn replies_and_msgs_alternate() {
        let mut c = Channel::new("p".into(), 4096);
        c.msgs
            .push_back(OutMessage::new(FrameType::Msg, 0, Bytes::from_static(b"a")));
        c.msgs
            .push_back(OutMessage::new(FrameType::Msg, 1, Bytes::from_static(b"b")));
        let mut parts = VecDeque::new();
        parts.push_back(OutMessage::new(FrameType::Rpy, 7, Bytes::from_static(b"r")));
        c.awaiting.push_back(ReplySlot {
            msgno: 7,
            parts,
            answering: Answering::Final,
        });
        assert!(c.pick_current());
        assert_eq!(c.current.as_ref().unwrap().kind, FrameType::Msg);
        c.finish_current();
        assert!(c.pick_current());
        assert_eq!(c.current.as_ref().unwrap().kind, FrameType::Rpy);
        c.finish_current();
        assert!(c.awaiting.is_empty());
    }
}
