//! `hark decode beep`: print a captured BEEP byte stream frame by frame, every header field,
//! each payload's MIME headers, and channel 0's messages decoded from their XML.

use std::collections::HashMap;
use std::fmt::Write as _;

use hark_wire::beep::channel0::{Channel0Message, ContentEncoding, Profile};
use hark_wire::beep::frame::Frame;
use hark_wire::beep::header::{FrameType, More};
use hark_wire::beep::mime::MimeHeaders;
use hark_wire::beep::stream::{Decoded, Decoder, Status};

/// Channel-0 messages are reassembled up to this size (their frames are otherwise only
/// listed).
const MAX_CHANNEL0_MESSAGE: usize = 64 * 1024;

/// Decodes the stream in `bytes` and returns the text to print. A poorly-formed frame
/// stops decoding: the frames before it are printed to stdout and the error is returned.
pub fn run(bytes: &[u8], max_payload: u32) -> Result<String, String> {
    let decoder = Decoder::new(max_payload);
    let mut out = String::new();
    let mut offset = 0;
    let mut frames = 0;
    // Channel-0 messages in progress: (is reply, msgno, ansno) -> payload so far.
    let mut partial: HashMap<(bool, u32, Option<u32>), Vec<u8>> = HashMap::new();
    while offset < bytes.len() {
        let index = frames + 1;
        match decoder.decode(&bytes[offset..]) {
            Ok(Status::Complete(Decoded::Seq(seq))) => {
                let _ = writeln!(
                    out,
                    "frame {index} at byte {offset} ({} bytes): SEQ",
                    seq.len()
                );
                let _ = writeln!(out, "  channel: {}", seq.channel());
                let _ = writeln!(out, "  ackno: {}", seq.ackno());
                let _ = writeln!(out, "  window: {}", seq.window());
                offset += seq.len();
                frames += 1;
            }
            Ok(Status::Complete(Decoded::Data(frame))) => {
                describe_frame(&mut out, index, offset, &frame, &mut partial);
                offset += frame.len();
                frames += 1;
            }
            Ok(Status::Incomplete { needed }) => {
                let _ = writeln!(
                    out,
                    "incomplete frame at byte {offset}: {} bytes present, at least {needed} more needed",
                    bytes.len() - offset
                );
                break;
            }
            Err(error) => {
                print!("{out}");
                return Err(format!(
                    "poorly-formed BEEP frame {index} at byte {offset}: {error}"
                ));
            }
        }
    }
    let _ = writeln!(out, "{frames} frames in {offset} bytes");
    Ok(out)
}

fn describe_frame(
    out: &mut String,
    index: usize,
    offset: usize,
    frame: &Frame<&[u8]>,
    partial: &mut HashMap<(bool, u32, Option<u32>), Vec<u8>>,
) {
    let header = frame.header();
    let _ = writeln!(
        out,
        "frame {index} at byte {offset} ({} bytes): {header}",
        frame.len()
    );
    let _ = writeln!(out, "  keyword: {}", header.frame_type.keyword());
    let _ = writeln!(out, "  channel: {}", header.channel);
    let _ = writeln!(out, "  msgno: {}", header.msgno);
    let more = match header.more {
        More::Complete => ". (complete)",
        More::Intermediate => "* (intermediate)",
    };
    let _ = writeln!(out, "  more: {more}");
    let _ = writeln!(out, "  seqno: {}", header.seqno);
    let _ = writeln!(out, "  size: {}", header.size);
    if let FrameType::Ans { ansno } = header.frame_type {
        let _ = writeln!(out, "  ansno: {ansno}");
    }
    if header.channel != 0 {
        let _ = writeln!(out, "  payload: {}", preview(frame.payload()));
        return;
    }
    let key = (
        header.frame_type.is_reply(),
        header.msgno,
        header.frame_type.ansno(),
    );
    let message = partial.entry(key).or_default();
    if message.len() + frame.payload().len() <= MAX_CHANNEL0_MESSAGE {
        message.extend_from_slice(frame.payload());
    }
    if header.more == More::Intermediate {
        let _ = writeln!(
            out,
            "  payload: {} (message continues)",
            preview(frame.payload())
        );
        return;
    }
    let message = partial.remove(&key).unwrap_or_default();
    if header.frame_type == FrameType::Nul {
        return;
    }
    describe_channel0(out, &message);
}

