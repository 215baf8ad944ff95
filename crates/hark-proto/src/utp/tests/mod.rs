//! Tests of the whole core: packet-level stories and in-memory transfers.

mod harness;
mod integrity;
mod many_connections;
mod packets;
mod pair;
