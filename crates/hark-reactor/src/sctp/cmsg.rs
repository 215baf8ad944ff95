//! Ancillary data (`struct cmsghdr` sequences) encoded and decoded as plain bytes, so that
//! no pointer arithmetic (the CMSG_* macros) is needed. The kernel copies control data byte
//! by byte, so the buffers need no particular alignment.

use std::mem::size_of;

/// `CMSG_ALIGN`: control messages are padded to `sizeof(size_t)`.
const ALIGN: usize = size_of::<usize>();
/// `sizeof(struct cmsghdr)`: `size_t cmsg_len; int cmsg_level; int cmsg_type;`.
const HEADER: usize = size_of::<libc::cmsghdr>();

const fn align(len: usize) -> usize {
    (len + ALIGN - 1) & !(ALIGN - 1)
}

/// `CMSG_SPACE(len)`: the bytes one control message with `len` data bytes occupies.
pub(crate) const fn space(len: usize) -> usize {
    align(HEADER) + align(len)
}

/// Appends one control message (`cmsg_len` = `CMSG_LEN(data.len())`), padded.
pub(crate) fn push(out: &mut Vec<u8>, level: libc::c_int, kind: libc::c_int, data: &[u8]) {
    let start = out.len();
    let cmsg_len = align(HEADER) + data.len();
    out.extend_from_slice(&cmsg_len.to_ne_bytes());
    out.extend_from_slice(&level.to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.resize(start + align(HEADER), 0);
    out.extend_from_slice(data);
    out.resize(start + space(data.len()), 0);
}

/// The control messages of `control` as `(level, type, data)`; stops at the first malformed
/// header instead of reading past the buffer.
pub(crate) fn iter(control: &[u8]) -> impl Iterator<Item = (libc::c_int, libc::c_int, &[u8])> {
    let mut rest = control;
    std::iter::from_fn(move || {
        let len = usize::from_ne_bytes(rest.get(..ALIGN)?.try_into().ok()?);
        let level = libc::c_int::from_ne_bytes(rest.get(ALIGN..ALIGN + 4)?.try_into().ok()?);
        let kind = libc::c_int::from_ne_bytes(rest.get(ALIGN + 4..ALIGN + 8)?.try_into().ok()?);
        let data = rest.get(align(HEADER)..len)?;
        rest = rest.get(align(len)..).unwrap_or(&[]);
        Some((level, kind, data))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_with_padding() {
        let mut buf = Vec::new();
        push(&mut buf, 132, 2, &[1; 16]);
        push(&mut buf, 132, 5, &[7; 5]);
        assert_eq!(buf.len(), space(16) + space(5));
        assert_eq!(space(16), 32);
        let got: Vec<_> = iter(&buf).collect();
        assert_eq!(got, vec![(132, 2, &[1u8; 16][..]), (132, 5, &[7u8; 5][..])]);
    }

    #[test]
    fn truncated_control_stops_cleanly() {
        let mut buf = Vec::new();
        push(&mut buf, 132, 3, &[9; 28]);
        assert_eq!(iter(&buf[..20]).count(), 0);
        let mut lying = buf.clone();
        lying[..8].copy_from_slice(&usize::MAX.to_ne_bytes());
        assert_eq!(iter(&lying).count(), 0);
    }
}
