//! SASL exchanges between two sessions: piggybacked and multi-step, success and failure,
//! and the rule against a second authentication.

use std::time::Duration;

use super::pair::{Link, Pair};
use super::setup::ECHO;
use crate::beep::{
    Event, Role, SaslClient, SaslServer, SaslStatus, SaslStep, Session, SessionConfig, StartError,
};

/// PLAIN-shaped: the whole answer in the initial response.
struct PlainClient(&'static str, &'static str);

impl SaslClient for PlainClient {
    fn mechanism(&self) -> &str {
        "PLAIN"
    }
    fn initial_response(&mut self) -> Option<Vec<u8>> {
        Some(format!("\0{}\0{}", self.0, self.1).into_bytes())
    }
    fn step(&mut self, _challenge: &[u8], complete: bool) -> SaslStep {
        if complete {
            SaslStep::Complete {
                data: Vec::new(),
                identity: self.0.into(),
            }
        } else {
            SaslStep::Failed("PLAIN has no challenge".into())
        }
    }
}

struct PlainServer;

impl SaslServer for PlainServer {
    fn mechanism(&self) -> &str {
        "PLAIN"
    }
    fn step(&mut self, response: &[u8]) -> SaslStep {
        if response == b"\0bob\0secret" {
            SaslStep::Complete {
                data: Vec::new(),
                identity: "bob".into(),
            }
        } else {
            SaslStep::Failed("bad credentials".into())
        }
    }
}

/// Three round trips without an initial response: the server challenges with a number,
/// the client answers with it doubled, twice.
struct CountClient;

impl SaslClient for CountClient {
    fn mechanism(&self) -> &str {
        "X-COUNT"
    }
    fn initial_response(&mut self) -> Option<Vec<u8>> {
        None
    }
    fn step(&mut self, challenge: &[u8], complete: bool) -> SaslStep {
        if complete {
            return SaslStep::Complete {
                data: Vec::new(),
                identity: "counter".into(),
            };
        }
        match challenge {
            [] => SaslStep::Continue(b"hello".to_vec()),
            [n] => SaslStep::Continue(vec![n * 2]),
            _ => SaslStep::Failed("odd challenge".into()),
        }
    }
}

struct CountServer(u8);

impl SaslServer for CountServer {
    fn mechanism(&self) -> &str {
        "X-COUNT"
    }
    fn step(&mut self, response: &[u8]) -> SaslStep {
        self.0 += 1;
        match (self.0, response) {
            (1, b"hello") => SaslStep::Continue(vec![3]),
            (2, [6]) => SaslStep::Continue(vec![5]),
            (3, [10]) => SaslStep::Complete {
                data: b"done".to_vec(),
                identity: "counter".into(),
            },
            _ => SaslStep::Failed("wrong answer".into()),
        }
    }
}

/// Server-first (CRAM-MD5-shaped): the server's challenge rides on the start reply and
/// the client's first step must see it, never an empty challenge.
struct ChallengeClient;

impl SaslClient for ChallengeClient {
    fn mechanism(&self) -> &str {
        "X-CHALLENGE"
    }
    fn initial_response(&mut self) -> Option<Vec<u8>> {
        None
    }
    fn step(&mut self, challenge: &[u8], complete: bool) -> SaslStep {
        match (challenge, complete) {
            (b"nonce", false) => SaslStep::Continue(b"ecnon".to_vec()),
            (b"", true) => SaslStep::Complete {
                data: Vec::new(),
                identity: "challenged".into(),
            },
            _ => SaslStep::Failed(format!("unexpected challenge {challenge:?}")),
        }
    }
}

struct ChallengeServer;

impl SaslServer for ChallengeServer {
    fn mechanism(&self) -> &str {
        "X-CHALLENGE"
    }
    fn initial_challenge(&mut self) -> Option<Vec<u8>> {
        Some(b"nonce".to_vec())
    }
    fn step(&mut self, response: &[u8]) -> SaslStep {
        match response {
            b"ecnon" => SaslStep::Complete {
                data: Vec::new(),
                identity: "challenged".into(),
            },
            _ => SaslStep::Failed("wrong answer".into()),
        }
    }
}

fn pair(seed: u64) -> Pair {
    let mut l = SessionConfig::new(Role::Listener).profile(ECHO);
    l.sasl_mechanisms = vec!["PLAIN".into(), "X-COUNT".into(), "X-CHALLENGE".into()];
    let mut p = Pair::new(
        seed,
        SessionConfig::new(Role::Initiator).profile(ECHO),
        l,
        Link {
            delay: Duration::from_millis(1),
            rate: 10_000_000,
            max_chunk: 40,
        },
    );
    p.ends[1]
        .s
        .set_sasl_server(Box::new(|name: &str| -> Option<Box<dyn SaslServer>> {
            match name {
                "PLAIN" => Some(Box::new(PlainServer)),
                "X-COUNT" => Some(Box::new(CountServer(0))),
                "X-CHALLENGE" => Some(Box::new(ChallengeServer)),
                _ => None,
            }
        }));
    p
}

