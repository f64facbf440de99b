//! AMF0 encoders writing into a fixed window (`out` is the space between librtmp's `output`
//! and `outend`). Every function returns the number of bytes written, or `None` when librtmp
//! would return NULL; the space rules are librtmp's, including the containers that insist on
//! one spare byte. When `None` is returned some bytes may already have been written, as in
//! librtmp.

use super::{marker, ObjView, View, MAX_WRITE_DEPTH, OBJECT_END};
use crate::log;

/// `AMF_EncodeInt16`.
#[inline]
pub fn int16(out: &mut [u8], v: u16) -> Option<usize> {
    out.get_mut(..2)?.copy_from_slice(&v.to_be_bytes());
    Some(2)
}

/// `AMF_EncodeInt24` (the low 24 bits).
#[inline]
pub fn int24(out: &mut [u8], v: u32) -> Option<usize> {
    out.get_mut(..3)?.copy_from_slice(&v.to_be_bytes()[1..]);
    Some(3)
}

/// `AMF_EncodeInt32`.
#[inline]
pub fn int32(out: &mut [u8], v: u32) -> Option<usize> {
    out.get_mut(..4)?.copy_from_slice(&v.to_be_bytes());
    Some(4)
}

/// `AMF_EncodeNumber`: marker + big-endian double.
#[inline]
pub fn number(out: &mut [u8], v: f64) -> Option<usize> {
    let o = out.get_mut(..9)?;
    o[0] = marker::NUMBER;
    o[1..].copy_from_slice(&v.to_be_bytes());
    Some(9)
}

/// `AMF_EncodeBoolean`.
#[inline]
pub fn boolean(out: &mut [u8], v: bool) -> Option<usize> {
    let o = out.get_mut(..2)?;
    o[0] = marker::BOOLEAN;
    o[1] = u8::from(v);
    Some(2)
}

/// `AMF_EncodeString`: a string, or a long string from 65536 bytes on. librtmp asks for the
/// room of a long-string header (5 bytes) even for short strings.
#[inline]
pub fn string(out: &mut [u8], s: &[u8]) -> Option<usize> {
    let n = s.len();
    if out.len() < n.checked_add(5)? {
        return None;
    }
    if n < 65536 {
        let o = out.get_mut(..3 + n)?;
        o[0] = marker::STRING;
        o[1..3].copy_from_slice(&(n as u16).to_be_bytes());
        o[3..].copy_from_slice(s);
        Some(3 + n)
    } else {
        let len = u32::try_from(n).ok()?;
        let o = out.get_mut(..5usize.checked_add(n)?)?;
        o[0] = marker::LONG_STRING;
        o[1..5].copy_from_slice(&len.to_be_bytes());
        o[5..].copy_from_slice(s);
        Some(5 + n)
    }
}

/// The 16-bit length and bytes of a property name.
#[inline]
fn name(out: &mut [u8], name: &[u8]) -> Option<usize> {
    let o = out.get_mut(..2 + name.len())?;
    o[..2].copy_from_slice(&(name.len() as u16).to_be_bytes());
    o[2..].copy_from_slice(name);
    Some(2 + name.len())
}

/// `AMF_EncodeNamedString`.
#[inline]
pub fn named_string(out: &mut [u8], n: &[u8], value: &[u8]) -> Option<usize> {
    let a = name(out, n)?;
    Some(a + string(&mut out[a..], value)?)
}

/// `AMF_EncodeNamedNumber`.
#[inline]
pub fn named_number(out: &mut [u8], n: &[u8], v: f64) -> Option<usize> {
    let a = name(out, n)?;
    Some(a + number(&mut out[a..], v)?)
}

/// `AMF_EncodeNamedBoolean`.
#[inline]
pub fn named_boolean(out: &mut [u8], n: &[u8], v: bool) -> Option<usize> {
    let a = name(out, n)?;
    Some(a + boolean(&mut out[a..], v)?)
}

/// `AMFProp_Encode`: the name (when non-empty, never for NULL) and the value.
pub fn prop<'v, O: ObjView<'v>>(out: &mut [u8], n: &[u8], v: View<'v, O>) -> Option<usize> {
    prop_at(out, n, v, 0)
}

