//! Where the E-RTMP capability options live in the handle: `sizeof(RTMP)` cannot grow, so they
//! ride in `Link.extras`, the AMF property list the `conn=` option fills. Our entry is always
//! the first of the list, a string property whose name points at [`MARKER`] (identified by
//! that address, which nothing else can hold) and whose value is a libc copy of the encoded
//! capability properties ([`rtmp_core::ertmp::Caps::to_blob`]). The connect command puts them
//! into its command object and leaves the entry out of the `conn=` arguments; `RTMP_Close`
//! frees it (and the list, when nothing else is in it). Being first, it never becomes the
//! "last property" through which `conn=` finds the object it is filling.

use std::os::raw::{c_char, c_int, c_void};
use std::ptr;

use crate::abi::types::{AMFObject, AMFObjectProperty, AMFValue, AVal, RTMP};
use crate::driver::amf::reserve_prop;

const AMF_STRING: c_int = 2;

/// The entry's name (its address identifies the entry).
static MARKER: [u8; 24] = *b"librtmp-rs E-RTMP caps\0\0";

fn marker_ptr() -> *mut c_char {
    MARKER.as_ptr() as *mut c_char
}

/// Our entry, when the list starts with it.
///
/// # Safety
/// `extras` must be a valid AMF object (as `RTMP_Init` or `conn=` leave it).
unsafe fn entry(extras: &AMFObject) -> Option<*mut AMFObjectProperty> {
    if extras.o_num <= 0 || extras.o_props.is_null() {
        return None;
    }
    let first = extras.o_props;
    // SAFETY: o_num > 0 entries are readable (function contract).
    let named_ours = unsafe { (*first).p_name.av_val == marker_ptr() };
    named_ours.then_some(first)
}

/// The stored capability bytes (empty when no option was set).
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn blob<'a>(r: *const RTMP) -> &'a [u8] {
    // SAFETY: caller contract; our entry's value is a libc block of `av_len` bytes.
    unsafe {
        match entry(&(*r).Link.extras) {
            Some(e) => crate::abi::conv::aval_bytes(&(*e).p_vu.p_aval),
            None => &[],
        }
    }
}

/// How many leading `Link.extras` entries are ours (0 or 1): the `conn=` arguments follow.
///
/// # Safety
/// As [`blob`].
pub unsafe fn entries(r: *const RTMP) -> usize {
    // SAFETY: caller contract.
    unsafe { usize::from(entry(&(*r).Link.extras).is_some()) }
}

/// Stores `bytes` as the capability entry (replacing the one there, or inserting it first).
/// False when memory runs out (nothing changed then).
///
/// # Safety
/// As [`blob`].
pub unsafe fn store(r: *mut RTMP, bytes: &[u8]) -> bool {
    // SAFETY: caller contract; the list is grown the way `conn=` grows it.
    unsafe {
        let Some(copy) = crate::abi::conv::malloc_aval(bytes) else {
            return false;
        };
        let extras = ptr::addr_of_mut!((*r).Link.extras);
        if let Some(e) = entry(&*extras) {
            libc::free((*e).p_vu.p_aval.av_val as *mut c_void);
            (*e).p_vu.p_aval = copy;
            return true;
        }
        if !reserve_prop(extras) {
            libc::free(copy.av_val as *mut c_void);
            return false;
        }
        let n = (*extras).o_num as usize;
        let props = (*extras).o_props;
        ptr::copy(props, props.add(1), n);
        let mut prop = AMFObjectProperty {
            p_name: AVal {
                av_val: marker_ptr(),
                av_len: (MARKER.len() - 2) as c_int,
            },
            p_type: AMF_STRING,
            p_vu: AMFValue { p_number: 0.0 },
            p_UTCoffset: 0,
        };
        prop.p_vu.p_object = AMFObject::EMPTY;
        prop.p_vu.p_aval = copy;
        ptr::write(props, prop);
        (*extras).o_num = n as c_int + 1;
        true
    }
}

/// Frees the capability entry (`RTMP_Close`); the `conn=` entries stay, as in librtmp.
///
/// # Safety
/// As [`blob`].
pub unsafe fn clear(r: *mut RTMP) {
    // SAFETY: caller contract.
    unsafe {
        let extras = ptr::addr_of_mut!((*r).Link.extras);
        let Some(e) = entry(&*extras) else {
            return;
        };
        libc::free((*e).p_vu.p_aval.av_val as *mut c_void);
        let rest = (*extras).o_num as usize - 1;
        ptr::copy((*extras).o_props.add(1), (*extras).o_props, rest);
        (*extras).o_num = rest as c_int;
        if rest == 0 {
            libc::free((*extras).o_props as *mut c_void);
            (*extras).o_props = ptr::null_mut();
        }
    }
}
