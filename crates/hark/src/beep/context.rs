//! The BEEP context: the profile registry, the context-level handlers, connections and
//! listeners on hark's one reactor.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use hark_proto::beep::{Role, Session, SessionConfig};
use hark_reactor::stream::StreamNotify;
use hark_reactor::tcp::{ListenerHandle, TcpNotify};
use hark_reactor::{Reactor, ReactorConfig, ReactorHandle, ReactorThread};

use super::connection::{BeepError, Connection};
use super::core::{BeepCore, Driver};
use super::frame::Frame;
use super::handlers::{
    CloseRequest, ContextHandlers, Profile, StartRequest, close_handler, closed_handler,
    frame_handler, start_handler,
};
use super::sasl::{self, AuthDecision, AuthProps};
use super::tls::TlsSource;
use crate::tcp::SharedHub;
use crate::tcp::tls::{TlsNotify, TlsSwitch};

/// A BEEP session on a connection: the stream core, with TLS that starts in band.
type BeepNotify = TlsNotify<StreamNotify<BeepCore, Driver>>;

pub(crate) struct CtxInner {
    profiles: RwLock<HashMap<String, Profile>>,
    handlers: RwLock<ContextHandlers>,
    sasl: RwLock<Vec<String>>,
    hub: Option<SharedHub>,
    sasl_options: RwLock<sasl::SaslServerOptions>,
}

impl CtxInner {
    fn new(hub: Option<SharedHub>) -> Self {
        CtxInner {
            profiles: RwLock::new(HashMap::new()),
            handlers: RwLock::new(ContextHandlers::default()),
            sasl: RwLock::new(Vec::new()),
            hub,
            sasl_options: RwLock::default(),
        }
    }

    /// The registered profile `uri` (handlers are shared, so the clone is cheap).
    pub(crate) fn profile(&self, uri: &str) -> Option<Profile> {
        let profiles = self.profiles.read().unwrap_or_else(|e| e.into_inner());
        profiles.get(uri).cloned()
    }

    /// The context-level handlers.
    pub(crate) fn handlers(&self) -> ContextHandlers {
        self.handlers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// A BEEP context (Vortex's `VortexCtx`): profiles with their handlers, context-level
/// handlers, and the reactor its connections run on.
pub struct BeepContext {
    inner: Arc<CtxInner>,
    reactor: ReactorHandle,
    _thread: Option<Arc<ReactorThread>>,
}

impl std::fmt::Debug for BeepContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BeepContext").finish_non_exhaustive()
    }
}

impl BeepContext {
    /// A context on a reactor thread of its own (stopped when the context and every
    /// clone of its reactor thread are dropped).
    pub fn new() -> std::io::Result<Self> {
        let thread = Reactor::spawn(ReactorConfig::default())?;
        let reactor = thread.handle().clone();
        Ok(BeepContext {
            inner: Arc::new(CtxInner::new(None)),
            reactor,
            _thread: Some(Arc::new(thread)),
        })
    }

    /// A context on a running reactor (shared with other protocols), emitting every
    /// handler call into `hub` when given.
    pub fn on(reactor: ReactorHandle, hub: Option<SharedHub>) -> Self {
        BeepContext {
            inner: Arc::new(CtxInner::new(hub)),
            reactor,
            _thread: None,
        }
    }

