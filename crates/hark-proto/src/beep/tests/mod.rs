//! Tests of the session: packet templates (one frame in, the exact frames out), window
//! and SEQ behaviour frame by frame, and an in-memory pair over a chunking pipe.

mod flow;
mod messages;
mod packets;
mod pair;
mod sasl;
mod setup;
mod tuning;
