//! `hark beep send --tls` against `hark beep listen --tls CERT KEY`: two processes over
//! loopback, 1 MiB messages byte-exact over TLS, and a client that does not trust the
//! listener's certificate.

mod common;

use common::beep::{ECHO, Listener, pseudo_random};
use std::path::{Path, PathBuf};

/// Writes a self-signed certificate for localhost and 127.0.0.1 and its key as PEM.
fn certificate(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names).unwrap();
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

/// A TLS listener on a free port with its certificate's files (removed when dropped).
fn listen_tls(tag: &str) -> Listener {
    let dir = std::env::temp_dir().join(format!("hark-cli-beep-tls-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = certificate(&dir, "listener");
    let args: Vec<&std::ffi::OsStr> = vec![
        "--profile".as_ref(),
        ECHO.as_ref(),
        "--tls".as_ref(),
        cert.as_os_str(),
        key.as_os_str(),
        "--sasl-user".as_ref(),
        "bob:secret".as_ref(),
    ];
    let mut listener = Listener::start(&args);
    listener.own_dir(dir);
    listener
}

fn send(l: &Listener, extra: &[&str], stdin: &[u8]) -> std::process::Output {
    common::beep::send(l.port, ECHO, extra, stdin)
}

#[test]
fn send_over_tls_gets_1_mib_messages_echoed_byte_exact() {
    let l = listen_tls("exact");
    let ca = l.dir().join("listener.crt");
    let data = pseudo_random(0x9e37_79b9_7f4a_7c15u64, 3 * (1 << 20) + 4321);
    let ca = ca.to_str().unwrap();
    let out = send(&l, &["--tls", "--ca", ca, "--size", "1048576", "-"], &data);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("TLS: TLSv1_3"), "{stderr}");
    assert_eq!(out.stdout.len(), data.len());
    assert!(out.stdout == data, "the echo differs");

    // --insecure skips verification; the server name is HOST unless given.
    let out = send(
        &l,
        &["--tls", "--insecure", "--count", "2", "--size", "10"],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), 20);
    // TLS first, then SASL over it.
    let out = send(
        &l,
        &["--tls", "--insecure", "--sasl", "PLAIN", "--user", "bob"],
        b"",
    );
    assert!(!out.status.success(), "no password: refused by clap");
    let out = send(
        &l,
        &[
            "--tls",
            "--insecure",
            "--sasl",
            "PLAIN",
            "--user",
            "bob",
            "--password",
            "secret",
            "-",
        ],
        b"authenticated over TLS",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("authenticated as bob"), "{stderr}");
    assert_eq!(out.stdout, b"authenticated over TLS");
    let logged: Vec<String> = l.log.try_iter().collect();
    assert!(
        logged
            .iter()
            .filter(|l| l.contains(": TLS established: TLSv1_3"))
            .count()
            >= 3,
        "{logged:?}"
    );
}

#[test]
fn send_refuses_a_listener_whose_certificate_it_does_not_trust() {
    let l = listen_tls("untrusted");
    let (other, _) = certificate(l.dir(), "other");
    let out = send(
        &l,
        &["--tls", "--ca", other.to_str().unwrap(), "-"],
        b"secret",
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TLS: invalid peer certificate"), "{stderr}");
    assert!(out.stdout.is_empty());
}
