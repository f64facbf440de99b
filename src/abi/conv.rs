//! Conversions between C memory and Rust values that every export needs: an `AVal` or a
//! `(pointer, length)` pair as a byte slice, a C string as bytes or text, a window `[out, end)`,
//! and libc-allocated copies that C code later `free()`s.
//!
//! The policy is the same everywhere: a NULL pointer or a length that is not positive reads as
//! empty, never as an error and never as a dereference. The functions that read memory are
//! `unsafe fn`s whose contract is the C caller's: a non-NULL pointer is valid for the length it
//! comes with, for as long as the returned slice is used (the lifetime `'a` is chosen by the
//! caller and is not checked).

use std::borrow::Cow;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int};
use std::ptr;

use super::types::AVal;

/// The bytes an `AVal` describes; NULL or `av_len <= 0` gives an empty slice.
///
/// # Safety
/// A non-NULL `av_val` with a positive `av_len` must be readable for `av_len` bytes during `'a`.
#[inline(always)]
pub unsafe fn aval_bytes<'a>(a: &AVal) -> &'a [u8] {
    if a.av_val.is_null() || a.av_len <= 0 {
        return &[];
    }
    // SAFETY: non-NULL with a positive length: readable by the function contract.
    unsafe { std::slice::from_raw_parts(a.av_val as *const u8, a.av_len as usize) }
}

/// The bytes of an `AVal` when it can be read: `Some(&[])` for `av_len == 0` (whatever the
/// pointer), `None` for a negative length or a NULL pointer with a positive length.
///
/// # Safety
/// As [`aval_bytes`].
#[inline(always)]
pub unsafe fn aval_readable<'a>(a: &AVal) -> Option<&'a [u8]> {
    if a.av_len == 0 {
        return Some(&[]);
    }
    if a.av_len < 0 || a.av_val.is_null() {
        return None;
    }
    // SAFETY: non-NULL with a positive length: readable by the function contract.
    Some(unsafe { std::slice::from_raw_parts(a.av_val as *const u8, a.av_len as usize) })
}

/// librtmp's `AVMATCH`: the same length and the same bytes (each side read as [`aval_bytes`]).
///
/// # Safety
/// As [`aval_bytes`], for both values.
#[inline]
pub unsafe fn aval_eq(a: &AVal, b: &AVal) -> bool {
    // SAFETY: forwarded contract.
    a.av_len == b.av_len && unsafe { aval_bytes(a) == aval_bytes(b) }
}

/// `[p, p + len)` as a slice; NULL or `len <= 0` gives an empty slice.
///
/// # Safety
/// A non-NULL `p` with a positive `len` must be readable for `len` bytes during `'a`.
#[inline(always)]
pub unsafe fn bytes<'a>(p: *const c_char, len: c_int) -> &'a [u8] {
    if p.is_null() || len <= 0 {
        return &[];
    }
    // SAFETY: see the function contract.
    unsafe { std::slice::from_raw_parts(p as *const u8, len as usize) }
}

/// `[p, p + len)` as a slice for a `size_t` length; NULL or 0 gives an empty slice.
///
/// # Safety
/// A non-NULL `p` must be readable for `len` bytes during `'a`.
#[inline(always)]
pub unsafe fn bytes_n<'a>(p: *const u8, len: usize) -> &'a [u8] {
    if p.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: see the function contract.
    unsafe { std::slice::from_raw_parts(p, len) }
}

/// `[p, p + len)` as a writable slice; NULL or 0 gives an empty slice.
///
/// # Safety
/// A non-NULL `p` must be writable for `len` bytes during `'a`, and not otherwise accessed
/// while the slice is used.
#[inline(always)]
pub unsafe fn bytes_mut<'a>(p: *mut u8, len: usize) -> &'a mut [u8] {
    if p.is_null() || len == 0 {
        return &mut [];
    }
    // SAFETY: see the function contract.
    unsafe { std::slice::from_raw_parts_mut(p, len) }
}

/// The output window `[out, end)` of librtmp's encoders as a writable slice; empty when `out`
/// is NULL or `end <= out`.
///
/// # Safety
/// When non-empty, the range must be one writable allocation during `'a`, not otherwise
/// accessed while the slice is used.
#[inline(always)]
pub unsafe fn window<'a>(out: *mut c_char, end: *mut c_char) -> &'a mut [u8] {
    if out.is_null() || end <= out {
        return &mut [];
    }
    // SAFETY: see the function contract; `end > out`, so the distance is positive.
    unsafe { std::slice::from_raw_parts_mut(out as *mut u8, end.offset_from(out) as usize) }
}

/// The window `[out, end)` when it holds at least `need` bytes; `None` otherwise (also for a
/// NULL `out`). The pointers are compared as addresses, so any pair is accepted.
///
/// # Safety
/// As [`window`].
#[inline(always)]
pub unsafe fn window_for<'a>(
    out: *mut c_char,
    end: *mut c_char,
    need: usize,
) -> Option<&'a mut [u8]> {
    let avail = (end as isize).wrapping_sub(out as isize);
    if out.is_null() || avail < need as isize {
        return None;
    }
    // SAFETY: see the function contract; `avail` is not negative here.
    Some(unsafe { std::slice::from_raw_parts_mut(out as *mut u8, avail as usize) })
}

