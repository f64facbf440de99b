//! AMF0 encoders writing into a fixed window (`out` is the space between librtmp's `output`
//! and `outend`). Every function returns the number of bytes written, or `None` when librtmp
//! would return NULL; the space rules are librtmp's, including the containers that insist on
//! one spare byte. When `None` is returned some bytes may already have been written, as in
//! librtmp.

use super::{marker, ObjView, View, MAX_WRITE_DEPTH, OBJECT_END};
use crate::bytes;
use crate::diag as log;

/// Strings up to this length are copied inline by [`put`] (the callers' fast paths take only
/// those, so they stay leaf functions).
pub const SHORT: usize = 32;

/// Copies `src` into the first `src.len()` bytes of `dst` (which must be long enough). Names
/// and values are mostly short: up to 32 bytes they are copied with two overlapping fixed-size
/// moves instead of a call to `memcpy`.
#[inline(always)]
fn put(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    let dst = &mut dst[..n];
    if n > SHORT {
        dst.copy_from_slice(src);
    } else if n >= 16 {
        dst[..16].copy_from_slice(&src[..16]);
        dst[n - 16..].copy_from_slice(&src[n - 16..]);
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..].copy_from_slice(&src[n - 4..]);
    } else if n > 0 {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}

/// A 16-bit length and the bytes of a short string (`s.len() < 65536`), at the start of `out`
/// (which must hold `2 + s.len()` bytes).
#[inline(always)]
fn put_short(out: &mut [u8], s: &[u8]) {
    out[..2].copy_from_slice(&(s.len() as u16).to_be_bytes());
    put(&mut out[2..], s);
}

/// `AMF_EncodeInt16`.
#[inline]
pub fn int16(out: &mut [u8], v: u16) -> Option<usize> {
    bytes::put_be16(out, v)
}

/// `AMF_EncodeInt24` (the low 24 bits).
#[inline]
pub fn int24(out: &mut [u8], v: u32) -> Option<usize> {
    bytes::put_be24(out, v)
}

/// `AMF_EncodeInt32`.
#[inline]
pub fn int32(out: &mut [u8], v: u32) -> Option<usize> {
    bytes::put_be32(out, v)
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
        put_short(&mut o[1..], s);
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

/// The fast path of [`string`]: a string shorter than 64 KiB with the room librtmp asks for;
/// `None` (nothing written) otherwise.
#[inline(always)]
pub fn short_string(out: &mut [u8], s: &[u8]) -> Option<usize> {
    if s.len() >= 65536 || out.len() < s.len() + 5 {
        return None;
    }
    let o = &mut out[..3 + s.len()];
    o[0] = marker::STRING;
    put_short(&mut o[1..], s);
    Some(3 + s.len())
}

/// The 16-bit length and bytes of a property name.
#[inline]
fn name(out: &mut [u8], name: &[u8]) -> Option<usize> {
    let o = out.get_mut(..2 + name.len())?;
    o[..2].copy_from_slice(&(name.len() as u16).to_be_bytes());
    put(&mut o[2..], name);
    Some(2 + name.len())
}

/// `AMF_EncodeNamedString`.
#[inline]
pub fn named_string(out: &mut [u8], n: &[u8], value: &[u8]) -> Option<usize> {
    if let Some(k) = named_scalar(out, n, Scalar::String(value)) {
        return Some(k);
    }
    let a = name(out, n)?;
    Some(a + string(&mut out[a..], value)?)
}

/// `AMF_EncodeNamedNumber`.
#[inline]
pub fn named_number(out: &mut [u8], n: &[u8], v: f64) -> Option<usize> {
    if let Some(k) = named_scalar(out, n, Scalar::Number(v)) {
        return Some(k);
    }
    let a = name(out, n)?;
    Some(a + number(&mut out[a..], v)?)
}

/// `AMF_EncodeNamedBoolean`.
#[inline]
pub fn named_boolean(out: &mut [u8], n: &[u8], v: bool) -> Option<usize> {
    if let Some(k) = named_scalar(out, n, Scalar::Boolean(v)) {
        return Some(k);
    }
    let a = name(out, n)?;
    Some(a + boolean(&mut out[a..], v)?)
}

/// `AMFProp_Encode`: the name (when non-empty, never for NULL) and the value.
pub fn prop<'v, O: ObjView<'v>>(out: &mut [u8], n: &[u8], v: View<'v, O>) -> Option<usize> {
    prop_at(out, n, v, 0)
}

#[inline(never)]
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
            put(&mut out[2..], n);
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
            crate::diag!(
                log::ERROR,
                "AMFProp_Encode: unreadable value of type {t} (NULL pointer or negative length)"
            );
            None
        }
        View::Date(..) => {
            crate::diag!(log::ERROR, "AMFProp_Encode, invalid type. {}", marker::DATE);
            None
        }
        View::Other(t) => {
            crate::diag!(log::ERROR, "AMFProp_Encode, invalid type. {t}");
            None
        }
        View::Invalid => None,
    }?;
    Some(p + used)
}

