//! librtmp-rs: librtmp 2.4 rewritten in Rust, exported as an ABI-compatible `librtmp.so.1`.
//!
//! Layers (see `docs/design.md`):
//! - `rtmp_core` (the `core/` crate): safe, socket-free protocol code on byte slices and values.
//! - [`ffi`]: every `extern "C"` export, the `#[repr(C)]` mirrors and the panic boundary.
//! - `driver`: struct loads/stores and orchestration between `ffi`, `io` and `rtmp_core`.
//! - [`log`]: the Rust side of librtmp's logger (messages go through the C `RTMP_Log`).
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

pub mod abi;
pub mod driver;
pub mod ffi;
pub mod io;
pub mod log;
