//! pysctp-style SCTP notification callbacks: `cargo run -p hark --example sctp_notifications`.
//!
//! An `SctpHandler` gets one callback per RFC 6458 notification plus `on_notification`,
//! pysctp's `parse_notification` dictionary for every one; the `SctpDispatcher` parses
//! what the socket read, keeps an association tracker current and calls the handler.
//!
//! This program needs no kernel SCTP: it feeds the dispatcher notifications exactly as
//! Linux 6.1 wrote them (recorded with `cargo xtask sctp-vm -- --nocapture`, the
//! `HARK-VECTOR` lines kept in `crates/hark-wire/tests/vectors/sctp_linux_kernel.txt`),
//! wrapped as `recvv` returns them. On a kernel with SCTP, put the same dispatcher on
//! hark-reactor's one reactor (`SctpLoop`) and the callbacks fire as the kernel reports:
//!
//! ```no_run
//! # use hark::sctp::{SctpDispatcher, SctpHandler, SctpLoop, SctpLoopConfig, SctpOpen};
//! # use hark_reactor::sctp::{Domain, SocketStyle};
//! # struct Printer;
//! # impl SctpHandler for Printer {}
//! let mut sctp_loop = SctpLoop::new(SctpLoopConfig::default())?;
//! let mut open = SctpOpen::new(Domain::Ipv4, SocketStyle::OneToMany);
//! open.bind = vec!["127.0.0.1:0".parse()?];
//! open.listen = Some(16);
//! // Unsupported (a typed error) where the kernel has no SCTP, as on this project's CI host.
//! sctp_loop.open(&open, SctpDispatcher::new(Printer))?;
//! sctp_loop.run()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Instant;

use hark::sctp::{SctpContext, SctpDispatcher, SctpHandler};
use hark_reactor::sctp::Received;
use hark_wire::sctp::{AssocChange, NotificationDict, PeerAddrChange, ShutdownEvent};

/// Notifications of two client associations, as the kernel wrote them: assoc 5 comes up
/// and its peer address changes state twice; assoc 27 comes up and is shut down.
const RECORDED: &[&str] = &[
    "0180000014000000000000000400040005000000",
    "02800000940000000200b3057f000003000000000000000000000000000000000000000000000000\
     00000000000000000000000000000000000000000000000000000000000000000000000000000000\
     00000000000000000000000000000000000000000000000000000000000000000000000000000000\
     00000000000000000000000000000000030000000000000005000000",
    "02800000940000000200b3057f000003000000000000000000000000000000000000000000000000\
     00000000000000000000000000000000000000000000000000000000000000000000000000000000\
     00000000000000000000000000000000000000000000000000000000000000000000000000000000\
     00000000000000000000000000000000050000000200000005000000",
    "018000001400000000000000040004001b000000",
    "058000000c0000001b000000",
    "018000001400000003000000000000001b000000",
];

/// Linux `MSG_EOR` and `MSG_NOTIFICATION`: a whole notification, as `recvv` flags it.
const NOTIFICATION_FLAGS: i32 = 0x80 | 0x8000;

struct Printer;

impl SctpHandler for Printer {
    fn on_notification(&mut self, _ctx: &mut SctpContext<'_>, dict: &NotificationDict<'_>) {
        let fields: Vec<String> = dict.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("notification: {{{}}}", fields.join(", "));
    }

    fn on_assoc_change(&mut self, ctx: &mut SctpContext<'_>, event: &AssocChange<'_>) {
        let tracked = ctx.association(event.sac_assoc_id).map(|a| a.state);
        println!(
            "  on_assoc_change: assoc {} {:?}, {} streams out; tracked state {tracked:?}",
            event.sac_assoc_id, event.sac_state, event.sac_outbound_streams
        );
    }

    fn on_peer_addr_change(&mut self, _ctx: &mut SctpContext<'_>, event: &PeerAddrChange) {
        println!(
            "  on_peer_addr_change: assoc {} peer {} {:?}",
            event.spc_assoc_id, event.spc_aaddr, event.spc_state
        );
    }

    fn on_shutdown_event(&mut self, _ctx: &mut SctpContext<'_>, event: &ShutdownEvent) {
        println!("  on_shutdown_event: assoc {}", event.sse_assoc_id);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut dispatcher = SctpDispatcher::new(Printer);
    for hex in RECORDED {
        let data = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()?;
        let received = Received {
            data,
            from: None,
            rcvinfo: None,
            nxtinfo: None,
            flags: NOTIFICATION_FLAGS,
        };
        dispatcher.handle_received(Instant::now(), &received)?;
    }
    for association in dispatcher.tracker().associations() {
        println!(
            "tracked: assoc {} {:?}",
            association.assoc_id, association.state
        );
    }
    Ok(())
}