#[inline]
fn prop_at<'v, O: ObjView<'v>>(
    out: &mut [u8],
    n: &[u8],
    v: View<'v, O>,
    depth: u32,
) -> Option<usize> {
    if matches!(v, View::Invalid) {
        return None;
    }
    let is_null = matches!(v, View::Null);
    let mut p = 0;
    if !is_null {
        // librtmp wants room for the name, its length and the marker plus one spare byte
        if out.len() <= n.len() + 3 {
            return None;
        }
        if !n.is_empty() {
            out[0] = (n.len() >> 8) as u8;
            out[1] = n.len() as u8;
            out[2..2 + n.len()].copy_from_slice(n);
            p = 2 + n.len();
        }
    }
    let rest = &mut out[p..];
    let used = match v {
        View::Number(x) => number(rest, x),
        View::Boolean(x) => boolean(rest, x != 0.0),
        View::String(s) => string(rest, s),
        View::Null => {
            if rest.len() < 2 {
                return None;
            }
            rest[0] = marker::NULL;
            Some(1)
        }
        View::Object(o) => container(rest, o, marker::OBJECT, depth + 1),
        View::EcmaArray(o) => container(rest, o, marker::ECMA_ARRAY, depth + 1),
        View::StrictArray(o) => container(rest, o, marker::STRICT_ARRAY, depth + 1),
        View::Unreadable(t) => {
            crate::rtmp_log!(
                log::ERROR,
                "AMFProp_Encode: unreadable value of type {t} (NULL pointer or negative length)"
            );
            None
        }
        View::Date(..) => {
            crate::rtmp_log!(log::ERROR, "AMFProp_Encode, invalid type. {}", marker::DATE);
            None
        }
        View::Other(t) => {
            crate::rtmp_log!(log::ERROR, "AMFProp_Encode, invalid type. {t}");
            None
        }
        View::Invalid => None,
    }?;
    Some(p + used)
}

/// `AMF_Encode`: object marker, properties, end marker.
pub fn object<'v, O: ObjView<'v>>(out: &mut [u8], o: O) -> Option<usize> {
    container(out, o, marker::OBJECT, 1)
}

/// `AMF_EncodeEcmaArray`: marker, 32-bit count, properties, end marker.
pub fn ecma_array<'v, O: ObjView<'v>>(out: &mut [u8], o: O) -> Option<usize> {
    container(out, o, marker::ECMA_ARRAY, 1)
}

/// `AMF_EncodeArray`: marker, 32-bit count, properties (no end marker).
pub fn strict_array<'v, O: ObjView<'v>>(out: &mut [u8], o: O) -> Option<usize> {
    container(out, o, marker::STRICT_ARRAY, 1)
}

fn container<'v, O: ObjView<'v>>(out: &mut [u8], o: O, kind: u8, depth: u32) -> Option<usize> {
    if depth > MAX_WRITE_DEPTH {
        crate::rtmp_log!(
            log::ERROR,
            "AMF_Encode: containers nested deeper than {MAX_WRITE_DEPTH} levels"
        );
        return None;
    }
    if out.len() < 5 {
        return None;
    }
    out[0] = kind;
    let mut p = 1;
    if kind != marker::OBJECT {
        p += int32(&mut out[1..], o.count() as u32)?;
    }
    for i in 0..o.count().max(0) as usize {
        let Some(n) = o.name(i) else {
            crate::rtmp_log!(
                log::ERROR,
                "AMF_Encode: unreadable name (NULL pointer or negative length) in index {i}"
            );
            crate::rtmp_log!(
                log::ERROR,
                "AMF_Encode - failed to encode property in index {i}"
            );
            break;
        };
        match prop_at(&mut out[p..], n, o.value(i), depth) {
            Some(k) => p += k,
            None => {
                crate::rtmp_log!(
                    log::ERROR,
                    "AMF_Encode - failed to encode property in index {i}"
                );
                break;
            }
        }
    }
    if kind == marker::STRICT_ARRAY {
        return Some(p);
    }
    if out.len() - p < 4 {
        return None;
    }
    out[p..p + 3].copy_from_slice(&OBJECT_END);
    Some(p + 3)
}
