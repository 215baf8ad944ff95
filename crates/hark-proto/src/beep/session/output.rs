//! Writing: SEQ frames first, then data frames round-robin among channels, each cut to
//! the peer's window and the maximum frame size.

use std::time::Instant;

use hark_wire::beep::frame::FrameRepr;
use hark_wire::beep::header::{FrameType, MAX_HEADER_LEN, More, TRAILER};
use hark_wire::beep::seq::SeqRepr;

use super::super::event::{Event, ThrottleCause};
use super::{Session, State};

/// The smallest buffer `poll_transmit` always makes progress with: a header of the
/// longest form, one payload octet and the trailer.
pub const MIN_TRANSMIT_BUFFER: usize = MAX_HEADER_LEN + 1 + TRAILER.len();

/// What finished going out, for the session to act on.
#[derive(Debug, Clone, Copy)]
struct Sent {
    channel: u32,
    kind: FrameType,
    msgno: u32,
}

impl Session {
    /// Whether anything may be written now.
    fn writing(&self) -> bool {
        matches!(self.state, State::Active | State::Releasing) && !self.hold_output
    }

    /// Writes frames into `buf` (at least [`MIN_TRANSMIT_BUFFER`] bytes); returns how many
    /// bytes to send, or `None` when there is nothing to send now.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let _ = now;
        self.drain_answers();
        self.progress();
        if !self.writing() || buf.len() < MIN_TRANSMIT_BUFFER {
            return None;
        }
        let mut pos = self.write_seqs(buf);
        pos += self.write_data(&mut buf[pos..]);
        (pos > 0).then_some(pos)
    }

    /// Every due SEQ, before any data (a window opened early keeps the peer busy).
    fn write_seqs(&mut self, buf: &mut [u8]) -> usize {
        let max_pending = self.config.max_pending_replies;
        let mut pos = 0;
        for (&n, c) in self.channels.iter_mut() {
            // A peer that piles up MSGs we have not answered gets no more window.
            if n != 0 && c.awaiting.len() >= max_pending {
                continue;
            }
            // Not before our <profile> reply: the peer would drop a SEQ for a channel it
            // does not know yet, and our window would look open to us only.
            if c.opening.is_some() {
                continue;
            }
            let Some((ackno, window)) = c.rx.seq_due() else {
                continue;
            };
            let repr = SeqRepr {
                channel: n,
                ackno,
                window,
            };
            match repr.emit(&mut buf[pos..]) {
                Ok(len) => {
                    pos += len;
                    c.rx.advertised(ackno, window);
                }
                Err(_) => break,
            }
        }
        pos
    }

    /// Data frames, one per channel per round, until the buffer is full or nothing moves.
    fn write_data(&mut self, buf: &mut [u8]) -> usize {
        let max_frame = self.config.max_frame_payload as usize;
        let mut pos = 0;
        let mut throttled = Vec::new();
        let pos = loop {
            let mut moved = false;
            let order: Vec<u32> = self
                .channels
                .range(self.rr_cursor..)
                .chain(self.channels.range(..self.rr_cursor))
                .filter(|(_, c)| c.has_data())
                .map(|(n, _)| *n)
                .collect();
            for n in order {
                if !self.writing() || buf.len() - pos < MIN_TRANSMIT_BUFFER {
                    break;
                }
                let Some(c) = self.channels.get_mut(&n) else {
                    continue;
                };
                if !c.pick_current() {
                    continue;
                }
                let msg = c.current.as_mut().expect("picked");
                let remaining = msg.remaining();
                let usable = c.tx.usable() as usize;
                let room = buf.len() - pos - MAX_HEADER_LEN - TRAILER.len();
                let take = remaining.min(usable).min(max_frame).min(room);
                if take == 0 && remaining > 0 {
                    if usable == 0 && !c.throttled_window {
                        c.throttled_window = true;
                        throttled.push(n);
                    }
                    continue;
                }
                let more = take < remaining;
                let repr = FrameRepr {
                    frame_type: msg.kind,
                    channel: n,
                    msgno: msg.msgno,
                    more: if more {
                        More::Intermediate
                    } else {
                        More::Complete
                    },
                    seqno: c.tx.next(),
                    payload: &msg.payload[msg.offset..msg.offset + take],
                };
                let Ok(len) = repr.emit(&mut buf[pos..]) else {
                    // Sizes are checked above and every field comes from checked values.
                    continue;
                };
                pos += len;
                moved = true;
                msg.offset += take;
                let sent = Sent {
                    channel: n,
                    kind: msg.kind,
                    msgno: msg.msgno,
                };
                c.tx.sent(take as u32);
                c.queued -= take;
                self.rr_cursor = n.wrapping_add(1);
                if !more {
                    c.finish_current();
                    self.after_sent(sent);
                }
            }
            if !moved || !self.writing() || buf.len() - pos < MIN_TRANSMIT_BUFFER {
                break pos;
            }
        };
        for channel in throttled {
            self.push_event(Event::Throttled {
                channel,
                cause: ThrottleCause::PeerWindow,
            });
        }
        pos
    }

    /// A message finished going out: the switch and release points hang on this.
    fn after_sent(&mut self, sent: Sent) {
        if sent.channel != 0 {
            return;
        }
        self.on_mgmt_sent(sent.kind, sent.msgno);
    }
}
