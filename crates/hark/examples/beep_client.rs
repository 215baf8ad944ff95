//! A BEEP client: connects to ADDR, starts a channel on the echo profile, sends each
//! argument as a MSG, waits for its reply, prints it, and closes the channel and the
//! session. Run `cargo run -p hark --example beep_client -- ADDR [WORDS...]` against
//! `beep_echo_listener`.

use std::time::Duration;

use hark::beep::{Answer, BeepContext, ChannelHandlers, Profile};

const ECHO: &str = "http://example.org/beep/echo";
const TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .ok_or("usage: beep_client ADDR [WORDS...]")?
        .parse()?;
    let words: Vec<String> = args.collect();

    let ctx = BeepContext::new()?;
    ctx.register(Profile::new(ECHO));
    let conn = ctx.connect(addr, TIMEOUT)?;
    println!("connected; the listener offers {:?}", conn.peer_profiles());
    let channel = conn.open_channel(ECHO, ChannelHandlers::new(), TIMEOUT)?;
    println!("channel {channel} started");
    for word in &words {
        let payload = format!("Content-Type: text/plain\r\n\r\n{word}");
        match conn.send_and_wait(channel, payload, TIMEOUT)? {
            Answer::Rpy(frame) => {
                println!(
                    "reply {}: {}",
                    frame.msgno(),
                    String::from_utf8_lossy(frame.body())
                )
            }
            other => return Err(format!("unexpected answer {other:?}").into()),
        }
    }
    conn.close_channel(channel, TIMEOUT)?;
    conn.close(TIMEOUT)?;
    println!("closed");
    Ok(())
}
