//! BEEP channel pools on loopback: initial channels, next ready / release, growth
//! through the create handler up to the maximum, a failing create handler, channels
//! closed under the pool, close, and the asynchronous creation's `on_pool_created`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hark::beep::{
    Answer, BeepContext, BeepError, ChannelHandlers, ChannelPool, Connection, Frame, FrameType,
    PoolConfig, Profile, ReplyKind,
};
use hark::events::{EventHub, Severity};

const ECHO: &str = "http://example.org/beep/echo";
const DENIED: &str = "http://example.org/beep/denied";
const T: Duration = Duration::from_secs(10);

/// A listener serving ECHO (counting channel closes) and refusing DENIED.
fn listener(closes: Arc<AtomicUsize>) -> (BeepContext, hark::beep::Listener) {
    let server = BeepContext::new().unwrap();
    server.register(
        Profile::new(ECHO).on_frame((), |conn, channel, frame: &Frame, _| {
            if frame.kind() == FrameType::Msg {
                let _ = conn.reply(
                    channel,
                    frame.msgno(),
                    ReplyKind::Rpy,
                    frame.payload().clone(),
                );
            }
        }),
    );
    server.register(Profile::new(DENIED).on_start((), |req, _, _| req.deny(421, "no")));
    server.on_close(closes, |req, _, closes| {
        closes.fetch_add(1, Ordering::SeqCst);
        req.accept();
    });
    let l = server.listen("127.0.0.1:0".parse().unwrap()).unwrap();
    (server, l)
}

fn connect(
    l: &hark::beep::Listener,
    hub: Option<hark::tcp::SharedHub>,
) -> (BeepContext, Connection) {
    let mut ctx = BeepContext::new().unwrap();
    if let Some(hub) = hub {
        ctx = ctx.with_hub(hub);
    }
    ctx.register(Profile::new(ECHO));
    ctx.register(Profile::new(DENIED));
    let conn = ctx.connect(l.local_addr(), T).unwrap();
    (ctx, conn)
}

