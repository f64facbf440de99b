//! AMF exports (amf.h, plus the exported-but-undeclared `AMF3ReadInteger`/`AMF3ReadString`).
//!
//! Thin adapters over `core::amf`: the decoder builds `AMFObject`s directly in libc memory
//! through [`CSink`], the encoders and the dump read C structures through [`CObj`]. Memory
//! conventions are librtmp's: decoded strings and names point into the caller's buffer,
//! property arrays are `realloc`ed 16 entries at a time and released by `AMF_Reset` with
//! `free` (so callers may build or free them with their own malloc/free), `AMF_GetProp`
//! returns a static read-only `AMF_INVALID` property when nothing matches.

use std::marker::PhantomData;
use std::os::raw::{c_char, c_double, c_int, c_short, c_uint, c_ushort, c_void};
use std::ptr;

use super::boundary::{guard, guard_ptr, guard_ptrs};
use crate::abi::conv::{self, aval_readable};
use crate::abi::types::{AMF3ClassDef, AMFDataType, AMFObject, AMFObjectProperty, AMFValue, AVal};
use crate::log;
use rtmp_core::amf::{
    decode, dump, encode, encode::Scalar, marker, Amf3Outcome, DecodeError, Decoder, ObjView, Prop,
    Sink, Str, Val, View, MAX_WRITE_DEPTH,
};
use rtmp_core::bytes;

const AMF_INVALID: AMFDataType = marker::INVALID;
const PROP_SIZE: usize = std::mem::size_of::<AMFObjectProperty>();

/// Read-only statics handed out by pointer (consumers only read them, as with librtmp).
#[repr(transparent)]
struct ReadOnly<T>(T);
// SAFETY: the wrapped values are never written (they live in read-only memory).
unsafe impl<T> Sync for ReadOnly<T> {}

static INVALID_PROP: ReadOnly<AMFObjectProperty> = ReadOnly(AMFObjectProperty {
    p_name: AVal::EMPTY,
    p_type: AMF_INVALID,
    p_vu: AMFValue {
        p_object: AMFObject::EMPTY,
    },
    p_UTCoffset: 0,
});
static EMPTY_AVAL: ReadOnly<AVal> = ReadOnly(AVal::EMPTY);

// ---- C structures <-> core ----------------------------------------------------------------

#[inline]
fn aval_of(s: Str<'_>) -> AVal {
    match s {
        Some(s) => AVal {
            av_val: s.as_ptr() as *mut c_char,
            av_len: s.len() as c_int,
        },
        None => AVal::EMPTY,
    }
}

#[inline]
fn c_prop(p: Prop<'_, AMFObject>) -> AMFObjectProperty {
    let mut out = AMFObjectProperty {
        p_name: aval_of(p.name),
        p_type: 0,
        p_vu: AMFValue {
            p_object: AMFObject::EMPTY,
        },
        p_UTCoffset: 0,
    };
    let (ty, vu) = match p.val {
        Val::Number(n) => (marker::NUMBER, AMFValue { p_number: n }),
        Val::Boolean(b) => (
            marker::BOOLEAN,
            AMFValue {
                p_number: if b { 1.0 } else { 0.0 },
            },
        ),
        Val::String(s) => (marker::STRING, AMFValue { p_aval: aval_of(s) }),
        Val::XmlDoc(s) => (marker::XML_DOC, AMFValue { p_aval: aval_of(s) }),
        Val::Null => (
            marker::NULL,
            AMFValue {
                p_object: AMFObject::EMPTY,
            },
        ),
        Val::Date(n, z) => {
            out.p_UTCoffset = z;
            (marker::DATE, AMFValue { p_number: n })
        }
        Val::Object(o) => (marker::OBJECT, AMFValue { p_object: o }),
        Val::EcmaArray(o) => (marker::ECMA_ARRAY, AMFValue { p_object: o }),
        Val::StrictArray(o) => (marker::STRICT_ARRAY, AMFValue { p_object: o }),
    };
    out.p_type = AMFDataType::from(ty);
    out.p_vu = vu;
    out
}

/// librtmp's `AMF_AddProp` growth: the array is resized to `o_num + 16` entries whenever
/// `o_num` is a multiple of 16.
///
/// # Safety
/// `obj` must be valid; its `o_props` NULL or a libc allocation holding `o_num` entries with
/// room for the next one unless `o_num % 16 == 0`.
unsafe fn add_prop(obj: *mut AMFObject, prop: *const AMFObjectProperty) -> bool {
    // SAFETY: see the function contract.
    unsafe {
        if !reserve_prop(obj) {
            return false;
        }
        let n = (*obj).o_num;
        ptr::copy_nonoverlapping(prop, (*obj).o_props.add(n as usize), 1);
        (*obj).o_num = n + 1;
        true
    }
}

