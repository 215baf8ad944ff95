//! Shared helpers for hark's cross-crate integration tests and benches.
