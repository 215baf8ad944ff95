//! Batched UDP I/O over real loopback sockets: every datagram arrives exactly once with
//! its exact bytes, with GSO/GRO, with plain batches, and after a forced GSO fallback.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::thread;
use std::time::{Duration, Instant};

use hark_reactor::udp::{BatchSocket, RecvBuffers, SendQueue, UdpConfig};

const V4: &str = "127.0.0.1:0";
const V6: &str = "[::1]:0";

/// Size pattern: runs of equal sizes (GSO material) broken by odd sizes and short tails.
const SIZES: [usize; 12] = [
    1400, 1400, 1400, 1400, 700, 1400, 1400, 4, 1200, 1200, 1200, 64,
];

fn bind(addr: &str, config: &UdpConfig) -> BatchSocket {
    BatchSocket::bind(addr.parse().unwrap(), config).unwrap()
}

/// The exact bytes of datagram `seq`: its number, then a pattern derived from it.
fn payload(seq: u32, out: &mut Vec<u8>) {
    let len = SIZES[seq as usize % SIZES.len()];
    out.clear();
    out.extend((0..len).map(|i| (i as u32).wrapping_mul(31).wrapping_add(seq) as u8));
    out[..4].copy_from_slice(&seq.to_be_bytes());
}

/// Which receiver datagram `seq` goes to: runs of five to one, then three to the other.
fn receiver_of(seq: u32) -> usize {
    usize::from(seq % 8 >= 5)
}

struct Received {
    by_receiver: Vec<HashMap<u32, usize>>,
    messages: usize,
    datagrams: usize,
}

/// Reads everything queued on `rx`, checking each datagram against its expected bytes.
fn drain(
    rx: &mut BatchSocket,
    bufs: &mut RecvBuffers,
    from: SocketAddr,
    seen: &mut HashMap<u32, usize>,
) -> (usize, usize) {
    let (mut messages, mut datagrams) = (0, 0);
    let mut expected = Vec::new();
    loop {
        match rx.recv_batch(bufs) {
            Ok(n) => {
                messages += n;
                for (source, data) in bufs.datagrams() {
                    assert_eq!(source, from, "source address");
                    let seq = u32::from_be_bytes(data[..4].try_into().unwrap());
                    payload(seq, &mut expected);
                    assert_eq!(data, &expected[..], "contents of datagram {seq}");
                    *seen.entry(seq).or_default() += 1;
                    datagrams += 1;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return (messages, datagrams),
            Err(e) => panic!("recv_batch: {e}"),
        }
    }
}

/// Sends `count` datagrams from `tx` to two receivers through a bounded queue,
/// receiving as it goes, and returns what arrived.
fn exchange(tx: &mut BatchSocket, rxs: &mut [BatchSocket; 2], count: u32) -> Received {
    let mut queue = SendQueue::new(128, 2048);
    let mut bufs: Vec<RecvBuffers> = rxs.iter().map(BatchSocket::recv_buffers).collect();
    let dests = [rxs[0].local_addr(), rxs[1].local_addr()];
    let from = tx.local_addr();
    let mut out = Received {
        by_receiver: vec![HashMap::new(), HashMap::new()],
        messages: 0,
        datagrams: 0,
    };
    let mut data = Vec::new();
    let mut seq = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut pull = |rxs: &mut [BatchSocket; 2], out: &mut Received| {
        for (i, rx) in rxs.iter_mut().enumerate() {
            let (m, d) = drain(rx, &mut bufs[i], from, &mut out.by_receiver[i]);
            out.messages += m;
            out.datagrams += d;
        }
    };
    while seq < count || !queue.is_empty() {
        while seq < count && !queue.is_full() {
            payload(seq, &mut data);
            queue.push(dests[receiver_of(seq)], &data, false).unwrap();
            seq += 1;
        }
        match tx.send_batch(&mut queue) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(1))
            }
            Err(e) => panic!("send_batch: {e}"),
        }
        pull(rxs, &mut out);
        assert!(Instant::now() < deadline, "sending took too long");
    }
    while out.datagrams < count as usize && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(1));
        pull(rxs, &mut out);
    }
    out
}

fn assert_exactly_once(received: &Received, count: u32) {
    for seq in 0..count {
        let n = received.by_receiver[receiver_of(seq)].get(&seq).copied();
        assert_eq!(n, Some(1), "datagram {seq} must arrive exactly once");
    }
    assert_eq!(received.datagrams, count as usize, "no extra datagrams");
}

fn round_trip(addr: &str, config: UdpConfig, count: u32) -> (Received, BatchSocket) {
    let mut tx = bind(addr, &config);
    let mut rxs = [bind(addr, &config), bind(addr, &config)];
    let received = exchange(&mut tx, &mut rxs, count);
    assert_exactly_once(&received, count);
    (received, tx)
}

