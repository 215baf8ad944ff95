//! hark-emitted BEEP frames (channel-0 XML included), sent as one loopback TCP exchange and
//! decoded by Debian's tshark (`beep` dissector): every header field tshark reads must equal
//! the one hark wrote, and no frame may be malformed or draw an expert warning.
//!
//! Each frame goes in its own TCP segment. Debian 12's tshark `beep` dissector decodes only
//! the first frame of a segment (with three whole frames per segment it reported one) and
//! does not reassemble a frame that spans segments (37-byte segments drew "Malformed
//! Packet: BEEP"), so a capture meant for it must send one frame per segment.

use hark_suite::tshark;
use hark_wire::beep::channel0::{Channel0Message, Close, Greeting, Profile, Start};
use hark_wire::beep::frame::FrameRepr;
use hark_wire::beep::header::{FrameType, More};
use hark_wire::beep::mime::MimeRepr;
use hark_wire::beep::seq::SeqRepr;
use std::net::SocketAddrV4;

const LISTENER: &str = "127.0.0.1:10288";
const INITIATOR: &str = "127.0.0.1:40123";

/// One frame or SEQ as it goes on the wire, with who sends it.
enum Wire {
    Data(bool, FrameType, u32, u32, More, u32, Vec<u8>),
    Seq(bool, SeqRepr),
}

/// A channel-0 payload: the beep+xml MIME block and the message's XML.
fn channel0(message: &Channel0Message) -> Vec<u8> {
    let mime = MimeRepr::beep_xml();
    let mut payload = vec![0; mime.buffer_len()];
    mime.emit(&mut payload).unwrap();
    payload.extend_from_slice(&message.to_vec().unwrap());
    payload
}

/// Vortex's empty MIME block before application data.
fn data(text: &[u8]) -> Vec<u8> {
    let mut payload = b"\r\n".to_vec();
    payload.extend_from_slice(text);
    payload
}

fn session() -> Vec<Wire> {
    const L: bool = false;
    const I: bool = true;
    let greeting = |profiles: &[&str]| {
        channel0(&Channel0Message::Greeting(Greeting {
            profiles: profiles.iter().map(|p| p.to_string()).collect(),
            ..Greeting::default()
        }))
    };
    let listener_greeting = greeting(&["http://example.org/beep/echo"]);
    let initiator_greeting = greeting(&[]);
    let start = channel0(&Channel0Message::Start(Start {
        number: 1,
        server_name: Some("localhost".into()),
        profiles: vec![Profile::new("http://example.org/beep/echo")],
    }));
    let accepted = channel0(&Channel0Message::Profile(Profile::new(
        "http://example.org/beep/echo",
    )));
    let close = channel0(&Channel0Message::Close(Close {
        number: 1,
        code: 200,
        ..Close::default()
    }));
    let ok = channel0(&Channel0Message::Ok);
    let l0 = listener_greeting.len() as u32;
    let i0 = initiator_greeting.len() as u32;
    let (ask, part1, part2) = (data(b"ping"), data(b"pong one"), data(b" and two"));
    vec![
        Wire::Data(
            L,
            FrameType::Rpy,
            0,
            0,
            More::Complete,
            0,
            listener_greeting,
        ),
        Wire::Data(
            I,
            FrameType::Rpy,
            0,
            0,
            More::Complete,
            0,
            initiator_greeting,
        ),
        Wire::Data(I, FrameType::Msg, 0, 1, More::Complete, i0, start.clone()),
        Wire::Data(
            L,
            FrameType::Rpy,
            0,
            1,
            More::Complete,
            l0,
            accepted.clone(),
        ),
        Wire::Seq(
            L,
            SeqRepr {
                channel: 1,
                ackno: 0,
                window: 4096,
            },
        ),
        Wire::Data(I, FrameType::Msg, 1, 0, More::Complete, 0, ask.clone()),
        Wire::Seq(
            I,
            SeqRepr {
                channel: 1,
                ackno: 0,
                window: 4096,
            },
        ),
        Wire::Data(
            L,
            FrameType::Ans { ansno: 0 },
            1,
            0,
            More::Intermediate,
            0,
            part1.clone(),
        ),
        Wire::Data(
            L,
            FrameType::Ans { ansno: 1 },
            1,
            0,
            More::Complete,
            part1.len() as u32,
            part2.clone(),
        ),
        Wire::Data(
            L,
            FrameType::Ans { ansno: 0 },
            1,
            0,
            More::Complete,
            (part1.len() + part2.len()) as u32,
            data(b"!"),
        ),
        Wire::Data(
            L,
            FrameType::Nul,
            1,
            0,
            More::Complete,
            (part1.len() + part2.len() + 3) as u32,
            Vec::new(),
        ),
        Wire::Seq(
            I,
            SeqRepr {
                channel: 1,
                ackno: ask.len() as u32,
                window: 4096,
            },
        ),
        Wire::Data(
            I,
            FrameType::Msg,
            0,
            2,
            More::Complete,
            i0 + start.len() as u32,
            close,
        ),
        Wire::Data(
            L,
            FrameType::Rpy,
            0,
            2,
            More::Complete,
            l0 + accepted.len() as u32,
            ok,
        ),
    ]
}

