//! The C ABI: every `#[no_mangle] extern "C"` function of librtmp 2.4 lives below this module.
//! The modules marked `deny` have every `unsafe` block commented (`// SAFETY:`) and every
//! `unsafe fn` documented (`# Safety`); clippy enforces it.
#![allow(non_snake_case, non_camel_case_types, clippy::missing_safety_doc)]

#[deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
pub mod amf;
#[deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
pub mod boundary;
pub mod chunk;
pub mod client;
#[deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
pub mod http;
#[deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
pub mod log;
#[deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
pub mod packet;
pub mod read;
#[deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
pub mod rtmp;
pub mod serve;
#[deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
pub mod setup;
#[deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
pub mod tls;
pub mod write;
