//! Access to the exported data objects defined in csrc/shim.c.
//!
//! They are C globals so that consumers' copy relocations work; Rust reaches them through the
//! GOT (extern statics) and reads them on every use.

use std::os::raw::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};

use super::types::AVal;

extern "C" {
    static mut RTMP_ctrlC: c_int;
    pub static RTMP_DefaultFlashVer: AVal;
    pub static RTMPProtocolStrings: [[c_char; 7]; 9];
    pub static RTMPProtocolStringsLower: [[c_char; 7]; 9];
    static mut RTMP_TLS_ctx: *mut c_void;
}

/// `RTMP_ctrlC` as an atomic (the layout of the C `int`): set by consumers' signal handlers
/// and other threads, so re-read at every check, and never a data race on our side.
fn ctrl_c_cell() -> &'static AtomicI32 {
    // SAFETY: an aligned int global of the shim that lives for the whole program; the library
    // accesses it only atomically.
    unsafe { AtomicI32::from_ptr(std::ptr::addr_of_mut!(RTMP_ctrlC)) }
}

pub fn ctrl_c() -> bool {
    ctrl_c_cell().load(Ordering::Relaxed) != 0
}

pub fn set_ctrl_c(v: bool) {
    ctrl_c_cell().store(c_int::from(v), Ordering::Relaxed)
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

/// `RTMP_TLS_ctx` as an atomic pointer (the layout of the C pointer), so that handles set up
/// on several threads at once never race on it.
fn tls_ctx_cell() -> &'static AtomicPtr<c_void> {
    // SAFETY: an aligned pointer global of the shim that lives for the whole program; the
    // library accesses it only atomically.
    unsafe { AtomicPtr::from_ptr(std::ptr::addr_of_mut!(RTMP_TLS_ctx)) }
}

/// The global TLS context pointer (`RTMP_TLS_ctx`), NULL until the first `RTMP_Init`.
pub fn tls_ctx() -> *mut c_void {
    tls_ctx_cell().load(Ordering::Acquire)
}

// Stores the pointer value only; it is never dereferenced here.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn set_tls_ctx(p: *mut c_void) {
    tls_ctx_cell().store(p, Ordering::Release)
}
