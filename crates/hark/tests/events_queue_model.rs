//! Random emit/pull schedules against small queues: the stream stays in order, nothing
//! queued is lost, and every drop is reported exactly once, where its gap is.

use hark::events::{
    ConnectionId, DisconnectReason, Emitted, EventHub, EventKind, PeerDataIn, PeerDisconnect,
};
use proptest::prelude::*;
use std::net::SocketAddr;

#[derive(Debug, Clone)]
enum Step {
    EmitDroppable,
    EmitGuaranteed,
    Pull,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => Just(Step::EmitDroppable),
        1 => Just(Step::EmitGuaranteed),
        3 => Just(Step::Pull),
    ]
}

fn peer() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 3], 6881))
}

proptest! {
    #[test]
    fn stream_is_ordered_complete_and_reports_every_drop(
        capacity in 0usize..4,
        reserved in 0usize..3,
        steps in proptest::collection::vec(step(), 0..80),
    ) {
        let mut hub = EventHub::builder().capacity(capacity).reserved_capacity(reserved).build();
        let mut next_sequence = 0u64;
        let mut queued = Vec::new();
        let mut dropped = Vec::new();
        let mut pulled = Vec::new();
        for step in steps {
            let outcome = match step {
                Step::EmitDroppable => hub.emit(PeerDataIn { peer: peer(), length: 1 }, None),
                Step::EmitGuaranteed => hub.emit(
                    PeerDisconnect { peer: peer(), reason: DisconnectReason::Reset },
                    Some(ConnectionId(next_sequence)),
                ),
                Step::Pull => {
                    pulled.extend(hub.poll_event());
                    continue;
                }
            };
            match outcome {
                Ok(Emitted::Queued) => queued.push(next_sequence),
                Ok(Emitted::Dropped) => {
                    prop_assert!(matches!(step, Step::EmitDroppable));
                    dropped.push(next_sequence);
                }
                Ok(Emitted::Filtered) => prop_assert!(false, "nothing is filtered"),
                Ok(Emitted::Delivered) => prop_assert!(false, "this hub queues for the pull API"),
                Err(refused) => {
                    prop_assert!(matches!(step, Step::EmitGuaranteed));
                    prop_assert_eq!(refused.event.name(), "peer_disconnect");
                    continue;
                }
            }
            next_sequence += 1;
        }
        pulled.extend(std::iter::from_fn(|| hub.poll_event()));

        let sequences: Vec<u64> = pulled.iter().map(|event| event.sequence).collect();
        prop_assert!(sequences.windows(2).all(|pair| pair[0] < pair[1]), "{:?}", sequences);

        let delivered: Vec<u64> = pulled
            .iter()
            .filter(|event| !matches!(event.kind, EventKind::EventsDropped(_)))
            .map(|event| event.sequence)
            .collect();
        prop_assert_eq!(&delivered, &queued);

        // A gap ends at the next queued event, or where the next report starts (its report
        // was delivered before more drops happened).
        let report_starts: Vec<u64> = pulled
            .iter()
            .filter(|event| matches!(event.kind, EventKind::EventsDropped(_)))
            .map(|event| event.sequence)
            .collect();
        let mut reported = 0;
        for event in &pulled {
            if let EventKind::EventsDropped(report) = &event.kind {
                let next_queued = queued.iter().copied().find(|&s| s > event.sequence);
                let next_report = report_starts.iter().copied().find(|&s| s > event.sequence);
                let gap_end = next_queued.unwrap_or(u64::MAX).min(next_report.unwrap_or(u64::MAX));
                let in_gap = dropped.iter().filter(|&&s| s >= event.sequence && s < gap_end).count();
                prop_assert!(dropped.contains(&event.sequence));
                prop_assert_eq!(report.count, in_gap as u64);
                reported += report.count;
            }
        }
        prop_assert_eq!(reported, dropped.len() as u64);
    }
}
