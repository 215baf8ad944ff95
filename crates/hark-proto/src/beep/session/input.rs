//! Reading: frames off the byte stream, checked against RFC 3080 2.2.1.1 and RFC 3081.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use hark_wire::beep::frame::FrameRepr;
use hark_wire::beep::header::{FrameType, MAX_HEADER_LEN, More, TRAILER};
use hark_wire::beep::seq::SeqRepr;
use hark_wire::beep::stream::{Decoded, Status};

use super::super::channel::{Answering, ReplySlot};
use super::super::config::Delivery;
use super::super::error::{ChannelCloseReason, LimitError, ProtocolError, SessionCloseReason};
use super::super::event::{Event, Reply, ThrottleCause};
use super::super::window::WindowViolation;
use super::{Closing, Session, State};

/// What to do about a broken rule.
pub(super) enum Broken {
    /// A poorly-formed frame: the session ends.
    Session(ProtocolError),
    /// A poorly-formed reply on a channel other than 0: only the channel goes.
    Channel(u32, ProtocolError),
    /// A local bound.
    Limit(LimitError),
}

fn window_error(channel: u32, v: WindowViolation) -> ProtocolError {
    match v {
        WindowViolation::Seqno { expected, got } => ProtocolError::Seqno {
            channel,
            expected,
            got,
        },
        WindowViolation::Exceeded { .. } => ProtocolError::WindowExceeded { channel },
        WindowViolation::AckBeyondSent { .. } => ProtocolError::AckBeyondSent { channel },
    }
}

/// Whether two keywords are "identical" in the sense of RFC 3080 2.2.1.1 (ansno aside).
fn same_keyword(a: FrameType, b: FrameType) -> bool {
    matches!(
        (a, b),
        (FrameType::Msg, FrameType::Msg)
            | (FrameType::Rpy, FrameType::Rpy)
            | (FrameType::Err, FrameType::Err)
            | (FrameType::Ans { .. }, FrameType::Ans { .. })
            | (FrameType::Nul, FrameType::Nul)
    )
}

impl Session {
    /// Feeds bytes read from the transport; returns how many were consumed.
    ///
    /// Fewer than `data.len()` are consumed when the session stops reading: at a TLS
    /// switch point (the rest belongs to TLS), or while `max_events` events wait to be
    /// polled (feed the rest again after draining them). After the session ended,
    /// everything is consumed and ignored.
    pub fn handle_bytes(&mut self, now: Instant, data: &[u8]) -> usize {
        let _ = now;
        self.drain_answers();
        let mut pos = 0;
        while pos < data.len() && !self.is_closed() && self.reading() {
            let step = if self.rx_buf.is_empty() {
                self.read_direct(&data[pos..])
            } else {
                self.read_buffered(&data[pos..])
            };
            pos += step;
        }
        self.progress();
        if self.is_closed() { data.len() } else { pos }
    }

    /// Decodes straight from the caller's bytes; buffers a frame that is not all there.
    fn read_direct(&mut self, data: &[u8]) -> usize {
        match self.decoder.decode(data) {
            Ok(Status::Complete(decoded)) => {
                let len = decoded.len();
                self.handle_decoded(decoded);
                len
            }
            Ok(Status::Incomplete { .. }) => {
                // The frame ends beyond `data`, so all of it belongs to the frame.
                self.rx_buf.extend_from_slice(data);
                data.len()
            }
            Err(e) => {
                self.terminate(SessionCloseReason::ProtocolViolation(
                    ProtocolError::Malformed(e.to_string()),
                ));
                data.len()
            }
        }
    }

