//! [`ClientBuilder`] and [`Client`]: settings and callbacks, sockets bound, the reactor
//! thread started.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hark_proto::ipfilter::IpFilter;
use hark_proto::utp::EndpointConfig;
use hark_reactor::udp::{BatchSocket, UdpConfig};
use hark_reactor::{Reactor, ReactorConfig, ReactorThread};
use rand_core::{Rng, SeedableRng};

use super::disk_port::{DiskPort, EngineSlot};
use super::engine::{Engine, EngineSettings};
use super::handle::{ClientHandle, Inner};
use super::listen::{FamilySockets, bind_family};
use super::shared::{Shared, Wiring, lock};
use super::status::ClientStatus;
use super::tcp::PeerListener;
use super::types::{ClientError, Transports};
use super::utp::{UtpCore, context};
use crate::bittorrent::disk::DiskConfig;
use crate::events::{Event, EventHub, Kind, Protocol, Severity};
use std::path::PathBuf;

/// A registration waiting for the client's handle.
type Pending = Box<dyn FnOnce(&ClientHandle) + Send>;

/// Settings and callbacks of a [`Client`]; [`ClientBuilder::build`] binds the sockets and
/// starts the reactor thread.
///
/// Defaults: ports 6881–6889, IPv4 on `0.0.0.0` and IPv6 on `::`, uTP first with TCP
/// fallback, a random `-HK0001-` peer id, no IP filter, every event down to `debug`,
/// 100 peers per torrent, 4 MiB of received blocks held per torrent while its disk
/// queue is full ([`ClientBuilder::queued_write_bytes`]), a uTP connect timeout of 3 s
/// (one SYN retry) before the TCP fallback, a stop timeout of 2 s.
pub struct ClientBuilder {
    ports: Vec<u16>,
    ipv4: Option<Ipv4Addr>,
    ipv6: Option<Ipv6Addr>,
    transports: Transports,
    peer_id: Option<[u8; 20]>,
    ip_filter: Option<Arc<IpFilter>>,
    min_severity: Severity,
    max_peers: usize,
    queued_write_bytes: usize,
    utp: EndpointConfig,
    disk: DiskConfig,
    resume_dir: Option<PathBuf>,
    stop_timeout: Duration,
    utp_events: bool,
    pending: Vec<Pending>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("ports", &self.ports)
            .field("ipv4", &self.ipv4)
            .field("ipv6", &self.ipv6)
            .field("transports", &self.transports)
            .field("callbacks", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        let mut utp = EndpointConfig::default();
        // 1 s, then 2 s: a peer without uTP costs 3 s before TCP is tried.
        utp.connection.syn_retries = 1;
        ClientBuilder {
            ports: (6881..=6889).collect(),
            ipv4: Some(Ipv4Addr::UNSPECIFIED),
            ipv6: Some(Ipv6Addr::UNSPECIFIED),
            transports: Transports::UtpFirst,
            peer_id: None,
            ip_filter: None,
            min_severity: Severity::Debug,
            max_peers: 100,
            queued_write_bytes: 4 << 20,
            utp,
            disk: DiskConfig::default(),
            resume_dir: None,
            stop_timeout: Duration::from_secs(2),
            utp_events: false,
            pending: Vec::new(),
        }
    }
}

impl ClientBuilder {
    /// The ports to listen on, tried in order; the first where TCP and UDP both bind wins
    /// (per address family). Port 0: any free port.
    #[must_use]
    pub fn ports(mut self, ports: RangeInclusive<u16>) -> Self {
        self.ports = ports.collect();
        self
    }

    /// The ports to listen on, as a list.
    #[must_use]
    pub fn port_list(mut self, ports: impl IntoIterator<Item = u16>) -> Self {
        self.ports = ports.into_iter().collect();
        self
    }

    /// The IPv4 address to listen on (`None`: no IPv4).
    #[must_use]
    pub fn ipv4(mut self, ip: Option<Ipv4Addr>) -> Self {
        self.ipv4 = ip;
        self
    }

