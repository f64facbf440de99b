//! The driver: loads the `RTMP` struct into core values, runs the protocol (`rtmp_core`) and the
//! transport (`io`), and stores the results back. Called by the `ffi` exports only.

pub mod amf;
pub mod props;
pub mod read;
pub mod serve;
pub mod session;
pub mod write;
