//! The text of `AMF_Dump` / `AMFProp_Dump`, byte for byte as librtmp prints it (C `printf`
//! semantics: `%.*s` stops at a NUL byte, `%.2f` rounding, `nan`/`-nan`, 255-byte buffers).
//! Each line is handed to `out` without a newline; the caller logs it at DEBUG.

use super::{ObjView, View, MAX_WRITE_DEPTH};
use crate::diag as log;

/// `printf("%.2f", x)` as glibc prints it.
pub fn c_fixed2(out: &mut Vec<u8>, x: f64) {
    if x.is_nan() {
        out.extend_from_slice(if x.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
    } else {
        // Rust's fixed-precision formatting is exact and rounds ties to even, like glibc;
        // infinities print as "inf"/"-inf" and negative zero keeps its sign in both.
        out.extend_from_slice(format!("{x:.2}").as_bytes());
    }
}

/// The bytes `%.*s` prints: up to the first NUL.
fn c_str(s: &[u8]) -> &[u8] {
    match s.iter().position(|&b| b == 0) {
        Some(i) => &s[..i],
        None => s,
    }
}

/// `AMF_Dump`.
pub fn object<'v, O: ObjView<'v>>(o: O, out: &mut impl FnMut(&[u8])) {
    object_at(o, out, 0)
}

/// `AMFProp_Dump` for a property with this name and value.
pub fn prop<'v, O: ObjView<'v>>(name: &[u8], v: View<'v, O>, out: &mut impl FnMut(&[u8])) {
    prop_at(name, v, out, 0)
}

fn object_at<'v, O: ObjView<'v>>(o: O, out: &mut impl FnMut(&[u8]), depth: u32) {
    if depth > MAX_WRITE_DEPTH {
        crate::diag!(
            log::ERROR,
            "AMF_Dump: containers nested deeper than {MAX_WRITE_DEPTH} levels, not dumped"
        );
        return;
    }
    out(b"(object begin)");
    for i in 0..o.count().max(0) as usize {
        prop_at(o.name(i).unwrap_or(b""), o.value(i), out, depth);
    }
    out(b"(object end)");
}

fn prop_at<'v, O: ObjView<'v>>(
    name: &[u8],
    v: View<'v, O>,
    out: &mut impl FnMut(&[u8]),
    depth: u32,
) {
    match v {
        View::Invalid => return out(b"Property: INVALID"),
        View::Null => return out(b"Property: NULL"),
        _ => {}
    }
    let shown: &[u8] = if name.is_empty() { b"no-name." } else { name };
    let shown = c_str(&shown[..shown.len().min(18)]);
    let mut line = Vec::with_capacity(64);
    line.extend_from_slice(b"Property: <Name: ");
    line.resize(line.len() + 18 - shown.len(), b' ');
    line.extend_from_slice(shown);
    line.extend_from_slice(b", ");
    let nested = match v {
        View::Object(o) => Some((o, &b"OBJECT>"[..])),
        View::EcmaArray(o) => Some((o, &b"ECMA_ARRAY>"[..])),
        View::StrictArray(o) => Some((o, &b"STRICT_ARRAY>"[..])),
        _ => None,
    };
    if let Some((o, label)) = nested {
        line.extend_from_slice(label);
        out(&line);
        return object_at(o, out, depth + 1);
    }
    // librtmp formats the value into a 255-byte buffer first
    let mut val = Vec::with_capacity(32);
    match v {
        View::Number(x) => {
            val.extend_from_slice(b"NUMBER:\t");
            c_fixed2(&mut val, x);
        }
        View::Boolean(x) => {
            val.extend_from_slice(if x != 0.0 {
                b"BOOLEAN:\tTRUE"
            } else {
                b"BOOLEAN:\tFALSE"
            });
        }
        View::String(s) => {
            val.extend_from_slice(b"STRING:\t");
            let s = c_str(s);
            val.extend_from_slice(&s[..s.len().min(254 - 8)]);
        }
        View::Date(x, z) => {
            val.extend_from_slice(b"DATE:\ttimestamp: ");
            c_fixed2(&mut val, x);
            val.extend_from_slice(format!(", UTC offset: {z}").as_bytes());
        }
        View::Other(t) | View::Unreadable(t) => {
            val.extend_from_slice(format!("INVALID TYPE 0x{:02x}", t as u8).as_bytes());
        }
        _ => {}
    }
    val.truncate(254);
    line.extend_from_slice(&val);
    line.push(b'>');
    out(&line);
}