/// Container member `i` through [`prop_at`]; `None` (after an ERROR line) stops the loop.
#[inline(never)]
fn member<'v, O: ObjView<'v>>(out: &mut [u8], o: O, i: usize, depth: u32) -> Option<usize> {
    let Some(n) = o.name(i) else {
        crate::diag!(
            log::ERROR,
            "AMF_Encode: unreadable name (NULL pointer or negative length) in index {i}"
        );
        crate::diag!(
            log::ERROR,
            "AMF_Encode - failed to encode property in index {i}"
        );
        return None;
    };
    let r = prop_at(out, n, o.value(i), depth);
    if r.is_none() {
        crate::diag!(
            log::ERROR,
            "AMF_Encode - failed to encode property in index {i}"
        );
    }
    r
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
        crate::diag!(
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
        // the fast path (a number, boolean or short string with a non-empty name), else the
        // step-by-step `member`
        if let Some(k) = o.encode_scalar(i, &mut out[p..]) {
            p += k;
            continue;
        }
        match member(&mut out[p..], o, i, depth) {
            Some(k) => p += k,
            None => break,
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

/// The room [`named_scalar`] needs for name `n` and value `v` (a number needs 9 bytes after
/// the name, a boolean 2; for a string librtmp asks for a 5-byte header before its bytes).
#[inline(always)]
pub fn named_scalar_room(n: &[u8], v: Scalar<'_>) -> usize {
    2 + n.len()
        + match v {
            Scalar::Number(_) => 9,
            Scalar::Boolean(_) => 2,
            Scalar::String(s) => 5 + s.len(),
        }
}

/// A container member through [`named_scalar`] (members with an empty name take the general
/// path).
#[inline(always)]
pub fn scalar_member(out: &mut [u8], n: &[u8], v: Scalar<'_>) -> Option<usize> {
    if n.is_empty() {
        return None;
    }
    named_scalar(out, n, v)
}

/// A number, boolean or string: the values the fast paths handle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'s> {
    Number(f64),
    Boolean(bool),
    String(&'s [u8]),
}

/// The fast path of the named encoders and of container members: the 16-bit name length, the
/// name and a scalar, when everything fits with the room librtmp insists on (a number needs 9
/// bytes after the name, a boolean 2, a string its bytes plus a 5-byte header) and the name
/// and string are shorter than 64 KiB. Writes nothing and returns `None` otherwise: the caller
/// then takes the step-by-step path, which applies librtmp's rules (and partial writes) in
/// order. When this returns `Some`, that path would have written exactly the same bytes.
#[inline(always)]
pub fn named_scalar(out: &mut [u8], n: &[u8], v: Scalar<'_>) -> Option<usize> {
    if n.len() >= 65536 || out.len() < named_scalar_room(n, v) {
        return None;
    }
    let head = 2 + n.len();
    match v {
        Scalar::Number(x) => {
            let o = &mut out[..head + 9];
            put_short(o, n);
            o[head] = marker::NUMBER;
            o[head + 1..].copy_from_slice(&x.to_be_bytes());
            Some(head + 9)
        }
        Scalar::Boolean(b) => {
            let o = &mut out[..head + 2];
            put_short(o, n);
            o[head] = marker::BOOLEAN;
            o[head + 1] = u8::from(b);
            Some(head + 2)
        }
        Scalar::String(s) => {
            if s.len() >= 65536 {
                return None;
            }
            let o = &mut out[..head + 3 + s.len()];
            put_short(o, n);
            o[head] = marker::STRING;
            put_short(&mut o[head + 1..], s);
            Some(head + 3 + s.len())
        }
    }
}
