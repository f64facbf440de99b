//! The driver: loads per-connection state from the `RTMP` struct into `rtmp_core` values, runs
//! the protocol, moves bytes through [`crate::io`], and stores the results back. Nothing here is
//! exported; the `ffi` layer calls in after its null checks.

pub mod amf;
pub mod chunk;
pub mod ertmp;
pub mod props;
pub mod read;
pub mod serve;
pub mod session;
pub mod wire;
pub mod write;
