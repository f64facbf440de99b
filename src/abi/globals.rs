//! Access to the exported data objects defined in csrc/shim.c.
//!
//! They are C globals so that consumers' copy relocations work; Rust reaches them through the
//! GOT (extern statics) and reads them on every use.

use std::os::raw::{c_char, c_int, c_void};

use super::types::AVal;

extern "C" {
    static mut RTMP_ctrlC: c_int;
    pub static RTMP_DefaultFlashVer: AVal;
    pub static RTMPProtocolStrings: [[c_char; 7]; 9];
    pub static RTMPProtocolStringsLower: [[c_char; 7]; 9];
    static mut RTMP_TLS_ctx: *mut c_void;
}

/// `RTMP_ctrlC`: set by consumers' signal handlers, so re-read at every check.
pub fn ctrl_c() -> bool {
    // SAFETY: an int global of the shim; volatile so that a loop re-reads it.
    unsafe { std::ptr::addr_of!(RTMP_ctrlC).read_volatile() != 0 }
}

pub fn set_ctrl_c(v: bool) {
    // SAFETY: see `ctrl_c`.
    unsafe { std::ptr::addr_of_mut!(RTMP_ctrlC).write_volatile(c_int::from(v)) }
}

/// Lower-case scheme name for a protocol number (`rtmp`, `rtmpe`, ...); "" when out of range.
pub fn protocol_lower(protocol: c_int) -> &'static [u8] {
    let Ok(i) = usize::try_from(protocol) else {
        return b"";
    };
    // SAFETY: a const table in the shim; every entry is NUL-terminated within its 7 bytes.
    let table = unsafe { &*std::ptr::addr_of!(RTMPProtocolStringsLower) };
    table.get(i).map_or(b"", |row| {
        // SAFETY: c_char and u8 have the same size and alignment; the row is 7 initialised bytes.
        let bytes: &[u8; 7] = unsafe { &*(row as *const [c_char; 7] as *const [u8; 7]) };
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(7);
        &bytes[..end]
    })
}

/// The global TLS context pointer (`RTMP_TLS_ctx`), NULL until the first `RTMP_Init`.
pub fn tls_ctx() -> *mut c_void {
    // SAFETY: a pointer global of the shim.
    unsafe { std::ptr::addr_of!(RTMP_TLS_ctx).read_volatile() }
}

// Stores the pointer value only; it is never dereferenced here.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn set_tls_ctx(p: *mut c_void) {
    // SAFETY: see `tls_ctx`.
    unsafe { std::ptr::addr_of_mut!(RTMP_TLS_ctx).write_volatile(p) }
}
