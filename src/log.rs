//! The Rust side of librtmp's logger.
//!
//! Every message the library emits goes through the C `RTMP_Log` (csrc/shim.c), so the level
//! filter, the user's callback and the default sink behave exactly as for C callers. Messages
//! are only formatted when their level passes the filter.

use std::ffi::CString;
use std::os::raw::{c_char, c_int};

pub const CRIT: c_int = 0;
pub const ERROR: c_int = 1;
pub const WARNING: c_int = 2;
pub const INFO: c_int = 3;
pub const DEBUG: c_int = 4;
pub const DEBUG2: c_int = 5;
pub const ALL: c_int = 6;

extern "C" {
    /// The exported level; consumers write it directly through a copy relocation, so it is
    /// read on every use and never cached.
    static mut RTMP_debuglevel: c_int;
    fn RTMP_Log(level: c_int, format: *const c_char, ...);
}

/// Current value of `RTMP_debuglevel`.
pub fn level() -> c_int {
    // SAFETY: a plain int global defined in the C shim; a racy read of an int is what every
    // C consumer does too.
    unsafe { std::ptr::addr_of!(RTMP_debuglevel).read_volatile() }
}

/// Sets `RTMP_debuglevel`.
pub fn set_level(lvl: c_int) {
    // SAFETY: see `level`.
    unsafe { std::ptr::addr_of_mut!(RTMP_debuglevel).write_volatile(lvl) }
}

/// Whether a message at `lvl` would pass the filter (compared as unsigned, like the C side).
pub fn enabled(lvl: c_int) -> bool {
    (lvl as u32) <= (level() as u32)
}

/// Sends one already formatted message through `RTMP_Log(level, "%s", text)`.
pub fn emit(lvl: c_int, text: &str) {
    if !enabled(lvl) {
        return;
    }
    let owned;
    let c = match CString::new(text) {
        Ok(c) => c,
        Err(_) => {
            owned = text.replace('\0', "\\0");
            CString::new(owned).unwrap_or_default()
        }
    };
    // SAFETY: "%s" consumes exactly one `const char *`, which `c` provides, NUL-terminated.
    unsafe { RTMP_Log(lvl, c"%s".as_ptr(), c.as_ptr()) }
}

/// `rtmp_log!(level, "format", args...)`: formats only when the level passes the filter.
#[macro_export]
macro_rules! rtmp_log {
    ($lvl:expr, $($arg:tt)+) => {{
        let lvl = $lvl;
        if $crate::log::enabled(lvl) {
            $crate::log::emit(lvl, &::std::format!($($arg)+));
        }
    }};
}

/// `RTMP_LogHex` text: 16 bytes a line, lowercase hex separated by spaces; a full line has no
/// trailing space, the last partial line keeps one (as librtmp prints it).
pub fn hex_lines(data: &[u8]) -> impl Iterator<Item = String> + '_ {
    data.chunks(16).map(|line| {
        let mut s = String::with_capacity(48);
        for b in line {
            push_hex(&mut s, *b);
            s.push(' ');
        }
        if line.len() == 16 {
            s.pop();
        }
        s
    })
}

/// `RTMP_LogHexString` text: offset, hex columns with a gap after 8 bytes, ASCII from column 60,
/// every line padded to 78 characters. No data gives one empty line.
pub fn hex_dump_lines(data: &[u8]) -> Vec<String> {
    const WIDTH: usize = 78;
    const ASCII_COL: usize = 60;
    if data.is_empty() {
        return vec![String::new()];
    }
    data.chunks(16)
        .enumerate()
        .map(|(n, line)| {
            let offset = (n * 16) % 0xFFFF;
            let mut s = format!("  {offset:04x}:  ");
            for (i, b) in line.iter().enumerate() {
                push_hex(&mut s, *b);
                s.push(' ');
                if i == 7 {
                    s.push(' ');
                }
            }
            while s.len() < ASCII_COL {
                s.push(' ');
            }
            for b in line {
                s.push(if (0x20..0x7f).contains(b) {
                    *b as char
                } else {
                    '.'
                });
            }
            while s.len() < WIDTH {
                s.push(' ');
            }
            s
        })
        .collect()
}

fn push_hex(s: &mut String, b: u8) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    s.push(DIGITS[(b >> 4) as usize] as char);
    s.push(DIGITS[(b & 15) as usize] as char);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_lines_keep_trailing_space() {
        let data: Vec<u8> = (0..19u8)
            .map(|i| i.wrapping_mul(7).wrapping_add(0x20))
            .collect();
        let lines: Vec<String> = hex_lines(&data).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1], "90 97 9e ");
        assert!(lines[0].ends_with(" 89"));
    }

    #[test]
    fn hex_dump_matches_reference_sample() {
        let data: Vec<u8> = (0..16u8)
            .map(|i| i.wrapping_mul(7).wrapping_add(0x20))
            .collect();
        let lines = hex_dump_lines(&data);
        assert_eq!(
            lines[0],
            "  0000:  20 27 2e 35 3c 43 4a 51  58 5f 66 6d 74 7b 82 89    '.5<CJQX_fmt{..  "
        );
        assert_eq!(lines[0].len(), 78);
        assert_eq!(hex_dump_lines(&[]), vec![String::new()]);
    }
}
