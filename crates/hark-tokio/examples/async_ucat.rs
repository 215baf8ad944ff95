//! netcat over uTP on tokio, with ucat's arguments: `async_ucat -l -p PORT` listens for one
//! connection, `async_ucat HOST PORT` connects. stdin goes to the peer (its end sends a
//! FIN), the peer's data to stdout; the program exits once both directions are done.

use hark_tokio::{UtpOptions, UtpSocket};
use tokio::io::{AsyncWriteExt, copy, stdin, stdout};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // A short linger: exit soon after both FINs are acknowledged.
    let linger = std::time::Duration::from_millis(300);
    let options = UtpOptions {
        linger,
        ..UtpOptions::default()
    };
    let (socket, stream) = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["-l", "-p", port] | ["-p", port, "-l"] => {
            let local = format!("0.0.0.0:{port}").parse()?;
            let socket = UtpSocket::bind_with(local, options).await?;
            eprintln!("listening on {}", socket.local_addr());
            let (stream, peer) = socket.accept().await?;
            eprintln!("connection from {peer}");
            (socket, stream)
        }
        [host, port] => {
            let mut found = tokio::net::lookup_host((host, port.parse()?)).await?;
            let remote = found.next().ok_or("no address")?;
            let any = if remote.is_ipv4() {
                "0.0.0.0:0"
            } else {
                "[::]:0"
            };
            let socket = UtpSocket::bind_with(any.parse()?, options).await?;
            let stream = socket.connect(remote).await?;
            (socket, stream)
        }
        _ => return Err("usage: async_ucat -l -p PORT | async_ucat HOST PORT".into()),
    };
    let (mut from_peer, mut to_peer) = stream.into_split();
    let send = async {
        copy(&mut stdin(), &mut to_peer).await?;
        to_peer.shutdown().await
    };
    let recv = async {
        copy(&mut from_peer, &mut stdout()).await?;
        stdout().flush().await
    };
    tokio::try_join!(send, recv)?;
    drop((from_peer, to_peer));
    socket.close().await; // the last ACK leaves before the runtime stops
    Ok(())
}