    /// The IPv6 address to listen on (`None`: no IPv6).
    #[must_use]
    pub fn ipv6(mut self, ip: Option<Ipv6Addr>) -> Self {
        self.ipv6 = ip;
        self
    }

    /// Which transports outgoing connections use.
    #[must_use]
    pub fn transports(mut self, transports: Transports) -> Self {
        self.transports = transports;
        self
    }

    /// Our 20-byte peer id.
    #[must_use]
    pub fn peer_id(mut self, peer_id: [u8; 20]) -> Self {
        self.peer_id = Some(peer_id);
        self
    }

    /// The IP filter applied to incoming and outgoing connections over every transport
    /// (`ip_filter` events; a callback returning `Verdict::Allow` lets the peer through).
    #[must_use]
    pub fn ip_filter(mut self, filter: IpFilter) -> Self {
        self.ip_filter = Some(Arc::new(filter));
        self
    }

    /// The least severity of the events callbacks receive (default `debug`: all).
    #[must_use]
    pub fn min_severity(mut self, severity: Severity) -> Self {
        self.min_severity = severity;
        self
    }

    /// Most peers per torrent.
    #[must_use]
    pub fn max_peers(mut self, max_peers: usize) -> Self {
        self.max_peers = max_peers.max(1);
        self
    }

    /// Bytes of received blocks a torrent holds in memory while its disk queue is full
    /// (written as disk jobs finish); a block beyond it is dropped and requested again.
    /// Default 4 MiB (see `TorrentConfig::max_queued_write_bytes` in hark-proto).
    #[must_use]
    pub fn queued_write_bytes(mut self, bytes: usize) -> Self {
        self.queued_write_bytes = bytes;
        self
    }

    /// The uTP endpoint's settings (the connect timeout is
    /// `initial_rto * (2^(syn_retries + 1) - 1)`).
    #[must_use]
    pub fn utp_config(mut self, config: EndpointConfig) -> Self {
        self.utp = config;
        self
    }

    /// The disk pool's settings (threads, write cache, open files, allocation).
    #[must_use]
    pub fn disk_config(mut self, config: DiskConfig) -> Self {
        self.disk = config;
        self
    }

