//! `RTMP_Read`: the export; the FLV output and the resume checks are `driver::read`.

use std::os::raw::{c_char, c_int};

use super::boundary::guard_ptr;
use crate::abi::types::RTMP;
use crate::driver::read::read;

/// `RTMP_Read` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call; `buf` is writable for `size` bytes (when it is positive).
#[no_mangle]
pub unsafe extern "C" fn RTMP_Read(r: *mut RTMP, buf: *mut c_char, size: c_int) -> c_int {
    // SAFETY: non-NULL handle; `buf` writable for `size` bytes, per the C contract.
    guard_ptr("RTMP_Read", r, -1, || unsafe { read(r, buf, size) })
}
