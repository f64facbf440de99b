//! The Rust side of librtmp's logger.
//!
//! Every message the library emits goes through the C `RTMP_Log` (csrc/shim.c), so the level
//! filter, the user's callback and the default sink behave exactly as for C callers. Messages
//! are only formatted when their level passes the filter.

use std::ffi::CString;
use std::os::raw::{c_char, c_int};
use std::sync::atomic::{AtomicI32, Ordering};

pub use rtmp_core::diag::{
    hex_dump_lines, hex_lines, ALL, CRIT, DEBUG, DEBUG2, ERROR, INFO, WARNING,
};

extern "C" {
    /// The exported level; consumers write it directly through a copy relocation, so it is
    /// read on every use and never cached.
    static mut RTMP_debuglevel: c_int;
    fn RTMP_Log(level: c_int, format: *const c_char, ...);
}

/// `RTMP_debuglevel` as an atomic (same size and alignment as the C `int`), so that a thread
/// changing the level while others log is no data race on our side.
fn level_cell() -> &'static AtomicI32 {
    // SAFETY: the C shim defines RTMP_debuglevel as an aligned int that lives for the whole
    // program; AtomicI32 has the layout of i32. The library accesses it only atomically (the
    // shim through __atomic builtins); a consumer's direct writes are plain int stores, as
    // with librtmp.
    unsafe { AtomicI32::from_ptr(std::ptr::addr_of_mut!(RTMP_debuglevel)) }
}

/// Current value of `RTMP_debuglevel` (read on every use, never cached).
pub fn level() -> c_int {
    level_cell().load(Ordering::Relaxed)
}

/// Sets `RTMP_debuglevel`.
pub fn set_level(lvl: c_int) {
    level_cell().store(lvl, Ordering::Relaxed)
}

/// Whether a message at `lvl` would pass the filter (compared as unsigned, like the C side).
pub fn enabled(lvl: c_int) -> bool {
    (lvl as u32) <= (level() as u32)
}

/// Sends one already formatted message through `RTMP_Log(level, "%s", text)`.
pub fn emit(lvl: c_int, text: &str) {
    if !enabled(lvl) {
        return;
    }
    let owned;
    let c = match CString::new(text) {
        Ok(c) => c,
        Err(_) => {
            owned = text.replace('\0', "\\0");
            CString::new(owned).unwrap_or_default()
        }
    };
    // SAFETY: "%s" consumes exactly one `const char *`, which `c` provides, NUL-terminated.
    unsafe { RTMP_Log(lvl, c"%s".as_ptr(), c.as_ptr()) }
}

/// Sends raw bytes (not necessarily UTF-8) as one message through `RTMP_Log(level, "%s", ..)`;
/// as with `%s`, the message ends at the first NUL.
pub fn emit_bytes(lvl: c_int, text: &[u8]) {
    if !enabled(lvl) {
        return;
    }
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let mut c = Vec::with_capacity(end + 1);
    c.extend_from_slice(&text[..end]);
    c.push(0);
    // SAFETY: "%s" consumes exactly one `const char *`, which `c` provides, NUL-terminated.
    unsafe { RTMP_Log(lvl, c"%s".as_ptr(), c.as_ptr() as *const c_char) }
}

/// librtmp's `RTMP_LogHex`: `data` as lines of 16 hex bytes, one message each.
pub fn hex(lvl: c_int, data: &[u8]) {
    if enabled(lvl) {
        for line in hex_lines(data) {
            emit(lvl, &line);
        }
    }
}

/// librtmp's `RTMP_LogHexString`: `data` as an offset / hex / text dump, one message per line.
pub fn hex_dump(lvl: c_int, data: &[u8]) {
    if enabled(lvl) {
        for line in hex_dump_lines(data) {
            emit(lvl, &line);
        }
    }
}

/// `rtmp_log!(level, "format", args...)`: formats only when the level passes the filter.
#[macro_export]
macro_rules! rtmp_log {
    ($lvl:expr, $($arg:tt)+) => {{
        let lvl = $lvl;
        if $crate::log::enabled(lvl) {
            $crate::log::emit(lvl, &::std::format!($($arg)+));
        }
    }};
}

/// The core's diagnostics reach the C logger through this reporter (installed at load time).
struct CLogger;

impl rtmp_core::diag::Reporter for CLogger {
    fn enabled(&self, level: rtmp_core::diag::Level) -> bool {
        enabled(level)
    }

    fn report(&self, level: rtmp_core::diag::Level, text: &[u8]) {
        emit(level, &String::from_utf8_lossy(text));
    }
}

/// Routes the core's diagnostics to `RTMP_Log`; idempotent.
pub fn install_reporter() {
    static LOGGER: CLogger = CLogger;
    rtmp_core::diag::install(&LOGGER);
}
