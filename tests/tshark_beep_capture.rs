//! Two hark BEEP sessions over a real TCP connection on loopback (std sockets, one thread
//! each), captured by dumpcap and decoded by tshark's `beep` dissector: every frame decodes,
//! none is malformed or an expert error, and the session ends in an orderly release with the
//! listener closing first.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use hark_proto::beep::{
    Event, Reply, Role, Session, SessionCloseReason, SessionConfig, TransportAction,
};
use hark_suite::capture::LoopbackCapture;
use hark_suite::tshark;

const PROFILE: &str = "http://example.org/beep/echo";
const SIZES: [usize; 4] = [1, 3000, 10_000, 100_000];

/// Runs `session` over `stream` until the transport closes; `app` handles each event.
fn drive(
    mut stream: TcpStream,
    mut session: Session,
    mut app: impl FnMut(&mut Session, Event),
) -> Vec<SessionCloseReason> {
    stream
        .set_read_timeout(Some(Duration::from_millis(20)))
        .expect("read timeout");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut buf = vec![0u8; 64 * 1024];
    let mut input = vec![0u8; 64 * 1024];
    let mut ended = Vec::new();
    loop {
        assert!(Instant::now() < deadline, "the session did not end");
        let now = Instant::now();
        while let Some(n) = session.poll_transmit(now, &mut buf) {
            stream.write_all(&buf[..n]).expect("write");
        }
        while let Some(ev) = session.poll_event() {
            if let Event::SessionClosed { reason } = &ev {
                ended.push(reason.clone());
            }
            app(&mut session, ev);
        }
        while let Some(n) = session.poll_transmit(now, &mut buf) {
            stream.write_all(&buf[..n]).expect("write");
        }
        match session.transport_action() {
            TransportAction::CloseAfterFlush => return ended,
            TransportAction::Keep | TransportAction::AwaitPeerClose => {}
        }
        match stream.read(&mut input) {
            Ok(0) => {
                session.handle_eof(Instant::now());
                while let Some(ev) = session.poll_event() {
                    if let Event::SessionClosed { reason } = &ev {
                        ended.push(reason.clone());
                    }
                }
                return ended;
            }
            Ok(n) => {
                let mut at = 0;
                while at < n {
                    at += session.handle_bytes(Instant::now(), &input[at..n]);
                    while let Some(ev) = session.poll_event() {
                        if let Event::SessionClosed { reason } = &ev {
                            ended.push(reason.clone());
                        }
                        app(&mut session, ev);
                    }
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("read: {e}"),
        }
    }
}

#[test]
fn tshark_decodes_a_hark_beep_session_on_loopback_without_malformed_frames() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let mut capture = LoopbackCapture::start_tcp(port);

    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let session = Session::new(
            Instant::now(),
            SessionConfig::new(Role::Listener).profile(PROFILE),
        );
        drive(stream, session, |s, ev| match ev {
            Event::ChannelStartRequested(req) => {
                req.accept();
            }
            Event::Message {
                channel,
                msgno,
                payload,
            } => {
                // Even msgnos: the payload echoed in an RPY; odd: two ANS and a NUL.
                if msgno % 2 == 0 {
                    s.reply(channel, msgno, payload).unwrap();
                } else {
                    s.answer(channel, msgno, payload.slice(..payload.len() / 2))
                        .unwrap();
                    s.answer(channel, msgno, payload.slice(payload.len() / 2..))
                        .unwrap();
                    s.finish_answers(channel, msgno).unwrap();
                }
            }
            _ => {}
        })
    });

    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let session = Session::new(
        Instant::now(),
        SessionConfig::new(Role::Initiator).profile(PROFILE),
    );
    let mut echoed = 0usize;
    let mut complete = 0usize;
    let client = drive(stream, session, |s, ev| match ev {
        Event::GreetingReceived { .. } => {
            for _ in 0..3 {
                s.start_channel(&[PROFILE]).unwrap();
            }
        }
        Event::ChannelStarted { channel, .. } => {
            for (i, size) in SIZES.iter().enumerate() {
                let body: Vec<u8> = (0..*size).map(|k| (k * 7 + i) as u8).collect();
                let mut payload = b"Content-Type: application/octet-stream\r\n\r\n".to_vec();
                payload.extend_from_slice(&body);
                s.send(channel, payload).unwrap();
            }
        }
        Event::Reply { reply, .. } => {
            if !matches!(reply, Reply::Ans { .. }) {
                complete += 1;
            }
            match reply {
                Reply::Rpy(p) => echoed += p.len(),
                Reply::Ans { payload, .. } => echoed += payload.len(),
                Reply::Nul | Reply::Err(_) => {}
            }
            if complete == 3 * SIZES.len() {
                s.close_session().unwrap();
            }
        }
        _ => {}
    });
    let server = server.join().expect("server thread");
    assert_eq!(server, [SessionCloseReason::Released]);
    assert!(client.contains(&SessionCloseReason::Released), "{client:?}");
    let header = "Content-Type: application/octet-stream\r\n\r\n".len();
    assert_eq!(echoed, 3 * SIZES.iter().map(|s| s + header).sum::<usize>());

    let path = capture.finish().to_path_buf();
    let counts = tshark::check_beep_capture(&path, port);
    assert!(
        counts.data > 0 && counts.seqs > 0,
        "data and SEQ frames decoded: {counts:?}"
    );
}
