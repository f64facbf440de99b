//! The C contract as Rust sees it: `#[repr(C)]` mirrors of librtmp 2.4's structs and constants
//! ([`types`], checked against `abi/layout.txt` at compile time), and access to the exported
//! data objects the C shim defines ([`globals`]), and the pointer conversions every export
//! shares ([`conv`]). No behaviour lives here.
#![allow(non_snake_case, non_camel_case_types)]

pub mod conv;
pub mod globals;
pub mod packet;
pub mod types;

#[rustfmt::skip]
mod layout_asserts;
