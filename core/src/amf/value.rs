//! An owned (or borrowed, through `Cow`) AMF value tree for the rest of the library: build a
//! command with [`Value`]/[`Property`] and encode it into a `Vec<u8>`, or decode a message body
//! into properties and look values up by name.
//!
//! ```
//! use rtmp_core::amf::{Property, Value};
//! let body = Value::encode_all(&[
//!     Value::string("connect"),
//!     Value::Number(1.0),
//!     Value::object(vec![Property::new("app", Value::string("live"))]),
//! ]);
//! let props = Property::decode_all(&body).unwrap();
//! assert_eq!(props[0].value.as_str(), Some(&b"connect"[..]));
//! assert_eq!(props[2].value.get("app").and_then(Value::as_str), Some(&b"live"[..]));
//! ```

use std::borrow::Cow;

use super::{
    decode::Decoder, marker, DecodeError, ObjView, Prop, Sink, Str, Val, View, OBJECT_END,
};

/// One AMF value (librtmp's data model: objects, ECMA arrays and strict arrays are lists of
/// properties; strict-array elements are unnamed).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Number(f64),
    Boolean(bool),
    String(Cow<'a, [u8]>),
    /// AMF0 XML document (decoded only; encoders reject it, as librtmp's do).
    XmlDoc(Cow<'a, [u8]>),
    Null,
    /// Milliseconds since the epoch and the UTC offset field (decoded only).
    Date(f64, i16),
    Object(Vec<Property<'a>>),
    EcmaArray(Vec<Property<'a>>),
    StrictArray(Vec<Property<'a>>),
}

/// A named value (the name is empty for top-level values and strict-array elements).
#[derive(Debug, Clone, PartialEq)]
pub struct Property<'a> {
    pub name: Cow<'a, [u8]>,
    pub value: Value<'a>,
}

impl<'a> Property<'a> {
    pub fn new(name: impl Into<Cow<'a, str>>, value: Value<'a>) -> Self {
        let name = match name.into() {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        };
        Property { name, value }
    }

    /// An unnamed property.
    pub fn unnamed(value: Value<'a>) -> Self {
        Property {
            name: Cow::Borrowed(&[]),
            value,
        }
    }

    /// Decodes a message body of unnamed values (`AMF_Decode(.., FALSE)`): stops at the end of
    /// the input or at an object-end marker.
    pub fn decode_all(buf: &'a [u8]) -> Result<Vec<Property<'a>>, DecodeError> {
        let mut sink = ValueSink;
        let (obj, r) = Decoder::new(&mut sink).object(buf, false);
        r.map(|_| obj)
    }

    /// Decodes one value (`AMFProp_Decode`), returning it and the bytes consumed.
    pub fn decode_one(buf: &'a [u8], named: bool) -> Result<(Property<'a>, usize), DecodeError> {
        let mut sink = ValueSink;
        let (p, n) = Decoder::new(&mut sink).prop(buf, named)?;
        Ok((from_prop(p), n))
    }

    /// Appends this property as `AMFProp_Encode` does: the name first when non-empty, except
    /// for NULL, whose name librtmp never writes (so a named NULL inside an object produces
    /// bytes that do not decode back; `conn=NZ:name:` behaves the same way in librtmp).
    pub fn encode(&self, out: &mut Vec<u8>) {
        if !self.name.is_empty() && !matches!(self.value, Value::Null) {
            out.extend_from_slice(&(self.name.len() as u16).to_be_bytes());
            out.extend_from_slice(&self.name);
        }
        self.value.encode(out);
    }
}

impl<'a> Value<'a> {
    pub fn string(s: impl Into<Cow<'a, str>>) -> Self {
        match s.into() {
            Cow::Borrowed(s) => Value::String(Cow::Borrowed(s.as_bytes())),
            Cow::Owned(s) => Value::String(Cow::Owned(s.into_bytes())),
        }
    }

    pub fn object(props: Vec<Property<'a>>) -> Self {
        Value::Object(props)
    }

    /// The number of a number, boolean (0/1) or date.
    pub fn as_number(&self) -> Option<f64> {
        match *self {
            Value::Number(n) | Value::Date(n, _) => Some(n),
            Value::Boolean(b) => Some(if b { 1.0 } else { 0.0 }),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Boolean(b) => Some(b),
            Value::Number(n) => Some(n != 0.0),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&[u8]> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The properties of an object or array.
    pub fn props(&self) -> Option<&[Property<'a>]> {
        match self {
            Value::Object(p) | Value::EcmaArray(p) | Value::StrictArray(p) => Some(p),
            _ => None,
        }
    }

    /// The first property called `name` of an object or ECMA array.
    pub fn get(&self, name: &str) -> Option<&Value<'a>> {
        self.props()?
            .iter()
            .find(|p| &*p.name == name.as_bytes())
            .map(|p| &p.value)
    }

    /// Appends the AMF0 encoding (strings of 64 KiB and more become long strings; XML
    /// documents and dates, which librtmp cannot encode, are written as their AMF0 types).
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Value::Number(n) => {
                out.push(marker::NUMBER);
                out.extend_from_slice(&n.to_be_bytes());
            }
            Value::Boolean(b) => out.extend_from_slice(&[marker::BOOLEAN, u8::from(*b)]),
            Value::String(s) => {
                if s.len() < 65536 {
                    out.push(marker::STRING);
                    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
                } else {
                    out.push(marker::LONG_STRING);
                    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
                }
                out.extend_from_slice(s);
            }
            Value::XmlDoc(s) => {
                out.push(marker::XML_DOC);
                out.extend_from_slice(&(s.len() as u32).to_be_bytes());
                out.extend_from_slice(s);
            }
            Value::Null => out.push(marker::NULL),
            Value::Date(n, z) => {
                out.push(marker::DATE);
                out.extend_from_slice(&n.to_be_bytes());
                out.extend_from_slice(&z.to_be_bytes());
            }
            Value::Object(p) | Value::EcmaArray(p) | Value::StrictArray(p) => {
                let kind = match self {
                    Value::Object(_) => marker::OBJECT,
                    Value::EcmaArray(_) => marker::ECMA_ARRAY,
                    _ => marker::STRICT_ARRAY,
                };
                out.push(kind);
                if kind != marker::OBJECT {
                    out.extend_from_slice(&(p.len() as u32).to_be_bytes());
                }
                for prop in p {
                    prop.encode(out);
                }
                if kind != marker::STRICT_ARRAY {
                    out.extend_from_slice(&OBJECT_END);
                }
            }
        }
    }

    /// Encodes a sequence of unnamed values (a command body).
    pub fn encode_all(values: &[Value<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        for v in values {
            v.encode(&mut out);
        }
        out
    }

    /// Detaches the value from the input buffer.
    pub fn into_owned(self) -> Value<'static> {
        let own = |c: Cow<'a, [u8]>| Cow::Owned(c.into_owned());
        let props = |p: Vec<Property<'a>>| {
            p.into_iter()
                .map(|p| Property {
                    name: own(p.name),
                    value: p.value.into_owned(),
                })
                .collect()
        };
        match self {
            Value::Number(n) => Value::Number(n),
            Value::Boolean(b) => Value::Boolean(b),
            Value::String(s) => Value::String(own(s)),
            Value::XmlDoc(s) => Value::XmlDoc(own(s)),
            Value::Null => Value::Null,
            Value::Date(n, z) => Value::Date(n, z),
            Value::Object(p) => Value::Object(props(p)),
            Value::EcmaArray(p) => Value::EcmaArray(props(p)),
            Value::StrictArray(p) => Value::StrictArray(props(p)),
        }
    }
}

/// Builds [`Property`] lists from the decoder.
pub struct ValueSink;

fn cow(s: Str<'_>) -> Cow<'_, [u8]> {
    Cow::Borrowed(s.unwrap_or(&[]))
}

fn from_prop<'a>(p: Prop<'a, Vec<Property<'a>>>) -> Property<'a> {
    let value = match p.val {
        Val::Number(n) => Value::Number(n),
        Val::Boolean(b) => Value::Boolean(b),
        Val::String(s) => Value::String(cow(s)),
        Val::XmlDoc(s) => Value::XmlDoc(cow(s)),
        Val::Null => Value::Null,
        Val::Date(n, z) => Value::Date(n, z),
        Val::Object(o) => Value::Object(o),
        Val::EcmaArray(o) => Value::EcmaArray(o),
        Val::StrictArray(o) => Value::StrictArray(o),
    };
    Property {
        name: cow(p.name),
        value,
    }
}

impl<'a> Sink<'a> for ValueSink {
    type Obj = Vec<Property<'a>>;

    fn new_obj(&mut self) -> Self::Obj {
        Vec::new()
    }

    fn push(&mut self, obj: &mut Self::Obj, prop: Prop<'a, Self::Obj>) -> Result<(), DecodeError> {
        obj.push(from_prop(prop));
        Ok(())
    }

    fn discard(&mut self, _obj: Self::Obj) {}
}

impl<'v, 'a> ObjView<'v> for &'v [Property<'a>] {
    fn count(&self) -> i32 {
        i32::try_from(self.len()).unwrap_or(i32::MAX)
    }

    fn name(&self, i: usize) -> Option<&'v [u8]> {
        Some(&self[i].name)
    }

    fn value(&self, i: usize) -> View<'v, Self> {
        match &self[i].value {
            Value::Number(n) => View::Number(*n),
            Value::Boolean(b) => View::Boolean(if *b { 1.0 } else { 0.0 }),
            Value::String(s) => View::String(s),
            Value::XmlDoc(_) => View::Other(i32::from(marker::XML_DOC)),
            Value::Null => View::Null,
            Value::Date(n, z) => View::Date(*n, *z),
            Value::Object(p) => View::Object(p),
            Value::EcmaArray(p) => View::EcmaArray(p),
            Value::StrictArray(p) => View::StrictArray(p),
        }
    }
}
