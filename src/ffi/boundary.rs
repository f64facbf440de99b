//! The panic boundary and pointer policy shared by every export.
//!
//! Each `extern "C"` function runs its body through [`guard`]: a panic is caught, logged through
//! `RTMP_Log` at ERROR and turned into librtmp's failure value for that function, so no unwind
//! ever crosses into C. NULL pointers from the caller are checked before the body is entered
//! and get the same failure value (librtmp would crash on most of them; we log and fail).

use std::any::Any;
use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use crate::log;

/// Runs `body`; on panic logs `"<func>: internal error: <message>"` and returns `fail`.
#[inline]
pub fn guard<R>(func: &'static str, fail: R, body: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => r,
        Err(payload) => {
            panicked(func, payload);
            fail
        }
    }
}

/// The log line of a caught panic (out of line, so that the exports' success path stays small).
#[cold]
#[inline(never)]
fn panicked(func: &str, payload: Box<dyn Any + Send>) {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string());
    log::emit(log::ERROR, &format!("{func}: internal error: {msg}"));
}

/// Like [`guard`] for a pointer argument that must not be NULL.
#[inline]
pub fn guard_ptr<T, R>(func: &'static str, ptr: *const T, fail: R, body: impl FnOnce() -> R) -> R {
    guard_ptrs(func, &[ptr as *const c_void], fail, body)
}

/// Like [`guard_ptr`] for any number of pointer arguments that must not be NULL: the first
/// NULL one logs `"<func>: called with a NULL pointer"` and `fail` is returned without running
/// `body`. Pass them as `&[a as _, b as _, ...]`.
#[inline]
pub fn guard_ptrs<R>(
    func: &'static str,
    ptrs: &[*const c_void],
    fail: R,
    body: impl FnOnce() -> R,
) -> R {
    if ptrs.iter().any(|p| p.is_null()) {
        null_argument(func);
        return fail;
    }
    guard(func, fail, body)
}

/// The log line of a NULL argument (out of line, as [`panicked`]).
#[cold]
#[inline(never)]
fn null_argument(func: &str) {
    log::emit(log::ERROR, &format!("{func}: called with a NULL pointer"));
}

/// Runs when the library is loaded (an `.init_array` entry), so that [`guard`] itself costs
/// nothing on the success path.
#[used]
#[link_section = ".init_array"]
static INSTALL_PANIC_HOOK: extern "C" fn() = install_panic_hook;

extern "C" fn install_panic_hook() {
    quiet_panics();
    log::install_reporter();
}

/// The default panic hook prints to stderr; inside a C process the message goes to the librtmp
/// log instead (the boundary logs it), so the hook is silenced for panics caught here. A panic
/// hook already installed by a Rust host is chained, not replaced.
pub fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if log::enabled(log::DEBUG) {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_the_failure_value() {
        let r = guard("test_fn", -1, || -> i32 { panic!("boom") });
        assert_eq!(r, -1);
        assert_eq!(guard("test_fn", -1, || 7), 7);
    }

    #[test]
    fn null_pointers_are_refused() {
        let mut ran = false;
        let r = guard_ptr("test_fn", std::ptr::null::<u8>(), 0, || {
            ran = true;
            1
        });
        assert_eq!((r, ran), (0, false));
        let x = 5u8;
        assert_eq!(guard_ptr("test_fn", &x, 0, || 1), 1);
    }

    #[test]
    fn any_null_pointer_of_several_is_refused() {
        let (x, y) = (5u8, 6u32);
        let both: [*const c_void; 2] = [(&x as *const u8).cast(), (&y as *const u32).cast()];
        assert_eq!(guard_ptrs("test_fn", &both, 0, || 1), 1);
        let one_null: [*const c_void; 3] = [both[0], std::ptr::null(), both[1]];
        let mut ran = false;
        let r = guard_ptrs("test_fn", &one_null, 0, || {
            ran = true;
            1
        });
        assert_eq!((r, ran), (0, false));
        assert_eq!(
            guard_ptrs("test_fn", &[], 0, || -> i32 { panic!("boom") }),
            0
        );
    }
}
