//! Unit and property tests of the codec (a small deterministic PRNG drives the generators).

use super::decode::{read_u29, Decoder};
use super::value::ValueSink;
use super::*;
use std::borrow::Cow;

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, max: u64) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// `in_named`: the value is a member of an object or ECMA array, where librtmp (and so
/// `Property::encode`) writes no name before a NULL, which would not decode back.
fn gen_value(r: &mut Rng, depth: u32, in_named: bool) -> Value<'static> {
    let mut k = if depth >= 4 { r.below(4) } else { r.below(7) };
    if in_named && k == 3 {
        k = 0;
    }
    match k {
        0 => Value::Number(f64::from_bits(r.next())),
        1 => Value::Boolean(r.below(2) == 1),
        2 => Value::String(Cow::Owned(r.bytes(40))),
        3 => Value::Null,
        _ => {
            let n = r.below(6) as usize;
            let named = k != 6;
            let props = (0..n)
                .map(|_| {
                    let mut name = r.bytes(12);
                    if named && name.is_empty() {
                        name.push(b'x');
                    }
                    Property {
                        name: Cow::Owned(if named { name } else { Vec::new() }),
                        value: gen_value(r, depth + 1, named),
                    }
                })
                .collect();
            match k {
                4 => Value::Object(props),
                5 => Value::EcmaArray(props),
                _ => Value::StrictArray(props),
            }
        }
    }
}

/// Equality that treats NaNs with equal bits as equal.
fn same(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.to_bits() == y.to_bits(),
        (Value::Object(p), Value::Object(q))
        | (Value::EcmaArray(p), Value::EcmaArray(q))
        | (Value::StrictArray(p), Value::StrictArray(q)) => {
            p.len() == q.len()
                && p.iter()
                    .zip(q)
                    .all(|(x, y)| x.name == y.name && same(&x.value, &y.value))
        }
        _ => a == b,
    }
}