#[test]
fn tshark_decodes_hark_beep_frames() {
    let listener: SocketAddrV4 = LISTENER.parse().unwrap();
    let initiator: SocketAddrV4 = INITIATOR.parse().unwrap();
    let mut tcp = TcpCapture::new(initiator, listener);
    let frames = session();
    let mut expected = Vec::new();
    for wire in &frames {
        let (from_initiator, bytes) = emitted(wire);
        let row = match wire {
            Wire::Data(_, frame_type, channel, msgno, more, seqno, payload) => vec![
                frame_type.keyword().to_string(),
                channel.to_string(),
                msgno.to_string(),
                format!("'{}'", more.as_byte() as char),
                seqno.to_string(),
                payload.len().to_string(),
                frame_type
                    .ansno()
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
            // tshark's dissector names no command for SEQ, and shows the channel both as
            // beep.channel and beep.seq.channel.
            Wire::Seq(_, seq) => vec![
                String::new(),
                seq.channel.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                seq.channel.to_string(),
                seq.ackno.to_string(),
                seq.window.to_string(),
                String::new(),
                String::new(),
            ],
        };
        tcp.send(from_initiator, &bytes);
        expected.push(row);
    }
    tcp.close();

    let dir = std::env::temp_dir().join(format!("hark-tshark-beep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("beep.pcap");
    std::fs::write(&path, tcp.pcap()).unwrap();
    let rows = tshark::filtered_fields(
        &path,
        &[&format!("tcp.port=={},beep", listener.port())],
        Some("beep"),
        &[
            "beep.command",
            "beep.channel",
            "beep.msgno",
            "beep.more",
            "beep.seqno",
            "beep.size",
            "beep.ansno",
            "beep.seq.channel",
            "beep.seq.ackno",
            "beep.seq.window",
            "_ws.malformed",
            "_ws.expert.severity",
        ],
    );
    let verbose = std::process::Command::new("tshark")
        .args(["-n", "-r"])
        .arg(&path)
        .args(["-d", &format!("tcp.port=={},beep", listener.port()), "-V"])
        .output()
        .expect("tshark runs (it ran above)");
    std::fs::remove_dir_all(&dir).ok();
    let verbose = String::from_utf8_lossy(&verbose.stdout);
    assert!(!verbose.contains("Malformed"), "{verbose}");
    // The dissector adds most fields twice (e.g. "1,1"); each must agree with itself.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|field| single(field)).collect())
        .collect();
    assert_eq!(rows.len(), expected.len(), "{rows:#?}");
    for (index, (row, expected)) in rows.iter().zip(&expected).enumerate() {
        assert_eq!(row, expected, "frame {index}");
    }
}

/// `"v,v,v"` -> `"v"`; anything else unchanged, so that a disagreement shows.
fn single(field: &str) -> String {
    let mut parts = field.split(',');
    let first = parts.next().unwrap_or("");
    if parts.all(|part| part == first) {
        first.to_string()
    } else {
        field.to_string()
    }
}

/// The bytes hark emits for one item, and who sends them.
fn emitted(wire: &Wire) -> (bool, Vec<u8>) {
    match wire {
        Wire::Data(from_initiator, frame_type, channel, msgno, more, seqno, payload) => {
            let repr = FrameRepr {
                frame_type: *frame_type,
                channel: *channel,
                msgno: *msgno,
                more: *more,
                seqno: *seqno,
                payload,
            };
            let mut buf = vec![0; repr.buffer_len()];
            repr.emit(&mut buf).unwrap();
            (*from_initiator, buf)
        }
        Wire::Seq(from_initiator, seq) => {
            let mut buf = vec![0; seq.buffer_len()];
            seq.emit(&mut buf).unwrap();
            (*from_initiator, buf)
        }
    }
}

/// Builds a pcap of one TCP connection (handshake, data both ways, FIN both ways) between
/// two loopback endpoints, each `send` one segment.
struct TcpCapture {
    initiator: SocketAddrV4,
    listener: SocketAddrV4,
    /// Next sequence number of each side (initiator, listener).
    seq: [u32; 2],
    micros: u64,
    bytes: Vec<u8>,
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const FIN: u8 = 0x01;

impl TcpCapture {
    fn new(initiator: SocketAddrV4, listener: SocketAddrV4) -> Self {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&4u16.to_le_bytes());
        bytes.extend_from_slice(&0i32.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&262_144u32.to_le_bytes());
        bytes.extend_from_slice(&101u32.to_le_bytes()); // LINKTYPE_RAW: IPv4 first
        let mut capture = Self {
            initiator,
            listener,
            seq: [1_000, 5_000],
            micros: 0,
            bytes,
        };
        capture.segment(true, SYN, &[]);
        capture.seq[0] += 1;
        capture.segment(false, SYN | ACK, &[]);
        capture.seq[1] += 1;
        capture.segment(true, ACK, &[]);
        capture
    }

    fn send(&mut self, from_initiator: bool, payload: &[u8]) {
        self.segment(from_initiator, PSH | ACK, payload);
        self.seq[usize::from(!from_initiator)] += payload.len() as u32;
    }

    fn close(&mut self) {
        for side in [false, true] {
            self.segment(side, FIN | ACK, &[]);
            self.seq[usize::from(!side)] += 1;
        }
        self.segment(true, ACK, &[]);
    }

    fn segment(&mut self, from_initiator: bool, flags: u8, payload: &[u8]) {
        let (src, dst) = if from_initiator {
            (self.initiator, self.listener)
        } else {
            (self.listener, self.initiator)
        };
        let me = usize::from(!from_initiator);
        let (seq, ack) = (self.seq[me], self.seq[1 - me]);
        let ack = if flags & ACK != 0 { ack } else { 0 };
        let mut tcp = Vec::with_capacity(20 + payload.len());
        tcp.extend_from_slice(&src.port().to_be_bytes());
        tcp.extend_from_slice(&dst.port().to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&ack.to_be_bytes());
        tcp.extend_from_slice(&[5 << 4, flags]);
        tcp.extend_from_slice(&65_535u16.to_be_bytes());
        tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
        tcp.extend_from_slice(payload);
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&src.ip().octets());
        pseudo.extend_from_slice(&dst.ip().octets());
        pseudo.extend_from_slice(&[0, 6]);
        pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
        pseudo.extend_from_slice(&tcp);
        let checksum = internet_checksum(&pseudo);
        tcp[16..18].copy_from_slice(&checksum.to_be_bytes());

        let total = 20 + tcp.len();
        let mut ip = Vec::with_capacity(total);
        ip.extend_from_slice(&[0x45, 0]);
        ip.extend_from_slice(&(total as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
        ip.extend_from_slice(&src.ip().octets());
        ip.extend_from_slice(&dst.ip().octets());
        let checksum = internet_checksum(&ip);
        ip[10..12].copy_from_slice(&checksum.to_be_bytes());
        ip.extend_from_slice(&tcp);

        self.micros += 1000;
        self.bytes
            .extend_from_slice(&((self.micros / 1_000_000) as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&((self.micros % 1_000_000) as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&(ip.len() as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&(ip.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(&ip);
    }

    fn pcap(&self) -> &[u8] {
        &self.bytes
    }
}

fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
