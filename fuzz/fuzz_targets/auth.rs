//! Arbitrary `_error` descriptions and application names through the publisher-authentication
//! decision (the parser of the server's challenge): input = description, 0x00, app, 0x00, user,
//! 0x00, password. Checks that the decision never panics and that a token starts as the
//! protocol says.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtmp_core::auth::{respond, Auth, Request};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |&c| c == 0);
    let description = parts.next().unwrap_or_default();
    let app = parts.next().unwrap_or_default();
    let user = parts.next().unwrap_or_default();
    let password = parts.next().unwrap_or_default();
    let req = Request {
        description,
        app,
        user,
        password,
    };
    let mut n = data.len() as i32;
    if let Auth::Token(t) = respond(&req, &mut || {
        n = n.wrapping_mul(1_103_515_245).wrapping_add(12345);
        n & 0x7fff_ffff
    }) {
        assert!(
            t.starts_with(b"?authmod=")
                || t.starts_with(b"&challenge=")
                || t.starts_with(b"&nonce=")
        );
    }
});
