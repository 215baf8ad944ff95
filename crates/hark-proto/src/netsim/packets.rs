//! Packets in flight, stored in reusable slots so that steady-state runs do not allocate.

use core::net::SocketAddr;

/// One packet travelling along a route.
#[derive(Debug, Clone)]
pub(crate) struct Packet {
    /// Unique id within the run.
    pub(crate) id: u64,
    /// Sending node's address.
    pub(crate) src: SocketAddr,
    /// Destination address.
    pub(crate) dst: SocketAddr,
    /// Index of the route it follows.
    pub(crate) route: usize,
    /// Index of the link on the route it is currently crossing.
    pub(crate) hop: usize,
    /// The bytes; the allocation is kept when the slot is recycled.
    pub(crate) data: Vec<u8>,
}

/// A slab of packets whose freed slots keep their buffers for reuse.
#[derive(Debug, Default)]
pub(crate) struct PacketStore {
    slots: Vec<Packet>,
    free: Vec<usize>,
}

impl PacketStore {
    /// Stores a packet holding a copy of `bytes` and returns its slot.
    pub(crate) fn insert(
        &mut self,
        id: u64,
        src: SocketAddr,
        dst: SocketAddr,
        route: usize,
        hop: usize,
        bytes: &[u8],
    ) -> usize {
        if let Some(slot) = self.free.pop() {
            if let Some(packet) = self.slots.get_mut(slot) {
                packet.id = id;
                packet.src = src;
                packet.dst = dst;
                packet.route = route;
                packet.hop = hop;
                packet.data.clear();
                packet.data.extend_from_slice(bytes);
                return slot;
            }
        }
        self.slots.push(Packet {
            id,
            src,
            dst,
            route,
            hop,
            data: bytes.to_vec(),
        });
        self.slots.len() - 1
    }

    /// Copies the packet in `slot` into a new slot with a new id.
    pub(crate) fn duplicate(&mut self, slot: usize, id: u64) -> Option<usize> {
        let packet = self.slots.get(slot)?;
        let (src, dst, route, hop) = (packet.src, packet.dst, packet.route, packet.hop);
        let mut data = core::mem::take(&mut self.slots.get_mut(slot)?.data);
        let copy = self.insert(id, src, dst, route, hop, &data);
        if let Some(original) = self.slots.get_mut(slot) {
            core::mem::swap(&mut original.data, &mut data);
        }
        Some(copy)
    }

    /// The packet in `slot`.
    pub(crate) fn get(&self, slot: usize) -> Option<&Packet> {
        self.slots.get(slot)
    }

    /// The packet in `slot`, mutably.
    pub(crate) fn get_mut(&mut self, slot: usize) -> Option<&mut Packet> {
        self.slots.get_mut(slot)
    }

    /// Frees `slot`, keeping its buffer for the next packet.
    pub(crate) fn release(&mut self, slot: usize) {
        self.free.push(slot);
    }

    /// Packets currently stored.
    pub(crate) fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_with_their_buffers() {
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let mut store = PacketStore::default();
        let s0 = store.insert(0, a, a, 0, 0, &[1, 2, 3]);
        let s1 = store.duplicate(s0, 1).unwrap();
        assert_eq!(store.get(s0).unwrap().data, [1, 2, 3]);
        assert_eq!(store.get(s1).unwrap().data, [1, 2, 3]);
        assert_eq!(store.get(s1).unwrap().id, 1);
        store.release(s0);
        assert_eq!(store.live(), 1);
        let s2 = store.insert(2, a, a, 0, 0, &[9]);
        assert_eq!(s2, s0);
        assert_eq!(store.get(s2).unwrap().data, [9]);
    }
}
