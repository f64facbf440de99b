//! The AMF0/AMF3 decoder.
//!
//! Results follow librtmp 2.4 (the fixed Debian build): the same return values, the same
//! consumed lengths, the same type mapping and the same DEBUG/ERROR log lines. librtmp keeps a
//! signed "bytes left" count that may go negative without reading anything; this decoder keeps
//! the same count, so it agrees with librtmp on every input where librtmp stays inside the
//! buffer. Where librtmp would read outside the input (a truncated length field, an AMF3 value
//! at the very end), use uninitialised memory (AMF3 members that fail to decode) or recurse
//! without bound, the decoder fails instead and logs an ERROR line. Lengths reported to the
//! caller never exceed the input size.

use super::{marker, marker3, DecodeError, Prop, Sink, Str, Val, MAX_DEPTH, OBJECT_END};
use crate::bytes::{be16, be32, be_f64};
use crate::diag as log;

/// Name given to the single value of an externalizable AMF3 object.
pub const DEFAULT_ATTRIBUTE: &[u8] = b"DEFAULT_ATTRIBUTE";

/// What `AMF3Prop_Decode` produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Amf3Outcome<'a, O> {
    /// A complete property.
    Prop(Prop<'a, O>),
    /// Only the name was read (an empty or reference name, the end of dynamic members): the
    /// name becomes NULL and librtmp leaves type and value untouched.
    NameOnly,
    /// An AMF3 date reference: the name is set, type and value are left untouched.
    KeepValue(Str<'a>),
}

/// An AMF3 string as librtmp's reader sees it: a NULL reference or a span that may not yet
/// have been checked against the input (librtmp only checks the count of bytes left).
#[derive(Debug, Clone, Copy)]
enum A3Str {
    Null,
    Span { start: i64, len: i32 },
}

impl A3Str {
    fn len(self) -> i32 {
        match self {
            A3Str::Null => 0,
            A3Str::Span { len, .. } => len,
        }
    }
}

/// Reads an AMF3 U29 the way librtmp does (including its sign extension of a fourth byte ≥
/// 0x80, which makes e.g. `80 80 80 80` read as -128). `get(i)` returns byte `i` or `None` past
/// the end. Returns the value and the number of bytes used (1..=4).
pub fn read_u29(mut get: impl FnMut(usize) -> Option<u8>) -> Option<(i32, usize)> {
    let mut val: i32 = 0;
    let mut i = 0;
    while i <= 2 {
        let b = get(i)?;
        if b & 0x80 == 0 {
            break;
        }
        val = (val << 7) | i32::from(b & 0x7f);
        i += 1;
    }
    if i > 2 {
        let b = get(3)?;
        val = (val << 8) | i32::from(b as i8);
        if val > 0x0FFF_FFFF {
            val -= 1 << 29;
        }
        Some((val, 4))
    } else {
        let b = get(i)?;
        Some(((val << 7) | i32::from(b), i + 1))
    }
}

/// The AMF3 string header librtmp's `AMF3ReadString` reads: `Err(index)` for a reference,
/// `Ok(av_len)` for an inline string, plus the header length and the value librtmp returns
/// (header + declared length, in C `int` arithmetic).
pub fn read_string_header(
    get: impl FnMut(usize) -> Option<u8>,
) -> Option<(Result<i32, i32>, usize, i32)> {
    let (r, l) = read_u29(get)?;
    if r & 1 == 0 {
        Some((Err(r >> 1), l, l as i32))
    } else {
        let len = ((r >> 1) as u32) as i32;
        Some((Ok(len), l, (l as i32).wrapping_add(len)))
    }
}

/// The fast path of [`Decoder::prop`] for the common members: a number, a boolean or a short
/// string, complete in `buf`. `None` for anything else (or any shortage): [`Decoder::prop`]
/// then decodes (or rejects, with its log lines) the property. When this returns `Some`,
/// `prop` would have returned the same property and length.
#[inline(always)]
fn scalar_prop<'a, O, R>(
    buf: &'a [u8],
    named: bool,
    emit: impl FnOnce(Prop<'a, O>) -> R,
) -> Option<(R, usize)> {
    let mut p = 0;
    let mut name = None;
    if named {
        if buf.len() < 4 {
            return None;
        }
        let n = be16(buf) as usize;
        p = 2 + n;
        if p >= buf.len() {
            return None;
        }
        if n > 0 {
            name = Some(&buf[2..p]);
        }
    }
    let ty = *buf.get(p)?;
    let rest = &buf[p + 1..];
    match ty {
        marker::NUMBER => {
            let b: [u8; 8] = rest.get(..8)?.try_into().ok()?;
            let val = Val::Number(f64::from_be_bytes(b));
            Some((emit(Prop { name, val }), p + 9))
        }
        marker::BOOLEAN => {
            let val = Val::Boolean(*rest.first()? != 0);
            Some((emit(Prop { name, val }), p + 2))
        }
        marker::STRING => {
            let h = rest.get(..2)?;
            let n = usize::from(be16(h));
            let s = rest.get(2..2 + n)?;
            let val = Val::String((n > 0).then_some(s));
            Some((emit(Prop { name, val }), p + 3 + n))
        }
        _ => None,
    }
}

/// The decoder: one per top-level call; it tracks the nesting depth.
pub struct Decoder<'s, S> {
    sink: &'s mut S,
    depth: u32,
}

