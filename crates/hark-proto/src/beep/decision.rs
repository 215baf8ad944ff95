//! Channel start and close requests as owned decisions.
//!
//! A decision never borrows the session: answering (or dropping) it pushes an answer onto a
//! queue shared with the session, which the session drains at its next `handle_*` or
//! `poll_*` call. The queue is bounded by construction: each decision answers exactly once,
//! and the session never has more than `max_pending_decisions` of them outstanding.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A profile offered in a `<start>` request (hark-wire's channel-0 `profile`).
pub use hark_wire::beep::channel0::Profile as OfferedProfile;

/// How a start request was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartVerdict {
    /// Accept with this profile (an index into the offered list), optional piggyback and
    /// receive window.
    Accept {
        profile: usize,
        piggyback: Option<String>,
        window: Option<u32>,
    },
    /// Deny with an ERR.
    Deny { code: u16, text: String },
}

/// How a close request was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CloseVerdict {
    Accept,
    Deny { code: u16, text: String },
}

/// One answer on the shared queue.
#[derive(Debug)]
pub(crate) enum Answer {
    Start { id: u64, verdict: StartVerdict },
    Close { id: u64, verdict: CloseVerdict },
}

/// The queue shared by a session and its outstanding decisions.
#[derive(Debug, Clone, Default)]
pub(crate) struct AnswerQueue(Arc<Mutex<VecDeque<Answer>>>);

impl AnswerQueue {
    pub(crate) fn push(&self, answer: Answer) {
        // A poisoned lock only means another answering thread panicked; the queue itself
        // is still consistent.
        let mut q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        q.push_back(answer);
    }

    pub(crate) fn pop(&self) -> Option<Answer> {
        let mut q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        q.pop_front()
    }
}

/// The peer asks to start a channel. Answer with [`accept`](Self::accept) or
/// [`deny`](Self::deny), now or later, from any thread; dropping it unanswered denies the
/// start with 421 (Vortex's default).
///
/// Only profiles in the session's registry are listed; a request naming none of them was
/// already answered with 554.
#[derive(Debug)]
pub struct ChannelStartRequest {
    pub(crate) id: u64,
    pub(crate) channel: u32,
    pub(crate) profiles: Vec<OfferedProfile>,
    pub(crate) server_name: Option<String>,
    pub(crate) queue: Option<AnswerQueue>,
}

impl ChannelStartRequest {
    /// The channel number the peer chose.
    pub fn channel(&self) -> u32 {
        self.channel
    }

    /// The offered profiles we support, in the peer's order of preference.
    pub fn profiles(&self) -> &[OfferedProfile] {
        &self.profiles
    }

    /// The `serverName` attribute, if the peer sent one.
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// Accepts the first offered profile, with no piggyback and the profile's window.
    pub fn accept(self) -> bool {
        self.accept_with(0, None, None)
    }

    /// Accepts profile `index` of [`profiles`](Self::profiles), optionally piggybacking
    /// `content` (trimmed, at most 4096 octets, else the start is denied with 421) on the
    /// reply and giving the channel a receive `window`. Returns `false`
    /// (and denies with 421) if `index` is out of range.
    pub fn accept_with(
        mut self,
        index: usize,
        content: Option<String>,
        window: Option<u32>,
    ) -> bool {
        let verdict = if index < self.profiles.len() {
            StartVerdict::Accept {
                profile: index,
                piggyback: content,
                window,
            }
        } else {
            StartVerdict::Deny {
                code: 421,
                text: "profile index out of range".into(),
            }
        };
        let ok = matches!(verdict, StartVerdict::Accept { .. });
        self.send(verdict);
        ok
    }

    /// Denies the start with `code` (421 for an application refusal) and `text`.
    pub fn deny(mut self, code: u16, text: impl Into<String>) {
        self.send(StartVerdict::Deny {
            code,
            text: text.into(),
        });
    }

    fn send(&mut self, verdict: StartVerdict) {
        if let Some(q) = self.queue.take() {
            q.push(Answer::Start {
                id: self.id,
                verdict,
            });
        }
    }
}

impl Drop for ChannelStartRequest {
    fn drop(&mut self) {
        self.send(StartVerdict::Deny {
            code: 421,
            text: "channel start not accepted".into(),
        });
    }
}

/// The peer asks to close a channel (channel 0: release the session). Answer with
/// [`accept`](Self::accept) or [`deny`](Self::deny), now or later; dropping it unanswered
/// accepts (Vortex's default). An accepted close is confirmed only after every MSG received
/// on the channel has been answered.
#[derive(Debug)]
pub struct ChannelCloseRequest {
    pub(crate) id: u64,
    pub(crate) channel: u32,
    pub(crate) code: u16,
    pub(crate) text: Option<String>,
    pub(crate) queue: Option<AnswerQueue>,
}

impl ChannelCloseRequest {
    /// The channel to close (0: the whole session).
    pub fn channel(&self) -> u32 {
        self.channel
    }

    /// The reply code the peer gave (200 normally).
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The peer's diagnostic text, if any.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// Agrees to the close.
    pub fn accept(mut self) {
        self.send(CloseVerdict::Accept);
    }

    /// Refuses the close with `code` (550: still working) and `text`.
    pub fn deny(mut self, code: u16, text: impl Into<String>) {
        self.send(CloseVerdict::Deny {
            code,
            text: text.into(),
        });
    }

    fn send(&mut self, verdict: CloseVerdict) {
        if let Some(q) = self.queue.take() {
            q.push(Answer::Close {
                id: self.id,
                verdict,
            });
        }
    }
}

impl Drop for ChannelCloseRequest {
    fn drop(&mut self) {
        self.send(CloseVerdict::Accept);
    }
}
