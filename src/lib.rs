//! librtmp-rs: librtmp 2.4 rewritten in Rust, exported as an ABI-compatible `librtmp.so.1`.
//!
//! Layers (see `docs/design.md`):
//! - [`core`]: safe, socket-free protocol code working on byte slices (AMF, chunk stream, ...).
//! - [`ffi`]: every `extern "C"` export, the `#[repr(C)]` mirrors and the panic boundary.
//! - [`log`]: the Rust side of librtmp's logger (messages go through the C `RTMP_Log`).
#![deny(unsafe_op_in_unsafe_fn)]

pub mod core;
pub mod ffi;
pub mod io;
pub mod log;
