//! Session setup exports: `RTMP_ParseURL`, `RTMP_ParsePlaypath`, `RTMP_SetupURL`,
//! `RTMP_SetOpt`, `RTMP_SetupStream`.
//!
//! The parsing itself is in `core::url`; this layer turns offsets into pointers, writes the
//! `#[repr(C)]` structs and allocates with libc what C code frees (the play path, a generated
//! tcUrl, the SOCKS host copy, the `conn=` property arrays). Strings handed in stay borrowed:
//! `RTMP_SetupURL` cuts and unescapes the caller's URL in place and keeps pointers into it.

use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_long, c_uint, c_void};
use std::ptr;

use super::boundary::guard_ptrs;
/// (kept here for the callers that import it from this module)
use crate::abi::conv::{self, aval_bytes};
use crate::abi::globals;
use crate::abi::types::{
    AMFObject, AMFObjectProperty, AMFValue, AVal, RTMP, RTMP_LF_AUTH, RTMP_LF_FTCU, RTMP_LF_LIVE,
    RTMP_LF_NOTLSVERIFY, RTMP_LF_SWFV, RTMP_SWF_HASHLEN,
};
use crate::log;
use rtmp_core::ertmp;
use rtmp_core::url::{self, ConnItem, ConnValue, OptKind, OptStep, OptTarget};

const AMF_NUMBER: c_int = 0;
const AMF_BOOLEAN: c_int = 1;
const AMF_STRING: c_int = 2;
const AMF_OBJECT: c_int = 3;
const AMF_NULL: c_int = 5;

/// What `printf("%s", a->av_val)` shows for an AVal, read within its length: `(null)` for NULL.
///
/// # Safety
/// As [`conv::aval_bytes`].
unsafe fn aval_text(a: &AVal) -> Vec<u8> {
    if a.av_val.is_null() {
        return b"(null)".to_vec();
    }
    // SAFETY: forwarded contract.
    url::cstr_at(unsafe { aval_bytes(a) }, 0).to_vec()
}

/// What `printf("%.*s", a->av_len, a->av_val)` shows (glibc: NULL is `(null)` only when the
/// precision allows six characters).
///
/// # Safety
/// As [`conv::aval_bytes`].
unsafe fn aval_precision_text(a: &AVal) -> Vec<u8> {
    if a.av_val.is_null() {
        return if a.av_len < 0 || a.av_len >= 6 {
            b"(null)".to_vec()
        } else {
            Vec::new()
        };
    }
    // SAFETY: forwarded contract.
    url::cstr_at(unsafe { aval_bytes(a) }, 0).to_vec()
}

/// An AVal owning a libc copy of `bytes` (`{NULL, 0}` if the allocation fails).
fn malloc_aval(bytes: &[u8]) -> AVal {
    conv::malloc_aval(bytes).unwrap_or_else(|| {
        log::emit(log::ERROR, "out of memory");
        AVal::EMPTY
    })
}

/// `RTMPProtocolStrings[i]` (upper case), "" when out of range.
fn protocol_upper(i: usize) -> Vec<u8> {
    // SAFETY: a const table in the shim; each row holds a NUL within its 7 bytes.
    let table = unsafe { &*ptr::addr_of!(globals::RTMPProtocolStrings) };
    table.get(i).map_or(Vec::new(), |row| {
        let bytes: Vec<u8> = row.iter().map(|&c| c as u8).collect();
        url::cstr_at(&bytes, 0).to_vec()
    })
}

// ---------------------------------------------------------------------------------------------
// RTMP_ParseURL / RTMP_ParsePlaypath