#[test]
fn primitives_round_trip() {
    let mut out = [0u8; 16];
    assert_eq!(encode::number(&mut out, 1.5), Some(9));
    assert_eq!(out[..9], [0, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
    assert_eq!(encode::number(&mut out[..8], 1.5), None);
    assert_eq!(encode::boolean(&mut out, true), Some(2));
    assert_eq!(out[..2], [1, 1]);
    assert_eq!(encode::string(&mut out, b"ab"), Some(5));
    assert_eq!(out[..5], [2, 0, 2, b'a', b'b']);
    assert_eq!(encode::string(&mut out[..4], b"ab"), None);
    assert_eq!(encode::int24(&mut out, 0x0102_0304), Some(3));
    assert_eq!(out[..3], [2, 3, 4]);
    let long = vec![7u8; 70000];
    let mut big = vec![0u8; 70005];
    assert_eq!(encode::string(&mut big, &long), Some(70005));
    assert_eq!(big[..5], [0x0c, 0, 1, 0x11, 0x70]);
}

#[test]
fn u29_matches_librtmp_quirks() {
    let r = |b: &[u8]| read_u29(|i| b.get(i).copied());
    assert_eq!(r(&[0x05]), Some((5, 1)));
    assert_eq!(r(&[0x81, 0x00]), Some((128, 2)));
    assert_eq!(r(&[0xff, 0xff, 0xff, 0xff]), Some((-1, 4)));
    assert_eq!(r(&[0x80, 0x80, 0x80, 0x80]), Some((-128, 4)));
    assert_eq!(r(&[0xc0, 0x80, 0x80, 0x01]), Some((-268_435_455, 4)));
    assert_eq!(r(&[0xbf, 0xff, 0xff, 0xff]), Some((-1, 4)));
    assert_eq!(r(&[0x80, 0x80]), None);
}

#[test]
fn decode_types_and_end_marker() {
    let buf = [
        2, 0, 2, b'a', b'b', 0, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 1, 1, 5, 6, 0x0d, 3, 0, 1, b'k', 2,
        0, 0, 0, 0, 9, 0, 0, 9, 0xff,
    ];
    let mut sink = ValueSink;
    let (obj, r) = Decoder::new(&mut sink).object(&buf, false);
    assert_eq!(r, Ok(32));
    assert_eq!(obj.len(), 7);
    assert_eq!(obj[0].value.as_str(), Some(&b"ab"[..]));
    assert_eq!(obj[1].value.as_number(), Some(1.0));
    assert_eq!(obj[2].value, Value::Boolean(true));
    assert_eq!(obj[3].value, Value::Null);
    assert_eq!(
        obj[6].value.get("k"),
        Some(&Value::String(Cow::Borrowed(&[][..])))
    );
}

#[test]
fn decode_failures() {
    for bad in [
        &[0x00u8, 1, 2][..],
        &[0x02, 0, 5, b'a'],
        &[0x07, 0, 1],
        &[0x0a, 0],
        &[0x11],
        &[0x09],
    ] {
        assert!(Property::decode_one(bad, false).is_err(), "{bad:?}");
    }
    // ECMA array whose count is cut short: librtmp reports more than the input
    assert!(Property::decode_one(&[0x08, 0, 0], false).is_err());
    // negative strict-array count: empty array
    let (p, n) = Property::decode_one(&[0x0a, 0xff, 0xff, 0xff, 0xff], false).unwrap();
    assert_eq!((p.value, n), (Value::StrictArray(vec![]), 5));
}

#[test]
fn nesting_limit() {
    let mut deep = vec![0x03];
    for _ in 0..MAX_DEPTH {
        deep.extend_from_slice(&[0, 1, b'a', 0x03]);
    }
    assert!(Property::decode_one(&deep, false).is_err());
    let mut fine = vec![0x03];
    for _ in 0..MAX_DEPTH - 1 {
        fine.extend_from_slice(&[0, 1, b'a', 0x03]);
    }
    assert!(Property::decode_one(&fine, false).is_ok());
    // a huge nesting costs no stack
    let mut huge = Vec::new();
    for _ in 0..200_000 {
        huge.extend_from_slice(&[0x03, 0, 1, b'a']);
    }
    assert!(Property::decode_one(&huge, false).is_err());
}

#[test]
fn amf3_objects() {
    // dynamic anonymous object {a: 5}: the end of the members repeats the last value
    let buf = [0x0a, 0x0b, 0x01, 0x03, b'a', 0x04, 0x05, 0x01];
    let mut sink = ValueSink;
    let (obj, r) = Decoder::new(&mut sink).amf3_object(&buf, true);
    assert_eq!(r, Ok(8));
    assert_eq!(obj.len(), 2);
    assert_eq!(&*obj[0].name, b"a");
    assert_eq!(obj[1].value, Value::Number(5.0));
    // externalizable: one DEFAULT_ATTRIBUTE member
    let buf = [0x0a, 0x07, 0x03, b'a', 0x04, 0x05];
    let (obj, r) = Decoder::new(&mut sink).amf3_object(&buf, true);
    assert_eq!(r, Ok(6));
    assert_eq!(&*obj[0].name, b"DEFAULT_ATTRIBUTE");
    // CVE-2015-8271 shape: inline traits with one sealed member, string-reference names
    let buf = [0x0a, 0x13, 0x00, 0x00, 0x04, 0x07];
    let (obj, r) = Decoder::new(&mut sink).amf3_object(&buf, true);
    assert_eq!(r, Ok(6));
    assert_eq!(obj.len(), 1);
    assert_eq!(obj[0].value, Value::Number(7.0));
    // truncated everywhere: never panics, never succeeds beyond the input
    for cut in 0..buf.len() {
        let (_, r) = Decoder::new(&mut sink).amf3_object(&buf[..cut], true);
        if let Ok(n) = r {
            assert!(n <= cut);
        }
    }
}

#[test]
fn property_round_trip_random_trees() {
    let mut r = Rng(0x1234_5678_9abc_def1);
    for _ in 0..3000 {
        let n = r.below(4) as usize;
        let values: Vec<Value<'static>> = (0..n).map(|_| gen_value(&mut r, 0, false)).collect();
        let bytes = Value::encode_all(&values);
        let props = Property::decode_all(&bytes).expect("decodes");
        // a top-level object whose end marker is reached stops the decode early only when
        // the bytes 00 00 09 start a value, which never happens for values we generate
        assert_eq!(props.len(), values.len());
        for (p, v) in props.iter().zip(&values) {
            // decoding reports empty strings as absent, which compares equal here
            assert!(same(&p.value, v), "{:?} != {:?}", p.value, v);
        }
        // the window encoder produces the same bytes
        let mut win = vec![0u8; bytes.len() + 8];
        let mut at = 0;
        for v in &values {
            let one = [Property::unnamed(v.clone())];
            let view: &[Property<'_>] = &one;
            at += encode::prop(&mut win[at..], b"", view.value(0)).expect("fits");
        }
        assert_eq!(&win[..at], &bytes[..]);
    }
}

#[test]
fn property_mutations_never_panic_or_overrun() {
    let mut r = Rng(42);
    let mut sink = ValueSink;
    for _ in 0..20000 {
        let v = gen_value(&mut r, 0, false);
        let mut bytes = Vec::new();
        v.encode(&mut bytes);
        for _ in 0..=r.below(4) {
            if bytes.is_empty() {
                break;
            }
            let i = r.below(bytes.len() as u64) as usize;
            match r.below(4) {
                0 => bytes[i] = r.next() as u8,
                1 => bytes.truncate(i),
                2 => bytes.insert(i, r.next() as u8),
                _ => bytes[i] ^= 1 << r.below(8),
            }
        }
        for named in [false, true] {
            let (_, res) = Decoder::new(&mut sink).object(&bytes, named);
            if let Ok(n) = res {
                assert!(n <= bytes.len());
            }
            if let Ok((_, n)) = Decoder::new(&mut sink).prop(&bytes, named) {
                assert!(n <= bytes.len());
            }
            if let Ok((_, n)) = Decoder::new(&mut sink).amf3_prop(&bytes, named) {
                assert!(n <= bytes.len());
            }
            if let (_, Ok(n)) = Decoder::new(&mut sink).amf3_object(&bytes, named) {
                assert!(n <= bytes.len());
            }
        }
    }
}

#[test]
fn dump_text() {
    let props = vec![
        Property::new("duration", Value::Number(12.345)),
        Property::new("averyveryverylongpropertyname", Value::Boolean(true)),
        Property::unnamed(Value::string("x\0y")),
        Property::new("o", Value::Object(vec![Property::new("n", Value::Null)])),
        Property::new("d", Value::Date(f64::NAN, -60)),
    ];
    let view: &[Property<'_>] = &props;
    let mut lines = Vec::new();
    dump::object(view, &mut |l: &[u8]| {
        lines.push(String::from_utf8_lossy(l).into_owned())
    });
    assert_eq!(
        lines,
        [
            "(object begin)",
            "Property: <Name:           duration, NUMBER:\t12.35>",
            "Property: <Name: averyveryverylongp, BOOLEAN:\tTRUE>",
            "Property: <Name:           no-name., STRING:\tx>",
            "Property: <Name:                  o, OBJECT>",
            "(object begin)",
            "Property: NULL",
            "(object end)",
            "Property: <Name:                  d, DATE:\ttimestamp: nan, UTC offset: -60>",
            "(object end)",
        ]
    );
}

#[test]
fn container_space_rules() {
    let props = vec![Property::new("a", Value::Number(1.0))];
    let view: &[Property<'_>] = &props;
    // 1 + (2 + 1 + 9) + 3 = 16 bytes, and librtmp wants one spare byte for the end marker
    let mut out = [0u8; 32];
    assert_eq!(encode::object(&mut out[..17], view), Some(16));
    assert_eq!(encode::object(&mut out[..16], view), None);
    assert_eq!(encode::strict_array(&mut out[..5], view), Some(5));
}
