//! `hark beep`: a BEEP listener and sender for scripting and interop, like Vortex's
//! `vortex-client`.
//!
//! - `hark beep listen [-l ADDR] -p PORT [--profile URI[=echo|silent|deny]]...` serves the
//!   profiles (echo: every MSG answered by an RPY with the same payload; silent: the
//!   channel is accepted and MSGs never answered; deny: the start refused with 421; a
//!   profile not listed gets 554). It runs until killed and logs each session on stderr.
//! - `hark beep send HOST PORT --profile URI [--count N] [--size BYTES] [FILE|-]` opens a
//!   session, starts a channel, sends FILE cut into MSGs of BYTES (or N generated MSGs of
//!   BYTES each), writes each reply's body (after its MIME headers) to stdout, closes the
//!   channel and the session, and exits 0 only if every MSG was answered by an RPY.
//! - SASL: `listen --sasl-user USER:PASSWORD...` offers SCRAM-SHA-256 and PLAIN (and,
//!   with `--legacy-sasl`, CRAM-MD5 and DIGEST-MD5) for these users; `--anonymous
//!   TOKEN...` offers ANONYMOUS; `--external AUTHZID...` offers EXTERNAL for these
//!   authorization identities. `send --sasl MECH --user U --password P`, `--anonymous
//!   TOKEN` or `--external AUTHZID` authenticates before starting the channel (a failure
//!   exits non-zero); CRAM-MD5 and DIGEST-MD5 need `--legacy-sasl` there too.
//! - TLS: `listen --tls CERT KEY` offers TLS tuning with that certificate chain and key
//!   (PEM files); `send --tls [--ca FILE | --insecure]` tunes the session with TLS first
//!   (before SASL), trusting FILE, nothing (`--insecure`), or the system's CA bundle.

use std::io::{Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use clap::{Args, Subcommand};
use hark::beep::sasl::{
    Anonymous, AuthDecision, CramMd5Client, DEFAULT_ITERATIONS, DigestMd5Client, ExternalClient,
    OsRng, Plain, SaslClient, ScramSha256Client, scram_credentials,
};
use hark::beep::tls::{self, ClientTrust, TlsSource};
use hark::beep::{Answer, BeepContext, BeepError, ChannelHandlers, FrameType, Profile, ReplyKind};

/// The CA bundle `send --tls` trusts without `--ca` (Debian's `ca-certificates`).
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Receive window of the profiles `hark beep` serves and uses.
const WINDOW: u32 = 1 << 20;

/// `hark beep` subcommands.
#[derive(Debug, Subcommand)]
pub enum BeepCommand {
    /// Serve profiles until killed.
    Listen(ListenArgs),
    /// Send messages on one channel and print the replies.
    Send(SendArgs),
}

/// `hark beep listen` flags.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Local address to listen on.
    #[arg(short = 'l', value_name = "ADDR", default_value = "0.0.0.0")]
    addr: std::net::IpAddr,
    /// Local port (0: any free one, printed on stderr).
    #[arg(short = 'p', value_name = "PORT")]
    port: u16,
    /// A profile to serve and how: URI[=echo|silent|deny] (echo by default).
    #[arg(long = "profile", value_name = "URI[=MODE]", required = true)]
    profiles: Vec<String>,
    /// Offer SASL SCRAM-SHA-256 and PLAIN and accept this user (repeatable).
    #[arg(long = "sasl-user", value_name = "USER:PASSWORD")]
    sasl_users: Vec<String>,
    /// Also offer the obsolete CRAM-MD5 and DIGEST-MD5 (RFC 6331) for the SASL users.
    #[arg(long = "legacy-sasl")]
    legacy_sasl: bool,
    /// Offer SASL ANONYMOUS and accept this trace token (repeatable).
    #[arg(long = "anonymous", value_name = "TOKEN")]
    anonymous: Vec<String>,
    /// Offer SASL EXTERNAL and accept this authorization identity (repeatable).
    #[arg(long = "external", value_name = "AUTHZID")]
    external: Vec<String>,
    /// Offer TLS with this certificate chain and private key (PEM files).
    #[arg(long = "tls", num_args = 2, value_names = ["CERT", "KEY"])]
    tls: Option<Vec<std::path::PathBuf>>,
}

