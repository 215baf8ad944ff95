//! In-memory pairs of endpoints.
