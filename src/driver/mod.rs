//! Orchestration between the C structs and the protocol core: loads per-connection state from
//! the `RTMP` struct into `rtmp_core` values, moves bytes through [`crate::io`], and stores the
//! results back. Nothing here is exported; the `ffi` layer calls in after its null checks.

pub mod chunk;