/// Runs until idle; returns each end's SASL outcomes.
fn run(p: &mut Pair, start: &mut Option<Box<dyn SaslClient>>) -> [Vec<SaslStatus>; 2] {
    let mut out: [Vec<SaslStatus>; 2] = [Vec::new(), Vec::new()];
    let mut app = |end: usize, s: &mut Session, ev: Event| match ev {
        Event::GreetingReceived { profiles, .. } if end == 0 => {
            assert!(
                profiles.iter().any(|p| p.ends_with("/SASL/PLAIN")),
                "{profiles:?}"
            );
            if let Some(m) = start.take() {
                s.start_sasl(m).unwrap();
            }
        }
        Event::Sasl { status, .. } => out[end].push(status),
        _ => {}
    };
    while p.step(&mut app) {}
    out
}

#[test]
fn a_piggybacked_plain_exchange_authenticates_both_sides_once() {
    let mut p = pair(1);
    let [client, server] = run(&mut p, &mut Some(Box::new(PlainClient("bob", "secret"))));
    let ok = SaslStatus::Complete {
        identity: "bob".into(),
    };
    assert_eq!(client, std::slice::from_ref(&ok));
    assert_eq!(server, [ok]);
    assert_eq!(p.ends[0].s.authenticated_as(), Some("bob"));
    assert_eq!(p.ends[1].s.authenticated_as(), Some("bob"));
    assert_eq!(
        p.ends[0].s.start_sasl(Box::new(PlainClient("eve", "x"))),
        Err(StartError::AlreadyAuthenticated)
    );
}

#[test]
fn bad_credentials_fail_on_both_sides() {
    let mut p = pair(2);
    let [client, server] = run(&mut p, &mut Some(Box::new(PlainClient("bob", "wrong"))));
    assert!(matches!(client.as_slice(), [SaslStatus::Failed { .. }]));
    assert!(matches!(server.as_slice(), [SaslStatus::Failed { .. }]));
    assert_eq!(p.ends[1].s.authenticated_as(), None);
}

#[test]
fn a_multi_step_exchange_runs_over_msg_and_rpy() {
    let mut p = pair(3);
    let [client, server] = run(&mut p, &mut Some(Box::new(CountClient)));
    let ok = SaslStatus::Complete {
        identity: "counter".into(),
    };
    assert_eq!(client, std::slice::from_ref(&ok));
    assert_eq!(server, [ok]);
}

#[test]
fn a_server_first_challenge_rides_on_the_start_reply() {
    let mut p = pair(4);
    let [client, server] = run(&mut p, &mut Some(Box::new(ChallengeClient)));
    let ok = SaslStatus::Complete {
        identity: "challenged".into(),
    };
    assert_eq!(client, std::slice::from_ref(&ok));
    assert_eq!(server, [ok]);
}

/// PLAIN-shaped, but it refuses the server's `complete` as a SCRAM client refuses a
/// forged server signature.
struct DistrustfulClient;

impl SaslClient for DistrustfulClient {
    fn mechanism(&self) -> &str {
        "PLAIN"
    }
    fn initial_response(&mut self) -> Option<Vec<u8>> {
        Some(b"\0bob\0secret".to_vec())
    }
    fn step(&mut self, _challenge: &[u8], _complete: bool) -> SaslStep {
        SaslStep::Failed("the server's signature does not match".into())
    }
}

#[test]
fn a_server_that_fails_our_final_check_ends_the_session() {
    let mut p = pair(5);
    let mut start: Option<Box<dyn SaslClient>> = Some(Box::new(DistrustfulClient));
    let mut closed = Vec::new();
    let mut app = |end: usize, s: &mut Session, ev: Event| match ev {
        Event::GreetingReceived { .. } if end == 0 => {
            if let Some(m) = start.take() {
                s.start_sasl(m).unwrap();
            }
        }
        Event::SessionClosed { reason } if end == 0 => closed.push(reason),
        _ => {}
    };
    while p.step(&mut app) {}
    assert_eq!(
        closed,
        [crate::beep::SessionCloseReason::SaslServerUnverified(
            "the server's signature does not match".into()
        )]
    );
    assert_eq!(p.ends[0].s.authenticated_as(), None);
    assert!(p.ends[0].s.is_closed());
}
