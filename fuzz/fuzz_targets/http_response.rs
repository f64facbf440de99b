//! Arbitrary bytes as an HTTP server's response (what `HTTP_get` and SWF verification read),
//! delivered in pieces whose sizes come from the input: the head parser, the 64 KB head limit,
//! Content-Length handling and body streaming must never panic, and every body byte handed on
//! must come from the input, in order, after the head.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use rtmp::io::http::read_response;

/// Reads `data` in pieces of 1 to 255 bytes, the sizes taken from `sizes` in turn.
struct Pieces<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    turn: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = self
            .sizes
            .get(self.turn % self.sizes.len().max(1))
            .map_or(4096, |&s| usize::from(s.max(1)));
        self.turn += 1;
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|input: &[u8]| {
    // First byte: how many of the next bytes are piece sizes.
    let Some((&k, rest)) = input.split_first() else {
        return;
    };
    let k = usize::from(k % 16).min(rest.len());
    let (sizes, data) = rest.split_at(k);
    let mut body = Vec::new();
    let out = read_response(
        &mut Pieces {
            data,
            sizes,
            turn: 0,
        },
        |b| body.extend_from_slice(b),
    );
    // Status -1 is also what a response without a usable head gives (result LOST_CONNECTION,
    // nothing delivered); any other status, or any body, means a head was parsed, and the body
    // is then the input's tail after it.
    if out.status == -1 && body.is_empty() {
        return;
    }
    let head_end = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response without the end of its head");
    assert!(data[head_end + 4..].starts_with(&body));
});
