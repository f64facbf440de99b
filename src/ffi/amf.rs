//! AMF exports (amf.h, plus the exported-but-undeclared `AMF3ReadInteger`/`AMF3ReadString`).
//!
//! Thin adapters over `core::amf`: the decoder builds `AMFObject`s directly in libc memory
//! through [`CSink`], the encoders and the dump read C structures through [`CObj`]. Memory
//! conventions are librtmp's: decoded strings and names point into the caller's buffer,
//! property arrays are `realloc`ed 16 entries at a time and released by `AMF_Reset` with
//! `free` (so callers may build or free them with their own malloc/free), `AMF_GetProp`
//! returns a static read-only `AMF_INVALID` property when nothing matches.

use crate::driver::amf::*;
use std::os::raw::{c_char, c_double, c_int, c_short, c_uint, c_ushort, c_void};
use std::ptr;

use super::boundary::{guard, guard_ptr, guard_ptrs};
use crate::abi::conv::{self, aval_readable};
use crate::abi::types::{AMF3ClassDef, AMFDataType, AMFObject, AMFObjectProperty, AVal};
use crate::log;
use rtmp_core::amf::{decode, dump, encode, encode::Scalar, marker, Amf3Outcome, Decoder, View};
use rtmp_core::bytes;

/// `AMF_EncodeString` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_EncodeString(
    output: *mut c_char,
    outend: *mut c_char,
    str: *const AVal,
) -> *mut c_char {
    // SAFETY: as the exact path.
    let fast = guard("AMF_EncodeString", None, || unsafe {
        let s = aval_short(str)?;
        let k = encode::short_string(conv::window_for(output, outend, s.len() + 5)?, s)?;
        Some(output.add(k))
    });
    match fast {
        Some(r) => r,
        // SAFETY: the caller's pointers, as this export's `# Safety` requires.
        None => unsafe { encodestring_exact(output, outend, str) },
    }
}

/// `AMF_EncodeNamedString` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_EncodeNamedString(
    output: *mut c_char,
    outend: *mut c_char,
    name: *const AVal,
    value: *const AVal,
) -> *mut c_char {
    // SAFETY: as the exact path.
    let fast = guard("AMF_EncodeNamedString", None, || unsafe {
        named_fast(output, outend, name, Scalar::String(aval_short(value)?))
    });
    match fast {
        Some(r) => r,
        // SAFETY: the caller's pointers, as this export's `# Safety` requires.
        None => unsafe { encodenamedstring_exact(output, outend, name, value) },
    }
}

/// `AMF_EncodeNamedNumber` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_EncodeNamedNumber(
    output: *mut c_char,
    outend: *mut c_char,
    name: *const AVal,
    dVal: c_double,
) -> *mut c_char {
    // SAFETY: as the exact path.
    let fast = guard("AMF_EncodeNamedNumber", None, || unsafe {
        named_fast(output, outend, name, Scalar::Number(dVal))
    });
    match fast {
        Some(r) => r,
        // SAFETY: the caller's pointers, as this export's `# Safety` requires.
        None => unsafe { encodenamednumber_exact(output, outend, name, dVal) },
    }
}

/// `AMF_EncodeNamedBoolean` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_EncodeNamedBoolean(
    output: *mut c_char,
    outend: *mut c_char,
    name: *const AVal,
    bVal: c_int,
) -> *mut c_char {
    // SAFETY: as the exact path.
    let fast = guard("AMF_EncodeNamedBoolean", None, || unsafe {
        named_fast(output, outend, name, Scalar::Boolean(bVal != 0))
    });
    match fast {
        Some(r) => r,
        // SAFETY: the caller's pointers, as this export's `# Safety` requires.
        None => unsafe { encodenamedboolean_exact(output, outend, name, bVal) },
    }
}

/// `AMF_EncodeNumber` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_EncodeNumber(
    output: *mut c_char,
    outend: *mut c_char,
    dVal: c_double,
) -> *mut c_char {
    // SAFETY: pointers valid per this export's `# Safety`.
    guard("AMF_EncodeNumber", ptr::null_mut(), || unsafe {
        encode_with(output, outend, |w| encode::number(w, dVal))
    })
}