/// `RTMP_ParseURL` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a valid handle; the AVal and string arguments
/// are NULL (refused) or readable for their lengths (NUL-terminated for C strings), the
/// outputs writable; what the session keeps pointers into outlives the session.
#[no_mangle]
pub unsafe extern "C" fn RTMP_ParseURL(
    url: *const c_char,
    protocol: *mut c_int,
    host: *mut AVal,
    port: *mut c_uint,
    playpath: *mut AVal,
    app: *mut AVal,
) -> c_int {
    let ptrs: [*const c_void; 6] = [
        url as _,
        protocol as _,
        host as _,
        port as _,
        playpath as _,
        app as _,
    ];
    guard_ptrs("RTMP_ParseURL", &ptrs, 0, || {
        // SAFETY: `url` is a NUL-terminated C string, the outputs are writable (C contract).
        unsafe {
            let base = url as *mut c_char;
            let bytes = conv::cstr_bytes(url);
            let parts = url::parse_url(bytes);
            for l in &parts.logs {
                log::emit_bytes(l.level, &l.text);
            }
            *protocol = parts.protocol;
            *port = parts.port;
            if let Some(h) = parts.host {
                *host = AVal {
                    av_val: base.add(h.start),
                    av_len: h.len() as c_int,
                };
            }
            *app = match parts.app {
                Some(a) => AVal {
                    av_val: base.add(a.start),
                    av_len: a.len() as c_int,
                },
                None => AVal::EMPTY,
            };
            *playpath = match parts.playpath {
                Some(pp) => malloc_aval(&pp),
                None => AVal::EMPTY,
            };
            c_int::from(parts.ok)
        }
    })
}

/// `RTMP_ParsePlaypath` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a valid handle; the AVal and string arguments
/// are NULL (refused) or readable for their lengths (NUL-terminated for C strings), the
/// outputs writable; what the session keeps pointers into outlives the session.
#[no_mangle]
pub unsafe extern "C" fn RTMP_ParsePlaypath(input: *mut AVal, out: *mut AVal) {
    guard_ptrs("RTMP_ParsePlaypath", &[input as _, out as _], (), || {
        // SAFETY: both AVals are valid (C contract); `input` describes readable bytes.
        unsafe {
            *out = AVal::EMPTY;
            let input = &*input;
            if input.av_val.is_null() {
                return;
            }
            let bytes = aval_bytes(input);
            *out = malloc_aval(&url::parse_playpath(bytes, 0, bytes.len()));
        }
    })
}

// ---------------------------------------------------------------------------------------------
// RTMP_SetOpt

/// Applies one `conn=` value (C string `view`, AVal `arg`) to `Link.extras`.
///
/// # Safety
/// `r` must be a valid handle; `arg.av_val` must be where `view` was read from.
unsafe fn set_conn(r: &mut RTMP, arg: &AVal, view: &[u8]) -> bool {
    let Some(item) = url::parse_conn(view, arg.av_len, r.Link.edepth) else {
        return false;
    };
    let (name, value) = match item {
        ConnItem::EndObject => {
            r.Link.edepth -= 1;
            return true;
        }
        ConnItem::Prop { name, value } => (name, value),
    };
    let at = |off: usize| -> *mut c_char {
        // SAFETY: offsets come from `view`, which starts at `arg.av_val`.
        unsafe { arg.av_val.add(off) }
    };
    let mut prop = AMFObjectProperty {
        p_name: AVal::EMPTY,
        p_type: AMF_NUMBER,
        p_vu: AMFValue { p_number: 0.0 },
        p_UTCoffset: 0,
    };
    // Zero the whole union first (an object value must read as {0, NULL}).
    prop.p_vu.p_object = AMFObject::EMPTY;
    if let Some(n) = name {
        prop.p_name = AVal {
            av_val: at(n.start),
            av_len: n.len() as c_int,
        };
    }
    match value {
        ConnValue::Bool(v) => {
            prop.p_type = AMF_BOOLEAN;
            prop.p_vu.p_number = v;
        }
        ConnValue::Number(off) => {
            prop.p_type = AMF_NUMBER;
            let text = CString::new(url::cstr_at(view, off)).unwrap_or_default();
            // SAFETY: a NUL-terminated copy of the number text.
            prop.p_vu.p_number = unsafe { libc::strtod(text.as_ptr(), ptr::null_mut()) };
        }
        ConnValue::Str(off, len) => {
            prop.p_type = AMF_STRING;
            prop.p_vu.p_aval = AVal {
                av_val: at(off),
                av_len: len,
            };
        }
        ConnValue::Null => prop.p_type = AMF_NULL,
        ConnValue::Object => prop.p_type = AMF_OBJECT,
    }
    // The innermost open object: the last property at each level, `edepth` times.
    let mut obj: *mut AMFObject = &mut r.Link.extras;
    for _ in 0..r.Link.edepth.max(0) {
        // SAFETY: `obj` points into the extras tree built by this function.
        let o = unsafe { &mut *obj };
        if o.o_num <= 0 || o.o_props.is_null() {
            log::emit(log::ERROR, "conn: no open AMF object to add to");
            return false;
        }
        // SAFETY: index o_num - 1 is within the array.
        let last = unsafe { &mut *o.o_props.add(o.o_num as usize - 1) };
        if last.p_type != AMF_OBJECT {
            log::emit(log::ERROR, "conn: no open AMF object to add to");
            return false;
        }
        // The property is an object, so the union holds `p_object`.
        obj = ptr::addr_of_mut!(last.p_vu.p_object);
    }
    let is_object = prop.p_type == AMF_OBJECT;
    // SAFETY: `obj` is a valid object of the tree.
    if !unsafe { crate::driver::amf::add_prop(obj, &prop) } {
        log::emit(log::ERROR, "conn: out of memory");
        return false;
    }
    if is_object {
        r.Link.edepth += 1;
    }
    true
}

