//! Test support: the `offsetof`/`sizeof` lines the C dumpers in `tools/sctp-vectors/` printed
//! for the real headers, so each file's private `mod field` can be checked against them.

use super::layout::Layout;

fn text(layout: Layout) -> &'static str {
    match layout {
        Layout::Linux => include_str!("../../tests/vectors/sctp_linux.txt"),
        Layout::FreeBsd => include_str!("../../tests/vectors/sctp_freebsd.txt"),
    }
}

/// `offsetof(struct, field)` as the compiler laid it out, e.g. `"sctp_rcvinfo.rcv_ppid"`.
pub(crate) fn offset(layout: Layout, name: &str) -> usize {
    lookup(layout, "offsetof", name)
}

/// `sizeof(struct name)`.
pub(crate) fn size(layout: Layout, name: &str) -> usize {
    lookup(layout, "sizeof", name)
}

fn lookup(layout: Layout, what: &str, name: &str) -> usize {
    text(layout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            (f.next() == Some(what)).then_some(())?;
            let _layout = f.next()?;
            (f.next() == Some(name)).then_some(())?;
            f.next()?.parse().ok()
        })
        .next()
        .unwrap_or_else(|| panic!("{layout:?}: no {what} {name} in the C dump"))
}