/// `AMF_EncodeInt16` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_EncodeInt16(
    output: *mut c_char,
    outend: *mut c_char,
    nVal: c_short,
) -> *mut c_char {
    // SAFETY: pointers valid per this export's `# Safety`.
    guard("AMF_EncodeInt16", ptr::null_mut(), || unsafe {
        encode_with(output, outend, |w| encode::int16(w, nVal as u16))
    })
}

/// `AMF_EncodeInt24` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_EncodeInt24(
    output: *mut c_char,
    outend: *mut c_char,
    nVal: c_int,
) -> *mut c_char {
    // SAFETY: pointers valid per this export's `# Safety`.
    guard("AMF_EncodeInt24", ptr::null_mut(), || unsafe {
        encode_with(output, outend, |w| encode::int24(w, nVal as u32))
    })
}

/// `AMF_EncodeInt32` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_EncodeInt32(
    output: *mut c_char,
    outend: *mut c_char,
    nVal: c_int,
) -> *mut c_char {
    // SAFETY: pointers valid per this export's `# Safety`.
    guard("AMF_EncodeInt32", ptr::null_mut(), || unsafe {
        encode_with(output, outend, |w| encode::int32(w, nVal as u32))
    })
}

/// `AMF_EncodeBoolean` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_EncodeBoolean(
    output: *mut c_char,
    outend: *mut c_char,
    bVal: c_int,
) -> *mut c_char {
    // SAFETY: pointers valid per this export's `# Safety`.
    guard("AMF_EncodeBoolean", ptr::null_mut(), || unsafe {
        encode_with(output, outend, |w| encode::boolean(w, bVal != 0))
    })
}

/// `AMF_DecodeInt16` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_DecodeInt16(data: *const c_char) -> c_ushort {
    guard_ptr("AMF_DecodeInt16", data, 0, || {
        // SAFETY: `data` is not NULL (checked) and readable for the value's bytes (the contract).
        u16::from_be_bytes(unsafe { fixed(data) })
    })
}

/// `AMF_DecodeInt24` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_DecodeInt24(data: *const c_char) -> c_uint {
    guard_ptr("AMF_DecodeInt24", data, 0, || {
        // SAFETY: `data` is not NULL (checked) and readable for the value's bytes (the contract).
        let b: [u8; 3] = unsafe { fixed(data) };
        bytes::be24(&b)
    })
}

/// `AMF_DecodeInt32` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_DecodeInt32(data: *const c_char) -> c_uint {
    guard_ptr("AMF_DecodeInt32", data, 0, || {
        // SAFETY: `data` is not NULL (checked) and readable for the value's bytes (the contract).
        u32::from_be_bytes(unsafe { fixed(data) })
    })
}

/// `AMF_DecodeNumber` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_DecodeNumber(data: *const c_char) -> c_double {
    guard_ptr("AMF_DecodeNumber", data, 0.0, || {
        // SAFETY: `data` is not NULL (checked) and readable for the value's bytes (the contract).
        f64::from_be_bytes(unsafe { fixed(data) })
    })
}

/// `AMF_DecodeBoolean` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_DecodeBoolean(data: *const c_char) -> c_int {
    guard_ptr("AMF_DecodeBoolean", data, 0, || {
        // SAFETY: `data` is not NULL (checked) and readable for one byte (the contract).
        c_int::from(unsafe { *data } != 0)
    })
}

/// `AMF_DecodeString` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_DecodeString(data: *const c_char, str: *mut AVal) {
    // SAFETY: pointers valid per this export's `# Safety`; the checked ones are not NULL.
    guard_ptrs("AMF_DecodeString", &[data as _, str as _], (), || unsafe {
        let len = c_int::from(u16::from_be_bytes(fixed(data)));
        *str = AVal {
            av_val: if len > 0 {
                data.add(2) as *mut c_char
            } else {
                ptr::null_mut()
            },
            av_len: len,
        };
    })
}

/// `AMF_DecodeLongString` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_DecodeLongString(data: *const c_char, str: *mut AVal) {
    // SAFETY: pointers valid per this export's `# Safety`; the checked ones are not NULL.
    guard_ptrs(
        "AMF_DecodeLongString",
        &[data as _, str as _],
        (),
        || unsafe {
            let len = u32::from_be_bytes(fixed(data)) as c_int;
            *str = AVal {
                av_val: if len > 0 {
                    data.add(4) as *mut c_char
                } else {
                    ptr::null_mut()
                },
                av_len: len,
            };
        },
    )
}

