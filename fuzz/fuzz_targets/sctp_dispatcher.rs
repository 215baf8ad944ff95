//! Feeds arbitrary messages to the facade's SCTP dispatcher through the interface the SCTP
//! loop uses (`SctpDriver`): each message is a flags byte (bit 0: a notification, bit 1:
//! complete), a length byte and that many bytes. The handler answers every callback by
//! queueing a message; malformed notifications reach `on_error`, never a panic, and the
//! command and event queues stay within their bounds.
#![no_main]

use hark::sctp::{
    MAX_COMMANDS, SctpContext, SctpDispatchError, SctpDispatcher, SctpHandler, SctpLoopEvent,
};
use hark_proto::sctp::MAX_EVENTS;
use hark_reactor::sctp::{Received, SctpDriver};
use hark_wire::sctp::{NotificationDict, SndInfo};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

/// Linux `MSG_EOR` and `MSG_NOTIFICATION`.
const MSG_EOR: i32 = 0x80;
const MSG_NOTIFICATION: i32 = 0x8000;

#[derive(Default)]
struct Echo {
    errors: usize,
}

impl SctpHandler for Echo {
    fn on_notification(&mut self, ctx: &mut SctpContext<'_>, dict: &NotificationDict<'_>) {
        let _ = ctx.send(format!("{:?}", dict.get("sn_type")).into_bytes(), SndInfo::default());
    }
    fn on_data(&mut self, ctx: &mut SctpContext<'_>, message: &Received) {
        let _ = ctx.send(message.data.clone(), SndInfo::default());
    }
    fn on_loop_event(&mut self, _ctx: &mut SctpContext<'_>, _event: &SctpLoopEvent) {}
    fn on_error(&mut self, _ctx: &mut SctpContext<'_>, _error: &SctpDispatchError) {
        self.errors += 1;
    }
}

fuzz_target!(|data: &[u8]| {
    let mut dispatcher = SctpDispatcher::new(Echo::default());
    let mut now = Instant::now();
    let mut rest = data;
    let mut messages = 0usize;
    while let [flags, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (bytes, next) = tail.split_at(len);
        rest = next;
        now += Duration::from_millis(1);
        let received = Received {
            data: bytes.to_vec(),
            from: None,
            rcvinfo: None,
            nxtinfo: None,
            flags: if flags & 1 != 0 { MSG_NOTIFICATION } else { 0 }
                | if flags & 2 != 0 { MSG_EOR } else { 0 },
        };
        SctpDriver::handle_received(&mut dispatcher, now, &received);
        messages += 1;
        // Sometimes the loop is slow to take what the callbacks queued.
        if flags & 4 == 0 {
            while dispatcher.poll_send().is_some() {}
        }
        if flags & 8 == 0 {
            while dispatcher.poll_event().is_some() {}
        }
    }
    let mut sends = 0;
    while dispatcher.poll_send().is_some() {
        sends += 1;
    }
    assert!(sends <= MAX_COMMANDS);
    let mut events = 0;
    while dispatcher.poll_event().is_some() {
        events += 1;
    }
    assert!(events <= MAX_EVENTS);
    assert!(dispatcher.handler().errors <= messages);
});