/// Applies one E-RTMP capability option (`fourCcList`, `videoFourCcInfoMap`,
/// `audioFourCcInfoMap`, `capsEx`): validated, then stored with the others in the handle
/// (see `driver::ertmp`). A bad value logs an ERROR line and changes nothing.
///
/// # Safety
/// `r` must be a valid handle.
unsafe fn set_caps(r: &mut RTMP, opt: ertmp::CapsOption, value: &[u8]) -> bool {
    // SAFETY: a valid handle (function contract).
    let mut caps = ertmp::Caps::from_blob(unsafe { crate::driver::ertmp::blob(r) });
    if let Err(e) = caps.set(opt, value) {
        log::emit(log::ERROR, &e);
        return false;
    }
    // SAFETY: as above.
    if !unsafe { crate::driver::ertmp::store(r, &caps.to_blob()) } {
        log::emit(log::ERROR, &format!("{}: out of memory", opt.name()));
        return false;
    }
    log::emit_bytes(log::DEBUG, &[opt.name().as_bytes(), b" = ", value].concat());
    true
}

/// `RTMP_SetOpt` with the C strings the reference would read: `name` for the option AVal and
/// `value` for the argument (they may run past `av_len` inside a SetupURL buffer).
///
/// # Safety
/// `r` must be a valid handle, `arg.av_val` the start of `value`.
unsafe fn set_opt(r: &mut RTMP, opt: &AVal, arg: &AVal, name: &[u8], value: &[u8]) -> bool {
    if url::is_tls_verify_option(name, opt.av_len) {
        if url::is_false(value, arg.av_len) {
            r.Link.lFlags |= RTMP_LF_NOTLSVERIFY;
        } else {
            r.Link.lFlags &= !RTMP_LF_NOTLSVERIFY;
        }
        return true;
    }
    if let Some(o) = ertmp::find_option(name, opt.av_len) {
        // The value within its length (an unescaped SetupURL value may be followed by what
        // the unescaping left behind before its NUL).
        let len = usize::try_from(arg.av_len).unwrap_or(0).min(value.len());
        // SAFETY: a valid handle (function contract).
        return unsafe { set_caps(r, o, &value[..len]) };
    }
    let Some(def) = url::find_option(name, opt.av_len) else {
        let shown: &[u8] = if opt.av_val.is_null() {
            b"(null)"
        } else {
            name
        };
        log::emit_bytes(log::ERROR, &[&b"Unknown option "[..], shown].concat());
        for l in url::usage_lines() {
            log::emit(log::ERROR, &l);
        }
        return false;
    };
    let link = &mut r.Link;
    match def.kind {
        OptKind::Str => {
            let slot = match def.target {
                OptTarget::SocksHost => &mut link.sockshost,
                OptTarget::App => &mut link.app,
                OptTarget::TcUrl => &mut link.tcUrl,
                OptTarget::PageUrl => &mut link.pageUrl,
                OptTarget::SwfUrl => &mut link.swfUrl,
                OptTarget::FlashVer => &mut link.flashVer,
                OptTarget::Playpath => &mut link.playpath,
                OptTarget::SubscribePath => &mut link.subscribepath,
                OptTarget::UsherToken => &mut link.usherToken,
                OptTarget::Token => &mut link.token,
                OptTarget::PubUser => &mut link.pubUser,
                OptTarget::PubPasswd => &mut link.pubPasswd,
                _ => return false,
            };
            *slot = *arg;
        }
        OptKind::Int => {
            let v = url::c_strtol(value, 0) as c_int;
            match def.target {
                OptTarget::SwfAge => link.swfAge = v,
                OptTarget::SeekTime => link.seekTime = v,
                OptTarget::StopTime => link.stopTime = v,
                OptTarget::Timeout => link.timeout = v,
                OptTarget::BufferMs => r.m_nBufferMS = v,
                _ => return false,
            }
        }
        OptKind::Bool => {
            if let OptTarget::Flag(bit) = def.target {
                if url::is_true(value, arg.av_len) {
                    link.lFlags |= bit;
                }
            }
        }
        // SAFETY: forwarded contract.
        OptKind::Conn => return unsafe { set_conn(r, arg, value) },
    }
    true
}