/// `AMF3ReadInteger` (exported, in no header).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF3ReadInteger(data: *const c_char, valp: *mut i32) -> c_int {
    // SAFETY: pointers valid per this export's `# Safety`; the checked ones are not NULL.
    guard_ptrs("AMF3ReadInteger", &[valp as _, data as _], 0, || unsafe {
        let (v, n) = decode::read_u29(|i| byte_at(data, i)).unwrap_or((0, 0));
        *valp = v;
        n as c_int
    })
}

/// `AMF3ReadString` (exported, in no header).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF3ReadString(data: *const c_char, str: *mut AVal) -> c_int {
    // SAFETY: pointers valid per this export's `# Safety`; the checked ones are not NULL.
    guard_ptrs("AMF3ReadString", &[str as _, data as _], 0, || unsafe {
        let Some((head, l, ret)) = decode::read_string_header(|i| byte_at(data, i)) else {
            return 0;
        };
        match head {
            Err(index) => {
                crate::rtmp_log!(
                    log::DEBUG,
                    "AMF3ReadString, string reference, index: {index}, not supported, ignoring!"
                );
                *str = AVal::EMPTY;
            }
            Ok(len) => {
                *str = AVal {
                    av_val: data.add(l) as *mut c_char,
                    av_len: len,
                }
            }
        }
        ret
    })
}

// ---- whole objects ------------------------------------------------------------------------------

/// `AMF_Encode` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_Encode(
    obj: *mut AMFObject,
    pBuffer: *mut c_char,
    pBufEnd: *mut c_char,
) -> *mut c_char {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMF_Encode", obj, ptr::null_mut(), || unsafe {
        let o = CObj::new(&*obj);
        encode_with(pBuffer, pBufEnd, |w| encode::object(w, o))
    })
}

/// `AMF_EncodeEcmaArray` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_EncodeEcmaArray(
    obj: *mut AMFObject,
    pBuffer: *mut c_char,
    pBufEnd: *mut c_char,
) -> *mut c_char {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMF_EncodeEcmaArray", obj, ptr::null_mut(), || unsafe {
        let o = CObj::new(&*obj);
        encode_with(pBuffer, pBufEnd, |w| encode::ecma_array(w, o))
    })
}

/// `AMF_EncodeArray` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_EncodeArray(
    obj: *mut AMFObject,
    pBuffer: *mut c_char,
    pBufEnd: *mut c_char,
) -> *mut c_char {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMF_EncodeArray", obj, ptr::null_mut(), || unsafe {
        let o = CObj::new(&*obj);
        encode_with(pBuffer, pBufEnd, |w| encode::strict_array(w, o))
    })
}

/// `AMFProp_Encode` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMFProp_Encode(
    prop: *mut AMFObjectProperty,
    pBuffer: *mut c_char,
    pBufEnd: *mut c_char,
) -> *mut c_char {
    // SAFETY: a non-NULL property and an output window from the caller (C contract).
    guard_ptr("AMFProp_Encode", prop, ptr::null_mut(), || unsafe {
        prop_encode(prop, pBuffer, pBufEnd)
    })
}

/// `AMF_Decode` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_Decode(
    obj: *mut AMFObject,
    pBuffer: *const c_char,
    nSize: c_int,
    bDecodeName: c_int,
) -> c_int {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMF_Decode", obj, -1, || unsafe {
        *obj = AMFObject::EMPTY;
        if pBuffer.is_null() && nSize > 0 {
            crate::rtmp_log!(log::ERROR, "AMF_Decode: NULL buffer");
            return -1;
        }
        let buf = conv::bytes(pBuffer, nSize);
        let (o, r) = Decoder::new(&mut CSink).object(buf, bDecodeName != 0);
        finish(obj, o, r)
    })
}

/// `AMF_DecodeArray` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_DecodeArray(
    obj: *mut AMFObject,
    pBuffer: *const c_char,
    nSize: c_int,
    nArrayLen: c_int,
    bDecodeName: c_int,
) -> c_int {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMF_DecodeArray", obj, -1, || unsafe {
        *obj = AMFObject::EMPTY;
        let buf = conv::bytes(pBuffer, nSize);
        let (o, r) = Decoder::new(&mut CSink).array(buf, nArrayLen, bDecodeName != 0);
        finish(obj, o, r)
    })
}

