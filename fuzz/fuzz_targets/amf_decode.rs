//! Feeds arbitrary bytes to the AMF decoders through the C ABI (AMF_Decode named and unnamed,
//! AMFProp_Decode, AMF3_Decode, AMF3Prop_Decode), then dumps (at ALL level into /dev/null),
//! re-encodes and resets every result. The first byte selects the decoder and flags.
#![no_main]

use std::os::raw::{c_char, c_int};
use std::sync::Once;

use libfuzzer_sys::fuzz_target;
use rtmp::ffi::amf::*;
use rtmp::abi::types::{AMFObject, AMFObjectProperty};

extern "C" {
    fn RTMP_LogSetOutput(file: *mut libc::FILE);
    fn RTMP_LogSetLevel(level: c_int);
}

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| unsafe {
        let devnull = libc::fopen(c"/dev/null".as_ptr(), c"w".as_ptr());
        RTMP_LogSetOutput(devnull);
        RTMP_LogSetLevel(6);
    });
}

unsafe fn reencode_obj(o: &mut AMFObject) {
    let mut out = vec![0u8; 1 << 16];
    let start = out.as_mut_ptr() as *mut c_char;
    let end = start.add(out.len());
    let _ = AMF_Encode(o, start, end);
    let _ = AMF_EncodeEcmaArray(o, start, end);
    let _ = AMF_EncodeArray(o, start, end);
    let mut p = start;
    for i in 0..o.o_num.max(0) as usize {
        if p.is_null() {
            break;
        }
        p = AMFProp_Encode(o.o_props.add(i), p, end);
    }
}

fuzz_target!(|data: &[u8]| {
    setup();
    if data.is_empty() {
        return;
    }
    let sel = data[0];
    // an exactly sized copy, so that reading past the end is caught by the sanitizer
    let body: Vec<u8> = data[1..].to_vec();
    let buf = body.as_ptr() as *const c_char;
    let n = body.len() as c_int;
    let named = c_int::from(sel & 0x10 != 0);
    unsafe {
        match sel % 4 {
            0 | 2 => {
                let mut o = AMFObject::EMPTY;
                let r = if sel % 4 == 0 {
                    AMF_Decode(&mut o, buf, n, named)
                } else {
                    AMF3_Decode(&mut o, buf, n, named)
                };
                assert!(r <= n);
                AMF_Dump(&mut o);
                reencode_obj(&mut o);
                let _ = AMF_GetProp(&mut o, std::ptr::null(), 0);
                AMF_Reset(&mut o);
            }
            _ => {
                let mut p: AMFObjectProperty = std::mem::zeroed();
                let r = if sel % 4 == 1 {
                    AMFProp_Decode(&mut p, buf, n, named)
                } else {
                    AMF3Prop_Decode(&mut p, buf, n, named)
                };
                assert!(r <= n);
                if r >= 0 {
                    AMFProp_Dump(&mut p);
                    let mut out = vec![0u8; 1 << 16];
                    let s = out.as_mut_ptr() as *mut c_char;
                    let _ = AMFProp_Encode(&mut p, s, s.add(out.len()));
                    AMFProp_Reset(&mut p);
                }
            }
        }
    }
});