    /// Keeps fast-resume files in `dir` (one per torrent, named by info hash): a torrent
    /// added again whose files did not change starts from them instead of re-hashing its
    /// data. Written when a torrent finishes, is paused, is removed with its data kept,
    /// and when the client shuts down. Without it (the default), every torrent's data is
    /// re-checked when added.
    #[must_use]
    pub fn resume_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.resume_dir = Some(dir.into());
        self
    }

    /// How long a torrent's `stopped` announces may take (they go to every tracker that
    /// took an announce when it is paused or removed, and when the client shuts down)
    /// before they are abandoned. Dropping the [`Client`] (or [`Client::shutdown`]) waits
    /// at most this long for them and for the resume files, then stops regardless, so a
    /// dead tracker never hangs it. Default 2 s.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use hark::bittorrent::Client;
    ///
    /// let client = Client::builder()
    ///     .ipv4(Some(std::net::Ipv4Addr::LOCALHOST))
    ///     .ipv6(None)
    ///     .port_list([0])
    ///     .stop_timeout(Duration::from_millis(500))
    ///     .build()?;
    /// let started = Instant::now();
    /// drop(client);
    /// assert!(started.elapsed() < Duration::from_secs(2));
    /// # Ok::<(), hark::bittorrent::ClientError>(())
    /// ```
    #[must_use]
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Whether the uTP transport's own events, the `utp_*` kinds (`utp_accept`,
    /// `utp_connect`, `utp_writable`, `utp_eof`, `utp_closed`, `utp_failed`,
    /// `utp_delay_sample`, `utp_packets`, `utp_log`, ...), reach the client's callbacks
    /// ([`ClientHandle::on`] with their kind, or [`ClientHandle::on_event`]). Off by
    /// default. When on, each kind is built only while a callback wants it; `utp_packets`,
    /// `utp_packet_header` and `utp_log` cost something per packet. Their connection ids
    /// are the uTP contexts' own, not those of the client's `peer_*` events.
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// use std::sync::{Arc, Mutex};
    /// use std::time::{Duration, Instant};
    /// use hark::bittorrent::{AddTorrent, Client};
    /// use hark::events::{Protocol, UtpAccept};
    /// use hark_wire::bt::bencode::OwnedValue;
    ///
    /// let loopback = || Client::builder().ipv4(Some(Ipv4Addr::LOCALHOST)).ipv6(None).port_list([0]);
    /// let accepted = Arc::new(Mutex::new(Vec::new()));
    /// let seen = Arc::clone(&accepted);
    /// let listener = loopback()
    ///     .utp_events(true)
    ///     .on::<UtpAccept, _, _>(move |_client, _event, accept| seen.lock().unwrap().push(accept.peer))
    ///     .build()?;
    ///
    /// // Another client dials it over uTP for a torrent of its own.
    /// let info = OwnedValue::dict()
    ///     .with("length", OwnedValue::Integer(1))
    ///     .with("name", OwnedValue::string("one.bin"))
    ///     .with("piece length", OwnedValue::Integer(16_384))
    ///     .with("pieces", OwnedValue::Bytes(vec![0; 20]));
    /// let torrent = OwnedValue::dict().with("info", info).to_vec();
    /// let dir = std::env::temp_dir().join(format!("hark-utp-events-doc-{}", std::process::id()));
    /// let dialer = loopback().build()?;
    /// let peer = listener.local_addr(Protocol::Udp4).unwrap();
    /// dialer.add_torrent(AddTorrent::from_bytes(&torrent, &dir)?.peers([peer]))?;
    ///
    /// let deadline = Instant::now() + Duration::from_secs(30);
    /// while accepted.lock().unwrap().is_empty() && Instant::now() < deadline {
    ///     std::thread::sleep(Duration::from_millis(10));
    /// }
    /// let dialer_port = dialer.local_addr(Protocol::Udp4).unwrap().port();
    /// assert_eq!(accepted.lock().unwrap().first().map(|a| a.port()), Some(dialer_port));
    /// # drop((listener, dialer));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn utp_events(mut self, on: bool) -> Self {
        self.utp_events = on;
        self
    }

    /// Sets a callback for every event of kind `K` (see [`ClientHandle::on`]).
    #[must_use]
    pub fn on<K, R, F>(mut self, f: F) -> Self
    where
        K: Kind,
        R: Into<K::Reply>,
        F: FnMut(&ClientHandle, &Event, &K) -> R + Send + 'static,
    {
        self.pending.push(Box::new(move |handle: &ClientHandle| {
            handle.on::<K, R, F>(f);
        }));
        self
    }

    /// Sets a callback for every event.
    #[must_use]
    pub fn on_event<F>(mut self, f: F) -> Self
    where
        F: FnMut(&ClientHandle, &Event) + Send + 'static,
    {
        self.pending.push(Box::new(move |handle: &ClientHandle| {
            handle.on_event(f);
        }));
        self
    }

    /// Binds the sockets (`listen_success` / `listen_failure` reach the callbacks, on this
    /// thread) and starts the reactor thread.
    pub fn build(self) -> Result<Client, ClientError> {
        let mut reactor = Reactor::new(ReactorConfig::default())?;
        let mut hub = EventHub::builder()
            .min_severity(self.min_severity)
            .listeners_only(true)
            .build();
        hub.set_ip_filter(self.ip_filter.clone());
        let inner = Arc::new(Inner {
            reactor: reactor.handle(),
            socket: OnceLock::new(),
            reactor_thread: OnceLock::new(),
            listening: OnceLock::new(),
            status: Mutex::new(empty_status(&[])),
            status_version: AtomicU64::new(0),
            status_changed: Condvar::new(),
            registry: Mutex::new(HashMap::new()),
            next_torrent: AtomicU64::new(1),
            registrar: hub.registrar(),
        });
        let handle = ClientHandle {
            inner: Arc::clone(&inner),
        };
        // Registered before binding, so `listen_success` / `listen_failure` reach them.
        for registration in self.pending {
            registration(&handle);
        }
        let hub = Arc::new(Mutex::new(hub));
        let mut families: [Option<FamilySockets>; 2] = [None, None];
        let mut last_error = std::io::ErrorKind::InvalidInput;
        let ips = [self.ipv4.map(IpAddr::V4), self.ipv6.map(IpAddr::V6)];
        for (family, ip) in ips.into_iter().enumerate() {
            let Some(ip) = ip else { continue };
            match bind_family(&mut lock(&hub), ip, &self.ports) {
                Ok(sockets) => families[family] = Some(sockets),
                Err(error) => last_error = error,
            }
        }
        if families.iter().all(Option::is_none) {
            return Err(ClientError::Listen {
                ports: self.ports,
                error: last_error,
            });
        }
        let mut listening = Vec::new();
        for sockets in families.iter().flatten() {
            let (tcp, udp) = if sockets.tcp_addr.is_ipv4() {
                (Protocol::Tcp4, Protocol::Udp4)
            } else {
                (Protocol::Tcp6, Protocol::Udp6)
            };
            listening.push((tcp, sockets.tcp_addr));
            listening.push((udp, sockets.udp_addr));
        }
        let _ = inner.listening.set(listening.clone());
        *lock(&inner.status) = empty_status(&listening);

        // uTP contexts for the bound families.
        let notes = Arc::new(Mutex::new(VecDeque::new()));
        let mut utp: [Option<Mutex<crate::utp::UtpContext>>; 2] = [None, None];
        for (family, sockets) in families.iter().enumerate() {
            if sockets.is_some() {
                utp[family] = Some(Mutex::new(context(
                    family,
                    Arc::clone(&notes),
                    Arc::clone(&hub),
                    self.utp.clone(),
                )));
            }
        }
        let wiring = Arc::new(Wiring {
            utp,
            hub: Arc::clone(&hub),
            notes,
            dirty: Arc::new([AtomicBool::new(false), AtomicBool::new(false)]),
            reactor: reactor.handle(),
            inner: Arc::clone(&inner),
            primary: usize::from(families[0].is_none()),
            http_due: Arc::new(AtomicBool::new(false)),
        });
        let mut seed_rng = rand_pcg::Pcg64::seed_from_u64(entropy());
        let peer_id = self
            .peer_id
            .unwrap_or_else(|| random_peer_id(&mut seed_rng));
        let own: Vec<SocketAddr> = listening.iter().map(|(_, a)| *a).collect();
        let settings = EngineSettings {
            peer_id,
            transports: self.transports,
            listen_port: own.first().map(SocketAddr::port),
            own,
            seed: seed_rng.next_u64(),
            max_peers: self.max_peers,
            stop_timeout: self.stop_timeout,
            utp_events: self.utp_events,
            max_queued_write_bytes: self.queued_write_bytes,
        };
        let slot: EngineSlot = Arc::new(OnceLock::new());
        if let Some(dir) = &self.resume_dir {
            std::fs::create_dir_all(dir)?;
        }
        let disk = DiskPort::new(
            &reactor.handle(),
            self.disk,
            self.resume_dir,
            Arc::clone(&slot),
        )?;
        let shared = Arc::new_cyclic(|weak| Shared {
            engine: Mutex::new(Engine::new(
                Arc::clone(&wiring),
                weak.clone(),
                settings,
                disk,
            )),
            wiring: Arc::clone(&wiring),
        });
        let _ = slot.set(Arc::downgrade(&shared));

        // Sockets onto the reactor: UDP with the uTP cores (the first carries the
        // engine's timers and commands), TCP listeners.
        let epoch = Instant::now();
        let mut primary = true;
        for (family, sockets) in families.into_iter().enumerate() {
            let Some(sockets) = sockets else { continue };
            let udp = BatchSocket::from_std(sockets.udp, &UdpConfig::DEFAULT)?;
            let core = UtpCore {
                shared: Arc::clone(&shared),
                family,
                primary,
                epoch,
            };
            let id = reactor
                .add_socket(udp, core)
                .map_err(|e| ClientError::Io(std::io::Error::other(e.to_string())))?;
            if primary {
                let _ = inner.socket.set(id);
            }
            let tracker = lock(&shared.engine).tracker.udp_core(sockets.udp_addr);
            reactor
                .add_core(id, tracker)
                .ok_or_else(|| ClientError::Io(std::io::Error::other("UDP socket gone")))?;
            primary = false;
            let listener = PeerListener {
                shared: Arc::clone(&shared),
            };
            reactor
                .handle()
                .listen_on(sockets.tcp, listener, None)
                .map_err(|e| ClientError::Io(std::io::Error::other(e.to_string())))?;
        }
        let thread_inner = Arc::clone(&inner);
        reactor
            .handle()
            .with_reactor(move |_, _| {
                let _ = thread_inner.reactor_thread.set(std::thread::current().id());
            })
            .map_err(|_| ClientError::Busy)?;
        let thread = reactor.into_thread()?;
        Ok(Client {
            handle,
            thread: Some(thread),
            hub,
            stop_timeout: self.stop_timeout,
        })
    }
}

