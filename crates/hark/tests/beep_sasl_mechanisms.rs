//! SASL EXTERNAL, SCRAM-SHA-256, CRAM-MD5 and DIGEST-MD5 through hark::beep on loopback
//! (good and bad credentials, both roles, the common auth handler, the auth
//! notification and the hub's `beep_auth_*` events), and against GNU gsasl's command
//! line (Debian `gsasl`), an independent implementation, in both roles: gsasl clients
//! authenticate over BEEP to hark's listener, and hark's clients to gsasl servers.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hark::beep::sasl::{
    AuthDecision, CramMd5Client, DigestMd5Client, ExternalClient, OsRng, SaslServerOptions,
    ScramCredentials, ScramSha256Client,
};
use hark::beep::{BeepContext, BeepError, Connection};
use hark::events::{EventHub, Severity};
use hark_proto::beep::{SaslClient, SaslStep};

const T: Duration = Duration::from_secs(20);

type Statuses = Arc<Mutex<Vec<(bool, String)>>>;

/// A listener offering every mechanism (the legacy ones enabled): bob/secret by his
/// password, carol/pencil by stored SCRAM credentials, EXTERNAL for `admin` only.
fn server(legacy: bool) -> (std::net::SocketAddr, Statuses, Arc<Mutex<EventHub>>) {
    let hub = Arc::new(Mutex::new(EventHub::new()));
    let ctx = BeepContext::new().unwrap().with_hub(hub.clone());
    ctx.offer_sasl(&["EXTERNAL", "SCRAM-SHA-256", "CRAM-MD5", "DIGEST-MD5"]);
    if legacy {
        ctx.offer_legacy_sasl(&["CRAM-MD5", "DIGEST-MD5"]);
    }
    ctx.set_sasl_options(SaslServerOptions {
        realm: "example.org".into(),
        host: Some("host.example".into()),
        ..SaslServerOptions::default()
    });
    let carol = ScramCredentials::from_password("pencil", b"carol's salt", 8192).unwrap();
    ctx.on_sasl_auth((), move |_conn: &Connection, props, _| {
        match (props.mech.as_str(), props.auth_id.as_deref()) {
            ("EXTERNAL", _) if props.authorization_id.as_deref() == Some("admin") => {
                AuthDecision::Accept
            }
            ("SCRAM-SHA-256", Some("carol")) => AuthDecision::Scram(carol.clone()),
            ("SCRAM-SHA-256" | "CRAM-MD5", Some("bob")) => AuthDecision::Password("secret".into()),
            ("DIGEST-MD5", Some("bob")) if props.realm.as_deref() == Some("example.org") => {
                AuthDecision::Password("secret".into())
            }
            _ => AuthDecision::Deny,
        }
    });
    let statuses: Statuses = Arc::default();
    ctx.on_sasl_status(statuses.clone(), |_c, ok, text, log| {
        log.lock().unwrap().push((ok, text.to_owned()));
    });
    let listener = ctx.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr();
    std::mem::forget(listener); // listens for the test's lifetime
    std::mem::forget(ctx);
    (addr, statuses, hub)
}

fn auth(addr: std::net::SocketAddr, mech: Box<dyn SaslClient>) -> Result<String, BeepError> {
    let ctx = BeepContext::new().unwrap();
    let conn = ctx.connect(addr, T).unwrap();
    let result = conn.auth(mech, T);
    conn.close(T).unwrap();
    result
}

fn scram(user: &str, pass: &str) -> Box<dyn SaslClient> {
    Box::new(ScramSha256Client::new(user, pass, None, &mut OsRng).unwrap())
}

fn digest(user: &str, pass: &str, authzid: Option<&str>) -> Box<dyn SaslClient> {
    Box::new(DigestMd5Client::new(
        user,
        pass,
        authzid.map(str::to_owned),
        "beep",
        "host.example",
        &mut OsRng,
    ))
}

