//! The fast-resume file parser: any bytes give resume data or a typed error, never a
//! panic; what parses emits bytes that parse to the same data.
#![no_main]

use hark::bittorrent::disk::ResumeData;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(resume) = ResumeData::parse(data) {
        let again = ResumeData::parse(&resume.to_bytes()).expect("emitted resume data parses");
        assert_eq!(again, resume);
    }
});
