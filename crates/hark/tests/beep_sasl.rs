//! SASL ANONYMOUS and PLAIN through hark::beep on loopback, both roles, good and bad
//! credentials, the common auth handler (accept, deny, or the password) and the auth
//! notification; checked against GNU gsasl's command line (Debian `gsasl`).

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hark::beep::sasl::{Anonymous, AuthDecision, Plain};
use hark::beep::{BeepContext, BeepError, Connection};
use hark::events::{EventHub, Severity};
use hark_proto::beep::{SaslClient, SaslStep};

const T: Duration = Duration::from_secs(10);

type Statuses = Arc<Mutex<Vec<(bool, String)>>>;

/// A listener offering ANONYMOUS and PLAIN: bob/secret by comparison, alice by returning
/// her password, the token test@aspl.es (the seed's handler).
fn server() -> (
    BeepContext,
    std::net::SocketAddr,
    Statuses,
    Arc<Mutex<EventHub>>,
) {
    let hub = Arc::new(Mutex::new(EventHub::new()));
    let ctx = BeepContext::new().unwrap().with_hub(hub.clone());
    ctx.offer_sasl(&["ANONYMOUS", "PLAIN"]);
    ctx.on_sasl_auth((), |_conn: &Connection, props, _| {
        match props.mech.as_str() {
            "PLAIN" if props.auth_id.as_deref() == Some("alice") => {
                AuthDecision::Password("wonderland".into())
            }
            "PLAIN"
                if props.auth_id.as_deref() == Some("bob")
                    && props.password.as_deref() == Some("secret") =>
            {
                AuthDecision::Accept
            }
            "ANONYMOUS" if props.anonymous_token.as_deref() == Some("test@aspl.es") => {
                AuthDecision::Accept
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
    (ctx, addr, statuses, hub)
}

fn auth(addr: std::net::SocketAddr, mech: Box<dyn SaslClient>) -> Result<String, BeepError> {
    let ctx = BeepContext::new().unwrap();
    let conn = ctx.connect(addr, T).unwrap();
    let result = conn.auth(mech, T);
    conn.close(T).unwrap();
    result
}

#[test]
fn plain_and_anonymous_good_and_bad_credentials_both_roles() {
    let (_ctx, addr, statuses, hub) = server();
    assert_eq!(
        auth(addr, Box::new(Plain::new("bob", "secret", None))).unwrap(),
        "bob"
    );
    assert!(matches!(
        auth(addr, Box::new(Plain::new("bob", "wrong", None))),
        Err(BeepError::AuthFailed(_))
    ));
    assert_eq!(
        auth(
            addr,
            Box::new(Plain::new("alice", "wonderland", Some("admin".into())))
        )
        .unwrap(),
        "admin"
    );
    assert!(matches!(
        auth(addr, Box::new(Plain::new("alice", "rabbit", None))),
        Err(BeepError::AuthFailed(_))
    ));
    assert!(auth(addr, Box::new(Anonymous::new("test@aspl.es"))).is_ok());
    assert!(matches!(
        auth(addr, Box::new(Anonymous::new("someone@else"))),
        Err(BeepError::AuthFailed(_))
    ));
    let got: Vec<bool> = statuses.lock().unwrap().iter().map(|(ok, _)| *ok).collect();
    assert_eq!(got, [true, false, true, false, true, false]);
    let mut sev = Vec::new();
    while let Some(ev) = hub.lock().unwrap().poll_event() {
        if ev.kind.name().starts_with("beep_auth") {
            sev.push((ev.kind.name(), ev.severity));
        }
    }
    assert_eq!(
        sev.iter()
            .filter(|e| **e == ("beep_auth_failed", Severity::Warning))
            .count(),
        3
    );
    assert_eq!(
        sev.iter()
            .filter(|e| **e == ("beep_auth_complete", Severity::Info))
            .count(),
        3
    );
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unb64(text: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = B64.iter().position(|b| *b == c).expect("base64") as u32;
        bits = bits << 6 | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

/// gsasl as a client: its first output (after the mechanism's name) is the initial
/// response, base64.
fn gsasl_client(args: &[&str]) -> Vec<u8> {
    let out = Command::new("gsasl")
        .args(["--client", "--quiet"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("gsasl is not installed (apt-get install gsasl)");
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .nth(1)
        .unwrap_or_else(|| panic!("gsasl said {text:?}"));
    unb64(line.trim())
}

/// A client mechanism that sends bytes an independent implementation produced.
struct Replay(&'static str, Vec<u8>);

impl SaslClient for Replay {
    fn mechanism(&self) -> &str {
        self.0
    }
    fn initial_response(&mut self) -> Option<Vec<u8>> {
        Some(self.1.clone())
    }
    fn step(&mut self, _challenge: &[u8], complete: bool) -> SaslStep {
        if complete {
            SaslStep::Complete {
                data: Vec::new(),
                identity: String::new(),
            }
        } else {
            SaslStep::Failed("unexpected challenge".into())
        }
    }
}

#[test]
fn our_server_accepts_gsasl_clients_and_refuses_their_bad_credentials() {
    let (_ctx, addr, statuses, _hub) = server();
    let good = gsasl_client(&["-m", "PLAIN", "-a", "bob", "-p", "secret"]);
    assert_eq!(good, b"\0bob\0secret");
    assert!(auth(addr, Box::new(Replay("PLAIN", good))).is_ok());
    let authz = gsasl_client(&[
        "-m",
        "PLAIN",
        "-a",
        "alice",
        "-z",
        "admin",
        "-p",
        "wonderland",
    ]);
    assert!(auth(addr, Box::new(Replay("PLAIN", authz))).is_ok());
    let bad = gsasl_client(&["-m", "PLAIN", "-a", "bob", "-p", "nope"]);
    assert!(auth(addr, Box::new(Replay("PLAIN", bad))).is_err());
    let anon = gsasl_client(&["-m", "ANONYMOUS", "-n", "test@aspl.es"]);
    assert!(auth(addr, Box::new(Replay("ANONYMOUS", anon))).is_ok());
    let identities: Vec<_> = statuses.lock().unwrap().clone();
    assert_eq!(identities[1], (true, "admin".to_owned()), "{identities:?}");
}

/// gsasl as a PLAIN server (password check) on our client's initial response: `true` if
/// it authenticated the user.
fn gsasl_server_plain(message: &[u8], user: &str, password: &str) -> bool {
    let mut child = Command::new("gsasl")
        .args(["--server", "-m", "PLAIN", "-a", user, "-p", password])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gsasl is not installed (apt-get install gsasl)");
    writeln!(child.stdin.take().unwrap(), "{}", b64(message)).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // After the client's data, gsasl prints the server's (empty) output once more when
    // the mechanism finished successfully, and an error otherwise.
    !stderr.contains("Error authenticating user")
        && stderr.matches("Output from server").count() == 2
}

#[test]
fn gsasl_servers_accept_our_plain_client_and_refuse_a_wrong_password() {
    let mut good = Plain::new("bob", "secret", None);
    assert!(gsasl_server_plain(
        &good.initial_response().unwrap(),
        "bob",
        "secret"
    ));
    let mut bad = Plain::new("bob", "wrong", None);
    assert!(!gsasl_server_plain(
        &bad.initial_response().unwrap(),
        "bob",
        "secret"
    ));
    let mut anon = Anonymous::new("test@aspl.es");
    assert_eq!(
        anon.initial_response().unwrap(),
        gsasl_client(&["-m", "ANONYMOUS", "-n", "test@aspl.es"])
    );
}
