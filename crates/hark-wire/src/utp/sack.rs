//! The selective-ACK bitmask (extension type 1).

use super::Error;

/// A checked view over a selective-ACK bitmask.
///
/// Bit `k` of byte `i` (least significant bit first) says that packet
/// `ack_nr + 2 + 8 * i + k` was received. BEP 29 asks for a multiple of 4 bytes (hark and
/// libutp send 4), but libtorrent 2.0 sends any length from 1 to 32 bytes and libutp reads
/// any length, so any non-zero length is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectiveAck<T: AsRef<[u8]>> {
    bitmask: T,
}

impl<T: AsRef<[u8]>> SelectiveAck<T> {
    /// Validates the bitmask length: at least one byte.
    pub fn new_checked(bitmask: T) -> Result<Self, Error> {
        let len = bitmask.as_ref().len();
        if len == 0 {
            return Err(Error::MalformedSelectiveAck { len });
        }
        Ok(Self { bitmask })
    }

    /// The raw bitmask bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bitmask.as_ref()
    }

    /// How many packets the bitmask covers (8 per byte).
    pub fn len_bits(&self) -> usize {
        self.bitmask.as_ref().len() * 8
    }

    /// True when bit `index` is set, that is, packet `ack_nr + 2 + index` was received.
    /// An index past the end is `false`.
    pub fn is_acked(&self, index: usize) -> bool {
        self.bitmask
            .as_ref()
            .get(index / 8)
            .is_some_and(|byte| byte & (1 << (index % 8)) != 0)
    }

    /// The sequence numbers this bitmask acknowledges, given the packet's `ack_nr`.
    pub fn acked_seq_nrs(&self, ack_nr: u16) -> impl Iterator<Item = u16> + '_ {
        (0..self.len_bits())
            .filter(|&index| self.is_acked(index))
            .map(move |index| ack_nr.wrapping_add(2).wrapping_add(index as u16))
    }

    /// How many packets are marked received.
    pub fn count_acked(&self) -> usize {
        self.bitmask
            .as_ref()
            .iter()
            .map(|byte| byte.count_ones() as usize)
            .sum()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> SelectiveAck<T> {
    /// Marks packet `ack_nr + 2 + index` received. An index past the end is ignored and
    /// reported as `false`.
    pub fn set_acked(&mut self, index: usize) -> bool {
        match self.bitmask.as_mut().get_mut(index / 8) {
            Some(byte) => {
                *byte |= 1 << (index % 8);
                true
            }
            None => false,
        }
    }

    /// Clears every bit.
    pub fn clear(&mut self) {
        self.bitmask.as_mut().fill(0);
    }
}
