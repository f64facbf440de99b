//! RC4 for RTMPE: one key stream per direction, kept behind the `Link.rc4keyIn` /
//! `Link.rc4keyOut` pointers of the `RTMP` struct (library-owned; consumers only test them for
//! NULL).

use std::os::raw::c_void;

use rc4::consts::U16;
use rc4::{KeyInit, Rc4, StreamCipher};

/// The bytes of each key stream skipped before the first RTMP byte (the handshake's size).
pub const SKIP: usize = 1536;

/// One direction's RC4 state.
pub struct Stream(Rc4<U16>);

impl Stream {
    /// A key stream for `key`, already advanced by [`SKIP`] bytes.
    pub fn new(key: &[u8; 16]) -> Stream {
        let mut c = Rc4::<U16>::new(key.into());
        c.apply_keystream(&mut [0u8; SKIP]);
        Stream(c)
    }

    /// Encrypts or decrypts `b` in place (the same operation).
    pub fn apply(&mut self, b: &mut [u8]) {
        self.0.apply_keystream(b);
    }

    /// Moves the stream behind a pointer for the struct.
    pub fn into_raw(self) -> *mut c_void {
        Box::into_raw(Box::new(self)) as *mut c_void
    }
}

/// The stream behind a pointer made by [`Stream::into_raw`]; `None` for NULL.
///
/// # Safety
/// `p` is NULL or came from [`Stream::into_raw`] and was not freed; no other reference to it
/// is alive while the result is.
pub unsafe fn stream_mut<'a>(p: *mut c_void) -> Option<&'a mut Stream> {
    // SAFETY: caller contract.
    unsafe { (p as *mut Stream).as_mut() }
}

/// Frees a pointer made by [`Stream::into_raw`] (NULL is fine).
///
/// # Safety
/// `p` is NULL or came from [`Stream::into_raw`] and was not freed yet.
pub unsafe fn free(p: *mut c_void) {
    if !p.is_null() {
        // SAFETY: caller contract.
        drop(unsafe { Box::from_raw(p as *mut Stream) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rc4_known_answer_and_skip() {
        // Key 0x0102...10: the key stream at offset 0 is RFC 6229's (9a c7 cc 9a ...); at offset
        // 1536 as computed by OpenSSL's RC4 (python3-cryptography).
        let key: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
        let mut c = Rc4::<U16>::new((&key).into());
        let mut z = [0u8; 4];
        c.apply_keystream(&mut z);
        assert_eq!(z, [0x9a, 0xc7, 0xcc, 0x9a]);
        let mut s = Stream::new(&key);
        let mut b = [0u8; 16];
        s.apply(&mut b);
        assert_eq!(
            b,
            [
                0xff, 0xa0, 0xb5, 0x14, 0x64, 0x7e, 0xc0, 0x4f, 0x63, 0x06, 0xb8, 0x92, 0xae, 0x66,
                0x11, 0x81
            ]
        );
    }
}