#[test]
fn every_mechanism_over_beep_with_good_and_bad_credentials() {
    let (addr, statuses, hub) = server(true);
    assert_eq!(auth(addr, scram("bob", "secret")).unwrap(), "bob");
    assert_eq!(auth(addr, scram("carol", "pencil")).unwrap(), "carol");
    let authz = ScramSha256Client::new("carol", "pencil", Some("ops".into()), &mut OsRng);
    assert_eq!(auth(addr, Box::new(authz.unwrap())).unwrap(), "ops");
    assert_eq!(
        auth(addr, Box::new(CramMd5Client::new("bob", "secret"))).unwrap(),
        "bob"
    );
    assert_eq!(auth(addr, digest("bob", "secret", None)).unwrap(), "bob");
    assert_eq!(
        auth(addr, digest("bob", "secret", Some("admin"))).unwrap(),
        "admin"
    );
    assert_eq!(
        auth(addr, Box::new(ExternalClient::new(Some("admin".into())))).unwrap(),
        "admin"
    );
    let good = statuses.lock().unwrap().len();
    assert_eq!(good, 7);

    let bad: Vec<Box<dyn SaslClient>> = vec![
        scram("bob", "wrong"),
        scram("carol", "secret"),
        scram("mallory", "secret"),
        Box::new(CramMd5Client::new("bob", "wrong")),
        Box::new(CramMd5Client::new("carol", "pencil")),
        digest("bob", "wrong", None),
        Box::new(ExternalClient::new(Some("root".into()))),
        Box::new(ExternalClient::new(None)),
    ];
    for mech in bad {
        let name = mech.mechanism().to_owned();
        assert!(
            matches!(auth(addr, mech), Err(BeepError::AuthFailed(_))),
            "{name}"
        );
    }
    let got: Vec<bool> = statuses.lock().unwrap().iter().map(|(ok, _)| *ok).collect();
    assert_eq!(got[..7], [true; 7]);
    assert_eq!(got[7..], [false; 8]);
    let mut events = Vec::new();
    while let Some(ev) = hub.lock().unwrap().poll_event() {
        if ev.kind.name().starts_with("beep_auth") {
            events.push((ev.kind.name(), ev.severity));
        }
    }
    let count = |e: (&str, Severity)| events.iter().filter(|x| **x == e).count();
    assert_eq!(count(("beep_auth_complete", Severity::Info)), 7);
    assert_eq!(count(("beep_auth_failed", Severity::Warning)), 8);
}

#[test]
fn legacy_mechanisms_are_off_unless_enabled() {
    let (addr, _statuses, _hub) = server(false);
    assert!(auth(addr, scram("bob", "secret")).is_ok());
    assert!(auth(addr, Box::new(CramMd5Client::new("bob", "secret"))).is_err());
    assert!(auth(addr, digest("bob", "secret", None)).is_err());
}

