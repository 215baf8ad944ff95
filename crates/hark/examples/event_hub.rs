//! The event hub during a uTP transfer: `cargo run -p hark --example event_hub`.
//!
//! Every callback of a `UtpContext` also reports to its `EventHub` (Net::BitTorrent's
//! event model: a kind with typed attributes, a severity, an English message). Here a hub
//! at info level prints every event it lets through, and a typed listener for `utp_closed`
//! tallies how connections ended. Debug-level kinds (`utp_packets`, `peer_data_in`,
//! `utp_eof`, ...) are filtered out when emitted and cost nothing.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use hark::events::{Category, Event, EventHub, Severity, UtpClosed};
use hark::utp::{Callbacks, UtpContext, UtpReactor, UtpState};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A hub at info level over the connection category that prints each event.
fn printing_hub(name: &'static str, closed: &Arc<Mutex<Vec<String>>>) -> EventHub {
    let closed = Arc::clone(closed);
    EventHub::builder()
        .min_severity(Severity::Info)
        .categories(Category::Connection)
        .on_all(move |event: &Event| {
            println!("{name}: {event}");
        })
        .on_utp_closed(move |_event: &Event, c: &UtpClosed| {
            closed
                .lock()
                .unwrap()
                .push(format!("{}: {}", c.peer, c.reason));
        })
        .build()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let closed = Arc::new(Mutex::new(Vec::new()));
    let (destroyed_tx, destroyed_rx) = mpsc::channel();
    let server_destroyed = destroyed_tx.clone();
    let server = UtpReactor::bind_range(
        UtpContext::builder()
            .hub(printing_hub("server", &closed))
            .callbacks(Callbacks::new().on_accept(|_, _, _| {}).on_state_change(
                move |cx, socket, state| match state {
                    UtpState::Eof => cx.close(socket),
                    UtpState::Destroying => {
                        let _ = server_destroyed.send(());
                    }
                    _ => {}
                },
            )),
        LOCALHOST,
        [0],
    )?;
    let client = UtpReactor::bind_range(
        UtpContext::builder()
            .hub(printing_hub("client", &closed))
            .callbacks(
                Callbacks::new()
                    .on_connect(|cx, socket| {
                        cx.write(socket, &[42; 10_000]);
                        cx.close(socket);
                    })
                    .on_state_change(move |_, _, state| {
                        if state == UtpState::Destroying {
                            let _ = destroyed_tx.send(());
                        }
                    }),
            ),
        LOCALHOST,
        [0],
    )?;
    client.remote().connect(server.local_addr())?;
    // Both sides destroy their socket after the 2 s linger.
    destroyed_rx.recv()?;
    destroyed_rx.recv()?;
    drop((client.stop()?, server.stop()?));
    for line in closed.lock().unwrap().iter() {
        println!("closed: {line}");
    }
    Ok(())
}
