//! The C AMF structures (`AMFObject`, `AMFObjectProperty`, `AVal`) and `rtmp_core::amf`: the
//! decoder builds `AMFObject`s in libc memory through [`CSink`], the encoders and the dump read
//! C structures through [`CObj`]. Used by the AMF exports (`ffi::amf`) and the session.

use std::marker::PhantomData;
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;

use crate::abi::conv::{self, aval_readable};
use crate::abi::types::{AMFDataType, AMFObject, AMFObjectProperty, AMFValue, AVal};
use crate::log;
use rtmp_core::amf::{
    encode, encode::Scalar, marker, DecodeError, ObjView, Prop, Sink, Str, Val, View,
    MAX_WRITE_DEPTH,
};

pub(crate) const AMF_INVALID: AMFDataType = marker::INVALID;
pub(crate) const PROP_SIZE: usize = std::mem::size_of::<AMFObjectProperty>();

/// Read-only statics handed out by pointer (consumers only read them, as with librtmp).
#[repr(transparent)]
pub(crate) struct ReadOnly<T>(pub(crate) T);
// SAFETY: the wrapped values are never written (they live in read-only memory).
unsafe impl<T> Sync for ReadOnly<T> {}

pub(crate) static INVALID_PROP: ReadOnly<AMFObjectProperty> = ReadOnly(AMFObjectProperty {
    p_name: AVal::EMPTY,
    p_type: AMF_INVALID,
    p_vu: AMFValue {
        p_object: AMFObject::EMPTY,
    },
    p_UTCoffset: 0,
});
pub(crate) static EMPTY_AVAL: ReadOnly<AVal> = ReadOnly(AVal::EMPTY);

// ---- C structures <-> core ----------------------------------------------------------------

#[inline]
pub(crate) fn aval_of(s: Str<'_>) -> AVal {
    match s {
        Some(s) => AVal {
            av_val: s.as_ptr() as *mut c_char,
            av_len: s.len() as c_int,
        },
        None => AVal::EMPTY,
    }
}

#[inline]
pub(crate) fn c_prop(p: Prop<'_, AMFObject>) -> AMFObjectProperty {
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
pub(crate) unsafe fn add_prop(obj: *mut AMFObject, prop: *const AMFObjectProperty) -> bool {
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
pub(crate) unsafe fn reserve_prop(obj: *mut AMFObject) -> bool {
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
pub(crate) fn is_container(t: AMFDataType) -> bool {
    const MASK: u32 = 1 << marker::OBJECT | 1 << marker::ECMA_ARRAY | 1 << marker::STRICT_ARRAY;
    (t as u32) < 32 && MASK >> t as u32 & 1 != 0
}

/// `AMFProp_Reset`.
///
/// # Safety
/// `p` must be a valid property whose containers own libc-allocated arrays.
pub(crate) unsafe fn reset_prop(p: *mut AMFObjectProperty, depth: u32) {
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
pub(crate) unsafe fn reset_obj(obj: *mut AMFObject, depth: u32) {
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
pub(crate) unsafe fn grow(obj: &mut AMFObject) -> bool {
    // SAFETY: see the function contract.
    unsafe { reserve_prop(obj) }
}

/// Releases what a property the decoder could not store owns (only containers own anything,
/// so for the scalars of the fast paths this is nothing at all).
#[inline(always)]
pub(crate) fn refuse(prop: Prop<'_, AMFObject>) -> DecodeError {
    if let Val::Object(o) | Val::EcmaArray(o) | Val::StrictArray(o) = prop.val {
        release(o);
    }
    DecodeError
}

#[cold]
#[inline(never)]
pub(crate) fn release(mut o: AMFObject) {
    // SAFETY: a container the decoder's sink built.
    unsafe { reset_obj(&mut o, 0) }
}

/// Builds `AMFObject`s for the decoder.
pub(crate) struct CSink;

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
pub(crate) struct CObj<'v> {
    num: c_int,
    props: *const AMFObjectProperty,
    _life: PhantomData<&'v AMFObjectProperty>,
}

impl<'v> CObj<'v> {
    /// # Safety
    /// `o` must describe `o_num` readable properties (or have NULL `o_props`) for `'v`.
    pub(crate) unsafe fn new(o: &AMFObject) -> Self {
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
pub(crate) unsafe fn prop_view<'v>(p: *const AMFObjectProperty) -> View<'v, CObj<'v>> {
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
pub(crate) unsafe fn encode_with(
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
pub(crate) unsafe fn aval_short<'v>(a: *const AVal) -> Option<&'v [u8]> {
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
pub(crate) unsafe fn named_fast(
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

/// The name of a named encoder, or NULL after an ERROR line.
///
/// # Safety
/// `name` must be NULL or a valid `AVal`.
#[inline(always)]
pub(crate) unsafe fn name_arg<'v>(func: &str, name: *const AVal) -> Option<&'v [u8]> {
    // SAFETY: see the function contract.
    let s = unsafe { name.as_ref().and_then(|n| aval_readable(n)) };
    if s.is_none() {
        unreadable_name(func);
    }
    s
}

#[cold]
#[inline(never)]
pub(crate) fn unreadable_name(func: &str) {
    crate::rtmp_log!(
        log::ERROR,
        "{func}: unreadable name (NULL or negative length)"
    );
}

/// Reads `N` bytes for the fixed-size decoders (which have no size argument, as in librtmp).
///
/// # Safety
/// `data` must be readable for `N` bytes.
pub(crate) unsafe fn fixed<const N: usize>(data: *const c_char) -> [u8; N] {
    // SAFETY: see the function contract.
    unsafe { ptr::read_unaligned(data as *const [u8; N]) }
}

/// Byte `i` of an unbounded AMF3 input (the caller guarantees the bytes exist).
///
/// # Safety
/// `data + i` must be readable.
#[inline]
pub(crate) unsafe fn byte_at(data: *const c_char, i: usize) -> Option<u8> {
    // SAFETY: see the function contract.
    Some(unsafe { *data.add(i) } as u8)
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
pub(crate) fn finish(
    obj: *mut AMFObject,
    built: AMFObject,
    r: Result<usize, DecodeError>,
) -> c_int {
    // SAFETY: the callers checked `obj` for NULL; it points to the caller's object.
    unsafe { *obj = built };
    match r {
        Ok(n) => n as c_int,
        Err(_) => -1,
    }
}

pub(crate) fn invalid_prop() -> *mut AMFObjectProperty {
    &INVALID_PROP.0 as *const AMFObjectProperty as *mut AMFObjectProperty
}