fn truncated(func: &str) -> DecodeError {
    crate::diag!(
        log::ERROR,
        "{func}: data truncated, refusing to read past the end of the input"
    );
    DecodeError
}

/// `%s` of a string librtmp did not NUL-terminate: up to the first NUL, and (unlike librtmp)
/// never past the end of the input.
fn c_text(buf: &[u8], s: A3Str) -> Vec<u8> {
    match s {
        A3Str::Null => b"(null)".to_vec(),
        A3Str::Span { start, .. } => {
            let from = usize::try_from(start).unwrap_or(usize::MAX).min(buf.len());
            let rest = &buf[from..];
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            rest[..end].to_vec()
        }
    }
}

/// Drops containers from a value kept for AMF3's "previous property" rule (librtmp would share
/// the container's property array between two properties and free it twice).
fn scalar_copy<'a, A, B>(v: &Val<'a, A>) -> Val<'a, B> {
    match *v {
        Val::Number(n) => Val::Number(n),
        Val::Boolean(b) => Val::Boolean(b),
        Val::String(s) => Val::String(s),
        Val::XmlDoc(s) => Val::XmlDoc(s),
        Val::Date(d, z) => Val::Date(d, z),
        Val::Null | Val::Object(_) | Val::EcmaArray(_) | Val::StrictArray(_) => Val::Null,
    }
}

impl<'s, 'a, S: Sink<'a>> Decoder<'s, S> {
    pub fn new(sink: &'s mut S) -> Self {
        Decoder { sink, depth: 0 }
    }

    fn debug(&mut self, msg: impl FnOnce() -> Vec<u8>) {
        if log::enabled(log::DEBUG) {
            let m = msg();
            self.sink.log(log::DEBUG, &m);
        }
    }