/// `hark beep send` flags.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The listener's host.
    host: String,
    /// The listener's port.
    port: u16,
    /// The profile of the channel.
    #[arg(long, value_name = "URI")]
    profile: String,
    /// Messages to send when no FILE is given.
    #[arg(long, default_value_t = 1)]
    count: usize,
    /// Bytes per message (FILE is cut into messages of this size).
    #[arg(long, value_name = "BYTES", default_value_t = 4096)]
    size: usize,
    /// Authenticate first with this SASL mechanism (SCRAM-SHA-256, PLAIN; CRAM-MD5 and
    /// DIGEST-MD5 with --legacy-sasl); needs --user and --password.
    #[arg(long, value_name = "MECH", requires_all = ["user", "password"], conflicts_with_all = ["anonymous", "external"])]
    sasl: Option<String>,
    /// Allow the obsolete CRAM-MD5 and DIGEST-MD5 (RFC 6331) for --sasl.
    #[arg(long = "legacy-sasl")]
    legacy_sasl: bool,
    /// The SASL user.
    #[arg(long, value_name = "U")]
    user: Option<String>,
    /// The SASL password.
    #[arg(long, value_name = "P")]
    password: Option<String>,
    /// Authenticate first with SASL ANONYMOUS and this trace token.
    #[arg(long, value_name = "TOKEN", conflicts_with = "external")]
    anonymous: Option<String>,
    /// Authenticate first with SASL EXTERNAL, asking for this authorization identity.
    #[arg(long, value_name = "AUTHZID")]
    external: Option<String>,
    /// Tune the session with TLS first.
    #[arg(long)]
    tls: bool,
    /// With --tls: trust this CA (or self-signed) certificate, PEM.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls",
        conflicts_with = "insecure"
    )]
    ca: Option<std::path::PathBuf>,
    /// With --tls: do not verify the listener's certificate.
    #[arg(long, requires = "tls")]
    insecure: bool,
    /// With --tls: the name to verify and send as serverName (HOST by default).
    #[arg(long, value_name = "NAME", requires = "tls")]
    server_name: Option<String>,
    /// Seconds to wait for the session, the channel and each reply.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    timeout: u64,
    /// The data to send (`-`: stdin); without it, COUNT messages of SIZE bytes.
    file: Option<String>,
}