/// Makes room for entry `o_num` the way librtmp's `AMF_AddProp` does (see [`add_prop`]);
/// false, with an error log, when the count is negative or the allocation fails.
///
/// # Safety
/// As [`add_prop`].
unsafe fn reserve_prop(obj: *mut AMFObject) -> bool {
    // SAFETY: see the function contract.
    unsafe {
        let n = (*obj).o_num;
        if n < 0 {
            crate::rtmp_log!(
                log::ERROR,
                "AMF_AddProp: object has a negative property count {n}"
            );
            return false;
        }
        if n & 0x0f == 0 {
            let bytes = (n as usize + 16) * PROP_SIZE;
            let old = (*obj).o_props as *mut c_void;
            // (the first block: malloc is cheaper than realloc of NULL)
            let grown = if old.is_null() {
                libc::malloc(bytes)
            } else {
                libc::realloc(old, bytes)
            };
            if grown.is_null() {
                crate::rtmp_log!(log::ERROR, "AMF_AddProp: cannot allocate {bytes} bytes");
                return false;
            }
            (*obj).o_props = grown as *mut AMFObjectProperty;
        }
        true
    }
}

#[inline(always)]
fn is_container(t: AMFDataType) -> bool {
    const MASK: u32 = 1 << marker::OBJECT | 1 << marker::ECMA_ARRAY | 1 << marker::STRICT_ARRAY;
    (t as u32) < 32 && MASK >> t as u32 & 1 != 0
}

/// `AMFProp_Reset`.
///
/// # Safety
/// `p` must be a valid property whose containers own libc-allocated arrays.
unsafe fn reset_prop(p: *mut AMFObjectProperty, depth: u32) {
    // SAFETY: see the function contract.
    unsafe {
        if is_container((*p).p_type) {
            reset_obj(ptr::addr_of_mut!((*p).p_vu.p_object), depth + 1);
        } else {
            (*p).p_vu.p_aval = AVal::EMPTY;
        }
        (*p).p_type = AMF_INVALID;
    }
}

/// `AMF_Reset`.
///
/// # Safety
/// `obj` must be valid; `o_props` NULL or a libc allocation of at least `o_num` properties.
unsafe fn reset_obj(obj: *mut AMFObject, depth: u32) {
    // SAFETY: see the function contract.
    unsafe {
        if depth > MAX_WRITE_DEPTH {
            crate::rtmp_log!(
                log::ERROR,
                "AMF_Reset: containers nested deeper than {MAX_WRITE_DEPTH} levels, leaking the rest"
            );
            return;
        }
        let props = (*obj).o_props;
        if !props.is_null() {
            // only containers need work: the entries themselves are freed with the array
            for i in 0..(*obj).o_num.max(0) as usize {
                let p = props.add(i);
                if is_container((*p).p_type) {
                    reset_obj(ptr::addr_of_mut!((*p).p_vu.p_object), depth + 1);
                }
            }
            libc::free(props as *mut c_void);
        }
        (*obj).o_props = ptr::null_mut();
        (*obj).o_num = 0;
    }
}

/// [`CSink::push`] when the array is full or not yet allocated: [`reserve_prop`].
///
/// # Safety
/// As [`reserve_prop`].
#[cold]
#[inline(never)]
unsafe fn grow(obj: &mut AMFObject) -> bool {
    // SAFETY: see the function contract.
    unsafe { reserve_prop(obj) }
}

/// Releases what a property the decoder could not store owns (only containers own anything,
/// so for the scalars of the fast paths this is nothing at all).
#[inline(always)]
fn refuse(prop: Prop<'_, AMFObject>) -> DecodeError {
    if let Val::Object(o) | Val::EcmaArray(o) | Val::StrictArray(o) = prop.val {
        release(o);
    }
    DecodeError
}

#[cold]
#[inline(never)]
fn release(mut o: AMFObject) {
    // SAFETY: a container the decoder's sink built.
    unsafe { reset_obj(&mut o, 0) }
}

/// Builds `AMFObject`s for the decoder.
struct CSink;

impl<'a> Sink<'a> for CSink {
    type Obj = AMFObject;

    fn new_obj(&mut self) -> AMFObject {
        AMFObject::EMPTY
    }