    /// Adds to the buffered frame exactly what it lacks, never bytes beyond it.
    fn read_buffered(&mut self, data: &[u8]) -> usize {
        let need = match self.decoder.decode(&self.rx_buf) {
            Ok(Status::Incomplete { needed }) => needed,
            // The buffer held a whole frame or an error only if a previous step left it so,
            // which it never does; treat it as a fresh decode.
            _ => 1,
        };
        let take = if need > 1 {
            need.min(data.len())
        } else {
            // Header line incomplete: take up to its end of line.
            let room = (MAX_HEADER_LEN + 1)
                .saturating_sub(self.rx_buf.len())
                .max(1);
            match data.iter().take(room).position(|b| *b == b'\n') {
                Some(i) => i + 1,
                None => room.min(data.len()),
            }
        };
        self.rx_buf.extend_from_slice(&data[..take]);
        let buf = std::mem::take(&mut self.rx_buf);
        match self.decoder.decode(&buf) {
            Ok(Status::Complete(decoded)) => {
                self.handle_decoded(decoded);
                let mut buf = buf;
                buf.clear();
                if buf.capacity() > MAX_HEADER_LEN + TRAILER.len() + 64 * 1024 {
                    buf = Vec::new();
                }
                self.rx_buf = buf;
            }
            Ok(Status::Incomplete { .. })
                if buf.len() > MAX_HEADER_LEN && !buf[..=MAX_HEADER_LEN].contains(&b'\n') =>
            {
                // The codec refuses long header lines itself; this keeps the bound local.
                self.terminate(SessionCloseReason::ProtocolViolation(
                    ProtocolError::Malformed("header line longer than any valid header".into()),
                ));
            }
            Ok(Status::Incomplete { .. }) => self.rx_buf = buf,
            Err(e) => self.terminate(SessionCloseReason::ProtocolViolation(
                ProtocolError::Malformed(e.to_string()),
            )),
        }
        take
    }

    fn handle_decoded(&mut self, decoded: Decoded<'_>) {
        let result = match decoded {
            Decoded::Seq(frame) => self.on_seq(SeqRepr::parse(&frame)),
            Decoded::Data(frame) => self.on_data(FrameRepr::parse(&frame)),
        };
        match result {
            Ok(()) => {}
            Err(Broken::Session(e)) => self.terminate(SessionCloseReason::ProtocolViolation(e)),
            Err(Broken::Limit(e)) => self.terminate(SessionCloseReason::Limit(e)),
            Err(Broken::Channel(channel, e)) => self.abort_channel(channel, e),
        }
    }

    fn on_seq(&mut self, seq: SeqRepr) -> Result<(), Broken> {
        // A SEQ may cross our close of its channel: ignore it then.
        let Some(c) = self.channels.get_mut(&seq.channel) else {
            return Ok(());
        };
        let opened =
            c.tx.on_seq(seq.ackno, seq.window)
                .map_err(|v| Broken::Session(window_error(seq.channel, v)))?;
        if opened && c.throttled_window && c.tx.usable() > 0 {
            c.throttled_window = false;
            self.push_event(Event::Unthrottled {
                channel: seq.channel,
                cause: ThrottleCause::PeerWindow,
            });
        }
        Ok(())
    }