/// `RTMP_SetOpt` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a valid handle; the AVal and string arguments
/// are NULL (refused) or readable for their lengths (NUL-terminated for C strings), the
/// outputs writable; what the session keeps pointers into outlives the session.
#[no_mangle]
pub unsafe extern "C" fn RTMP_SetOpt(r: *mut RTMP, opt: *const AVal, arg: *mut AVal) -> c_int {
    guard_ptrs("RTMP_SetOpt", &[r as _, opt as _, arg as _], 0, || {
        // SAFETY: valid handle and AVals (C contract); the AVals describe readable bytes.
        unsafe {
            let (opt, arg) = (*opt, *arg);
            let name = url::cstr_at(aval_bytes(&opt), 0).to_vec();
            let value = url::cstr_at(aval_bytes(&arg), 0).to_vec();
            c_int::from(set_opt(&mut *r, &opt, &arg, &name, &value))
        }
    })
}

// ---------------------------------------------------------------------------------------------
// SOCKS, default port

/// Sets `Link.sockshost`/`socksport` from a `host[:port]` text (`Link.sockshost` becomes a libc
/// copy of the host that nobody frees, as in the reference); an empty AVal clears both.
fn socks_setup(r: &mut RTMP, given: &AVal, text: &[u8]) {
    if given.av_len == 0 {
        r.Link.sockshost = AVal::EMPTY;
        r.Link.socksport = 0;
        return;
    }
    let (host, port) = url::split_socks(text);
    r.Link.sockshost = malloc_aval(&host);
    r.Link.socksport = port;
    let mut msg = b"Connecting via SOCKS proxy: ".to_vec();
    msg.extend_from_slice(&host);
    msg.extend_from_slice(format!(":{port}").as_bytes());
    log::emit_bytes(log::DEBUG, &msg);
}

fn apply_default_port(r: &mut RTMP) {
    if r.Link.port == 0 {
        r.Link.port = url::default_port(r.Link.protocol);
    }
}

// ---------------------------------------------------------------------------------------------
// RTMP_SetupURL

/// `RTMP_SetupURL` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a valid handle; the AVal and string arguments
/// are NULL (refused) or readable for their lengths (NUL-terminated for C strings), the
/// outputs writable; what the session keeps pointers into outlives the session.
#[no_mangle]
pub unsafe extern "C" fn RTMP_SetupURL(r: *mut RTMP, url_ptr: *mut c_char) -> c_int {
    let ptrs: [*const c_void; 2] = [r as _, url_ptr as _];
    // SAFETY: a valid handle and a writable NUL-terminated URL that outlives the session.
    guard_ptrs("RTMP_SetupURL", &ptrs, 0, || unsafe {
        setup_url(&mut *r, url_ptr)
    })
}

