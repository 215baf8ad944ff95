//! `hark beep send` against `hark beep listen`: two processes over loopback.

mod common;

use common::beep::{ECHO, Listener, pseudo_random};

const SILENT: &str = "http://example.org/beep/silent";
const DENY: &str = "http://example.org/beep/deny";

fn listen() -> Listener {
    listen_with(&[])
}

fn listen_with(extra: &[&str]) -> Listener {
    let silent = format!("{SILENT}=silent");
    let deny = format!("{DENY}=deny");
    let mut args = vec!["--profile", ECHO, "--profile", &silent, "--profile", &deny];
    args.extend(["--sasl-user", "bob:secret", "--anonymous", "test@aspl.es"]);
    args.extend(extra);
    Listener::start(&args)
}

fn send(l: &Listener, profile: &str, extra: &[&str], stdin: &[u8]) -> std::process::Output {
    common::beep::send(l.port, profile, extra, stdin)
}

#[test]
fn send_gets_1_mib_messages_echoed_byte_exact() {
    let l = listen();
    let data = pseudo_random(0x2545_f491_4f6c_dd1du64, 3 * (1 << 20) + 12345);
    let out = send(&l, ECHO, &["--size", "1048576", "-"], &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), data.len());
    assert!(out.stdout == data, "the echo differs");

    // Generated messages, --count and --size.
    let out = send(&l, ECHO, &["--count", "3", "--size", "100"], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), 300);
}

#[test]
fn deny_unknown_and_silent_profiles_fail() {
    let l = listen();
    let out = send(&l, DENY, &[], b"");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("421"),
        "{out:?}"
    );
    let out = send(&l, "http://example.org/beep/unknown", &[], b"");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("554"),
        "{out:?}"
    );
    let out = send(&l, SILENT, &["--timeout", "1"], b"");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("timed out"),
        "{out:?}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn send_authenticates_with_plain_or_anonymous_first() {
    let l = listen();
    let ok = send(
        &l,
        ECHO,
        &[
            "--sasl",
            "PLAIN",
            "--user",
            "bob",
            "--password",
            "secret",
            "-",
        ],
        b"hi",
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(ok.stdout, b"hi");
    let anon = send(&l, ECHO, &["--anonymous", "test@aspl.es", "-"], b"yo");
    assert!(
        anon.status.success(),
        "{}",
        String::from_utf8_lossy(&anon.stderr)
    );
    assert_eq!(anon.stdout, b"yo");
    let bad = send(
        &l,
        ECHO,
        &[
            "--sasl",
            "PLAIN",
            "--user",
            "bob",
            "--password",
            "nope",
            "-",
        ],
        b"x",
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("authentication failed"),
        "{bad:?}"
    );
    assert!(bad.stdout.is_empty());
}

#[test]
fn send_authenticates_with_scram_sha_256_external_and_legacy_mechanisms() {
    let l = listen_with(&["--legacy-sasl", "--external", "admin"]);
    let scram = |password: &str| {
        let args = [
            "--sasl",
            "SCRAM-SHA-256",
            "--user",
            "bob",
            "--password",
            password,
            "-",
        ];
        send(&l, ECHO, &args, b"scram")
    };
    let ok = scram("secret");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(ok.stdout, b"scram");
    assert!(String::from_utf8_lossy(&ok.stderr).contains("authenticated as bob"));
    let bad = scram("nope");
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("authentication failed"),
        "{bad:?}"
    );
    assert!(bad.stdout.is_empty());

    let external = send(&l, ECHO, &["--external", "admin", "-"], b"ext");
    assert!(external.status.success(), "{external:?}");
    assert_eq!(external.stdout, b"ext");
    let refused = send(&l, ECHO, &["--external", "root", "-"], b"ext");
    assert!(!refused.status.success());

    for mech in ["CRAM-MD5", "DIGEST-MD5"] {
        let args = ["--sasl", mech, "--user", "bob", "--password", "secret"];
        let without = send(&l, ECHO, &[&args[..], &["-"]].concat(), b"old");
        assert!(!without.status.success(), "{mech} without --legacy-sasl");
        assert!(String::from_utf8_lossy(&without.stderr).contains("--legacy-sasl"));
        let with = send(
            &l,
            ECHO,
            &[&args[..], &["--legacy-sasl", "-"]].concat(),
            b"old",
        );
        assert!(with.status.success(), "{mech}: {with:?}");
        assert_eq!(with.stdout, b"old");
    }
}

#[test]
fn legacy_mechanisms_are_not_offered_without_the_flag() {
    let l = listen();
    for mech in ["CRAM-MD5", "DIGEST-MD5"] {
        let args = [
            "--sasl",
            mech,
            "--user",
            "bob",
            "--password",
            "secret",
            "--legacy-sasl",
            "-",
        ];
        let out = send(&l, ECHO, &args, b"old");
        assert!(!out.status.success(), "{mech} was offered");
    }
}