#[test]
fn batches_with_gso_and_gro_deliver_every_datagram_exactly() {
    let (received, tx) = round_trip(V4, UdpConfig::DEFAULT, 3000);
    let caps = tx.capabilities();
    eprintln!(
        "capabilities: {caps:?}; {} messages for {} datagrams",
        received.messages, received.datagrams
    );
    assert_eq!(tx.stats().sent, 3000);
    if caps.gro && caps.gso_max_segments > 1 {
        assert!(
            received.messages < received.datagrams,
            "GSO sends received with GRO arrive coalesced"
        );
    }
}

#[test]
fn plain_batches_deliver_every_datagram_exactly() {
    let (received, tx) = round_trip(V4, UdpConfig::NO_OFFLOAD, 3000);
    assert_eq!(tx.capabilities().gso_max_segments, 1);
    assert!(!tx.capabilities().gro);
    assert_eq!(
        received.messages, received.datagrams,
        "no coalescing without GRO"
    );
}

#[test]
fn one_datagram_per_call_still_works() {
    let config = UdpConfig {
        batch_size: 1,
        ..UdpConfig::NO_OFFLOAD
    };
    round_trip(V4, config, 500);
}

#[test]
fn ipv6_loopback_round_trip() {
    round_trip(V6, UdpConfig::DEFAULT, 2000);
    round_trip(V6, UdpConfig::NO_OFFLOAD, 500);
}

#[test]
fn gso_only_and_gro_only_mix() {
    let gso_only = UdpConfig {
        gro: false,
        ..UdpConfig::DEFAULT
    };
    let mut tx = bind(V4, &gso_only);
    let mut rxs = [
        bind(V4, &UdpConfig::NO_OFFLOAD),
        bind(V4, &UdpConfig::DEFAULT),
    ];
    let received = exchange(&mut tx, &mut rxs, 2000);
    assert_exactly_once(&received, 2000);
}

