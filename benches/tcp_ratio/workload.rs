//! The two servers and the two workloads, and one workload run against one server.

use crate::tcp_echo::{self, HarkServer, MioServer};
use std::net::{SocketAddr, TcpStream};

/// Bytes in one bulk operation.
pub const MIB: usize = 1024 * 1024;
/// Bytes echoed in one timed bulk round.
pub const BULK_PER_ROUND: usize = 16 * MIB;
/// Round trips in one timed ping-pong round.
pub const PINGS_PER_ROUND: usize = 2_000;

/// Which echo server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// The notifier echo on a `Reactor`.
    HarkNotify,
    /// The hand-written mio loop.
    MioByHand,
}

impl Server {
    /// Both, in report order.
    pub const ALL: [Server; 2] = [Server::HarkNotify, Server::MioByHand];

    /// Its name in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Server::HarkNotify => tcp_echo::NAMES[0],
            Server::MioByHand => tcp_echo::NAMES[1],
        }
    }

    /// The server's thread name (for its CPU time).
    pub fn thread(self) -> &'static str {
        match self {
            Server::HarkNotify => "hark-notify",
            Server::MioByHand => "mio-by-hand",
        }
    }

    /// The function callgrind collects in (the server loop).
    pub fn loop_function(self) -> &'static str {
        match self {
            Server::HarkNotify => "*serve_hark_notify",
            Server::MioByHand => "*serve_mio_by_hand",
        }
    }

    /// Parses [`Server::name`].
    pub fn parse(name: &str) -> Option<Server> {
        Server::ALL.into_iter().find(|server| server.name() == name)
    }
}

/// What the client does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Bulk echo: one operation is a MiB sent and echoed back.
    Bulk,
    /// One operation is a 1-byte round trip.
    PingPong,
}

impl Workload {
    /// Both, in report order.
    pub const ALL: [Workload; 2] = [Workload::Bulk, Workload::PingPong];

    /// Its name in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Bulk => "tcp_bulk_echo",
            Workload::PingPong => "tcp_ping_pong",
        }
    }

    /// The unit of one operation.
    pub fn unit(self) -> &'static str {
        match self {
            Workload::Bulk => "MiB",
            Workload::PingPong => "round trip",
        }
    }

    /// Operations in one timed wall-clock round.
    pub fn ops_per_round(self) -> usize {
        match self {
            Workload::Bulk => BULK_PER_ROUND / MIB,
            Workload::PingPong => PINGS_PER_ROUND,
        }
    }

    /// Parses [`Workload::name`].
    pub fn parse(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }
}

/// A client connection to one server, with its buffers.
pub struct Client {
    stream: TcpStream,
    out: Vec<u8>,
    back: Vec<u8>,
}

impl Client {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> Client {
        Client {
            stream: tcp_echo::client(addr),
            out: vec![0x5a; tcp_echo::CHUNK],
            back: vec![0; tcp_echo::CHUNK],
        }
    }

    /// Runs `ops` operations of `workload`.
    pub fn run(&mut self, workload: Workload, ops: usize) {
        match workload {
            Workload::Bulk => {
                tcp_echo::bulk_echo(&mut self.stream, ops * MIB, &self.out, &mut self.back);
            }
            Workload::PingPong => {
                for _ in 0..ops {
                    tcp_echo::ping_pong(&mut self.stream);
                }
            }
        }
    }
}

/// Both servers running.
pub struct Servers {
    hark: HarkServer,
    mio: MioServer,
}

impl Servers {
    /// Starts both.
    pub fn spawn() -> Servers {
        Servers {
            hark: HarkServer::spawn(),
            mio: MioServer::spawn(),
        }
    }

    /// Where `server` listens.
    pub fn addr(&self, server: Server) -> SocketAddr {
        match server {
            Server::HarkNotify => self.hark.addr,
            Server::MioByHand => self.mio.addr,
        }
    }
}

/// Starts only `server`, runs `ops` operations of `workload` against it, and stops it: the
/// child process that callgrind measures.
pub fn run_alone(server: Server, workload: Workload, ops: usize) {
    match server {
        Server::HarkNotify => {
            let running = HarkServer::spawn();
            Client::connect(running.addr).run(workload, ops);
        }
        Server::MioByHand => {
            let running = MioServer::spawn();
            Client::connect(running.addr).run(workload, ops);
        }
    }
}
