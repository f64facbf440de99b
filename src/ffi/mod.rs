//! The C ABI: every `#[no_mangle] extern "C"` function of librtmp 2.4 lives below this module.
//! The modules marked `deny` have every `unsafe` block commented (`// SAFETY:`) and every
//! `unsafe fn` documented (`# Safety`); clippy enforces it.
#![allow(non_snake_case, non_camel_case_types)]

pub mod amf;
pub mod boundary;
pub mod chunk;
pub mod client;
pub mod http;
pub mod log;
pub mod packet;
pub mod read;
pub mod rtmp;
pub mod serve;
pub mod setup;
pub mod tls;
pub mod write;
