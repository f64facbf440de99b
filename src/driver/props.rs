//! `RTMP_FindFirstMatchingProperty` / `RTMP_FindPrefixProperty`: depth-first searches of a C
//! `AMFObject` by property name.

use crate::abi::conv::{aval_bytes as av, aval_eq};
use crate::abi::types::*;

/// Depth-first search of a C object; `prefix` selects librtmp's prefix variant.
///
/// # Safety
/// As [`find`].
unsafe fn find_in(
    obj: *const AMFObject,
    name: &AVal,
    out: *mut AMFObjectProperty,
    prefix: bool,
    depth: u32,
) -> bool {
    if depth > rtmp_core::amf::MAX_WRITE_DEPTH {
        return false;
    }
    // SAFETY: the caller's object describes `o_num` readable properties.
    unsafe {
        let o = &*obj;
        if o.o_props.is_null() || o.o_num <= 0 {
            return false;
        }
        for i in 0..o.o_num as usize {
            let p = o.o_props.add(i);
            let hit = if prefix {
                (*p).p_name.av_len > name.av_len && av(&(*p).p_name).starts_with(av(name))
            } else {
                aval_eq(&(*p).p_name, name)
            };
            if hit {
                *out = *p;
                return true;
            }
            let t = (*p).p_type;
            let descend = t == 3 || (!prefix && t == 8);
            if descend && find_in(&(*p).p_vu.p_object, name, out, prefix, depth + 1) {
                return true;
            }
        }
        false
    }
}

/// Searches `obj` for a property named `name` (exactly, or with `prefix`, a longer name that
/// starts with it) and copies the first hit to `*out`.
///
/// # Safety
/// `obj` must describe `o_num` readable properties (recursively); `out` must be writable.
pub unsafe fn find(
    obj: *const AMFObject,
    name: &AVal,
    out: *mut AMFObjectProperty,
    prefix: bool,
) -> bool {
    // SAFETY: caller contract.
    unsafe { find_in(obj, name, out, prefix, 0) }
}