    fn on_data(&mut self, f: FrameRepr<'_>) -> Result<(), Broken> {
        let n = f.channel;
        let more = f.more == More::Intermediate;
        let greeting =
            n == 0 && f.msgno == 0 && matches!(f.frame_type, FrameType::Rpy | FrameType::Err);
        if !self.greeting_received && !greeting {
            return Err(Broken::Session(ProtocolError::NoGreeting));
        }
        let sasl = self.channels.get(&n).is_some_and(|c| c.sasl);
        let frames = self.config.delivery == Delivery::Frames && n != 0 && !sasl;
        let max_message = self.config.max_message_size;
        let max_partial = self.config.max_partial_answers;
        let max_awaiting = self.config.max_pending_replies.saturating_mul(2).max(1);
        let Some(c) = self.channels.get_mut(&n) else {
            return Err(Broken::Session(ProtocolError::UnknownChannel {
                channel: n,
            }));
        };
        let size = f.payload.len() as u32;
        let aborted = c.aborted();
        c.rx.accept(f.seqno, size, frames && !aborted)
            .map_err(|v| Broken::Session(window_error(n, v)))?;
        if aborted {
            // A channel dropped for a poorly-formed reply: count, discard.
            return Ok(());
        }
        // Contiguity: the previous message on this channel must be finished, unless this
        // is another ANS of the same reply.
        if let Some((busy, kind)) = c.busy {
            if busy != f.msgno {
                return Err(Broken::Session(ProtocolError::Interleaved {
                    channel: n,
                    expected: busy,
                    got: f.msgno,
                }));
            }
            if !same_keyword(kind, f.frame_type) {
                let e = if f.frame_type == FrameType::Nul {
                    ProtocolError::MisplacedNul {
                        channel: n,
                        msgno: f.msgno,
                    }
                } else {
                    ProtocolError::KeywordChanged {
                        channel: n,
                        msgno: f.msgno,
                    }
                };
                return Err(if n != 0 && kind.is_reply() && f.frame_type.is_reply() {
                    Broken::Channel(n, e)
                } else {
                    Broken::Session(e)
                });
            }
        }
        if f.frame_type == FrameType::Msg {
            if c.busy.is_none() && c.awaiting.iter().any(|s| s.msgno == f.msgno) {
                return Err(Broken::Session(ProtocolError::MsgnoInUse {
                    channel: n,
                    msgno: f.msgno,
                }));
            }
            if c.busy.is_none() && c.awaiting.len() >= max_awaiting {
                return Err(Broken::Limit(LimitError::TooManyPendingReplies {
                    channel: n,
                }));
            }
            c.busy = more.then_some((f.msgno, FrameType::Msg));
            if frames {
                if !more {
                    c.awaiting.push_back(ReplySlot {
                        msgno: f.msgno,
                        parts: Default::default(),
                        answering: Answering::No,
                    });
                }
                self.push_frame_event(n, FrameType::Msg, f.msgno, more, f.payload);
                return Ok(());
            }
            let buf = &mut c.in_msg.get_or_insert_with(|| (f.msgno, BytesMut::new())).1;
            if buf.len() + f.payload.len() > max_message {
                return Err(Broken::Limit(LimitError::MessageTooLarge { channel: n }));
            }
            buf.extend_from_slice(f.payload);
            if more {
                return Ok(());
            }
            let (msgno, body) = c.in_msg.take().expect("just filled");
            c.awaiting.push_back(ReplySlot {
                msgno,
                parts: Default::default(),
                answering: Answering::No,
            });
            let payload = body.freeze();
            if n == 0 {
                self.on_mgmt_request(msgno, &payload);
                return Ok(());
            }
            if sasl {
                self.on_sasl_msg(n, msgno, &payload);
                return Ok(());
            }
            c.rx.hold(payload.len() as u64);
            self.push_data_event(
                n,
                payload.len() as u64,
                Event::Message {
                    channel: n,
                    msgno,
                    payload,
                },
            );
            return Ok(());
        }

        // A reply: it must answer one of our outstanding MSGs.
        let reply_error = |e| {
            if n == 0 {
                Broken::Session(e)
            } else {
                Broken::Channel(n, e)
            }
        };
        let Some(rx) = c.outstanding.get_mut(&f.msgno) else {
            return Err(reply_error(ProtocolError::UnexpectedReply {
                channel: n,
                msgno: f.msgno,
            }));
        };
        if let Some(last) = rx.last {
            let ok = match f.frame_type {
                FrameType::Nul => matches!(last, FrameType::Ans { .. }) && rx.answers.is_empty(),
                t => same_keyword(last, t),
            };
            if !ok {
                let e = if f.frame_type == FrameType::Nul {
                    ProtocolError::MisplacedNul {
                        channel: n,
                        msgno: f.msgno,
                    }
                } else {
                    ProtocolError::KeywordChanged {
                        channel: n,
                        msgno: f.msgno,
                    }
                };
                return Err(reply_error(e));
            }
        }
        rx.last = Some(f.frame_type);
        let msgno = f.msgno;
        match f.frame_type {
            FrameType::Rpy | FrameType::Err => {
                c.busy = more.then_some((msgno, f.frame_type));
                if frames {
                    if !more {
                        c.outstanding.remove(&msgno);
                    }
                    self.push_frame_event(n, f.frame_type, msgno, more, f.payload);
                    return Ok(());
                }
                if rx.body.len() + f.payload.len() > max_message {
                    return Err(Broken::Limit(LimitError::MessageTooLarge { channel: n }));
                }
                rx.body.extend_from_slice(f.payload);
                if more {
                    return Ok(());
                }
                let mut rx = c.outstanding.remove(&msgno).expect("looked up above");
                let body = std::mem::take(&mut rx.body).freeze();
                if n == 0 {
                    return self.on_mgmt_reply(msgno, f.frame_type, &body);
                }
                if sasl {
                    let xml = super::mgmt::decode_content(&body).unwrap_or_default();
                    self.on_server_blob(n, &xml, f.frame_type == FrameType::Rpy);
                    return Ok(());
                }
                c.rx.hold(body.len() as u64);
                let reply = if f.frame_type == FrameType::Rpy {
                    Reply::Rpy(body.clone())
                } else {
                    Reply::Err(body.clone())
                };
                self.push_data_event(
                    n,
                    body.len() as u64,
                    Event::Reply {
                        channel: n,
                        msgno,
                        reply,
                    },
                );
            }
            FrameType::Ans { ansno } => {
                if n == 0 {
                    return Err(Broken::Session(ProtocolError::MismatchedManagementReply));
                }
                let partial = rx.answers.contains_key(&ansno);
                if !partial && more && rx.answers.len() >= max_partial {
                    return Err(Broken::Limit(LimitError::TooManyPartialAnswers {
                        channel: n,
                    }));
                }
                let complete_body = if frames {
                    if more {
                        rx.answers.entry(ansno).or_default();
                    } else {
                        rx.answers.remove(&ansno);
                    }
                    None
                } else {
                    let buf = rx.answers.entry(ansno).or_default();
                    if buf.len() + f.payload.len() > max_message {
                        return Err(Broken::Limit(LimitError::MessageTooLarge { channel: n }));
                    }
                    buf.extend_from_slice(f.payload);
                    if more {
                        None
                    } else {
                        rx.answers.remove(&ansno).map(BytesMut::freeze)
                    }
                };
                c.busy = (!rx.answers.is_empty()).then_some((msgno, f.frame_type));
                if frames {
                    self.push_frame_event(n, f.frame_type, msgno, more, f.payload);
                } else if let Some(payload) = complete_body {
                    c.rx.hold(payload.len() as u64);
                    self.push_data_event(
                        n,
                        payload.len() as u64,
                        Event::Reply {
                            channel: n,
                            msgno,
                            reply: Reply::Ans { ansno, payload },
                        },
                    );
                }
            }
            FrameType::Nul => {
                if n == 0 {
                    return Err(Broken::Session(ProtocolError::MismatchedManagementReply));
                }
                c.busy = None;
                c.outstanding.remove(&msgno);
                let event = if frames {
                    Event::Frame {
                        channel: n,
                        kind: FrameType::Nul,
                        msgno,
                        more: false,
                        payload: Bytes::new(),
                    }
                } else {
                    Event::Reply {
                        channel: n,
                        msgno,
                        reply: Reply::Nul,
                    }
                };
                self.push_data_event(n, 0, event);
            }
            FrameType::Msg => unreachable!("handled above"),
        }
        Ok(())
    }

