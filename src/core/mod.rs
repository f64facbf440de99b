//! Safe, sans-IO protocol core: no `unsafe`, no libc, no sockets.
#![forbid(unsafe_code)]

pub mod flv;
pub mod handshake;
pub mod url;