fn empty_status(listening: &[(Protocol, SocketAddr)]) -> ClientStatus {
    ClientStatus {
        torrents: Vec::new(),
        connections: 0,
        download_rate: 0,
        upload_rate: 0,
        listening: listening.to_vec(),
    }
}

/// Some entropy for the peer id and the engines' RNG seeds (not for cryptography).
fn entropy() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// `-HK0001-` and twelve random characters.
fn random_peer_id(rng: &mut impl Rng) -> [u8; 20] {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut id = *b"-HK0001-000000000000";
    for byte in &mut id[8..] {
        *byte = ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()];
    }
    id
}

/// A BitTorrent client on one reactor thread (see the [module docs](super)). Derefs to
/// its [`ClientHandle`]; dropping it shuts it down as [`Client::shutdown`] does.
pub struct Client {
    handle: ClientHandle,
    thread: Option<ReactorThread>,
    hub: Arc<Mutex<EventHub>>,
    stop_timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder with the defaults.
    #[must_use]
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A handle for callbacks and other threads.
    #[must_use]
    pub fn handle(&self) -> ClientHandle {
        self.handle.clone()
    }

    /// Shuts the client down: closes every connection, tells the trackers `stopped`,
    /// writes the resume files (with a [`resume_dir`](ClientBuilder::resume_dir)), waiting
    /// at most [`ClientBuilder::stop_timeout`] for the trackers and the files; then stops
    /// the reactor thread and waits for it.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let on_reactor =
                self.handle.inner.reactor_thread.get() == Some(&std::thread::current().id());
            if !on_reactor {
                let (done, finished) = std::sync::mpsc::sync_channel(1);
                let queued = self
                    .handle
                    .command(move |engine, now| engine.begin_shutdown(now, done));
                if queued.is_ok() {
                    // A closed channel (the engine went away) ends the wait too.
                    let _ = finished.recv_timeout(self.stop_timeout);
                }
            }
            let _ = thread.shutdown();
        }
        // Callbacks hold handles; drop them so nothing outlives the client by accident.
        *lock(&self.hub) = EventHub::new();
    }
}

impl std::ops::Deref for Client {
    type Target = ClientHandle;

    fn deref(&self) -> &ClientHandle {
        &self.handle
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.stop();
    }
}
