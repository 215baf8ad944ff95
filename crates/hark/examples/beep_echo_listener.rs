//! A BEEP echo listener: every MSG on the echo profile is answered by an RPY with the
//! same payload. Run `cargo run -p hark --example beep_echo_listener -- [ADDR] [SESSIONS]`;
//! it prints the address it listens on, and exits after SESSIONS sessions (default: never).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hark::beep::{BeepContext, FrameType, Profile, ReplyKind};

const ECHO: &str = "http://example.org/beep/echo";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:0".into())
        .parse()?;
    let sessions: usize = args.next().map_or(Ok(usize::MAX), |s| s.parse())?;

    let ctx = BeepContext::new()?;
    let done = Arc::new(AtomicUsize::new(0));
    ctx.register(Profile::new(ECHO).on_frame((), |conn, channel, frame, _| {
        if frame.kind() == FrameType::Msg {
            println!("channel {channel}: echoing {} bytes", frame.body().len());
            let _ = conn.reply(
                channel,
                frame.msgno(),
                ReplyKind::Rpy,
                frame.payload().clone(),
            );
        }
    }));
    // Each channel close is a session's end for this example (the client closes its one
    // channel, then the session).
    ctx.on_close(done.clone(), |req, _conn, done| {
        done.fetch_add(1, Ordering::SeqCst);
        req.accept();
    });
    let listener = ctx.listen(addr)?;
    println!("listening on {}", listener.local_addr());
    while done.load(Ordering::SeqCst) < sessions {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200)); // let the release finish
    println!("served {sessions} session(s)");
    Ok(())
}
