//! AMF0/AMF3 codec on byte slices, with librtmp 2.4's data model and results.
//!
//! librtmp describes every AMF value as a named property (`AMFObjectProperty`) whose value is a
//! number, a boolean (kept as a number 0/1), a string pointing into the input, an object
//! (ECMA arrays and strict arrays are objects too), a date or NULL. This module keeps that
//! model so that the C adapters in `ffi::amf` are thin, and adds an owned, idiomatic
//! [`Value`] tree for the rest of the library (connect command, onStatus, metadata, `conn=`).
//!
//! - [`decode`]: the decoder, generic over a [`Sink`] that builds the objects (the C adapters
//!   build `AMFObject`s in libc memory, [`value`] builds `Vec`s). It reproduces librtmp's
//!   results on every input it can (return values, which bytes are consumed, which strings
//!   point into the input, type mapping, AMF3 quirks) and differs only where librtmp would read
//!   outside the input, recurse without bound or use uninitialised memory: there it fails
//!   (see `docs/compat.md`, section AMF).
//! - [`encode`]: the encoders, writing into a fixed window with librtmp's exact space rules,
//!   generic over an [`ObjView`] (a C `AMFObject` or a [`Value`] object).
//! - [`dump`]: the text of `AMF_Dump`/`AMFProp_Dump`, byte for byte.
//!
//! Limits: containers (objects, ECMA arrays, strict arrays, AMF3 objects) may nest at most
//! [`MAX_DEPTH`] (64) levels when decoding; deeper input fails with an ERROR log line.
//! Encoding and dumping accept at most [`MAX_WRITE_DEPTH`] (256) levels, which also stops
//! cyclic structures built by C callers. The decoder allocates only in proportion to the input:
//! every property it stores consumed at least one input byte.
#![forbid(unsafe_code)]

pub mod decode;
pub mod dump;
pub mod encode;
pub mod value;

#[cfg(test)]
mod tests;

pub use decode::{Amf3Outcome, Decoder};
pub use value::{Property, Value};

/// Deepest container nesting the decoder accepts.
pub const MAX_DEPTH: u32 = 64;
/// Deepest container nesting the encoders and the dump accept.
pub const MAX_WRITE_DEPTH: u32 = 256;

/// AMF0 type markers, which are also librtmp's `AMFDataType` values.
pub mod marker {
    pub const NUMBER: u8 = 0x00;
    pub const BOOLEAN: u8 = 0x01;
    pub const STRING: u8 = 0x02;
    pub const OBJECT: u8 = 0x03;
    pub const MOVIECLIP: u8 = 0x04;
    pub const NULL: u8 = 0x05;
    pub const UNDEFINED: u8 = 0x06;
    pub const REFERENCE: u8 = 0x07;
    pub const ECMA_ARRAY: u8 = 0x08;
    pub const OBJECT_END: u8 = 0x09;
    pub const STRICT_ARRAY: u8 = 0x0A;
    pub const DATE: u8 = 0x0B;
    pub const LONG_STRING: u8 = 0x0C;
    pub const UNSUPPORTED: u8 = 0x0D;
    pub const RECORDSET: u8 = 0x0E;
    pub const XML_DOC: u8 = 0x0F;
    pub const TYPED_OBJECT: u8 = 0x10;
    pub const AVMPLUS: u8 = 0x11;
    /// librtmp's `AMF_INVALID` (not a wire marker).
    pub const INVALID: i32 = 0xff;
}

/// AMF3 type markers.
pub mod marker3 {
    pub const UNDEFINED: u8 = 0x00;
    pub const NULL: u8 = 0x01;
    pub const FALSE: u8 = 0x02;
    pub const TRUE: u8 = 0x03;
    pub const INTEGER: u8 = 0x04;
    pub const DOUBLE: u8 = 0x05;
    pub const STRING: u8 = 0x06;
    pub const XML_DOC: u8 = 0x07;
    pub const DATE: u8 = 0x08;
    pub const ARRAY: u8 = 0x09;
    pub const OBJECT: u8 = 0x0A;
    pub const XML: u8 = 0x0B;
    pub const BYTE_ARRAY: u8 = 0x0C;
}