    #[inline(always)]
    fn push(&mut self, obj: &mut AMFObject, prop: Prop<'a, AMFObject>) -> Result<(), DecodeError> {
        let n = obj.o_num;
        // SAFETY: `obj` is an object this sink built (o_num >= 0, o_props grown 16 at a time),
        // so when n % 16 != 0 the array has room for entry n; otherwise `grow` makes it.
        unsafe {
            if n & 0x0f == 0 && !grow(obj) {
                return Err(refuse(prop));
            }
            obj.o_props.add(n as usize).write(c_prop(prop));
        }
        obj.o_num = n + 1;
        Ok(())
    }

    fn discard(&mut self, mut obj: AMFObject) {
        // SAFETY: built by this sink.
        unsafe { reset_obj(&mut obj, 0) }
    }

    fn log(&mut self, level: c_int, msg: &[u8]) {
        log::emit_bytes(level, msg);
    }
}

/// A C object seen through `ObjView` (for the encoders and the dump).
#[derive(Clone, Copy)]
struct CObj<'v> {
    num: c_int,
    props: *const AMFObjectProperty,
    _life: PhantomData<&'v AMFObjectProperty>,
}

impl<'v> CObj<'v> {
    /// # Safety
    /// `o` must describe `o_num` readable properties (or have NULL `o_props`) for `'v`.
    unsafe fn new(o: &AMFObject) -> Self {
        CObj {
            num: if o.o_props.is_null() { 0 } else { o.o_num },
            props: o.o_props,
            _life: PhantomData,
        }
    }
}

/// # Safety
/// `p` must point to a valid property whose strings and objects stay valid during `'v`.
#[inline(always)]
unsafe fn prop_view<'v>(p: *const AMFObjectProperty) -> View<'v, CObj<'v>> {
    // SAFETY: see the function contract; the union member read is the one `p_type` selects.
    unsafe {
        let t = (*p).p_type;
        let obj = || CObj::new(&(*p).p_vu.p_object);
        match t {
            0 => View::Number((*p).p_vu.p_number),
            1 => View::Boolean((*p).p_vu.p_number),
            2 => match aval_readable(&(*p).p_vu.p_aval) {
                Some(s) => View::String(s),
                None => View::Unreadable(t),
            },
            3 => View::Object(obj()),
            5 => View::Null,
            8 => View::EcmaArray(obj()),
            10 => View::StrictArray(obj()),
            11 => View::Date((*p).p_vu.p_number, (*p).p_UTCoffset),
            AMF_INVALID => View::Invalid,
            _ => View::Other(t),
        }
    }
}

impl<'v> ObjView<'v> for CObj<'v> {
    #[inline(always)]
    fn count(&self) -> i32 {
        self.num
    }

    #[inline(always)]
    fn name(&self, i: usize) -> Option<&'v [u8]> {
        // SAFETY: i < count, guaranteed by the callers; the array is valid for 'v.
        unsafe { aval_readable(&(*self.props.add(i)).p_name) }
    }

    #[inline(always)]
    fn value(&self, i: usize) -> View<'v, Self> {
        // SAFETY: as `name`.
        unsafe { prop_view(self.props.add(i)) }
    }

    /// Only short names and strings (see [`aval_short`]): the encoders' fast path then copies
    /// them inline; anything else takes the general path.
    #[inline(always)]
    fn encode_scalar(&self, i: usize, out: &mut [u8]) -> Option<usize> {
        // SAFETY: as `name`; the union member read is the one `p_type` selects.
        unsafe {
            let p = self.props.add(i);
            // a name of 1 to SHORT bytes (members with an empty name take the general path):
            // `aval_short` plus an emptiness test in one range check, which measured fewer
            // instructions per member
            let n = (*p).p_name.av_len as u32 as usize;
            if n.wrapping_sub(1) >= encode::SHORT || (*p).p_name.av_val.is_null() {
                return None;
            }
            let name = std::slice::from_raw_parts((*p).p_name.av_val as *const u8, n);
            match (*p).p_type {
                0 => encode::named_scalar(out, name, Scalar::Number((*p).p_vu.p_number)),
                1 => {
                    let b = (*p).p_vu.p_number != 0.0;
                    encode::named_scalar(out, name, Scalar::Boolean(b))
                }
                2 => {
                    let s = aval_short(&(*p).p_vu.p_aval)?;
                    encode::named_scalar(out, name, Scalar::String(s))
                }
                _ => None,
            }
        }
    }
}

/// Runs an encoder on `[out, end)` and turns its result into librtmp's return pointer.
///
/// # Safety
/// As [`conv::window`].
#[inline]
unsafe fn encode_with(
    out: *mut c_char,
    end: *mut c_char,
    f: impl FnOnce(&mut [u8]) -> Option<usize>,
) -> *mut c_char {
    // SAFETY: see the function contract.
    match f(unsafe { conv::window(out, end) }) {
        Some(n) => out.wrapping_add(n),
        None => ptr::null_mut(),
    }
}