/// Runs a `hark beep` subcommand.
pub fn run(cmd: BeepCommand) -> Result<(), String> {
    match cmd {
        BeepCommand::Listen(args) => listen(args),
        BeepCommand::Send(args) => send(args),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Echo,
    Silent,
    Deny,
}

fn parse_profile(spec: &str) -> Result<(String, Mode), String> {
    let (uri, mode) = match spec.rsplit_once('=') {
        Some((uri, "echo")) => (uri, Mode::Echo),
        Some((uri, "silent")) => (uri, Mode::Silent),
        Some((uri, "deny")) => (uri, Mode::Deny),
        Some((_, other)) if !other.contains('/') => {
            return Err(format!(
                "unknown profile mode {other:?} (echo, silent or deny)"
            ));
        }
        _ => (spec, Mode::Echo),
    };
    if uri.is_empty() {
        return Err("empty profile URI".into());
    }
    Ok((uri.to_owned(), mode))
}

fn listen(args: ListenArgs) -> Result<(), String> {
    let ctx = BeepContext::new().map_err(|e| format!("cannot start the reactor: {e}"))?;
    for spec in &args.profiles {
        let (uri, mode) = parse_profile(spec)?;
        let profile = Profile::new(uri.clone())
            .window(WINDOW)
            .on_start((uri, mode), |req, conn, (uri, mode)| {
                let peer = conn.peer_addr().map_or("?".into(), |a| a.to_string());
                if *mode == Mode::Deny {
                    eprintln!("{peer}: channel {} on {uri} denied (421)", req.channel());
                    req.deny(421, "refused by configuration");
                } else {
                    eprintln!("{peer}: channel {} on {uri} ({mode:?})", req.channel());
                    req.accept();
                }
            })
            .on_frame(mode, |conn, channel, frame, mode| {
                if *mode == Mode::Echo && frame.kind() == FrameType::Msg {
                    let payload = frame.payload().clone();
                    if let Err(e) = conn.reply(channel, frame.msgno(), ReplyKind::Rpy, payload) {
                        eprintln!("reply on channel {channel} failed: {e}");
                    }
                }
            });
        ctx.register(profile);
    }
    ctx.on_close((), |req, conn, _| {
        let peer = conn.peer_addr().map_or("?".into(), |a| a.to_string());
        eprintln!("{peer}: channel {} closed", req.channel());
        req.accept();
    });
    ctx.on_connection_closed((), |conn, _| {
        let peer = conn.peer_addr().map_or("?".into(), |a| a.to_string());
        eprintln!("{peer}: connection broken");
    });
    let mut users = Vec::new();
    for spec in &args.sasl_users {
        let (user, password) = spec
            .split_once(':')
            .ok_or_else(|| format!("--sasl-user {spec:?}: expected USER:PASSWORD"))?;
        users.push((user.to_owned(), password.to_owned()));
    }
    let mut offered = Vec::new();
    if !users.is_empty() {
        offered.extend(["SCRAM-SHA-256", "PLAIN"]);
    }
    if !args.anonymous.is_empty() {
        offered.push("ANONYMOUS");
    }
    if !args.external.is_empty() {
        offered.push("EXTERNAL");
    }
    ctx.offer_sasl(&offered);
    if args.legacy_sasl && !users.is_empty() {
        ctx.offer_legacy_sasl(&["CRAM-MD5", "DIGEST-MD5"]);
    }
    // SCRAM gets stored credentials (a random salt per user), the others the password.
    let mut accounts = Vec::new();
    for (user, password) in users {
        let scram = scram_credentials(&password, DEFAULT_ITERATIONS)
            .map_err(|e| format!("--sasl-user {user}: {e}"))?;
        accounts.push((user, password, scram));
    }
    let policy = (accounts, args.anonymous, args.external);
    ctx.on_sasl_auth(policy, |_conn, props, (accounts, tokens, authzids)| {
        let account = accounts
            .iter()
            .find(|(u, _, _)| props.auth_id.as_deref() == Some(u.as_str()));
        match (props.mech.as_str(), account) {
            ("PLAIN", Some((_, p, _))) if props.password.as_deref() == Some(p.as_str()) => {
                AuthDecision::Accept
            }
            ("SCRAM-SHA-256", Some((_, _, scram))) => AuthDecision::Scram(scram.clone()),
            ("CRAM-MD5" | "DIGEST-MD5", Some((_, p, _))) => AuthDecision::Password(p.clone()),
            ("ANONYMOUS", _)
                if tokens
                    .iter()
                    .any(|t| props.anonymous_token.as_deref() == Some(t.as_str())) =>
            {
                AuthDecision::Accept
            }
            ("EXTERNAL", _)
                if authzids
                    .iter()
                    .any(|a| props.authorization_id.as_deref() == Some(a.as_str())) =>
            {
                AuthDecision::Accept
            }
            _ => AuthDecision::Deny,
        }
    });
    ctx.on_sasl_status((), |conn, ok, text, _| {
        let peer = conn.peer_addr().map_or("?".into(), |a| a.to_string());
        let outcome = if ok {
            "authenticated as"
        } else {
            "authentication failed:"
        };
        eprintln!("{peer}: {outcome} {text}");
    });
    if let Some(paths) = &args.tls {
        let (cert, key) = match paths.as_slice() {
            [cert, key] => (TlsSource::File(cert.clone()), TlsSource::File(key.clone())),
            _ => return Err("--tls takes CERT and KEY".into()),
        };
        // Checked once now, so a bad file fails at start rather than at each session.
        tls::server_config(&cert, &key).map_err(|e| format!("--tls: {e}"))?;
        ctx.tls_credentials(cert, key);
        ctx.on_tls_status((), |conn, ok, text, _| {
            let peer = conn.peer_addr().map_or("?".into(), |a| a.to_string());
            if ok {
                eprintln!("{peer}: {text}");
            } else {
                eprintln!("{peer}: TLS failed: {text}");
            }
        });
    }
    let listener = ctx
        .listen(SocketAddr::new(args.addr, args.port))
        .map_err(|e| format!("cannot listen: {e}"))?;
    eprintln!("hark beep: listening on {}", listener.local_addr());
    loop {
        std::thread::park();
    }
}

fn read_input(file: &str) -> Result<Vec<u8>, String> {
    let mut data = Vec::new();
    if file == "-" {
        std::io::stdin()
            .read_to_end(&mut data)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
    } else {
        data = std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    }
    Ok(data)
}

/// The SASL client mechanism `send`'s flags ask for, if any.
fn client_mechanism(args: &SendArgs) -> Result<Option<Box<dyn SaslClient>>, String> {
    let user = args.user.clone().unwrap_or_default();
    let password = args.password.clone().unwrap_or_default();
    let legacy = |name: &str| match args.legacy_sasl {
        true => Ok(()),
        false => Err(format!("{name} is obsolete (RFC 6331): add --legacy-sasl")),
    };
    Ok(match (&args.sasl, &args.anonymous, &args.external) {
        (Some(mech), ..) => Some(match mech.to_ascii_uppercase().as_str() {
            "PLAIN" => Box::new(Plain::new(user, password, None)),
            "SCRAM-SHA-256" => Box::new(
                ScramSha256Client::new(&user, &password, None, &mut OsRng)
                    .map_err(|e| format!("SCRAM-SHA-256: {e}"))?,
            ),
            "CRAM-MD5" => {
                legacy("CRAM-MD5")?;
                Box::new(CramMd5Client::new(user, password))
            }
            "DIGEST-MD5" => {
                legacy("DIGEST-MD5")?;
                Box::new(DigestMd5Client::new(
                    user, password, None, "beep", &args.host, &mut OsRng,
                ))
            }
            _ => {
                return Err(format!(
                    "SASL mechanism {mech} is not supported \
                     (SCRAM-SHA-256, PLAIN, CRAM-MD5, DIGEST-MD5)"
                ));
            }
        }),
        (None, Some(token), _) => Some(Box::new(Anonymous::new(token.clone()))),
        (None, None, Some(authzid)) => Some(Box::new(ExternalClient::new(
            (!authzid.is_empty()).then(|| authzid.clone()),
        ))),
        (None, None, None) => None,
    })
}

fn send(args: SendArgs) -> Result<(), String> {
    let addr = (args.host.as_str(), args.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", args.host))?
        .next()
        .ok_or_else(|| format!("{} has no address", args.host))?;
    let size = args.size.max(1);
    let bodies: Vec<Vec<u8>> = match &args.file {
        Some(file) => read_input(file)?.chunks(size).map(<[u8]>::to_vec).collect(),
        None => (0..args.count)
            .map(|i| (0..size).map(|j| (i + j) as u8).collect())
            .collect(),
    };
    let timeout = Duration::from_secs(args.timeout);
    let ctx = BeepContext::new().map_err(|e| format!("cannot start the reactor: {e}"))?;
    ctx.register(Profile::new(args.profile.clone()).window(WINDOW));
    let conn = ctx
        .connect(addr, timeout)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    if args.tls {
        let trust = match (&args.ca, args.insecure) {
            (Some(ca), _) => ClientTrust::Roots(TlsSource::File(ca.clone())),
            (None, true) => ClientTrust::Insecure,
            (None, false) => ClientTrust::Roots(TlsSource::File(SYSTEM_CA_BUNDLE.into())),
        };
        let config = tls::client_config(&trust).map_err(|e| format!("TLS: {e}"))?;
        let name = args.server_name.as_deref().unwrap_or(&args.host);
        let info = conn.start_tls(config, name, timeout).map_err(|e| match e {
            BeepError::Tls(_) => e.to_string(),
            other => format!("TLS: {other}"),
        })?;
        eprintln!("TLS: {} {}", info.version, info.cipher_suite);
    }
    let mechanism = client_mechanism(&args)?;
    if let Some(mechanism) = mechanism {
        let identity = conn
            .auth(mechanism, timeout)
            .map_err(|e| format!("SASL: {e}"))?;
        eprintln!("authenticated as {identity}");
    }
    let channel = conn
        .open_channel(args.profile.clone(), ChannelHandlers::new(), timeout)
        .map_err(|e| format!("cannot start a channel on {}: {e}", args.profile))?;
    let mut stdout = std::io::stdout().lock();
    let mut failures = 0usize;
    for (i, body) in bodies.into_iter().enumerate() {
        let mut payload = Vec::with_capacity(body.len() + 2);
        payload.extend_from_slice(b"\r\n");
        payload.extend_from_slice(&body);
        match conn.send_and_wait(channel, payload, timeout) {
            Ok(Answer::Rpy(frame)) => stdout
                .write_all(frame.body())
                .map_err(|e| format!("cannot write stdout: {e}"))?,
            Ok(other) => {
                failures += 1;
                eprintln!("message {i}: not an RPY: {other:?}");
            }
            Err(e) => return Err(format!("message {i}: {e}")),
        }
    }
    stdout
        .flush()
        .map_err(|e| format!("cannot write stdout: {e}"))?;
    conn.close_channel(channel, timeout)
        .map_err(|e| format!("cannot close channel {channel}: {e}"))?;
    conn.close(timeout)
        .map_err(|e| format!("cannot close the session: {e}"))?;
    if failures > 0 {
        return Err(format!("{failures} message(s) not answered by an RPY"));
    }
    Ok(())
}
