//! `HTTP_get` (http.h) and `RTMP_HashSWF`: downloading a SWF player and computing the hash that
//! SWF verification sends.

use std::os::raw::{c_char, c_int, c_uchar, c_uint, c_void};

use super::boundary::guard_ptr;
use crate::abi::conv;
use crate::abi::types::{HTTPResult, HTTP_ctx};
use crate::io::http;
use crate::log;
use crate::rtmp_log;
use rtmp_core::swf::{self, CacheEntry, SwfHasher};

/// `size_t (*)(void *ptr, size_t size, size_t nmemb, void *stream)`
pub type HTTP_read_callback =
    unsafe extern "C" fn(ptr: *mut c_void, size: usize, nmemb: usize, stream: *mut c_void) -> usize;

/// Longest Last-Modified text we copy into the caller's `date` buffer (rtmpdump and librtmp
/// itself pass 64 bytes; librtmp copied without a bound).
const DATE_MAX: usize = 63;

/// Reads the NUL-terminated `date` buffer, if any (NULL or empty: `None`).
///
/// # Safety
/// `date` must be NULL or a NUL-terminated string.
unsafe fn read_date(date: *const c_char) -> Option<String> {
    // SAFETY: see the function contract.
    let s = unsafe { conv::cstr_lossy(date) }.into_owned();
    (!s.is_empty()).then_some(s)
}

/// Stores `text` (cut to DATE_MAX) NUL-terminated into the caller's `date` buffer (if any).
///
/// # Safety
/// `date` must be NULL or writable for DATE_MAX + 1 bytes.
unsafe fn write_date(date: *mut c_char, text: &str) {
    let bytes = &text.as_bytes()[..text.len().min(DATE_MAX)];
    // SAFETY: the date buffer holds at least DATE_MAX + 1 bytes (see DATE_MAX).
    unsafe { conv::write_cstr(date, bytes) }
}

/// `HTTP_get` (http.h).
///
/// # Safety
/// Called from C: the context and URL are NULL (refused) or valid (the URL NUL-terminated,
/// `date` NULL or a 64-byte buffer); the outputs writable (`hash`: 32 bytes); the callback
/// safe to call with the context's `data`.
#[no_mangle]
pub unsafe extern "C" fn HTTP_get(
    http: *mut HTTP_ctx,
    url: *const c_char,
    cb: Option<HTTP_read_callback>,
) -> HTTPResult {
    let fail = http::HTTPRES_BAD_REQUEST;
    guard_ptr("HTTP_get", http, fail, || {
        if url.is_null() {
            rtmp_log!(log::ERROR, "HTTP_get: called with a NULL url");
            return fail;
        }
        // SAFETY: non-NULL context and NUL-terminated URL from the caller.
        let (ctx, url) = unsafe { (&mut *http, conv::cstr_lossy(url)) };
        ctx.status = -1;
        // SAFETY: the context's date buffer, as the API requires.
        let since = unsafe { read_date(ctx.date) };
        let data = ctx.data;
        let mut received: c_int = 0;
        let verify = !crate::io::tls::verify_disabled_by_env();
        let outcome = http::get(&url, since.as_deref(), verify, |body| {
            received = received.saturating_add(body.len() as c_int);
            if let Some(cb) = cb {
                // SAFETY: the caller's callback, given a buffer valid for the call.
                unsafe { cb(body.as_ptr() as *mut c_void, 1, body.len(), data) };
            }
        });
        ctx.size = ctx.size.saturating_add(received);
        ctx.status = outcome.status;
        if let Some(lm) = outcome.last_modified {
            // SAFETY: as read_date.
            unsafe { write_date(ctx.date, &lm) };
        }
        outcome.result
    })
}

/// Path of the SWF cache: `$HOME/.swfinfo`, else `./.swfinfo`.
fn cache_path() -> std::path::PathBuf {
    match std::env::var_os("HOME") {
        Some(h) if !h.is_empty() => std::path::Path::new(&h).join(".swfinfo"),
        _ => std::path::PathBuf::from(".swfinfo"),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Computes (or takes from the cache) the SWF size and hash for `url`.
pub fn hash_swf(url: &str, age_days: c_int, verify: bool) -> Option<(u32, [u8; 32])> {
    let path = cache_path();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut entries = swf::parse_cache(&text);
    let key = swf::cache_url(url);
    let cached = entries.iter().position(|e| e.url == key);

    if let (Some(i), true) = (cached, age_days != 0) {
        let e = &entries[i];
        let fresh =
            swf::parse_http_date(&e.ctim).is_some_and(|t| now() - t < i64::from(age_days) * 86_400);
        if fresh {
            return Some((e.size, e.hash));
        }
    }
    let since = cached.map(|i| entries[i].date.clone());
    let mut hasher = SwfHasher::new();
    let outcome = http::get(url, since.as_deref(), verify, |b| hasher.update(b));
    let (size, hash, date) = match outcome.result {
        http::HTTPRES_OK => match hasher.finish() {
            Ok((size, hash)) => (size, hash, outcome.last_modified.unwrap_or_default()),
            Err(e) => {
                rtmp_log!(log::ERROR, "RTMP_HashSWF: cannot hash {url}: {e:?}");
                return None;
            }
        },
        http::HTTPRES_OK_NOT_MODIFIED if cached.is_some() => {
            let e = &entries[cached.unwrap_or(0)];
            (e.size, e.hash, e.date.clone())
        }
        r => {
            rtmp_log!(
                log::ERROR,
                "RTMP_HashSWF: HTTP error {r} (status {}) for {url}",
                outcome.status
            );
            return None;
        }
    };
    let entry = CacheEntry {
        url: key.to_string(),
        ctim: swf::http_date(now()),
        date,
        size,
        hash,
    };
    match cached {
        Some(i) => entries[i] = entry,
        None => entries.push(entry),
    }
    let text: String = entries.iter().map(CacheEntry::to_text).collect();
    let tmp = path.with_extension("swfinfo.tmp");
    if std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .is_err()
    {
        rtmp_log!(
            log::WARNING,
            "RTMP_HashSWF: cannot update {}",
            path.display()
        );
    }
    Some((size, hash))
}

/// `RTMP_HashSWF` (rtmp.h).
///
/// # Safety
/// Called from C: the context and URL are NULL (refused) or valid (the URL NUL-terminated,
/// `date` NULL or a 64-byte buffer); the outputs writable (`hash`: 32 bytes); the callback
/// safe to call with the context's `data`.
#[no_mangle]
pub unsafe extern "C" fn RTMP_HashSWF(
    url: *const c_char,
    size: *mut c_uint,
    hash: *mut c_uchar,
    age: c_int,
) -> c_int {
    guard_ptr("RTMP_HashSWF", url, -1, || {
        if size.is_null() || hash.is_null() {
            rtmp_log!(log::ERROR, "RTMP_HashSWF: called with a NULL output");
            return -1;
        }
        // SAFETY: NUL-terminated URL from the caller.
        let url = unsafe { conv::cstr_lossy(url) };
        match hash_swf(&url, age, !crate::io::tls::verify_disabled_by_env()) {
            Some((s, h)) => {
                // SAFETY: the caller passes a size slot and a 32-byte hash buffer.
                unsafe {
                    *size = s;
                    std::ptr::copy_nonoverlapping(h.as_ptr(), hash, h.len());
                }
                0
            }
            None => -1,
        }
    })
}
