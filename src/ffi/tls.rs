//! librtmp's TLS entry points: `RTMP_TLS_Init` (the process-wide client context that
//! `RTMP_TLS_ctx` points to) and the server side used by rtmpsrv: `RTMP_TLS_AllocServerContext`,
//! `RTMP_TLS_Accept`, `RTMP_TLS_FreeServerContext`. The client side of `rtmps://` is in
//! `RTMP_Connect1`; the TLS work itself is in `crate::io::tls`.

use std::os::raw::{c_char, c_int, c_void};
use std::ptr::addr_of_mut;
use std::sync::{Arc, Mutex};

use super::boundary::{guard, guard_ptr};
use crate::abi::conv;
use crate::abi::globals;
use crate::abi::types::RTMP;
use crate::io::{self, net};
use crate::log;
use crate::rtmp_log;

/// What `RTMP_TLS_ctx` points to: the process's TLS client settings. The rustls
/// configurations behind it are built on first use (`crate::io::tls`), so a program that
/// never speaks TLS never reads the trust store. Static: never freed, as in librtmp.
pub struct TlsContext {
    /// Not read: the context stands for the process-wide settings, which live in `io::tls`.
    pub version: c_int,
}

static CONTEXT: TlsContext = TlsContext { version: 1 };

/// Sets `RTMP_TLS_ctx` when it is NULL (`RTMP_Init` and the server calls do this first).
pub fn init_context() {
    static LOCK: Mutex<()> = Mutex::new(());
    let _held = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if globals::tls_ctx().is_null() {
        globals::set_tls_ctx(std::ptr::addr_of!(CONTEXT) as *mut c_void);
    }
}

#[no_mangle]
pub extern "C" fn RTMP_TLS_Init() {
    guard("RTMP_TLS_Init", (), init_context)
}

/// A server context: the rustls configuration built from the PEM files.
type ServerContext = Arc<rustls::ServerConfig>;

/// `RTMP_TLS_AllocServerContext` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a valid handle; file names are NULL (refused) or
/// NUL-terminated; a server context is NULL or one `RTMP_TLS_AllocServerContext` returned
/// and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn RTMP_TLS_AllocServerContext(
    cert_file: *const c_char,
    key_file: *const c_char,
) -> *mut c_void {
    const F: &str = "RTMP_TLS_AllocServerContext";
    if cert_file.is_null() || key_file.is_null() {
        rtmp_log!(log::ERROR, "{F}: called with a NULL file name");
        return std::ptr::null_mut();
    }
    guard(F, std::ptr::null_mut(), || {
        init_context();
        // SAFETY: two non-NULL, NUL-terminated strings from the caller.
        let (cert, key) = unsafe { (conv::cstr_lossy(cert_file), conv::cstr_lossy(key_file)) };
        match io::tls::server_config(&cert, &key) {
            Ok(cfg) => Box::into_raw(Box::new(cfg)) as *mut c_void,
            Err(why) => {
                rtmp_log!(log::ERROR, "{F}, {why}");
                std::ptr::null_mut()
            }
        }
    })
}

/// `RTMP_TLS_FreeServerContext` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a valid handle; file names are NULL (refused) or
/// NUL-terminated; a server context is NULL or one `RTMP_TLS_AllocServerContext` returned
/// and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn RTMP_TLS_FreeServerContext(server_ctx: *mut c_void) {
    if server_ctx.is_null() {
        return;
    }
    guard("RTMP_TLS_FreeServerContext", (), || {
        // SAFETY: a pointer RTMP_TLS_AllocServerContext returned, freed once (C contract).
        drop(unsafe { Box::from_raw(server_ctx as *mut ServerContext) })
    })
}

/// `RTMP_TLS_Accept` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a valid handle; file names are NULL (refused) or
/// NUL-terminated; a server context is NULL or one `RTMP_TLS_AllocServerContext` returned
/// and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn RTMP_TLS_Accept(r: *mut RTMP, server_ctx: *mut c_void) -> c_int {
    const F: &str = "RTMP_TLS_Accept";
    guard_ptr(F, r, 0, || {
        if server_ctx.is_null() {
            rtmp_log!(
                log::ERROR,
                "{F}: no server context (RTMP_TLS_AllocServerContext failed?)"
            );
            return 0;
        }
        // SAFETY: a valid handle whose sb_socket the caller accepted; a context from
        // RTMP_TLS_AllocServerContext, alive for the call.
        unsafe {
            let sb = addr_of_mut!((*r).m_sb);
            if io::tls_on(sb) {
                rtmp_log!(log::ERROR, "{F}: TLS is already on for this connection");
                return 0;
            }
            let cfg = (*(server_ctx as *const ServerContext)).clone();
            let timeout = net::timeout_of((*r).Link.timeout);
            match io::start_tls_server(sb, cfg, timeout) {
                Ok(version) => {
                    rtmp_log!(log::DEBUG, "{F}, TLS established ({version})");
                    1
                }
                Err(why) => {
                    rtmp_log!(log::ERROR, "{F}, TLS: {why}");
                    0
                }
            }
        }
    })
}
