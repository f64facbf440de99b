//! Handle lifecycle and the trivial accessors of rtmp.h.

use std::os::raw::{c_double, c_int, c_void};

use super::boundary::{guard, guard_ptr};
use crate::abi::globals;
use crate::abi::types::*;

/// librtmp's version number, 2.3 in its own encoding (0x020300), as the reference reports.
const LIB_VERSION: c_int = 0x020300;

/// `RTMP_Alloc` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle from `RTMP_Alloc` (or any block of
/// `sizeof(RTMP)` bytes) that no other thread uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_Alloc() -> *mut RTMP {
    // SAFETY: a zeroed libc block of the exact struct size; the caller frees it with RTMP_Free.
    guard("RTMP_Alloc", std::ptr::null_mut(), || unsafe {
        libc::calloc(1, std::mem::size_of::<RTMP>()) as *mut RTMP
    })
}

/// `RTMP_Free` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle from `RTMP_Alloc` (or any block of
/// `sizeof(RTMP)` bytes) that no other thread uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_Free(r: *mut RTMP) {
    // SAFETY: `r` came from RTMP_Alloc (libc), or is NULL (free(NULL) is a no-op).
    guard("RTMP_Free", (), || unsafe { libc::free(r as *mut c_void) })
}

/// `RTMP_Init` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle from `RTMP_Alloc` (or any block of
/// `sizeof(RTMP)` bytes) that no other thread uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_Init(r: *mut RTMP) {
    // SAFETY: a non-NULL handle of `sizeof(RTMP)` writable bytes (C contract).
    guard_ptr("RTMP_Init", r, (), || unsafe { init(r) })
}

/// `RTMP_Init` for internal callers: the TLS context is set up if needed and the handle
/// zeroed and given librtmp's defaults (nothing a previous session left is freed, as in the
/// reference).
///
/// # Safety
/// `r` must point to `sizeof(RTMP)` writable bytes.
pub unsafe fn init(r: *mut RTMP) {
    super::tls::init_context();
    // SAFETY: see the function contract.
    unsafe {
        std::ptr::write_bytes(r as *mut u8, 0, std::mem::size_of::<RTMP>());
        let r = &mut *r;
        r.m_sb.sb_socket = -1;
        r.m_inChunkSize = RTMP_DEFAULT_CHUNKSIZE;
        r.m_outChunkSize = RTMP_DEFAULT_CHUNKSIZE;
        r.m_nBufferMS = 30000;
        r.m_nClientBW = 2_500_000;
        r.m_nClientBW2 = 2;
        r.m_nServerBW = 2_500_000;
        r.m_fAudioCodecs = 3191.0;
        r.m_fVideoCodecs = 252.0;
        r.Link.timeout = 30;
        r.Link.swfAge = 30;
    }
}

#[no_mangle]
pub extern "C" fn RTMP_LibVersion() -> c_int {
    LIB_VERSION
}

#[no_mangle]
pub extern "C" fn RTMP_GetTime() -> u32 {
    guard("RTMP_GetTime", 0, crate::io::get_time)
}

#[no_mangle]
pub extern "C" fn RTMP_UserInterrupt() {
    globals::set_ctrl_c(true);
}

/// `RTMP_EnableWrite` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle from `RTMP_Alloc` (or any block of
/// `sizeof(RTMP)` bytes) that no other thread uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_EnableWrite(r: *mut RTMP) {
    // SAFETY: non-NULL handle from the caller.
    guard_ptr("RTMP_EnableWrite", r, (), || unsafe {
        (*r).Link.protocol |= RTMP_FEATURE_WRITE
    })
}

/// `RTMP_SetBufferMS` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle from `RTMP_Alloc` (or any block of
/// `sizeof(RTMP)` bytes) that no other thread uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_SetBufferMS(r: *mut RTMP, size: c_int) {
    // SAFETY: non-NULL handle from the caller.
    guard_ptr("RTMP_SetBufferMS", r, (), || unsafe {
        (*r).m_nBufferMS = size
    })
}

/// `RTMP_IsConnected` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle from `RTMP_Alloc` (or any block of
/// `sizeof(RTMP)` bytes) that no other thread uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_IsConnected(r: *mut RTMP) -> c_int {
    // SAFETY: non-NULL handle from the caller.
    guard_ptr("RTMP_IsConnected", r, 0, || {
        // SAFETY: a non-NULL handle (checked), valid by this export's `# Safety`.
        c_int::from(unsafe { (*r).m_sb.sb_socket } != -1)
    })
}

/// `RTMP_Socket` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle from `RTMP_Alloc` (or any block of
/// `sizeof(RTMP)` bytes) that no other thread uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_Socket(r: *mut RTMP) -> c_int {
    // SAFETY: non-NULL handle from the caller.
    guard_ptr("RTMP_Socket", r, -1, || unsafe { (*r).m_sb.sb_socket })
}

/// `RTMP_IsTimedout` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle from `RTMP_Alloc` (or any block of
/// `sizeof(RTMP)` bytes) that no other thread uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_IsTimedout(r: *mut RTMP) -> c_int {
    // SAFETY: non-NULL handle from the caller.
    guard_ptr("RTMP_IsTimedout", r, 0, || unsafe { (*r).m_sb.sb_timedout })
}

/// `RTMP_GetDuration` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle from `RTMP_Alloc` (or any block of
/// `sizeof(RTMP)` bytes) that no other thread uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_GetDuration(r: *mut RTMP) -> c_double {
    // SAFETY: non-NULL handle from the caller.
    guard_ptr("RTMP_GetDuration", r, 0.0, || unsafe { (*r).m_fDuration })
}