/// The bytes of a NUL-terminated C string, without the NUL; NULL gives an empty slice.
///
/// # Safety
/// A non-NULL `p` must point to a NUL-terminated string that stays valid during `'a`.
#[inline]
pub unsafe fn cstr_bytes<'a>(p: *const c_char) -> &'a [u8] {
    if p.is_null() {
        return &[];
    }
    // SAFETY: see the function contract.
    unsafe { CStr::from_ptr(p) }.to_bytes()
}

/// A NUL-terminated C string as text, invalid UTF-8 replaced; NULL gives "".
///
/// # Safety
/// As [`cstr_bytes`].
#[inline]
pub unsafe fn cstr_lossy<'a>(p: *const c_char) -> Cow<'a, str> {
    // SAFETY: forwarded contract.
    String::from_utf8_lossy(unsafe { cstr_bytes(p) })
}

/// A libc copy of `bytes` followed by a NUL (what C code later `free()`s); NULL when the
/// allocation fails.
pub fn malloc_bytes(bytes: &[u8]) -> *mut c_char {
    // SAFETY: malloc has no preconditions; the result is checked before use.
    let p = unsafe { libc::malloc(bytes.len() + 1) } as *mut u8;
    if p.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: a fresh block of `len + 1` bytes, disjoint from `bytes`.
    unsafe {
        ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        *p.add(bytes.len()) = 0;
    }
    p as *mut c_char
}

/// An `AVal` owning a libc copy of `bytes` (NUL-terminated, `av_len` without the NUL); `None`
/// when the allocation fails.
pub fn malloc_aval(bytes: &[u8]) -> Option<AVal> {
    let p = malloc_bytes(bytes);
    (!p.is_null()).then_some(AVal {
        av_val: p,
        av_len: bytes.len() as c_int,
    })
}

/// Copies `bytes` to `dst` and a NUL after them.
///
/// # Safety
/// `dst` must be NULL (nothing is written) or writable for `bytes.len() + 1` bytes, and not
/// overlap `bytes`.
#[inline]
pub unsafe fn write_cstr(dst: *mut c_char, bytes: &[u8]) {
    if dst.is_null() {
        return;
    }
    // SAFETY: see the function contract.
    unsafe {
        ptr::copy_nonoverlapping(bytes.as_ptr(), dst as *mut u8, bytes.len());
        *dst.add(bytes.len()) = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aval(b: &[u8]) -> AVal {
        AVal {
            av_val: b.as_ptr() as *mut c_char,
            av_len: b.len() as c_int,
        }
    }

    #[test]
    fn null_and_non_positive_lengths_read_as_empty() {
        let bad = AVal {
            av_val: ptr::null_mut(),
            av_len: 5,
        };
        let neg = AVal {
            av_val: b"x".as_ptr() as *mut c_char,
            av_len: -1,
        };
        // SAFETY: every pointer is NULL or readable for its length.
        unsafe {
            assert_eq!(aval_bytes(&bad), b"");
            assert_eq!(aval_bytes(&neg), b"");
            assert_eq!(aval_readable(&bad), None);
            assert_eq!(aval_readable(&neg), None);
            assert_eq!(aval_readable(&AVal::EMPTY), Some(&b""[..]));
            assert_eq!(aval_bytes(&aval(b"abc")), b"abc");
            assert_eq!(bytes(ptr::null(), 3), b"");
            assert_eq!(bytes(b"abc".as_ptr() as *const c_char, 0), b"");
            assert_eq!(bytes(b"abc".as_ptr() as *const c_char, 2), b"ab");
            assert_eq!(bytes_n(ptr::null(), 3), b"");
            assert_eq!(bytes_mut(ptr::null_mut(), 3).len(), 0);
            assert_eq!(cstr_bytes(ptr::null()), b"");
            assert_eq!(cstr_lossy(c"h\xffi".as_ptr()), "h\u{fffd}i");
        }
    }

    #[test]
    fn equality_is_avmatch() {
        // SAFETY: readable values.
        unsafe {
            assert!(aval_eq(&aval(b"ab"), &aval(b"ab")));
            assert!(!aval_eq(&aval(b"ab"), &aval(b"abc")));
            assert!(aval_eq(&AVal::EMPTY, &aval(b"")));
        }
    }

    #[test]
    fn windows() {
        let mut buf = [0u8; 8];
        let p = buf.as_mut_ptr() as *mut c_char;
        // SAFETY: every range lies inside `buf`.
        unsafe {
            assert_eq!(window(p, p.add(8)).len(), 8);
            assert_eq!(window(p.add(8), p).len(), 0);
            assert_eq!(window(ptr::null_mut(), p).len(), 0);
            assert_eq!(window_for(p, p.add(8), 8).map(|w| w.len()), Some(8));
            assert!(window_for(p, p.add(8), 9).is_none());
            assert!(window_for(p.add(8), p, 0).is_none());
        }
    }

    #[test]
    fn malloc_copies_are_nul_terminated() {
        let a = malloc_aval(b"play").unwrap();
        // SAFETY: a fresh NUL-terminated allocation, freed once.
        unsafe {
            assert_eq!(a.av_len, 4);
            assert_eq!(cstr_bytes(a.av_val), b"play");
            let mut out = [1 as c_char; 3];
            write_cstr(out.as_mut_ptr(), b"ok");
            assert_eq!(cstr_bytes(out.as_ptr()), b"ok");
            libc::free(a.av_val as *mut libc::c_void);
        }
    }
}