/// # Safety
/// `url` must be a writable NUL-terminated string; `r` a valid handle.
unsafe fn setup_url(r: &mut RTMP, url: *mut c_char) -> c_int {
    // SAFETY: the string and its bytes up to the NUL are the caller's, writable.
    let total = unsafe { libc::strlen(url) };
    // SAFETY: `total` bytes before the NUL, writable (the function contract).
    let buf = unsafe { std::slice::from_raw_parts_mut(url as *mut u8, total) };
    let base = buf.as_mut_ptr() as *mut c_char;
    // SAFETY: every offset used below is within `buf` (or its NUL).
    let at = |off: usize| unsafe { base.add(off) };

    let first_space = buf.iter().position(|&b| b == b' ');
    if let Some(s) = first_space {
        buf[s] = 0;
    }
    let len = first_space.unwrap_or(total);
    let parts = url::parse_url(&buf[..len]);
    for l in &parts.logs {
        log::emit_bytes(l.level, &l.text);
    }
    r.Link.protocol = parts.protocol;
    if let Some(h) = &parts.host {
        r.Link.hostname = AVal {
            av_val: at(h.start),
            av_len: h.len() as c_int,
        };
    }
    r.Link.playpath0 = match &parts.playpath {
        Some(pp) => malloc_aval(pp),
        None => AVal::EMPTY,
    };
    r.Link.app = match &parts.app {
        Some(a) => AVal {
            av_val: at(a.start),
            av_len: a.len() as c_int,
        },
        None => AVal::EMPTY,
    };
    if !parts.ok {
        return 0;
    }
    r.Link.port = parts.port as u16;
    r.Link.playpath = r.Link.playpath0;

    let mut sep = first_space;
    while let Some(s) = sep {
        match url::next_option(buf, s) {
            OptStep::Stop => break,
            OptStep::BadEscape => return 0,
            OptStep::Opt { name, value, next } => {
                let opt = AVal {
                    av_val: at(name.start),
                    av_len: name.len() as c_int,
                };
                let arg = AVal {
                    av_val: at(value.start),
                    av_len: value.len() as c_int,
                };
                let name_text = url::cstr_at(buf, name.start).to_vec();
                let value_text = url::cstr_at(buf, value.start).to_vec();
                // SAFETY: `arg` points at `value_text`'s origin in the caller's buffer.
                if !unsafe { set_opt(r, &opt, &arg, &name_text, &value_text) } {
                    return 0;
                }
                sep = next;
            }
        }
    }

    if r.Link.tcUrl.av_len == 0 {
        r.Link.tcUrl.av_val = url;
        if r.Link.app.av_len != 0 {
            let app_addr = r.Link.app.av_val as usize;
            if app_addr < base as usize + len {
                // The app is part of the URL: the tcUrl is the URL up to the end of the app.
                r.Link.tcUrl.av_len =
                    r.Link.app.av_len + app_addr.wrapping_sub(base as usize) as c_int;
            } else {
                // SAFETY: Link AVals are valid (set above or by the caller).
                let (host, app) = unsafe {
                    (
                        aval_precision_text(&r.Link.hostname),
                        aval_precision_text(&r.Link.app),
                    )
                };
                let scheme = globals::protocol_lower(r.Link.protocol);
                r.Link.tcUrl = malloc_aval(&url::build_tcurl(scheme, &host, r.Link.port, &app));
                r.Link.lFlags |= RTMP_LF_FTCU;
            }
        } else {
            r.Link.tcUrl.av_len = len as c_int;
        }
    }

    if r.Link.lFlags & RTMP_LF_SWFV != 0 && r.Link.swfUrl.av_len > 0 {
        // SAFETY: a Link AVal describes readable bytes.
        let swf_url = String::from_utf8_lossy(unsafe { aval_bytes(&r.Link.swfUrl) }).into_owned();
        let verify =
            r.Link.lFlags & RTMP_LF_NOTLSVERIFY == 0 && !crate::io::tls::verify_disabled_by_env();
        if let Some((size, hash)) = super::http::hash_swf(&swf_url, r.Link.swfAge, verify) {
            r.Link.SWFSize = size;
            r.Link.SWFHash = hash;
        }
    }

    let socks = r.Link.sockshost;
    let socks_addr = socks.av_val as usize;
    let text = if !socks.av_val.is_null()
        && socks_addr >= base as usize
        && socks_addr < base as usize + total
    {
        url::cstr_at(buf, socks_addr - base as usize).to_vec()
    } else {
        // SAFETY: a caller-set AVal describes readable bytes.
        url::cstr_at(unsafe { aval_bytes(&socks) }, 0).to_vec()
    };
    socks_setup(r, &socks, &text);
    apply_default_port(r);
    1
}