    fn enter(&mut self) -> Result<(), DecodeError> {
        if self.depth >= MAX_DEPTH {
            crate::diag!(
                log::ERROR,
                "AMF: containers nested deeper than {MAX_DEPTH} levels, giving up"
            );
            return Err(DecodeError);
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// `AMF_Decode`: properties until the input ends or an object-end marker is found at a
    /// property start. On failure the object keeps the properties decoded so far.
    pub fn object(&mut self, buf: &'a [u8], named: bool) -> (S::Obj, Result<usize, DecodeError>) {
        let mut obj = self.sink.new_obj();
        let r = if named {
            self.object_into::<true>(buf, &mut obj)
        } else {
            self.object_into::<false>(buf, &mut obj)
        };
        (obj, r)
    }

    /// (`NAMED`: members have names; a constant so that each kind gets its own loop)
    fn object_into<const NAMED: bool>(
        &mut self,
        buf: &'a [u8],
        obj: &mut S::Obj,
    ) -> Result<usize, DecodeError> {
        let named = NAMED;
        let is_end = |rest: &[u8]| rest.len() >= 3 && rest[..3] == OBJECT_END;
        let mut pos = 0;
        while pos < buf.len() {
            let rest = &buf[pos..];
            // Named members: the end marker reads as an empty name and type 9, which the fast
            // path never takes, so it is looked for only when the fast path fails.
            if !named && is_end(rest) {
                return Ok(pos + 3);
            }
            // the sink is called in each arm of the fast path, where the value's type is known
            let sink = &mut *self.sink;
            if let Some((r, n)) = scalar_prop(rest, named, |p| sink.push(obj, p)) {
                r?;
                pos += n;
                continue;
            }
            if named && is_end(rest) {
                return Ok(pos + 3);
            }
            let (prop, n) = self.prop(rest, named)?;
            pos += n;
            self.sink.push(obj, prop)?;
        }
        Ok(pos)
    }

    fn nested(
        &mut self,
        buf: &'a [u8],
        f: impl FnOnce(&mut Self, &mut S::Obj) -> Result<usize, DecodeError>,
    ) -> Result<(S::Obj, usize), DecodeError> {
        self.enter()?;
        let mut obj = self.sink.new_obj();
        let r = f(self, &mut obj);
        self.leave();
        match r {
            Ok(n) if n <= buf.len() => Ok((obj, n)),
            Ok(_) => {
                self.sink.discard(obj);
                Err(DecodeError)
            }
            Err(e) => {
                self.sink.discard(obj);
                Err(e)
            }
        }
    }

    /// `AMF_DecodeArray`: `count` properties (none when `count <= 0`).
    pub fn array(
        &mut self,
        buf: &'a [u8],
        count: i32,
        named: bool,
    ) -> (S::Obj, Result<usize, DecodeError>) {
        let mut obj = self.sink.new_obj();
        let r = self.array_into(buf, count, named, &mut obj);
        (obj, r)
    }

    fn array_into(
        &mut self,
        buf: &'a [u8],
        count: i32,
        named: bool,
        obj: &mut S::Obj,
    ) -> Result<usize, DecodeError> {
        let mut pos = 0;
        for _ in 0..count.max(0) {
            if pos >= buf.len() {
                return Err(DecodeError);
            }
            let (prop, n) = self.prop(&buf[pos..], named)?;
            pos += n;
            self.sink.push(obj, prop)?;
        }
        Ok(pos)
    }

    /// `AMFProp_Decode`: one property; returns it and the bytes consumed.
    pub fn prop(
        &mut self,
        buf: &'a [u8],
        named: bool,
    ) -> Result<(Prop<'a, S::Obj>, usize), DecodeError> {
        if buf.is_empty() {
            self.debug(|| b"AMFProp_Decode: Empty buffer/no buffer pointer!".to_vec());
            return Err(DecodeError);
        }
        let mut p = 0;
        let mut name = None;
        if named {
            if buf.len() < 4 {
                self.debug(|| {
                    b"AMFProp_Decode: Not enough data for decoding with name, less than 4 bytes!"
                        .to_vec()
                });
                return Err(DecodeError);
            }
            let n = be16(buf) as usize;
            if n > buf.len() - 2 {
                let len = buf.len();
                self.debug(|| {
                    format!(
                        "AMFProp_Decode: Name size out of range: namesize ({n}) > len ({len}) - 2"
                    )
                    .into_bytes()
                });
                return Err(DecodeError);
            }
            if n > 0 {
                name = Some(&buf[2..2 + n]);
            }
            p = 2 + n;
        }
        // the name took everything: librtmp reads the marker past the end and fails
        let Some(&ty) = buf.get(p) else {
            return Err(DecodeError);
        };
        p += 1;
        let rest = &buf[p..];
        let (val, used) = match ty {
            marker::NUMBER => {
                if rest.len() < 8 {
                    return Err(DecodeError);
                }
                (Val::Number(be_f64(rest)), 8)
            }
            marker::BOOLEAN => {
                if rest.is_empty() {
                    return Err(DecodeError);
                }
                (Val::Boolean(rest[0] != 0), 1)
            }
            marker::STRING => {
                if rest.len() < 2 {
                    return Err(DecodeError);
                }
                let n = be16(rest) as usize;
                if rest.len() < n + 2 {
                    return Err(DecodeError);
                }
                (Val::String((n > 0).then(|| &rest[2..2 + n])), 2 + n)
            }
            marker::LONG_STRING | marker::XML_DOC => {
                if rest.len() < 4 {
                    return Err(DecodeError);
                }
                let n = be32(rest) as u64;
                if (rest.len() as u64) < n + 4 {
                    return Err(DecodeError);
                }
                let n = n as usize;
                let s = (n > 0).then(|| &rest[4..4 + n]);
                let v = if ty == marker::XML_DOC {
                    Val::XmlDoc(s)
                } else {
                    Val::String(s)
                };
                (v, 4 + n)
            }
            marker::OBJECT => {
                let (o, n) = self.nested(rest, |d, o| d.object_into::<true>(rest, o))?;
                (Val::Object(o), n)
            }
            marker::ECMA_ARRAY => {
                // librtmp skips the count without reading it: a count cut short only makes its
                // byte count go negative, which we report as a failure.
                if rest.len() < 4 {
                    return Err(DecodeError);
                }
                let body = &rest[4..];
                let (o, n) = self.nested(body, |d, o| d.object_into::<true>(body, o))?;
                (Val::EcmaArray(o), 4 + n)
            }
            marker::STRICT_ARRAY => {
                if rest.len() < 4 {
                    // librtmp reads the count past the end; it cannot decode successfully
                    return Err(DecodeError);
                }
                let count = be32(rest) as i32;
                let body = &rest[4..];
                let (o, n) = self.nested(body, |d, o| d.array_into(body, count, false, o))?;
                (Val::StrictArray(o), 4 + n)
            }
            marker::DATE => {
                self.debug(|| b"AMF_DATE".to_vec());
                if rest.len() < 10 {
                    return Err(DecodeError);
                }
                (Val::Date(be_f64(rest), be16(&rest[8..]) as i16), 10)
            }
            marker::NULL | marker::UNDEFINED | marker::UNSUPPORTED => (Val::Null, 0),
            marker::AVMPLUS => {
                let (o, n) = self.nested(rest, |d, o| d.amf3_object_into(rest, true, o))?;
                (Val::Object(o), n)
            }
            marker::MOVIECLIP => {
                crate::diag!(log::ERROR, "AMF_MOVIECLIP reserved!");
                return Err(DecodeError);
            }
            marker::REFERENCE => {
                crate::diag!(log::ERROR, "AMF_REFERENCE not supported!");
                return Err(DecodeError);
            }
            marker::RECORDSET => {
                crate::diag!(log::ERROR, "AMF_RECORDSET reserved!");
                return Err(DecodeError);
            }
            marker::TYPED_OBJECT => {
                crate::diag!(log::ERROR, "AMF_TYPED_OBJECT not supported!");
                return Err(DecodeError);
            }
            marker::OBJECT_END => return Err(DecodeError),
            _ => {
                let at = buf[p - 1..].as_ptr();
                // librtmp stores the marker through a signed char
                let t = i32::from(ty as i8);
                self.debug(|| {
                    format!("AMFProp_Decode - unknown datatype 0x{t:02x}, @{at:p}").into_bytes()
                });
                return Err(DecodeError);
            }
        };
        Ok((Prop { name, val }, p + used))
    }

    // ---- AMF3 -------------------------------------------------------------------------------

    fn u29_at(&self, buf: &[u8], pos: i64, func: &str) -> Result<(i32, i64), DecodeError> {
        let start = usize::try_from(pos).map_err(|_| truncated(func))?;
        match read_u29(|i| buf.get(start.checked_add(i)?).copied()) {
            Some((v, l)) => Ok((v, l as i64)),
            None => Err(truncated(func)),
        }
    }

    /// librtmp's `AMF3ReadString` at `pos`: the string and the count it returns.
    fn read_str(&mut self, buf: &[u8], pos: i64, func: &str) -> Result<(A3Str, i64), DecodeError> {
        let start = usize::try_from(pos).map_err(|_| truncated(func))?;
        let Some((head, l, ret)) = read_string_header(|i| buf.get(start.checked_add(i)?).copied())
        else {
            return Err(truncated(func));
        };
        match head {
            Err(index) => {
                self.debug(|| {
                    format!(
                        "AMF3ReadString, string reference, index: {index}, not supported, ignoring!"
                    )
                    .into_bytes()
                });
                Ok((A3Str::Null, i64::from(ret)))
            }
            Ok(len) => {
                if len < 0 {
                    crate::diag!(
                        log::ERROR,
                        "{func}: AMF3 string length {} out of range",
                        len as u32
                    );
                    return Err(DecodeError);
                }
                Ok((
                    A3Str::Span {
                        start: pos + l as i64,
                        len,
                    },
                    i64::from(ret),
                ))
            }
        }
    }

    /// Turns a span into a slice of the input; a span librtmp would have exposed although it
    /// leaves the input fails.
    fn materialize(buf: &'a [u8], s: A3Str, func: &str) -> Result<Str<'a>, DecodeError> {
        match s {
            A3Str::Null => Ok(None),
            A3Str::Span { start, len } => {
                let start = usize::try_from(start).map_err(|_| truncated(func))?;
                let end = start
                    .checked_add(len as usize)
                    .ok_or_else(|| truncated(func))?;
                buf.get(start..end).map(Some).ok_or_else(|| truncated(func))
            }
        }
    }

    /// `AMF3_Decode`: one AMF3 object (`amf_data`: skip a leading AMF3 object marker, as
    /// librtmp does both for AMF0's AVM+ values and for objects nested in AMF3).
    pub fn amf3_object(
        &mut self,
        buf: &'a [u8],
        amf_data: bool,
    ) -> (S::Obj, Result<usize, DecodeError>) {
        let mut obj = self.sink.new_obj();
        let r = match self.amf3_object_into(buf, amf_data, &mut obj) {
            Ok(n) if n > buf.len() => {
                crate::diag!(
                    log::ERROR,
                    "AMF3_Decode: the object announces {n} bytes but only {} are there",
                    buf.len()
                );
                Err(DecodeError)
            }
            r => r,
        };
        (obj, r)
    }

    fn amf3_object_into(
        &mut self,
        buf: &'a [u8],
        amf_data: bool,
        obj: &mut S::Obj,
    ) -> Result<usize, DecodeError> {
        const F: &str = "AMF3_Decode";
        let orig = buf.len() as i64;
        let mut left = orig;
        if amf_data {
            let Some(&b) = buf.first() else {
                return Err(truncated(F));
            };
            if b != marker3::OBJECT {
                crate::diag!(
                    log::ERROR,
                    "AMF3 Object encapsulated in AMF stream does not start with AMF3_OBJECT!"
                );
            }
            left -= 1;
        }
        let (r, l) = self.u29_at(buf, orig - left, F)?;
        left -= l;
        if r & 1 == 0 {
            self.debug(|| format!("Object reference, index: {}", r >> 1).into_bytes());
            return Ok((orig - left) as usize);
        }
        let class_ref = r >> 1;
        let mut members: Vec<A3Str> = Vec::new();
        let (mut external, mut dynamic) = (false, false);
        if class_ref & 1 == 0 {
            self.debug(|| format!("Class reference: {}", class_ref >> 1).into_bytes());
        } else {
            let ext_ref = class_ref >> 1;
            external = ext_ref & 1 == 1;
            dynamic = (ext_ref >> 1) & 1 == 1;
            let count = ext_ref >> 2;
            let (name, l) = self.read_str(buf, orig - left, F)?;
            left -= l;
            self.debug(|| {
                let mut m = b"Class name: ".to_vec();
                m.extend(c_text(buf, name));
                m.extend(
                    format!(
                        ", externalizable: {}, dynamic: {}, classMembers: 0",
                        i32::from(external),
                        i32::from(dynamic)
                    )
                    .bytes(),
                );
                m
            });
            for _ in 0..count.max(0) {
                if left <= 0 {
                    return self.invalid_class(orig);
                }
                let (m, l) = self.read_str(buf, orig - left, F)?;
                self.debug(|| {
                    let mut t = b"Member: ".to_vec();
                    t.extend(c_text(buf, m));
                    t
                });
                members.push(m);
                left -= l;
            }
        }

        // librtmp decodes every member into one property variable, so a member that only
        // carries a name (the end of the dynamic members, an AMF3 date reference) repeats the
        // previous member's value; before any member that value is uninitialised in librtmp,
        // here it is NULL.
        let mut last: Val<'a, ()> = Val::Null;
        if external {
            self.debug(|| b"Externalizable, TODO check".to_vec());
            let window = Self::window(buf, left)?;
            let outcome = self.amf3_member(window, false)?;
            let (val, n) = self.resolve(outcome, &mut last);
            left -= n;
            self.sink.push(
                obj,
                Prop {
                    name: Some(DEFAULT_ATTRIBUTE),
                    val: val.1,
                },
            )?;
        } else {
            for m in members {
                if left <= 0 {
                    return self.invalid_class(orig);
                }
                let window = Self::window(buf, left)?;
                let outcome = self.amf3_member(window, false)?;
                let ((_, val), n) = self.resolve(outcome, &mut last);
                let name = match Self::materialize(buf, m, F) {
                    Ok(n) => n,
                    Err(e) => {
                        Self::discard_val(self.sink, val);
                        return Err(e);
                    }
                };
                self.sink.push(obj, Prop { name, val })?;
                left -= n;
            }
            if dynamic {
                loop {
                    if left <= 0 {
                        return self.invalid_class(orig);
                    }
                    let window = Self::window(buf, left)?;
                    let outcome = self.amf3_member(window, true)?;
                    let ((name, val), n) = self.resolve(outcome, &mut last);
                    let more = name.is_some_and(|s| !s.is_empty());
                    self.sink.push(obj, Prop { name, val })?;
                    left -= n;
                    if !more {
                        break;
                    }
                }
            }
        }
        self.debug(|| b"class object!".to_vec());
        // may exceed the input (librtmp only counts what the headers announce); `nested` and
        // `amf3_object` turn that into a failure
        Ok((orig - left) as usize)
    }

    fn invalid_class(&mut self, orig: i64) -> Result<usize, DecodeError> {
        self.debug(|| b"AMF3_Decode, invalid class encoding!".to_vec());
        Ok(orig as usize)
    }

    fn window(buf: &'a [u8], left: i64) -> Result<&'a [u8], DecodeError> {
        if left < 0 {
            return Err(truncated("AMF3_Decode"));
        }
        Ok(&buf[buf.len() - left as usize..])
    }

    fn discard_val(sink: &mut S, val: Val<'a, S::Obj>) {
        if let Val::Object(o) | Val::EcmaArray(o) | Val::StrictArray(o) = val {
            sink.discard(o);
        }
    }

    /// One member value of an AMF3 object; a failure fails the object (librtmp would go on
    /// with a stale or uninitialised property at a wrong offset).
    fn amf3_member(
        &mut self,
        window: &'a [u8],
        named: bool,
    ) -> Result<(Amf3Outcome<'a, S::Obj>, usize), DecodeError> {
        match self.amf3_prop(window, named) {
            Ok(r) => Ok(r),
            Err(e) => {
                self.debug(|| b"AMF3_Decode, failed to decode AMF3 property!".to_vec());
                crate::diag!(
                    log::ERROR,
                    "AMF3_Decode: an object member cannot be decoded, giving up"
                );
                Err(e)
            }
        }
    }

    /// Applies the "previous property" rule: returns (name, value) and the bytes consumed.
    #[allow(clippy::type_complexity)]
    fn resolve(
        &mut self,
        outcome: (Amf3Outcome<'a, S::Obj>, usize),
        last: &mut Val<'a, ()>,
    ) -> ((Str<'a>, Val<'a, S::Obj>), i64) {
        let (o, n) = outcome;
        let nv = match o {
            Amf3Outcome::Prop(p) => {
                *last = scalar_copy(&p.val);
                (p.name, p.val)
            }
            Amf3Outcome::NameOnly => (None, scalar_copy(last)),
            Amf3Outcome::KeepValue(name) => (name, scalar_copy(last)),
        };
        (nv, n as i64)
    }

    /// `AMF3Prop_Decode`.
    pub fn amf3_prop(
        &mut self,
        buf: &'a [u8],
        named: bool,
    ) -> Result<(Amf3Outcome<'a, S::Obj>, usize), DecodeError> {
        const F: &str = "AMF3Prop_Decode";
        if buf.is_empty() {
            self.debug(|| b"empty buffer/no buffer pointer!".to_vec());
            return Err(DecodeError);
        }
        let orig = buf.len() as i64;
        let mut left = orig;
        let mut name = None;
        if named {
            let (s, l) = self.read_str(buf, 0, F)?;
            if s.len() <= 0 {
                // librtmp returns the count its string reader gave, which may exceed the input
                if l > orig || l < 0 {
                    return Err(truncated(F));
                }
                return Ok((Amf3Outcome::NameOnly, l as usize));
            }
            left -= l;
            if left <= 0 {
                return Err(DecodeError);
            }
            name = Self::materialize(buf, s, F)?;
        }
        let p = (orig - left) as usize;
        let ty = buf[p];
        left -= 1;
        let at = p as i64 + 1;
        let val = match ty {
            marker3::UNDEFINED | marker3::NULL => Val::Null,
            marker3::FALSE => Val::Boolean(false),
            marker3::TRUE => Val::Boolean(true),
            marker3::INTEGER => {
                let (v, l) = self.u29_at(buf, at, F)?;
                left -= l;
                Val::Number(f64::from(v))
            }
            marker3::DOUBLE => {
                if left < 8 {
                    return Err(DecodeError);
                }
                left -= 8;
                Val::Number(be_f64(&buf[at as usize..]))
            }
            marker3::STRING | marker3::XML_DOC | marker3::XML => {
                let (s, l) = self.read_str(buf, at, F)?;
                left -= l;
                if left < 0 {
                    return Err(DecodeError);
                }
                Val::String(Self::materialize(buf, s, F)?)
            }
            marker3::DATE => {
                let (r, l) = self.u29_at(buf, at, F)?;
                left -= l;
                if r & 1 == 0 {
                    self.debug(|| {
                        format!("AMF3_DATE reference: {}, not supported!", r >> 1).into_bytes()
                    });
                    if left < 0 {
                        return Err(DecodeError);
                    }
                    return Ok((Amf3Outcome::KeepValue(name), (orig - left) as usize));
                }
                if left < 8 {
                    return Err(DecodeError);
                }
                left -= 8;
                Val::Number(be_f64(&buf[(at + l) as usize..]))
            }
            marker3::OBJECT => {
                let rest = &buf[at as usize..];
                let (o, n) = self.nested(rest, |d, o| d.amf3_object_into(rest, true, o))?;
                left -= n as i64;
                Val::Object(o)
            }
            _ => {
                let next = buf.get(at as usize).copied().unwrap_or(0);
                let ptr = buf.as_ptr().wrapping_add(at as usize);
                self.debug(|| {
                    format!(
                        "AMF3Prop_Decode - AMF3 unknown/unsupported datatype 0x{next:02x}, @{ptr:p}"
                    )
                    .into_bytes()
                });
                return Err(DecodeError);
            }
        };
        if left < 0 {
            Self::discard_val(self.sink, val);
            return Err(DecodeError);
        }
        Ok((
            Amf3Outcome::Prop(Prop { name, val }),
            (orig - left) as usize,
        ))
    }
}