/// `SO_NO_CHECK` (value 11 on Linux) turns off UDP checksums on send, and the kernel then
/// rejects every GSO send with EINVAL: a real rejection to fall back from.
#[test]
fn kernel_rejecting_gso_falls_back_and_remembers() {
    const SO_NO_CHECK: libc::c_int = 11;
    let std_socket = UdpSocket::bind(V4).unwrap();
    let one: libc::c_int = 1;
    // SAFETY: a live int option value of the exact size passed.
    let rc = unsafe {
        libc::setsockopt(
            std_socket.as_raw_fd(),
            libc::SOL_SOCKET,
            SO_NO_CHECK,
            (&one as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "SO_NO_CHECK: {}", io::Error::last_os_error());
    let mut tx = BatchSocket::from_std(std_socket, &UdpConfig::DEFAULT).unwrap();
    let detected = tx.capabilities().gso_max_segments > 1;
    let mut rxs = [
        bind(V4, &UdpConfig::DEFAULT),
        bind(V4, &UdpConfig::NO_OFFLOAD),
    ];
    let received = exchange(&mut tx, &mut rxs, 2000);
    assert_exactly_once(&received, 2000);
    if detected {
        assert_eq!(
            tx.stats().gso_fallbacks,
            1,
            "one rejection, then remembered"
        );
        assert_eq!(tx.capabilities().gso_max_segments, 1);
    }
    assert_eq!(tx.stats().sent, 2000);
    assert_eq!(tx.stats().send_errors, 0);
}

#[test]
fn buffers_are_requested_and_reported() {
    let socket = bind(V4, &UdpConfig::DEFAULT);
    let caps = socket.capabilities();
    eprintln!("{caps:?}");
    assert_eq!(caps.recv_buffer_requested, 4 << 20);
    assert!(
        caps.recv_buffer_granted > 212_992,
        "more than the default was granted"
    );
    assert!(caps.send_buffer_granted > 0);

    // Past rmem_max only SO_RCVBUFFORCE helps; it needs CAP_NET_ADMIN.
    let rmem_max: usize = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let huge = UdpConfig {
        recv_buffer: rmem_max * 2 + (1 << 20),
        ..UdpConfig::DEFAULT
    };
    let caps = bind(V4, &huge).capabilities();
    eprintln!(
        "asked for {} with rmem_max {rmem_max}: {caps:?}",
        huge.recv_buffer
    );
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if caps.recv_buffer_forced {
        assert!(caps.recv_buffer_granted >= huge.recv_buffer);
    } else {
        assert!(!root || rmem_max == 0, "root may force past rmem_max");
        assert!(caps.recv_buffer_granted <= rmem_max * 2);
    }
}

#[test]
fn zero_buffer_request_keeps_the_os_default() {
    let plain = UdpSocket::bind(V4).unwrap();
    let default_size = |name| {
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: the fd is open for the call; value and len point to live locals of the
        // sizes the kernel expects for these int options.
        let rc = unsafe {
            libc::getsockopt(
                plain.as_raw_fd(),
                libc::SOL_SOCKET,
                name,
                (&raw mut value).cast(),
                &raw mut len,
            )
        };
        assert_eq!(rc, 0, "getsockopt: {}", io::Error::last_os_error());
        usize::try_from(value).unwrap()
    };
    let caps = bind(V4, &UdpConfig::OS_BUFFERS).capabilities();
    assert_eq!(caps.recv_buffer_requested, 0);
    assert_eq!(caps.recv_buffer_granted, default_size(libc::SO_RCVBUF));
    assert_eq!(caps.send_buffer_granted, default_size(libc::SO_SNDBUF));
    assert!(!caps.recv_buffer_forced && !caps.send_buffer_forced);
}

#[test]
fn dont_fragment_switches_and_is_applied_per_run() {
    let mut tx = bind(V4, &UdpConfig::DEFAULT);
    assert_eq!(tx.dont_fragment(), None);
    tx.set_dont_fragment(true).unwrap();
    assert_eq!(tx.dont_fragment(), Some(true));
    let mut rx = bind(V4, &UdpConfig::DEFAULT);
    let mut queue = SendQueue::new(16, 2048);
    queue.push(rx.local_addr(), &[1; 100], false).unwrap();
    queue.push(rx.local_addr(), &[2; 100], true).unwrap();
    // Oversized for loopback's 64 KiB MTU? No: 1400 fits; DF only matters past the MTU.
    queue.push(rx.local_addr(), &[3; 1400], true).unwrap();
    while !queue.is_empty() {
        tx.send_batch(&mut queue).unwrap();
    }
    assert_eq!(tx.dont_fragment(), Some(true));
    let mut v6 = bind(V6, &UdpConfig::DEFAULT);
    v6.set_dont_fragment(true).unwrap();
    v6.set_dont_fragment(false).unwrap();
    assert_eq!(v6.dont_fragment(), Some(false));

    let mut bufs = rx.recv_buffers();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.len() < 3 && Instant::now() < deadline {
        match rx.recv_batch(&mut bufs) {
            Ok(_) => got.extend(bufs.datagrams().map(|(_, d)| (d[0], d.len()))),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(1))
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, vec![(1, 100), (2, 100), (3, 1400)]);
}

#[test]
fn refused_datagram_is_dropped_and_counted() {
    // An IPv4 socket cannot reach an IPv6-only destination: the kernel refuses that one
    // datagram, and the ones around it still go out.
    let mut tx = bind(V4, &UdpConfig::NO_OFFLOAD);
    let mut rx = bind(V4, &UdpConfig::NO_OFFLOAD);
    let mut queue = SendQueue::new(8, 2048);
    queue.push(rx.local_addr(), b"before", false).unwrap();
    queue
        .push("[::1]:9".parse().unwrap(), b"nowhere", false)
        .unwrap();
    queue.push(rx.local_addr(), b"after", false).unwrap();
    for _ in 0..10 {
        if queue.is_empty() {
            break;
        }
        tx.send_batch(&mut queue).unwrap();
    }
    assert!(queue.is_empty());
    assert_eq!(tx.stats().sent, 2);
    assert_eq!(tx.stats().send_errors, 1);
    assert!(tx.stats().last_send_error.is_some());
    let mut bufs = rx.recv_buffers();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.len() < 2 && Instant::now() < deadline {
        match rx.recv_batch(&mut bufs) {
            Ok(_) => got.extend(bufs.datagrams().map(|(_, d)| d.to_vec())),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(1))
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, vec![b"before".to_vec(), b"after".to_vec()]);
}

#[test]
fn overflow_drops_are_counted() {
    let small = UdpConfig {
        recv_buffer: 16 << 10,
        ..UdpConfig::NO_OFFLOAD
    };
    let mut tx = bind(V4, &UdpConfig::NO_OFFLOAD);
    let mut rx = bind(V4, &small);
    let mut queue = SendQueue::new(64, 2048);
    let mut data = Vec::new();
    let sent = 200u32;
    for seq in 0..sent {
        payload(seq, &mut data);
        if queue.is_full() {
            while !queue.is_empty() {
                tx.send_batch(&mut queue).unwrap();
            }
        }
        queue.push(rx.local_addr(), &data, false).unwrap();
    }
    while !queue.is_empty() {
        tx.send_batch(&mut queue).unwrap();
    }
    let mut bufs = rx.recv_buffers();
    let mut seen = HashMap::new();
    let (_, got) = drain(&mut rx, &mut bufs, tx.local_addr(), &mut seen);
    assert!(
        got < sent as usize,
        "a 16 KiB buffer cannot hold 200 datagrams"
    );
    // The count rides on each datagram as it is queued: one sent after the overflow
    // carries the full tally.
    payload(sent, &mut data);
    queue.push(rx.local_addr(), &data, false).unwrap();
    tx.send_batch(&mut queue).unwrap();
    let (_, late) = drain(&mut rx, &mut bufs, tx.local_addr(), &mut seen);
    eprintln!("received {got} + {late}, dropped {}", bufs.kernel_drops());
    assert_eq!(late, 1);
    assert_eq!(got + bufs.kernel_drops() as usize, sent as usize);
    assert!(seen.values().all(|&n| n == 1));
}
