//! Connecting: attempts counted down, first success wins, all failing fails.

use crate::util::{expect_msg, refusing_addr};
use hark::tcp::{Reactor, TcpConfig, TcpConn, TcpConnection, TcpListener, TcpNotify};
use std::io;
use std::net::SocketAddr;
use std::sync::mpsc::{self, Sender};

/// Records the connect-side calls as text and reports the outcome.
struct Recorder {
    log: Vec<String>,
    done: Sender<Vec<String>>,
}

impl Recorder {
    fn finish(&mut self, last: &str) {
        self.log.push(last.to_owned());
        let _ = self.done.send(std::mem::take(&mut self.log));
    }
}

impl TcpNotify for Recorder {
    fn proxy_via(&mut self, host: &str, service: &str) -> (String, String) {
        self.log.push(format!("proxy_via({host}, {service})"));
        (host.to_owned(), service.to_owned())
    }
    fn connecting(&mut self, _conn: &mut TcpConn<'_>, count: usize) {
        self.log.push(format!("connecting({count})"));
    }
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        let peer = conn.peer_addr().expect("a connected peer");
        self.finish(&format!("connected to {}", peer.ip()));
        conn.hard_close();
    }
    fn connect_failed(&mut self, _conn: &mut TcpConn<'_>) {
        self.finish("connect_failed");
    }
}

/// A resolver that maps `dual.test` to the given addresses and fails for anything else.
fn resolver(addrs: Vec<SocketAddr>) -> impl Fn(&str, &str) -> io::Result<Vec<SocketAddr>> {
    move |host, _service| match host {
        "dual.test" => Ok(addrs.clone()),
        _ => Err(io::Error::new(io::ErrorKind::NotFound, "no such host")),
    }
}

fn connect_log(addrs: Vec<SocketAddr>, host: &str) -> Vec<String> {
    let reactor = Reactor::with_resolver(TcpConfig::default(), resolver(addrs))
        .unwrap()
        .into_thread()
        .unwrap();
    let (done, logs) = mpsc::channel();
    let notify = Recorder {
        log: Vec::new(),
        done,
    };
    TcpConnection::connect(reactor.handle(), host, "0", notify).unwrap();
    expect_msg(&logs, "the connect outcome")
}

#[test]
fn one_refusing_one_listening_address_counts_down_then_connects() {
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let listener = TcpListener::bind(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        |_peer| -> Option<Box<dyn TcpNotify>> {
            Some(Box::new(|_: &mut TcpConn<'_>, _: &[u8], _| true))
        },
    )
    .unwrap();
    let port = listener.local_addr().port();
    // 127.0.0.2 is loopback too, but nothing listens there on this port: it refuses.
    let refusing = SocketAddr::from(([127, 0, 0, 2], port));
    let log = connect_log(vec![refusing, listener.local_addr()], "dual.test");
    assert_eq!(
        log,
        [
            "proxy_via(dual.test, 0)",
            "connecting(2)",
            "connecting(1)",
            "connected to 127.0.0.1"
        ]
    );
}

#[test]
fn every_address_refusing_fails() {
    let addrs = vec![refusing_addr([127, 0, 0, 1]), refusing_addr([127, 0, 0, 1])];
    let log = connect_log(addrs, "dual.test");
    assert_eq!(
        log,
        [
            "proxy_via(dual.test, 0)",
            "connecting(2)",
            "connecting(1)",
            "connect_failed"
        ]
    );
}

#[test]
fn name_resolution_failing_fails_without_connecting() {
    let log = connect_log(Vec::new(), "nowhere.test");
    assert_eq!(log, ["proxy_via(nowhere.test, 0)", "connect_failed"]);
}

/// `proxy_via` rewrites the destination: the name asked for does not resolve, the proxy
/// does.
struct ViaProxy(Sender<String>);

impl TcpNotify for ViaProxy {
    fn proxy_via(&mut self, _host: &str, _service: &str) -> (String, String) {
        ("dual.test".into(), "0".into())
    }
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        let _ = self
            .0
            .send(format!("connected to {}", conn.peer_addr().unwrap()));
        conn.close();
    }
    fn connect_failed(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.0.send("connect_failed".into());
    }
}

#[test]
fn proxy_via_redirects_the_connection() {
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let listener = TcpListener::bind(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        |_peer| -> Option<Box<dyn TcpNotify>> {
            Some(Box::new(|_: &mut TcpConn<'_>, _: &[u8], _| true))
        },
    )
    .unwrap();
    let client =
        Reactor::with_resolver(TcpConfig::default(), resolver(vec![listener.local_addr()]))
            .unwrap()
            .into_thread()
            .unwrap();
    let (tx, rx) = mpsc::channel();
    TcpConnection::connect(client.handle(), "example.invalid", "443", ViaProxy(tx)).unwrap();
    assert_eq!(
        expect_msg(&rx, "connected"),
        format!("connected to {}", listener.local_addr())
    );
}

#[test]
fn the_system_resolver_finds_localhost() {
    let server = Reactor::spawn(TcpConfig::default()).unwrap();
    let listener = TcpListener::bind(
        server.handle(),
        "127.0.0.1:0".parse().unwrap(),
        |_peer| -> Option<Box<dyn TcpNotify>> {
            Some(Box::new(|_: &mut TcpConn<'_>, _: &[u8], _| true))
        },
    )
    .unwrap();
    let client = Reactor::spawn(TcpConfig::default()).unwrap();
    let (tx, rx) = mpsc::channel();
    let port = listener.local_addr().port().to_string();
    TcpConnection::connect(client.handle(), "localhost", &port, ViaLocalhost(tx)).unwrap();
    assert_eq!(expect_msg(&rx, "connected"), "connected");
}

struct ViaLocalhost(Sender<&'static str>);

impl TcpNotify for ViaLocalhost {
    fn connected(&mut self, conn: &mut TcpConn<'_>) {
        let _ = self.0.send("connected");
        conn.close();
    }
    fn connect_failed(&mut self, _conn: &mut TcpConn<'_>) {
        let _ = self.0.send("connect_failed");
    }
}