/// `AMF3_Decode` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF3_Decode(
    obj: *mut AMFObject,
    pBuffer: *const c_char,
    nSize: c_int,
    bDecodeName: c_int,
) -> c_int {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMF3_Decode", obj, -1, || unsafe {
        *obj = AMFObject::EMPTY;
        let buf = conv::bytes(pBuffer, nSize);
        let (o, r) = Decoder::new(&mut CSink).amf3_object(buf, bDecodeName != 0);
        finish(obj, o, r)
    })
}

/// `AMFProp_Decode` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMFProp_Decode(
    prop: *mut AMFObjectProperty,
    pBuffer: *const c_char,
    nSize: c_int,
    bDecodeName: c_int,
) -> c_int {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMFProp_Decode", prop, -1, || unsafe {
        (*prop).p_name = AVal::EMPTY;
        let buf = conv::bytes(pBuffer, nSize);
        match Decoder::new(&mut CSink).prop(buf, bDecodeName != 0) {
            Ok((p, n)) => {
                *prop = c_prop(p);
                n as c_int
            }
            Err(_) => -1,
        }
    })
}

/// `AMF3Prop_Decode` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF3Prop_Decode(
    prop: *mut AMFObjectProperty,
    pBuffer: *const c_char,
    nSize: c_int,
    bDecodeName: c_int,
) -> c_int {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMF3Prop_Decode", prop, -1, || unsafe {
        (*prop).p_name = AVal::EMPTY;
        let buf = conv::bytes(pBuffer, nSize);
        match Decoder::new(&mut CSink).amf3_prop(buf, bDecodeName != 0) {
            Ok((Amf3Outcome::Prop(p), n)) => {
                *prop = c_prop(p);
                n as c_int
            }
            Ok((Amf3Outcome::NameOnly, n)) => n as c_int,
            Ok((Amf3Outcome::KeepValue(name), n)) => {
                (*prop).p_name = aval_of(name);
                n as c_int
            }
            Err(_) => -1,
        }
    })
}

/// `AMF_Dump` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_Dump(obj: *mut AMFObject) {
    if !log::enabled(log::DEBUG) {
        return;
    }
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMF_Dump", obj, (), || unsafe {
        dump::object(CObj::new(&*obj), &mut |l: &[u8]| {
            log::emit_bytes(log::DEBUG, l)
        });
    })
}

/// `AMFProp_Dump` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMFProp_Dump(prop: *mut AMFObjectProperty) {
    if !log::enabled(log::DEBUG) {
        return;
    }
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMFProp_Dump", prop, (), || unsafe {
        let name = aval_readable(&(*prop).p_name).unwrap_or(&[]);
        let v: View<'_, CObj<'_>> = prop_view(prop);
        dump::prop(name, v, &mut |l: &[u8]| log::emit_bytes(log::DEBUG, l));
    })
}

/// `AMF_Reset` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_Reset(obj: *mut AMFObject) {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMF_Reset", obj, (), || unsafe { reset_obj(obj, 0) })
}

/// `AMFProp_Reset` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMFProp_Reset(prop: *mut AMFObjectProperty) {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMFProp_Reset", prop, (), || unsafe { reset_prop(prop, 0) })
}

/// `AMF_AddProp` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_AddProp(obj: *mut AMFObject, prop: *const AMFObjectProperty) {
    // SAFETY: pointers valid per this export's `# Safety`; the checked ones are not NULL.
    guard_ptrs("AMF_AddProp", &[prop as _, obj as _], (), || unsafe {
        add_prop(obj, prop);
    })
}

/// `AMF_CountProp` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_CountProp(obj: *mut AMFObject) -> c_int {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMF_CountProp", obj, 0, || unsafe { (*obj).o_num })
}

/// `AMF_GetProp` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF_GetProp(
    obj: *mut AMFObject,
    name: *const AVal,
    nIndex: c_int,
) -> *mut AMFObjectProperty {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMF_GetProp", obj, invalid_prop(), || unsafe {
        let o = &*obj;
        if o.o_props.is_null() {
            return invalid_prop();
        }
        if nIndex >= 0 {
            if nIndex < o.o_num {
                return o.o_props.add(nIndex as usize);
            }
            return invalid_prop();
        }
        let Some(want) = name.as_ref().and_then(|n| aval_readable(n)) else {
            return invalid_prop();
        };
        for i in 0..o.o_num.max(0) as usize {
            let p = o.o_props.add(i);
            let n = &(*p).p_name;
            if n.av_len as usize == want.len() && aval_readable(n) == Some(want) {
                return p;
            }
        }
        invalid_prop()
    })
}

