//! An echo server on the notifier API: `cargo run -p hark --example tcp_echo [ADDR]`.
//!
//! Each connection writes back what it receives; when the peer pushes faster than it
//! reads, the connection is throttled and stops reading until its queue drains.

use hark::tcp::{Reactor, TcpConfig, TcpConn, TcpListener, TcpNotify};

struct Echo;

impl TcpNotify for Echo {
    fn received(&mut self, conn: &mut TcpConn<'_>, data: &[u8], _times: usize) -> bool {
        if conn.write(data).is_err() {
            conn.hard_close();
        }
        true
    }
    fn throttled(&mut self, conn: &mut TcpConn<'_>) {
        conn.mute();
    }
    fn unthrottled(&mut self, conn: &mut TcpConn<'_>) {
        conn.unmute();
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7007".into());
    let reactor = Reactor::spawn(TcpConfig::default())?;
    let new_echo = |_peer| Some(Box::new(Echo) as Box<dyn TcpNotify>);
    let listener = TcpListener::bind(reactor.handle(), addr.parse()?, new_echo)?;
    println!("echoing on {}", listener.local_addr());
    reactor.join()?;
    Ok(())
}