    /// A poorly-formed reply on channel `n` (not 0): drop the channel's state, report it
    /// closed, and ask the peer to close it (RFC 3080 2.2.1.1).
    /// Hands one received frame to the application as it came (frame-by-frame delivery);
    /// its bytes count against the channel's window until the event is polled.
    fn push_frame_event(
        &mut self,
        channel: u32,
        kind: FrameType,
        msgno: u32,
        more: bool,
        payload: &[u8],
    ) {
        self.push_data_event(
            channel,
            payload.len() as u64,
            Event::Frame {
                channel,
                kind,
                msgno,
                more,
                payload: Bytes::copy_from_slice(payload),
            },
        );
    }

    fn abort_channel(&mut self, n: u32, error: ProtocolError) {
        let Some(c) = self.channels.get_mut(&n) else {
            return;
        };
        c.closing = Closing::Aborted { sent: false };
        c.busy = None;
        c.in_msg = None;
        c.outstanding.clear();
        c.msgs.clear();
        c.current = None;
        c.awaiting.clear();
        c.queued = 0;
        c.ok_pending = None;
        let held = c.rx.held();
        c.rx.release(held);
        self.push_event(Event::ChannelClosed {
            channel: n,
            reason: ChannelCloseReason::PoorlyFormedReply(error),
        });
        if matches!(self.state, State::Active | State::Releasing) {
            self.progress();
        }
    }
}
