//! Safe, sans-IO protocol core: no `unsafe`, no libc, no sockets.
#![forbid(unsafe_code)]

pub mod amf;
pub mod auth;
pub mod chunk;
pub mod commands;
pub mod flv;
pub mod handshake;
pub mod swf;
pub mod url;
