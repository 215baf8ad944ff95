//! A user can glob-import a facade and the event hub together: no name in `hark::events`
//! collides with one in `hark::utp`, `hark::tcp` or `hark::sctp` (a collision would make
//! every use of that name below ambiguous, a compile error).

use hark::events::*;
use hark::sctp::*;
use hark::tcp::*;
use hark::utp::*;

#[test]
fn facade_and_event_names_resolve_side_by_side() {
    // The facade's error and the hub's event for a failed uTP connection.
    let error: UtpError = UtpError::UnknownSocket;
    let event = UtpFailed {
        peer: "127.0.0.1:1".parse().unwrap(),
        code: UtpErrorCode::TimedOut.libutp_name(),
    };
    assert_eq!(error.to_string(), "unknown or destroyed uTP socket");
    assert_eq!(EventKind::from(event).name(), "utp_error");

    // A hub listener's id and a TCP listener's id are different types with different names.
    let mut hub = EventHub::builder().build();
    let listener: HubListenerId = hub.on_all(|_: &Event| {});
    assert!(hub.remove_listener(listener));
    let tcp_listener: Option<ListenerId> = None;
    assert!(tcp_listener.is_none());
    let _ = MAX_COMMANDS;
}
