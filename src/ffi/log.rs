//! The log.h exports implemented in Rust (the variadic ones and the sink are in csrc/shim.c).

use std::os::raw::c_int;

use super::boundary::guard;
use crate::abi::types::RTMP_LogLevel;
use crate::log;

#[no_mangle]
pub extern "C" fn RTMP_LogSetLevel(lvl: RTMP_LogLevel) {
    log::set_level(lvl);
}

#[no_mangle]
pub extern "C" fn RTMP_LogGetLevel() -> RTMP_LogLevel {
    log::level()
}

/// Builds a byte slice from a C buffer; NULL or a non-positive length gives an empty slice.
///
/// # Safety
/// When non-NULL, `data` must point to `len` readable bytes.
unsafe fn bytes<'a>(data: *const u8, len: u64) -> &'a [u8] {
    if data.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: guaranteed by the caller.
    unsafe { std::slice::from_raw_parts(data, len as usize) }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_LogHex(level: c_int, data: *const u8, len: libc::c_ulong) {
    if !log::enabled(level) {
        return;
    }
    guard("RTMP_LogHex", (), || {
        // SAFETY: the caller passes `len` readable bytes.
        for line in log::hex_lines(unsafe { bytes(data, len) }) {
            log::emit(level, &line);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_LogHexString(level: c_int, data: *const u8, len: libc::c_ulong) {
    if data.is_null() || !log::enabled(level) {
        return;
    }
    guard("RTMP_LogHexString", (), || {
        // SAFETY: the caller passes `len` readable bytes.
        for line in log::hex_dump_lines(unsafe { bytes(data, len) }) {
            log::emit(level, &line);
        }
    })
}