// ---- property accessors -------------------------------------------------------------------------

/// `AMFProp_GetType` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMFProp_GetType(prop: *mut AMFObjectProperty) -> AMFDataType {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMFProp_GetType", prop, AMF_INVALID, || unsafe {
        (*prop).p_type
    })
}

/// `AMFProp_GetName` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMFProp_GetName(prop: *mut AMFObjectProperty, name: *mut AVal) {
    // SAFETY: pointers valid per this export's `# Safety`; the checked ones are not NULL.
    guard_ptrs("AMFProp_GetName", &[prop as _, name as _], (), || unsafe {
        *name = (*prop).p_name
    })
}

/// `AMFProp_SetName` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMFProp_SetName(prop: *mut AMFObjectProperty, name: *mut AVal) {
    // SAFETY: pointers valid per this export's `# Safety`; the checked ones are not NULL.
    guard_ptrs("AMFProp_SetName", &[name as _, prop as _], (), || unsafe {
        (*prop).p_name = *name
    })
}

/// `AMFProp_GetNumber` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMFProp_GetNumber(prop: *mut AMFObjectProperty) -> c_double {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMFProp_GetNumber", prop, 0.0, || unsafe {
        (*prop).p_vu.p_number
    })
}

/// `AMFProp_GetBoolean` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMFProp_GetBoolean(prop: *mut AMFObjectProperty) -> c_int {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMFProp_GetBoolean", prop, 0, || unsafe {
        c_int::from((*prop).p_vu.p_number != 0.0)
    })
}

/// `AMFProp_GetString` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMFProp_GetString(prop: *mut AMFObjectProperty, str: *mut AVal) {
    // SAFETY: pointers valid per this export's `# Safety`; the checked ones are not NULL.
    guard_ptrs("AMFProp_GetString", &[prop as _, str as _], (), || unsafe {
        *str = if (*prop).p_type == c_int::from(marker::STRING) {
            (*prop).p_vu.p_aval
        } else {
            AVal::EMPTY
        };
    })
}

/// `AMFProp_GetObject` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMFProp_GetObject(prop: *mut AMFObjectProperty, obj: *mut AMFObject) {
    // SAFETY: pointers valid per this export's `# Safety`; the checked ones are not NULL.
    guard_ptrs("AMFProp_GetObject", &[prop as _, obj as _], (), || unsafe {
        *obj = if (*prop).p_type == c_int::from(marker::OBJECT) {
            (*prop).p_vu.p_object
        } else {
            AMFObject::EMPTY
        };
    })
}

/// `AMFProp_IsValid` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMFProp_IsValid(prop: *mut AMFObjectProperty) -> c_int {
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMFProp_IsValid", prop, 0, || unsafe {
        c_int::from((*prop).p_type != AMF_INVALID)
    })
}

// ---- AMF3 class definitions --------------------------------------------------------------------

/// `AMF3CD_AddProp` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF3CD_AddProp(cd: *mut AMF3ClassDef, prop: *mut AVal) {
    // SAFETY: pointers valid per this export's `# Safety`; the checked ones are not NULL.
    guard_ptrs("AMF3CD_AddProp", &[prop as _, cd as _], (), || unsafe {
        let n = (*cd).cd_num;
        if n < 0 {
            crate::rtmp_log!(log::ERROR, "AMF3CD_AddProp: negative member count {n}");
            return;
        }
        if n & 0x0f == 0 {
            let bytes = (n as usize + 16) * std::mem::size_of::<AVal>();
            let grown = libc::realloc((*cd).cd_props as *mut c_void, bytes);
            if grown.is_null() {
                crate::rtmp_log!(log::ERROR, "AMF3CD_AddProp: cannot allocate {bytes} bytes");
                return;
            }
            (*cd).cd_props = grown as *mut AVal;
        }
        *(*cd).cd_props.add(n as usize) = *prop;
        (*cd).cd_num = n + 1;
    })
}

