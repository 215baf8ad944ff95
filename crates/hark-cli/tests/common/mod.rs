//! Helpers shared by hark-cli's integration tests.

pub mod beep;
