//! Hostile peers against hark's SASL mechanisms: the data is cut into blobs fed to each
//! server mechanism (as a client would send them) and to each client mechanism (as a
//! server would). Nothing may panic, and no server may authenticate a client from
//! bytes that were not computed with the password.
#![no_main]

use std::convert::Infallible;

use hark_proto::beep::{SaslClient, SaslServer, SaslStep};
use hark_proto::sasl::{
    AuthDecision, AuthProps, CramMd5Client, CramMd5Server, DigestMd5Client, DigestMd5Server,
    ExternalServer, Lookup, ScramCredentials, ScramSha256Client, ScramSha256Server,
};
use libfuzzer_sys::fuzz_target;

/// A counter as randomness: deterministic, so a crash replays.
struct Counter(u64);

impl rand_core::TryRng for Counter {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.0 += 1;
        Ok(self.0 as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 += 1;
        Ok(self.0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for b in dst {
            self.0 += 1;
            *b = self.0 as u8;
        }
        Ok(())
    }
}

fn lookup(scram: bool) -> Lookup {
    Box::new(move |_props: &AuthProps| {
        if scram {
            let c = ScramCredentials::from_salted_password(&[7; 32], b"salt", 4096);
            AuthDecision::Scram(c)
        } else {
            AuthDecision::Password("secret".into())
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let blobs: Vec<&[u8]> = data.split(|b| *b == 0xff).take(6).collect();
    let mut rng = Counter(0);
    let servers: Vec<Box<dyn SaslServer>> = vec![
        Box::new(ScramSha256Server::new(lookup(true), &mut rng)),
        Box::new(CramMd5Server::new(lookup(false), "h", &mut rng)),
        Box::new(DigestMd5Server::new(
            lookup(false),
            "r",
            "beep",
            "",
            &mut rng,
        )),
        Box::new(ExternalServer::new(
            Box::new(|_| AuthDecision::Accept),
            None,
        )),
    ];
    for mut server in servers {
        let _ = server.initial_challenge();
        for blob in &blobs {
            match server.step(blob) {
                SaslStep::Continue(_) => {}
                SaslStep::Complete { .. } => {
                    // Only EXTERNAL trusts what it is told.
                    assert_eq!(server.mechanism(), "EXTERNAL");
                    break;
                }
                SaslStep::Failed(_) => break,
            }
        }
    }
    let clients: Vec<Box<dyn SaslClient>> = vec![
        Box::new(ScramSha256Client::new("u", "p", None, &mut rng).expect("ASCII")),
        Box::new(CramMd5Client::new("u", "p")),
        Box::new(DigestMd5Client::new("u", "p", None, "beep", "h", &mut rng)),
    ];
    for mut client in clients {
        let _ = client.initial_response();
        for (i, blob) in blobs.iter().enumerate() {
            if let SaslStep::Failed(_) = client.step(blob, i + 1 == blobs.len()) {
                break;
            }
        }
    }
});
