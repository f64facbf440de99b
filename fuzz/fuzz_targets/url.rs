//! Arbitrary strings through RTMP_ParseURL, RTMP_ParsePlaypath and RTMP_SetupURL (a fresh
//! handle each time), checking that every pointer handed back lies inside the caller's buffer
//! or is a libc allocation, then freeing what the caller owns.
#![no_main]

use std::os::raw::{c_char, c_int, c_uint};
use std::sync::Once;

use libfuzzer_sys::fuzz_target;
use rtmp::ffi::client::RTMP_Close;
use rtmp::ffi::rtmp::{RTMP_Alloc, RTMP_Free, RTMP_Init};
use rtmp::ffi::setup::{RTMP_ParsePlaypath, RTMP_ParseURL, RTMP_SetupURL};
use rtmp::abi::types::{AMFObject, AVal, RTMP_LF_FTCU};

extern "C" {
    fn RTMP_LogSetOutput(file: *mut libc::FILE);
}

fn inside(a: &AVal, buf: &[u8]) -> bool {
    let start = buf.as_ptr() as usize;
    let p = a.av_val as usize;
    a.av_len >= 0 && p >= start && p + a.av_len as usize <= start + buf.len()
}

unsafe fn free_object(o: &mut AMFObject) {
    for i in 0..o.o_num.max(0) as usize {
        let p = &mut *o.o_props.add(i);
        if p.p_type == 3 {
            free_object(&mut p.p_vu.p_object);
        }
    }
    libc::free(o.o_props as *mut libc::c_void);
    o.o_props = std::ptr::null_mut();
    o.o_num = 0;
}

fuzz_target!(|data: &[u8]| {
    static LOG: Once = Once::new();
    LOG.call_once(|| unsafe {
        // Exercise the log formatting without flooding the terminal.
        let f = libc::fopen(c"/dev/null".as_ptr(), c"w".as_ptr());
        RTMP_LogSetOutput(f);
        rtmp::log::set_level(rtmp::log::DEBUG);
    });
    let text: Vec<u8> = data.iter().copied().take_while(|&b| b != 0).collect();
    unsafe {
        let mut buf = text.clone();
        buf.push(0);
        let (mut proto, mut port): (c_int, c_uint) = (0, 0);
        let (mut host, mut pp, mut app) = (AVal::EMPTY, AVal::EMPTY, AVal::EMPTY);
        let ok = RTMP_ParseURL(
            buf.as_ptr() as *const c_char,
            &mut proto,
            &mut host,
            &mut port,
            &mut pp,
            &mut app,
        );
        assert!(ok == 0 || ok == 1);
        assert!(host.av_val.is_null() || inside(&host, &buf));
        assert!(app.av_val.is_null() || inside(&app, &buf));
        assert!(port <= 65535);
        if !pp.av_val.is_null() {
            assert_eq!(*pp.av_val.add(pp.av_len as usize), 0);
        }
        libc::free(pp.av_val as *mut libc::c_void);

        let mut input = AVal {
            av_val: buf.as_mut_ptr() as *mut c_char,
            av_len: text.len() as c_int,
        };
        let mut out = AVal::EMPTY;
        RTMP_ParsePlaypath(&mut input, &mut out);
        libc::free(out.av_val as *mut libc::c_void);

        let mut buf = text.clone();
        buf.push(0);
        let r = RTMP_Alloc();
        RTMP_Init(r);
        RTMP_SetupURL(r, buf.as_mut_ptr() as *mut c_char);
        let link = &mut (*r).Link;
        for a in [
            &link.hostname,
            &link.app,
            &link.swfUrl,
            &link.pageUrl,
            &link.token,
        ] {
            assert!(a.av_val.is_null() || inside(a, &buf));
        }
        if link.lFlags & RTMP_LF_FTCU == 0 {
            assert!(link.tcUrl.av_val.is_null() || inside(&link.tcUrl, &buf));
        }
        // As a consumer ends a handle: RTMP_Close frees what the library allocated for it
        // (playpath0, an owned tcUrl, the E-RTMP capability entry of Link.extras); the conn=
        // entries and the SOCKS host stay the caller's, as with librtmp.
        RTMP_Close(r);
        let link = &mut (*r).Link;
        if !link.sockshost.av_val.is_null() && !inside(&link.sockshost, &buf) {
            libc::free(link.sockshost.av_val as *mut libc::c_void);
        }
        free_object(&mut link.extras);
        RTMP_Free(r);
    }
});