fn describe_channel0(out: &mut String, message: &[u8]) {
    let mime = match MimeHeaders::new_checked(message) {
        Ok(mime) => mime,
        Err(error) => {
            let _ = writeln!(out, "  mime: malformed ({error})");
            let _ = writeln!(out, "  payload: {}", preview(message));
            return;
        }
    };
    for (name, value) in mime.fields() {
        let _ = writeln!(out, "  mime {name}: {value}");
    }
    let _ = writeln!(out, "  content-type: {}", mime.content_type());
    let _ = writeln!(
        out,
        "  content-transfer-encoding: {}",
        mime.content_transfer_encoding()
    );
    let content = mime.content();
    let _ = writeln!(out, "  xml: {}", preview(content));
    match Channel0Message::parse(content) {
        Ok(parsed) => describe_message(out, &parsed),
        Err(error) => {
            let _ = writeln!(out, "  channel 0: not a channel-0 message ({error})");
        }
    }
}

fn describe_message(out: &mut String, message: &Channel0Message) {
    match message {
        Channel0Message::Greeting(greeting) => {
            let _ = writeln!(out, "  channel 0: greeting");
            for uri in &greeting.profiles {
                let _ = writeln!(out, "    profile: {uri}");
            }
            if !greeting.features.is_empty() {
                let _ = writeln!(out, "    features: {}", greeting.features.join(" "));
            }
            if !greeting.localize.is_empty() {
                let _ = writeln!(out, "    localize: {}", greeting.localize.join(" "));
            }
        }
        Channel0Message::Start(start) => {
            let _ = writeln!(out, "  channel 0: start");
            let _ = writeln!(out, "    number: {}", start.number);
            if let Some(name) = &start.server_name {
                let _ = writeln!(out, "    serverName: {name}");
            }
            for profile in &start.profiles {
                describe_profile(out, profile);
            }
        }
        Channel0Message::Profile(profile) => {
            let _ = writeln!(out, "  channel 0: profile (start accepted)");
            describe_profile(out, profile);
        }
        Channel0Message::Close(close) => {
            let _ = writeln!(out, "  channel 0: close");
            let _ = writeln!(out, "    number: {}", close.number);
            let _ = writeln!(out, "    code: {}", close.code);
            describe_diagnostic(out, close.lang.as_deref(), close.text.as_deref());
        }
        Channel0Message::Ok => {
            let _ = writeln!(out, "  channel 0: ok");
        }
        Channel0Message::Error(error) => {
            let _ = writeln!(out, "  channel 0: error");
            let _ = writeln!(out, "    code: {}", error.code);
            describe_diagnostic(out, error.lang.as_deref(), error.text.as_deref());
        }
    }
}

fn describe_profile(out: &mut String, profile: &Profile) {
    let _ = writeln!(out, "    profile: {}", profile.uri);
    if let Some(content) = &profile.content {
        let encoding = match profile.encoding {
            ContentEncoding::None => "none",
            ContentEncoding::Base64 => "base64",
        };
        let _ = writeln!(out, "      encoding: {encoding}");
        let _ = writeln!(out, "      piggyback: {}", preview(content.as_bytes()));
    }
}

fn describe_diagnostic(out: &mut String, lang: Option<&str>, text: Option<&str>) {
    if let Some(lang) = lang {
        let _ = writeln!(out, "    xml:lang: {lang}");
    }
    if let Some(text) = text {
        let _ = writeln!(out, "    text: {}", preview(text.as_bytes()));
    }
}

/// The bytes as one escaped line, cut at 200 characters.
fn preview(bytes: &[u8]) -> String {
    const LIMIT: usize = 200;
    let shown = &bytes[..bytes.len().min(LIMIT)];
    let mut text = format!("{:?}", String::from_utf8_lossy(shown));
    if bytes.len() > LIMIT {
        let _ = write!(text, " ... ({} bytes)", bytes.len());
    }
    text
}
