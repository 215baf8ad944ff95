//! Sums of `on_overhead_statistics` calls for the hub: one `utp_overhead` event per
//! connection, direction and overhead type for each batch of datagrams, rather than one
//! per packet.

use std::net::SocketAddr;

use crate::events::ConnectionId;

use super::constants::OverheadType;

/// One running sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OverheadSum {
    pub(crate) connection: ConnectionId,
    pub(crate) peer: SocketAddr,
    pub(crate) sent: bool,
    pub(crate) overhead: OverheadType,
    pub(crate) bytes: u64,
    pub(crate) packets: u32,
}

/// The sums since the last flush, in the order their first packet came.
#[derive(Debug, Default)]
pub(crate) struct OverheadTally {
    sums: Vec<OverheadSum>,
}

impl OverheadTally {
    /// Counts one packet's overhead.
    pub(crate) fn add(
        &mut self,
        connection: ConnectionId,
        peer: SocketAddr,
        sent: bool,
        overhead: OverheadType,
        bytes: u32,
    ) {
        let existing = self.sums.iter_mut().find(|sum| {
            sum.connection == connection && sum.sent == sent && sum.overhead == overhead
        });
        match existing {
            Some(sum) => {
                sum.bytes += u64::from(bytes);
                sum.packets = sum.packets.saturating_add(1);
            }
            None => self.sums.push(OverheadSum {
                connection,
                peer,
                sent,
                overhead,
                bytes: u64::from(bytes),
                packets: 1,
            }),
        }
    }

    /// Whether nothing is counted.
    pub(crate) fn is_empty(&self) -> bool {
        self.sums.is_empty()
    }

    /// Takes the sums, leaving the tally empty (its allocation kept).
    pub(crate) fn drain(&mut self) -> std::vec::Drain<'_, OverheadSum> {
        self.sums.drain(..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_per_connection_direction_and_type_in_first_seen_order() {
        let peer: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let mut tally = OverheadTally::default();
        let a = ConnectionId(1);
        let b = ConnectionId(2);
        tally.add(a, peer, true, OverheadType::Header, 48);
        tally.add(b, peer, false, OverheadType::Ack, 48);
        tally.add(a, peer, true, OverheadType::Header, 48);
        tally.add(a, peer, false, OverheadType::Header, 20);
        let sums: Vec<_> = tally
            .drain()
            .map(|s| (s.connection, s.sent, s.overhead, s.bytes, s.packets))
            .collect();
        assert_eq!(
            sums,
            [
                (a, true, OverheadType::Header, 96, 2),
                (b, false, OverheadType::Ack, 48, 1),
                (a, false, OverheadType::Header, 20, 1),
            ]
        );
        assert!(tally.is_empty());
    }
}