/// The three bytes that end an object or ECMA array.
pub const OBJECT_END: [u8; 3] = [0, 0, 9];

/// A string as librtmp reports it: `None` is a NULL `av_val` (length 0).
pub type Str<'a> = Option<&'a [u8]>;

/// A decoded value in librtmp's model; `O` is the sink's object type.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a, O> {
    /// `AMF_NUMBER` (also AMF3 integers, doubles and dates).
    Number(f64),
    /// `AMF_BOOLEAN`.
    Boolean(bool),
    /// `AMF_STRING` (also long strings and AMF3 strings/XML).
    String(Str<'a>),
    /// `AMF_XML_DOC` (AMF0 0x0F keeps its type).
    XmlDoc(Str<'a>),
    /// `AMF_NULL` (also undefined and unsupported).
    Null,
    /// `AMF_DATE`: milliseconds and the UTC offset field.
    Date(f64, i16),
    /// `AMF_OBJECT` (also AMF3 objects).
    Object(O),
    /// `AMF_ECMA_ARRAY`.
    EcmaArray(O),
    /// `AMF_STRICT_ARRAY`.
    StrictArray(O),
}

/// A decoded property: name (`None` when unnamed) and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Prop<'a, O> {
    pub name: Str<'a>,
    pub val: Val<'a, O>,
}

/// Decoding failed; the reason has been logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError;

/// Builds the objects the decoder produces.
pub trait Sink<'a> {
    type Obj;
    /// An empty object.
    fn new_obj(&mut self) -> Self::Obj;
    /// Appends `prop` to `obj` (which owns it from now on, even on failure).
    fn push(&mut self, obj: &mut Self::Obj, prop: Prop<'a, Self::Obj>) -> Result<(), DecodeError>;
    /// Releases an object the decoder gives up on.
    fn discard(&mut self, obj: Self::Obj);
    /// Emits one log line that passed the level filter (default: through the library logger,
    /// with non-UTF-8 bytes replaced; the C adapters pass the bytes unchanged).
    fn log(&mut self, level: crate::diag::Level, msg: &[u8]) {
        crate::diag::report(level, msg);
    }
}

/// A value as the encoders and the dump see it; `O` is the view's object type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum View<'v, O> {
    Number(f64),
    /// The number slot of a boolean (true when non-zero).
    Boolean(f64),
    String(&'v [u8]),
    Null,
    Date(f64, i16),
    Object(O),
    EcmaArray(O),
    StrictArray(O),
    /// `AMF_INVALID`.
    Invalid,
    /// Any other type value (dumped as `INVALID TYPE 0x..`, not encodable); `XmlDoc` and
    /// `AMF_UNDEFINED` land here as in librtmp.
    Other(i32),
    /// A string or object whose pointer/length cannot be read (NULL with a length, negative
    /// length); the encoders refuse it.
    Unreadable(i32),
}

/// Read access to an object for the encoders and the dump.
pub trait ObjView<'v>: Copy {
    /// Number of properties (librtmp's `o_num`, which may be negative: then nothing is read).
    fn count(&self) -> i32;
    /// Name of property `i` (`None` if unreadable).
    fn name(&self, i: usize) -> Option<&'v [u8]>;
    /// Value of property `i`.
    fn value(&self, i: usize) -> View<'v, Self>;
    /// The encoders' fast path for property `i`: when it is a readable number, boolean or
    /// string, [`encode::scalar_member`] of its name and value into `out`; `None` otherwise.
    /// Implementations call it in each arm, where the kind of value is known, so that each
    /// kind gets its own copy of the encoder. The default reads [`name`](Self::name) and
    /// [`value`](Self::value).
    #[inline(always)]
    fn encode_scalar(&self, i: usize, out: &mut [u8]) -> Option<usize> {
        let v = match self.value(i) {
            View::Number(x) => encode::Scalar::Number(x),
            View::Boolean(x) => encode::Scalar::Boolean(x != 0.0),
            View::String(s) => encode::Scalar::String(s),
            _ => return None,
        };
        encode::scalar_member(out, self.name(i)?, v)
    }
}
