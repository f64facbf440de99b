//! `RTMP_Serve`: the export; the server handshake is `driver::serve`.

use std::os::raw::c_int;

use super::boundary::guard_ptr;
use crate::abi::types::RTMP;
use crate::driver::serve::serve;

/// `RTMP_Serve` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_Serve(r: *mut RTMP) -> c_int {
    // SAFETY: non-NULL handle with a connected socket, per the C contract.
    guard_ptr("RTMP_Serve", r, 0, || c_int::from(unsafe { serve(r) }))
}