// ---------------------------------------------------------------------------------------------
// RTMP_SetupStream

/// Copies `a` into `slot` when it is given and non-empty.
fn set_if_given(slot: &mut AVal, a: Option<&AVal>) -> bool {
    match a {
        Some(a) if a.av_len != 0 => {
            *slot = *a;
            true
        }
        _ => false,
    }
}

/// `RTMP_SetupStream` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a valid handle; the AVal and string arguments
/// are NULL (refused) or readable for their lengths (NUL-terminated for C strings), the
/// outputs writable; what the session keeps pointers into outlives the session.
#[no_mangle]
pub unsafe extern "C" fn RTMP_SetupStream(
    r: *mut RTMP,
    protocol: c_int,
    host: *mut AVal,
    port: c_uint,
    sockshost: *mut AVal,
    playpath: *mut AVal,
    tcUrl: *mut AVal,
    swfUrl: *mut AVal,
    pageUrl: *mut AVal,
    app: *mut AVal,
    auth: *mut AVal,
    swfSHA256Hash: *mut AVal,
    swfSize: u32,
    flashVer: *mut AVal,
    subscribepath: *mut AVal,
    usherToken: *mut AVal,
    dStart: c_int,
    dStop: c_int,
    bLiveStream: c_int,
    timeout: c_long,
) {
    let ptrs: [*const c_void; 4] = [r as _, host as _, sockshost as _, playpath as _];
    guard_ptrs("RTMP_SetupStream", &ptrs, (), || {
        // SAFETY: valid handle; every non-NULL AVal describes readable bytes (C contract).
        unsafe {
            let r = &mut *r;
            let opt = |p: *mut AVal| p.as_ref();
            let (host, sockshost, playpath) = (*host, *sockshost, *playpath);
            let dbg = |parts: &[&[u8]]| log::emit_bytes(log::DEBUG, &parts.concat());
            let shown = |a: Option<&AVal>| a.filter(|a| !a.av_val.is_null()).map(|a| aval_text(a));

            dbg(&[b"Protocol : ", &protocol_upper((protocol & 7) as usize)]);
            dbg(&[b"Hostname : ", &aval_precision_text(&host)]);
            dbg(&[b"Port     : ", (port as c_int).to_string().as_bytes()]);
            dbg(&[b"Playpath : ", &aval_text(&playpath)]);
            let labelled: [(&[u8], *mut AVal); 3] = [
                (b"tcUrl    : ", tcUrl),
                (b"swfUrl   : ", swfUrl),
                (b"pageUrl  : ", pageUrl),
            ];
            for (label, a) in labelled {
                if let Some(t) = shown(opt(a)) {
                    dbg(&[label, &t]);
                }
            }
            if let Some(a) = opt(app).filter(|a| !a.av_val.is_null()) {
                dbg(&[b"app      : ", &aval_precision_text(a)]);
            }
            let labelled: [(&[u8], *mut AVal); 4] = [
                (b"auth     : ", auth),
                (b"subscribepath : ", subscribepath),
                (b"NetStream.Authenticate.UsherToken : ", usherToken),
                (b"flashVer : ", flashVer),
            ];
            for (label, a) in labelled {
                if let Some(t) = shown(opt(a)) {
                    dbg(&[label, &t]);
                }
            }
            if dStart > 0 {
                dbg(&[format!("StartTime     : {dStart} msec").as_bytes()]);
            }
            if dStop > 0 {
                dbg(&[format!("StopTime      : {dStop} msec").as_bytes()]);
            }
            let live: &[u8] = if bLiveStream != 0 { b"yes" } else { b"no" };
            dbg(&[b"live     : ", live]);
            dbg(&[format!("timeout  : {timeout} sec").as_bytes()]);

            match opt(swfSHA256Hash).filter(|h| !h.av_val.is_null()) {
                Some(h) if swfSize > 0 => {
                    ptr::copy_nonoverlapping(
                        h.av_val as *const u8,
                        r.Link.SWFHash.as_mut_ptr(),
                        RTMP_SWF_HASHLEN,
                    );
                    r.Link.SWFSize = swfSize;
                    log::emit(log::DEBUG, "SWFSHA256:");
                    if log::enabled(log::DEBUG) {
                        for l in log::hex_lines(&r.Link.SWFHash) {
                            log::emit(log::DEBUG, &l);
                        }
                    }
                    log::emit(log::DEBUG, &format!("SWFSize  : {swfSize}"));
                }
                _ => r.Link.SWFSize = 0,
            }

            let socks_text = url::cstr_at(aval_bytes(&sockshost), 0).to_vec();
            socks_setup(r, &sockshost, &socks_text);

            let link = &mut r.Link;
            set_if_given(&mut link.tcUrl, opt(tcUrl));
            set_if_given(&mut link.swfUrl, opt(swfUrl));
            set_if_given(&mut link.pageUrl, opt(pageUrl));
            set_if_given(&mut link.app, opt(app));
            if set_if_given(&mut link.auth, opt(auth)) {
                link.lFlags |= RTMP_LF_AUTH;
            }
            if !set_if_given(&mut link.flashVer, opt(flashVer)) {
                link.flashVer = ptr::addr_of!(globals::RTMP_DefaultFlashVer).read();
            }
            set_if_given(&mut link.subscribepath, opt(subscribepath));
            set_if_given(&mut link.usherToken, opt(usherToken));
            link.seekTime = dStart;
            link.stopTime = dStop;
            if bLiveStream != 0 {
                link.lFlags |= RTMP_LF_LIVE;
            }
            link.timeout = timeout as c_int;
            link.protocol = protocol;
            link.hostname = host;
            link.port = port as u16;
            link.playpath = playpath;
            apply_default_port(r);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Rust `%02x` scanner against glibc's `sscanf` over many short inputs.
    #[test]
    fn scan_hex2_matches_glibc() {
        let alphabet = b" \t+-0xX19afAFg:%";
        let mut inputs: Vec<Vec<u8>> = vec![vec![]];
        for &a in alphabet {
            inputs.push(vec![a]);
            for &b in alphabet {
                inputs.push(vec![a, b]);
                for &c in alphabet {
                    inputs.push(vec![a, b, c]);
                }
            }
        }
        for input in inputs {
            let c = CString::new(input.clone()).unwrap();
            let mut v: c_uint = 0xdead_beef;
            // SAFETY: a NUL-terminated input and one `unsigned int` output.
            let n = unsafe { libc::sscanf(c.as_ptr(), c"%02x".as_ptr(), &mut v as *mut c_uint) };
            let ours = url::scan_hex2(&input, 0);
            let theirs = if n == 1 { Some(v) } else { None };
            assert_eq!(ours, theirs, "input {:?}", String::from_utf8_lossy(&input));
        }
    }

    /// The Rust `strtol` against glibc's.
    #[test]
    fn strtol_matches_glibc() {
        let samples: &[&[u8]] = &[
            b"",
            b"0",
            b"12",
            b"-12",
            b"+7",
            b"0x1f",
            b"0X",
            b"0xg",
            b"010",
            b"09",
            b" \t42z",
            b"-0x10",
            b"9223372036854775807",
            b"9223372036854775808",
            b"-9223372036854775808",
            b"-9223372036854775809",
            b"4294967297",
            b"0x7fffffffffffffffff",
            b"- 1",
            b"+-1",
        ];
        for s in samples {
            let c = CString::new(*s).unwrap();
            for base in [0, 10] {
                // SAFETY: a NUL-terminated input.
                let theirs = unsafe { libc::strtol(c.as_ptr(), ptr::null_mut(), base) };
                assert_eq!(url::c_strtol(s, base as u32), theirs, "{:?} base {base}", c);
            }
        }
    }
}