fn echo(conn: &Connection, channel: u32, body: &str) {
    let payload = format!("\r\n{body}");
    match conn.send_and_wait(channel, payload, T).unwrap() {
        Answer::Rpy(f) => assert_eq!(f.body(), body.as_bytes()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn next_ready_release_and_growth_through_the_create_handler_up_to_the_maximum() {
    let closes = Arc::new(AtomicUsize::new(0));
    let (_server, l) = listener(closes.clone());
    let hub = Arc::new(Mutex::new(EventHub::new()));
    let (_ctx, conn) = connect(&l, Some(hub.clone()));
    let calls = Arc::new(Mutex::new(Vec::new()));
    let config = PoolConfig::new(ECHO, 2)
        .max(4)
        .on_create(calls.clone(), |req, calls| {
            let next = req
                .next_data
                .and_then(|d| d.downcast_ref::<&str>())
                .copied();
            calls.lock().unwrap().push((
                req.channel_num,
                req.profile.to_owned(),
                next.map(str::to_owned),
            ));
            req.conn.open_channel(req.profile, req.handlers.clone(), T)
        });
    let pool = ChannelPool::new(&conn, config, T).unwrap();
    assert_eq!((pool.len(), pool.available()), (2, 2));
    assert_eq!(
        calls.lock().unwrap().len(),
        2,
        "initial channels come from the handler"
    );

    let a = pool.next_ready(false, None).unwrap().unwrap();
    let b = pool.next_ready(false, None).unwrap().unwrap();
    assert_ne!(a, b);
    assert_eq!(pool.available(), 0);
    assert_eq!(
        pool.next_ready(false, None).unwrap(),
        None,
        "no growth asked for"
    );
    let tag: &(dyn std::any::Any + Send + Sync) = &"third";
    let c = pool.next_ready(true, Some(tag)).unwrap().unwrap();
    let d = pool.next_ready(true, None).unwrap().unwrap();
    assert_eq!(pool.len(), 4);
    assert_eq!(pool.next_ready(true, None).unwrap(), None, "at the maximum");
    assert!(matches!(pool.add(1), Err(BeepError::PoolFull(4))));
    assert_eq!(
        calls.lock().unwrap()[2],
        (0, ECHO.to_owned(), Some("third".to_owned()))
    );
    for (i, ch) in [a, b, c, d].into_iter().enumerate() {
        echo(&conn, ch, &format!("message {i}"));
    }
    pool.release(b);
    assert_eq!(pool.available(), 1);
    assert_eq!(pool.next_ready(false, None).unwrap(), Some(b));

    pool.close(T).unwrap();
    assert_eq!(closes.load(Ordering::SeqCst), 4);
    assert!(matches!(
        pool.next_ready(true, None),
        Err(BeepError::Closed)
    ));
    for ch in [a, b, c, d] {
        assert!(!conn.is_channel_open(ch));
    }
    let mut created = Vec::new();
    while let Some(ev) = hub.lock().unwrap().poll_event() {
        if ev.kind.name() == "beep_pool_created" {
            created.push((ev.severity, ev.message().to_string()));
        }
    }
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].0, Severity::Info);
    assert!(created[0].1.contains("2 channels"), "{created:?}");
    conn.close(T).unwrap();
}

#[test]
fn a_failing_create_handler_is_an_error_and_a_warning_event() {
    let (_server, l) = listener(Arc::default());
    let hub = Arc::new(Mutex::new(EventHub::new()));
    let (_ctx, conn) = connect(&l, Some(hub.clone()));
    // The default creation (no handler) on a profile the listener refuses.
    match ChannelPool::new(&conn, PoolConfig::new(DENIED, 1), T) {
        Err(BeepError::Refused { code: 421, .. }) => {}
        other => panic!("{other:?}"),
    }
    let mut warnings = Vec::new();
    while let Some(ev) = hub.lock().unwrap().poll_event() {
        if ev.kind.name() == "beep_pool_grow_failed" {
            warnings.push(ev.severity);
        }
    }
    assert_eq!(warnings, vec![Severity::Warning]);
    // The session is fine; a pool on a served profile works.
    let pool = ChannelPool::new(&conn, PoolConfig::new(ECHO, 1), T).unwrap();
    let ch = pool.next_ready(false, None).unwrap().unwrap();
    echo(&conn, ch, "ok");
    conn.close(T).unwrap();
}

#[test]
fn a_channel_closed_under_the_pool_leaves_it_and_attach_detach() {
    let (_server, l) = listener(Arc::default());
    let (_ctx, conn) = connect(&l, None);
    let pool = ChannelPool::new(&conn, PoolConfig::new(ECHO, 2).max(3), T).unwrap();
    let a = pool.next_ready(false, None).unwrap().unwrap();
    conn.close_channel(a, T).unwrap();
    assert_eq!(pool.len(), 1, "the closed channel left the pool");
    let b = pool.next_ready(false, None).unwrap().unwrap();
    assert_ne!(a, b);
    assert_eq!(pool.next_ready(false, None).unwrap(), None);
    // A channel opened outside the pool joins it; detaching keeps it open.
    let own = conn.open_channel(ECHO, ChannelHandlers::new(), T).unwrap();
    assert!(pool.attach(own));
    assert_eq!(pool.next_ready(false, None).unwrap(), Some(own));
    assert!(!pool.attach(9999), "not an open channel");
    assert!(pool.detach(own));
    assert!(conn.is_channel_open(own));
    echo(&conn, own, "detached");
    pool.close(T).unwrap();
    assert!(!conn.is_channel_open(b));
    conn.close(T).unwrap();
}

#[test]
fn async_creation_calls_on_pool_created_with_the_pool() {
    let (_server, l) = listener(Arc::default());
    let (_ctx, conn) = connect(&l, None);
    let (tx, rx) = std::sync::mpsc::channel();
    ChannelPool::new_async(
        &conn,
        PoolConfig::new(ECHO, 3),
        T,
        Box::new(move |pool| {
            let _ = tx.send(pool.map(|p| (p.len(), p.clone())).map_err(Clone::clone));
        }),
    )
    .unwrap();
    let (len, pool) = rx.recv_timeout(T).unwrap().unwrap();
    assert_eq!(len, 3);
    let ch = pool.next_ready(false, None).unwrap().unwrap();
    echo(&conn, ch, "async");
    // A failed creation reaches on_pool_created too.
    let (tx, rx) = std::sync::mpsc::channel();
    ChannelPool::new_async(
        &conn,
        PoolConfig::new(DENIED, 1),
        T,
        Box::new(move |pool| {
            let _ = tx.send(pool.map(|_| ()).map_err(Clone::clone));
        }),
    )
    .unwrap();
    assert!(matches!(
        rx.recv_timeout(T).unwrap(),
        Err(BeepError::Refused { code: 421, .. })
    ));
    conn.close(T).unwrap();
}