// ---- primitives -------------------------------------------------------------------------------

// The string and named encoders first try `encode::named_scalar`-style fast paths that only
// succeed when every pointer is readable and the window has all the room librtmp asks for;
// they write nothing otherwise, and the exact path (under the panic guard, with its log
// lines and partial writes) runs instead. Both run inside the panic guard, which costs nothing
// on the success path.

/// The bytes of `*a` when it is a readable string of at most [`encode::SHORT`] bytes with a
/// non-NULL pointer; `None` otherwise (the exact path then handles it).
///
/// # Safety
/// As [`aval_readable`], for a non-NULL `a`.
#[inline(always)]
unsafe fn aval_short<'v>(a: *const AVal) -> Option<&'v [u8]> {
    // SAFETY: see the function contract.
    unsafe {
        let a = a.as_ref()?;
        let n = a.av_len as u32 as usize; // a negative length is too long
        if n > encode::SHORT || a.av_val.is_null() {
            return None;
        }
        Some(std::slice::from_raw_parts(a.av_val as *const u8, n))
    }
}

/// The fast path of the named encoders (see above).
///
/// # Safety
/// As [`conv::window`]; `name` NULL or a valid `AVal`.
#[inline(always)]
unsafe fn named_fast(
    output: *mut c_char,
    outend: *mut c_char,
    name: *const AVal,
    v: Scalar<'_>,
) -> Option<*mut c_char> {
    // SAFETY: see the function contract.
    unsafe {
        let n = aval_short(name)?;
        let w = conv::window_for(output, outend, encode::named_scalar_room(n, v))?;
        let k = encode::named_scalar(w, n, v)?;
        Some(output.add(k))
    }
}

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

/// The name of a named encoder, or NULL after an ERROR line.
///
/// # Safety
/// `name` must be NULL or a valid `AVal`.
#[inline(always)]
unsafe fn name_arg<'v>(func: &str, name: *const AVal) -> Option<&'v [u8]> {
    // SAFETY: see the function contract.
    let s = unsafe { name.as_ref().and_then(|n| aval_readable(n)) };
    if s.is_none() {
        unreadable_name(func);
    }
    s
}

#[cold]
#[inline(never)]
fn unreadable_name(func: &str) {
    crate::rtmp_log!(
        log::ERROR,
        "{func}: unreadable name (NULL or negative length)"
    );
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

/// Reads `N` bytes for the fixed-size decoders (which have no size argument, as in librtmp).
///
/// # Safety
/// `data` must be readable for `N` bytes.
unsafe fn fixed<const N: usize>(data: *const c_char) -> [u8; N] {
    // SAFETY: see the function contract.
    unsafe { ptr::read_unaligned(data as *const [u8; N]) }
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

/// Byte `i` of an unbounded AMF3 input (the caller guarantees the bytes exist).
///
/// # Safety
/// `data + i` must be readable.
#[inline]
unsafe fn byte_at(data: *const c_char, i: usize) -> Option<u8> {
    // SAFETY: see the function contract.
    Some(unsafe { *data.add(i) } as u8)
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

/// `AMFProp_Encode` for internal callers (no NULL check, no panic guard): encodes `*prop`
/// (its name first when it has one) into `[out, end)` and returns the end of what was written,
/// or NULL (after an ERROR line for an unreadable name) when it does not fit or cannot be
/// encoded.
///
/// # Safety
/// `prop` must point to a valid property whose strings and objects are readable; `[out, end)`
/// must be writable when non-empty.
pub unsafe fn prop_encode(
    prop: *const AMFObjectProperty,
    out: *mut c_char,
    end: *mut c_char,
) -> *mut c_char {
    // SAFETY: see the function contract.
    unsafe {
        let Some(name) = aval_readable(&(*prop).p_name) else {
            crate::rtmp_log!(
                log::ERROR,
                "AMFProp_Encode: unreadable name (NULL or negative length)"
            );
            return ptr::null_mut();
        };
        let v: View<'_, CObj<'_>> = prop_view(prop);
        encode_with(out, end, |w| encode::prop(w, name, v))
    }
}

/// Stores a decoder result in `*obj` and converts the length.
fn finish(obj: *mut AMFObject, built: AMFObject, r: Result<usize, DecodeError>) -> c_int {
    // SAFETY: the callers checked `obj` for NULL; it points to the caller's object.
    unsafe { *obj = built };
    match r {
        Ok(n) => n as c_int,
        Err(_) => -1,
    }
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

fn invalid_prop() -> *mut AMFObjectProperty {
    &INVALID_PROP.0 as *const AMFObjectProperty as *mut AMFObjectProperty
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