/// A gsasl process with its stdout lines (base64 blobs) on a channel.
struct Gsasl {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

impl Gsasl {
    fn spawn(role: &str, args: &[&str]) -> Self {
        let mut child = Command::new("gsasl")
            .arg(role)
            .args([
                "--realm=example.org",
                "--hostname=host.example",
                "--service=beep",
                "--quality-of-protection=qop-auth",
            ])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gsasl is not installed (apt-get install gsasl)");
        let (tx, lines) = channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let (err_pipe, log) = (child.stderr.take().unwrap(), stderr.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines() {
                let Ok(line) = line else { break };
                log.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let stdin = child.stdin.take();
        let g = Gsasl {
            child,
            stdin,
            lines,
            stderr,
        };
        // gsasl names the mechanism first.
        let name = g.lines.recv_timeout(T);
        assert!(name.is_ok(), "gsasl said nothing: {}", g.stderr());
        g
    }

    /// The next blob gsasl prints, or `None` when it exited (it refused).
    fn line(&mut self) -> Option<Vec<u8>> {
        match self.lines.recv_timeout(T) {
            Ok(l) => Some(STANDARD.decode(l.trim()).expect("gsasl prints base64")),
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => panic!("gsasl went quiet: {}", self.stderr()),
        }
    }

    fn send(&mut self, data: &[u8]) {
        if let Some(stdin) = self.stdin.as_mut() {
            // A gsasl that already exited refused; the next line() says so.
            let _ = writeln!(stdin, "{}", STANDARD.encode(data));
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Gsasl {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client mechanism that relays the server's blobs to a live gsasl client and its
/// answers back: gsasl authenticates over BEEP to hark's listener.
struct GsaslClient {
    name: String,
    gsasl: Gsasl,
}

impl GsaslClient {
    fn new(mech: &str, args: &[&str]) -> Box<Self> {
        let mut all = vec!["-m", mech];
        all.extend_from_slice(args);
        Box::new(GsaslClient {
            name: mech.to_owned(),
            gsasl: Gsasl::spawn("--client", &all),
        })
    }
}

impl SaslClient for GsaslClient {
    fn mechanism(&self) -> &str {
        &self.name
    }

    fn initial_response(&mut self) -> Option<Vec<u8>> {
        let first = self.gsasl.line()?;
        // Server-first mechanisms print an empty line: no initial response.
        match self.name.as_str() {
            "CRAM-MD5" | "DIGEST-MD5" => None,
            _ => Some(first),
        }
    }

    fn step(&mut self, challenge: &[u8], complete: bool) -> SaslStep {
        if complete && challenge.is_empty() {
            return SaslStep::Complete {
                data: Vec::new(),
                identity: "gsasl".into(),
            };
        }
        self.gsasl.send(challenge);
        match (self.gsasl.line(), complete) {
            (Some(_), true) => SaslStep::Complete {
                data: Vec::new(),
                identity: "gsasl".into(),
            },
            (Some(answer), false) => SaslStep::Continue(answer),
            (None, _) => SaslStep::Failed(format!("gsasl: {}", self.gsasl.stderr())),
        }
    }
}

#[test]
fn gsasl_clients_authenticate_to_our_server_over_beep() {
    let (addr, statuses, _hub) = server(true);
    let cases: &[(&str, &[&str], bool)] = &[
        ("SCRAM-SHA-256", &["-a", "bob", "-p", "secret"], true),
        (
            "SCRAM-SHA-256",
            &["-a", "carol", "-p", "pencil", "-z", "ops"],
            true,
        ),
        ("SCRAM-SHA-256", &["-a", "bob", "-p", "wrong"], false),
        ("SCRAM-SHA-256", &["-a", "carol", "-p", "secret"], false),
        ("CRAM-MD5", &["-a", "bob", "-p", "secret"], true),
        ("CRAM-MD5", &["-a", "bob", "-p", "wrong"], false),
        (
            "DIGEST-MD5",
            &["-a", "bob", "-p", "secret", "-z", "admin"],
            true,
        ),
        (
            "DIGEST-MD5",
            &["-a", "bob", "-p", "wrong", "-z", "bob"],
            false,
        ),
        ("EXTERNAL", &["-z", "admin"], true),
        ("EXTERNAL", &["-z", "root"], false),
    ];
    for (mech, args, ok) in cases {
        let result = auth(addr, GsaslClient::new(mech, args));
        assert_eq!(result.is_ok(), *ok, "{mech} {args:?}: {result:?}");
        let last = statuses.lock().unwrap().last().cloned().unwrap();
        assert_eq!(last.0, *ok, "{mech} {args:?}: our server said {last:?}");
    }
    let identities: Vec<String> = statuses
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.0)
        .map(|s| s.1.clone())
        .collect();
    assert_eq!(identities, ["bob", "ops", "bob", "admin", "admin"]);
}

/// Runs our client `mech` against a gsasl server holding `args` (user and password);
/// `Ok` once gsasl says it authenticated the client.
fn against_gsasl_server(mut client: Box<dyn SaslClient>, args: &[&str]) -> Result<(), String> {
    let mut all = vec!["-m", client.mechanism()];
    all.extend_from_slice(args);
    let mech = client.mechanism().to_owned();
    let mut gsasl = Gsasl::spawn("--server", &all);
    // The server's first output: a challenge, or empty for client-first mechanisms.
    let mut challenge = gsasl.line().ok_or("gsasl server exited")?;
    // How many more blobs gsasl sends; its last one comes with its success.
    let mut remaining = match mech.as_str() {
        "SCRAM-SHA-256" => 2,
        _ => 1,
    };
    let mut answer = match client.initial_response() {
        Some(first) => first,
        None => match client.step(&challenge, false) {
            SaslStep::Continue(a) => a,
            other => return Err(format!("our client: {other:?}")),
        },
    };
    loop {
        gsasl.send(&answer);
        challenge = gsasl
            .line()
            .ok_or_else(|| format!("gsasl refused: {}", gsasl.stderr()))?;
        remaining -= 1;
        match client.step(&challenge, remaining == 0) {
            SaslStep::Continue(a) if remaining > 0 => answer = a,
            SaslStep::Complete { .. } if remaining == 0 => break,
            other => return Err(format!("our client: {other:?}")),
        }
    }
    // gsasl wants one more (empty) line before it reports.
    gsasl.send(b"");
    for _ in 0..100 {
        if gsasl.stderr().contains("Server authentication finished") {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("gsasl did not finish: {}", gsasl.stderr()))
}

#[test]
fn our_clients_authenticate_to_gsasl_servers() {
    let server = ["-a", "bob", "-p", "secret"];
    against_gsasl_server(scram("bob", "secret"), &server).unwrap();
    let authz = ScramSha256Client::new("bob", "secret", Some("bob".into()), &mut OsRng).unwrap();
    against_gsasl_server(Box::new(authz), &server).unwrap();
    assert!(against_gsasl_server(scram("bob", "wrong"), &server).is_err());
    against_gsasl_server(Box::new(CramMd5Client::new("bob", "secret")), &server).unwrap();
    assert!(against_gsasl_server(Box::new(CramMd5Client::new("bob", "wrong")), &server).is_err());
    against_gsasl_server(digest("bob", "secret", None), &server).unwrap();
    against_gsasl_server(digest("bob", "secret", Some("bob")), &server).unwrap();
    assert!(against_gsasl_server(digest("bob", "wrong", None), &server).is_err());
}

#[test]
fn our_external_client_sends_what_gsasl_sends() {
    // gsasl's command line cannot validate EXTERNAL as a server (it has no callback
    // for it), so compare our initial response with gsasl's client's.
    for authzid in ["admin", ""] {
        let mut gsasl = Gsasl::spawn("--client", &["-m", "EXTERNAL", "-z", authzid]);
        let theirs = gsasl.line().unwrap();
        let ours = ExternalClient::new((!authzid.is_empty()).then(|| authzid.to_owned()))
            .initial_response()
            .unwrap();
        assert_eq!(ours, theirs);
    }
}

#[test]
fn the_auth_handler_sees_the_server_name_of_the_sasl_start() {
    use hark::beep::sasl::{Plain, WithServerName};
    let ctx = BeepContext::new().unwrap();
    ctx.offer_sasl(&["SCRAM-SHA-256", "PLAIN"]);
    type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;
    let seen: Seen = Arc::default();
    ctx.on_sasl_auth(seen.clone(), |_conn: &Connection, props, seen| {
        let mut seen = seen.lock().unwrap();
        seen.push((props.mech.clone(), props.server_name.clone()));
        match props.mech.as_str() {
            "PLAIN" => AuthDecision::Accept,
            _ => AuthDecision::Password("secret".into()),
        }
    });
    let listener = ctx.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr();
    let named = WithServerName::new(scram("bob", "secret"), "beep.example.org");
    assert_eq!(auth(addr, Box::new(named)).unwrap(), "bob");
    let plain = WithServerName::new(Box::new(Plain::new("bob", "x", None)), "other.example");
    assert!(auth(addr, Box::new(plain)).is_ok());
    assert!(auth(addr, scram("bob", "secret")).is_ok());
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("SCRAM-SHA-256".into(), Some("beep.example.org".into())),
            ("PLAIN".into(), Some("other.example".into())),
            ("SCRAM-SHA-256".into(), None),
        ]
    );
}