    /// Emits every handler call into `hub` as a `beep_*` event (set before connecting).
    pub fn with_hub(mut self, hub: SharedHub) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.hub = Some(hub);
        }
        self
    }

    /// The reactor the context runs on.
    pub fn reactor(&self) -> &ReactorHandle {
        &self.reactor
    }

    /// Adds (or replaces) a profile in the registry.
    pub fn register(&self, profile: Profile) {
        let mut profiles = self
            .inner
            .profiles
            .write()
            .unwrap_or_else(|e| e.into_inner());
        profiles.insert(profile.uri.clone(), profile);
    }

    fn set(&self, f: impl FnOnce(&mut ContextHandlers)) {
        f(&mut self
            .inner
            .handlers
            .write()
            .unwrap_or_else(|e| e.into_inner()));
    }

    /// Context-level start handler, for profiles without one.
    pub fn on_start<T: Send + Sync + 'static>(
        &self,
        data: T,
        f: impl Fn(StartRequest, &Connection, &T) + Send + Sync + 'static,
    ) {
        self.set(|h| h.start = Some(start_handler(data, f)));
    }

    /// Context-level close handler, for channels and profiles without one.
    pub fn on_close<T: Send + Sync + 'static>(
        &self,
        data: T,
        f: impl Fn(CloseRequest, &Connection, &T) + Send + Sync + 'static,
    ) {
        self.set(|h| h.close = Some(close_handler(data, f)));
    }

    /// Context-level frame handler, for channels and profiles without one.
    pub fn on_frame<T: Send + Sync + 'static>(
        &self,
        data: T,
        f: impl Fn(&Connection, u32, &Frame, &T) + Send + Sync + 'static,
    ) {
        self.set(|h| h.frame = Some(frame_handler(data, f)));
    }

    /// The connection-closed handler: a broken connection (not an orderly release),
    /// called once per connection.
    pub fn on_connection_closed<T: Send + Sync + 'static>(
        &self,
        data: T,
        f: impl Fn(&Connection, &T) + Send + Sync + 'static,
    ) {
        self.set(|h| h.closed = Some(closed_handler(data, f)));
    }

    /// The common SASL auth handler (`sasl_auth_handler`), with user data: it decides
    /// every authentication a listener of this context serves.
    pub fn on_sasl_auth<T: Send + Sync + 'static>(
        &self,
        data: T,
        f: impl Fn(&Connection, &AuthProps, &T) -> AuthDecision + Send + Sync + 'static,
    ) {
        self.set(|h| h.auth = Some(Arc::new(move |conn, props| f(conn, props, &data))));
    }

    /// The SASL auth notification (`sasl_status`), with user data: success, then the
    /// identity or the failure reason; on both sides.
    pub fn on_sasl_status<T: Send + Sync + 'static>(
        &self,
        data: T,
        f: impl Fn(&Connection, bool, &str, &T) + Send + Sync + 'static,
    ) {
        self.set(|h| {
            h.auth_notify = Some(Arc::new(move |conn, ok, text| f(conn, ok, text, &data)))
        });
    }

    /// The TLS accept handler (`tls_accept_handler`), with user data: asked with the
    /// `serverName` of each TLS request a listener of this context gets; `false`
    /// refuses it (the peer gets an error and the session stays in plaintext). Without
    /// one, every request is accepted.
    pub fn on_tls_accept<T: Send + Sync + 'static>(
        &self,
        data: T,
        f: impl Fn(&Connection, Option<&str>, &T) -> bool + Send + Sync + 'static,
    ) {
        self.set(|h| h.tls_accept = Some(Arc::new(move |conn, name| f(conn, name, &data))));
    }

    /// The TLS certificate location handler (`tls_cert_handler`), with user data: the
    /// certificate chain to present for a `serverName`. Listeners of this context offer
    /// TLS once it is set (sessions accepted afterwards).
    pub fn on_tls_certificate<T: Send + Sync + 'static>(
        &self,
        data: T,
        f: impl Fn(&Connection, Option<&str>, &T) -> Option<TlsSource> + Send + Sync + 'static,
    ) {
        self.set(|h| h.tls_cert = Some(Arc::new(move |conn, name| f(conn, name, &data))));
    }

    /// The TLS key location handler (`tls_key_handler`), with user data: the private key
    /// that goes with the certificate for a `serverName`.
    pub fn on_tls_key<T: Send + Sync + 'static>(
        &self,
        data: T,
        f: impl Fn(&Connection, Option<&str>, &T) -> Option<TlsSource> + Send + Sync + 'static,
    ) {
        self.set(|h| h.tls_key = Some(Arc::new(move |conn, name| f(conn, name, &data))));
    }

    /// Certificate and key handlers that always give `cert` and `key`.
    pub fn tls_credentials(&self, cert: TlsSource, key: TlsSource) {
        self.on_tls_certificate(cert, |_, _, cert| Some(cert.clone()));
        self.on_tls_key(key, |_, _, key| Some(key.clone()));
    }

    /// The TLS status notification (`tls_notify`), with user data: on both sides, the
    /// outcome of each TLS tuning (success, or why it failed or was refused).
    pub fn on_tls_status<T: Send + Sync + 'static>(
        &self,
        data: T,
        f: impl Fn(&Connection, bool, &str, &T) + Send + Sync + 'static,
    ) {
        self.set(|h| h.tls_notify = Some(Arc::new(move |conn, ok, text| f(conn, ok, text, &data))));
    }

    /// Offers these SASL mechanisms (of [`sasl::MECHANISMS`]) on listeners' sessions
    /// accepted afterwards; the auth handler decides.
    pub fn offer_sasl(&self, mechanisms: &[&str]) {
        let mut offered = self.inner.sasl.write().unwrap_or_else(|e| e.into_inner());
        *offered = mechanisms
            .iter()
            .filter(|m| sasl::MECHANISMS.contains(m))
            .map(|m| (*m).to_owned())
            .collect();
    }

    /// Also offers these obsolete mechanisms (of [`sasl::LEGACY_MECHANISMS`]: CRAM-MD5,
    /// DIGEST-MD5; RFC 6331), which `offer_sasl` leaves off. Call it after `offer_sasl`.
    pub fn offer_legacy_sasl(&self, mechanisms: &[&str]) {
        let mut offered = self.inner.sasl.write().unwrap_or_else(|e| e.into_inner());
        for m in mechanisms {
            if sasl::LEGACY_MECHANISMS.contains(m) && !offered.iter().any(|o| o == m) {
                offered.push((*m).to_owned());
            }
        }
    }

    /// The realm, service and host the server mechanisms use, and SCRAM's iteration
    /// count, for listeners' sessions accepted afterwards.
    pub fn set_sasl_options(&self, options: sasl::SaslServerOptions) {
        *self
            .inner
            .sasl_options
            .write()
            .unwrap_or_else(|e| e.into_inner()) = options;
    }

    fn session_config(&self, role: Role) -> SessionConfig {
        let profiles = self
            .inner
            .profiles
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let mut uris: Vec<_> = profiles.values().collect();
        uris.sort_by(|a, b| a.uri.cmp(&b.uri));
        let mut config = SessionConfig::new(role);
        if role == Role::Listener && self.inner.handlers().tls_cert.is_some() {
            config = config.tls(true);
        }
        if role == Role::Listener {
            config.sasl_mechanisms = self
                .inner
                .sasl
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
        }
        for p in uris {
            config = match p.window {
                Some(w) => config.profile_with_window(p.uri.clone(), w),
                None => config.profile(p.uri.clone()),
            };
        }
        config
    }

    fn notifier(&self, role: Role) -> (Connection, BeepNotify) {
        let (conn, cmds) = Connection::new(self.inner.hub.clone());
        let config = self.session_config(role);
        let offers_sasl = !config.sasl_mechanisms.is_empty();
        let mut session = Session::new(Instant::now(), config);
        if offers_sasl {
            let (ctx, sasl_conn) = (self.inner.clone(), conn.clone());
            session.set_sasl_server(Box::new(sasl::Factory::new(move |name, server_name| {
                let handler = ctx.handlers().auth;
                let options = ctx
                    .sasl_options
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                sasl::server(name, server_name, sasl_conn.clone(), handler, &options)
            })));
        }
        let switch = TlsSwitch::new();
        let core = BeepCore::new(
            session,
            cmds,
            conn.clone(),
            self.inner.clone(),
            switch.clone(),
        );
        (
            conn,
            TlsNotify::deferred(switch, StreamNotify::new(core, Driver)),
        )
    }

    /// Connects to `addr` as the initiator and waits for the greetings (Vortex's
    /// `vortex_connection_new`).
    pub fn connect(&self, addr: SocketAddr, timeout: Duration) -> Result<Connection, BeepError> {
        let (conn, notify) = self.notifier(Role::Initiator);
        let tcp = self
            .reactor
            .connect_addrs(vec![addr], notify)
            .map_err(|e| BeepError::Connect(e.to_string()))?;
        let _ = conn.inner.tcp.set(tcp);
        *conn.inner.peer.lock().unwrap_or_else(|e| e.into_inner()) = Some(addr);
        conn.wait_ready(timeout)?;
        Ok(conn)
    }

    /// Listens on `addr`; every accepted connection runs a listener session with the
    /// context's profiles and handlers.
    pub fn listen(&self, addr: SocketAddr) -> Result<Listener, BeepError> {
        let ctx = BeepContext {
            inner: self.inner.clone(),
            reactor: self.reactor.clone(),
            _thread: None,
        };
        let accept = move |peer: SocketAddr| {
            let (conn, notify) = ctx.notifier(Role::Listener);
            *conn.inner.peer.lock().unwrap_or_else(|e| e.into_inner()) = Some(peer);
            Some(Box::new(notify) as Box<dyn TcpNotify>)
        };
        let handle = self
            .reactor
            .listen(addr, accept, None)
            .map_err(|e| BeepError::Connect(e.to_string()))?;
        Ok(Listener { handle })
    }
}

/// A listening socket of a [`BeepContext`].
#[derive(Debug)]
pub struct Listener {
    handle: ListenerHandle,
}

impl Listener {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// Stops listening (established connections stay).
    pub fn close(&self) {
        // A full command channel: the listener closes with the reactor.
        let _ = self.handle.close();
    }
}
