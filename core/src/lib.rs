//! rtmp-core: the protocol of librtmp-rs, safe and sans-IO. No `unsafe`, no libc, no sockets,
//! no logging of its own: it works on byte slices and values, and reports diagnostics as values
//! through [`diag`].
#![forbid(unsafe_code)]

pub mod amf;
pub mod auth;
pub mod bytes;
pub mod chunk;
pub mod commands;
pub mod diag;
pub mod ertmp;
pub mod flv;
pub mod handshake;
pub mod resume;
pub mod rtmpt;
pub mod session;
pub mod swf;
pub mod url;