/// `AMF3CD_GetProp` (amf.h).
///
/// # Safety
/// Called from C with amf.h's contract: every pointer is NULL (refused, with an ERROR
/// line, where librtmp would crash) or valid: AVals, properties and objects readable (and
/// writable when they are outputs), their strings readable for their lengths, the buffer
/// `[pBuffer, pBufEnd)` / `(pBuffer, nSize)` readable or writable over its whole range.
#[no_mangle]
pub unsafe extern "C" fn AMF3CD_GetProp(cd: *mut AMF3ClassDef, idx: c_int) -> *mut AVal {
    let empty = &EMPTY_AVAL.0 as *const AVal as *mut AVal;
    // SAFETY: pointers valid per this export's `# Safety`; the checked one is not NULL.
    guard_ptr("AMF3CD_GetProp", cd, empty, || unsafe {
        if idx < 0 || idx >= (*cd).cd_num || (*cd).cd_props.is_null() {
            return empty;
        }
        (*cd).cd_props.add(idx as usize)
    })
}

// ---- exact (cold) paths of the string and named encoders, under the panic guard --------

/// The exact path of `AMF_EncodeString` (librtmp's log lines and partial writes), taken when the
/// fast path declines.
///
/// # Safety
/// As `AMF_EncodeString`.
#[inline(never)]
unsafe fn encodestring_exact(
    output: *mut c_char,
    outend: *mut c_char,
    str: *const AVal,
) -> *mut c_char {
    // SAFETY: the function contract; the checked one is not NULL.
    guard_ptr("AMF_EncodeString", str, ptr::null_mut(), || unsafe {
        match aval_readable(&*str) {
            Some(s) => encode_with(output, outend, |w| encode::string(w, s)),
            None => {
                crate::rtmp_log!(
                    log::ERROR,
                    "AMF_EncodeString: unreadable string (NULL or negative length)"
                );
                ptr::null_mut()
            }
        }
    })
}

/// The exact path of `AMF_EncodeNamedString` (librtmp's log lines and partial writes), taken when the
/// fast path declines.
///
/// # Safety
/// As `AMF_EncodeNamedString`.
#[inline(never)]
unsafe fn encodenamedstring_exact(
    output: *mut c_char,
    outend: *mut c_char,
    name: *const AVal,
    value: *const AVal,
) -> *mut c_char {
    // SAFETY: the function contract; the checked one is not NULL.
    guard_ptr("AMF_EncodeNamedString", value, ptr::null_mut(), || unsafe {
        let Some(n) = name_arg("AMF_EncodeNamedString", name) else {
            return ptr::null_mut();
        };
        let Some(v) = name_arg("AMF_EncodeNamedString", value) else {
            return ptr::null_mut();
        };
        encode_with(output, outend, |w| encode::named_string(w, n, v))
    })
}

/// The exact path of `AMF_EncodeNamedNumber` (librtmp's log lines and partial writes), taken when the
/// fast path declines.
///
/// # Safety
/// As `AMF_EncodeNamedNumber`.
#[inline(never)]
unsafe fn encodenamednumber_exact(
    output: *mut c_char,
    outend: *mut c_char,
    name: *const AVal,
    dVal: c_double,
) -> *mut c_char {
    // SAFETY: the function contract.
    guard("AMF_EncodeNamedNumber", ptr::null_mut(), || unsafe {
        let Some(n) = name_arg("AMF_EncodeNamedNumber", name) else {
            return ptr::null_mut();
        };
        encode_with(output, outend, |w| encode::named_number(w, n, dVal))
    })
}

/// The exact path of `AMF_EncodeNamedBoolean` (librtmp's log lines and partial writes), taken when the
/// fast path declines.
///
/// # Safety
/// As `AMF_EncodeNamedBoolean`.
#[inline(never)]
unsafe fn encodenamedboolean_exact(
    output: *mut c_char,
    outend: *mut c_char,
    name: *const AVal,
    bVal: c_int,
) -> *mut c_char {
    // SAFETY: the function contract.
    guard("AMF_EncodeNamedBoolean", ptr::null_mut(), || unsafe {
        let Some(n) = name_arg("AMF_EncodeNamedBoolean", name) else {
            return ptr::null_mut();
        };
        encode_with(output, outend, |w| encode::named_boolean(w, n, bVal != 0))
    })
}
