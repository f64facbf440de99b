//! RC4 for RTMPE: one key stream per direction, kept behind the `Link.rc4keyIn` /
//! `Link.rc4keyOut` pointers of the `RTMP` struct (library-owned; consumers only test them for
//! NULL).

use std::os::raw::c_void;

use rc4::consts::U16;
use rc4::{Rc4, StreamCipher};

/// One direction's RC4 state.
pub struct Stream(Rc4<U16>);

impl Stream {
    /// Wraps a ready key stream (the handshake advanced it past its first 1536 bytes).
    pub fn new(cipher: Rc4<U16>) -> Stream {
        Stream(cipher)
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
    fn rc4_known_answer() {
        use rc4::KeyInit;
        // Key 0x0102...10: RFC 6229's key stream at offset 0 (9a c7 cc 9a ...).
        let key: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
        let mut s = Stream::new(Rc4::<U16>::new((&key).into()));
        let mut b = [0u8; 4];
        s.apply(&mut b);
        assert_eq!(b, [0x9a, 0xc7, 0xcc, 0x9a]);
    }
}
