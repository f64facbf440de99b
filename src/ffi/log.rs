//! The log.h exports implemented in Rust (the variadic ones and the sink are in csrc/shim.c).

use std::os::raw::c_int;

use super::boundary::guard;
use crate::abi::conv;
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

/// `RTMP_LogHex` (log.h).
///
/// # Safety
/// Called from C: `data` is NULL or readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn RTMP_LogHex(level: c_int, data: *const u8, len: libc::c_ulong) {
    if !log::enabled(level) {
        return;
    }
    guard("RTMP_LogHex", (), || {
        // SAFETY: the caller passes `len` readable bytes.
        log::hex(level, unsafe { conv::bytes_n(data, len as usize) })
    })
}

/// `RTMP_LogHexString` (log.h).
///
/// # Safety
/// Called from C: `data` is NULL or readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn RTMP_LogHexString(level: c_int, data: *const u8, len: libc::c_ulong) {
    if data.is_null() || !log::enabled(level) {
        return;
    }
    guard("RTMP_LogHexString", (), || {
        // SAFETY: the caller passes `len` readable bytes.
        log::hex_dump(level, unsafe { conv::bytes_n(data, len as usize) })
    })
}
