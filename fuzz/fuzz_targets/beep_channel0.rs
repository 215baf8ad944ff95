//! Any bytes as channel-0 XML and as TLS and SASL tuning payloads: parsing never panics,
//! and whatever parses emits to XML that parses to the same value.
#![no_main]

use hark_wire::beep::channel0::Channel0Message;
use hark_wire::beep::tuning::{SaslMessage, TlsMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = Channel0Message::parse(data) {
        let xml = message.to_vec().expect("a parsed channel-0 message emits");
        assert_eq!(xml.len(), message.buffer_len());
        assert_eq!(Channel0Message::parse(&xml), Ok(message));
    }
    if let Ok(message) = TlsMessage::parse(data) {
        let xml = message.to_vec().expect("a parsed TLS message emits");
        assert_eq!(TlsMessage::parse(&xml), Ok(message));
    }
    if let Ok(message) = SaslMessage::parse(data) {
        let xml = message.to_vec().expect("a parsed SASL message emits");
        assert_eq!(SaslMessage::parse(&xml), Ok(message));
    }
});
