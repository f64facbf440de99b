//! Diagnostics as values: the core never logs by itself. Each message is a level and a text
//! handed to the [`Reporter`] the embedding crate installs (librtmp-rs installs one that calls
//! `RTMP_Log`, so the C log filter and callback apply unchanged). With no reporter installed
//! (unit tests, fuzzing) messages are dropped and nothing is formatted.
//!
//! The levels are librtmp's `RTMP_LogLevel` values.

use std::sync::OnceLock;

pub type Level = i32;

pub const CRIT: Level = 0;
pub const ERROR: Level = 1;
pub const WARNING: Level = 2;
pub const INFO: Level = 3;
pub const DEBUG: Level = 4;
pub const DEBUG2: Level = 5;
pub const ALL: Level = 6;

/// Where diagnostics go.
pub trait Reporter: Sync {
    /// Whether a message at `level` would be kept (checked before anything is formatted).
    fn enabled(&self, level: Level) -> bool;
    /// One message that passed [`Reporter::enabled`]; the bytes need not be UTF-8.
    fn report(&self, level: Level, text: &[u8]);
}

static REPORTER: OnceLock<&'static dyn Reporter> = OnceLock::new();

/// Installs the process's reporter; the first one installed stays.
pub fn install(r: &'static dyn Reporter) {
    let _ = REPORTER.set(r);
}

/// Whether a message at `level` would be reported.
#[inline]
pub fn enabled(level: Level) -> bool {
    REPORTER.get().is_some_and(|r| r.enabled(level))
}

/// Reports one message (checked against the level again). While a [`Capture`] is active on
/// this thread the message is kept in it instead.
pub fn report(level: Level, text: &[u8]) {
    if let Some(r) = REPORTER.get() {
        if r.enabled(level) {
            let kept = CAPTURED.with(|c| match c.borrow_mut().as_mut() {
                Some(v) => {
                    v.push((level, text.to_vec()));
                    true
                }
                None => false,
            });
            if !kept {
                r.report(level, text);
            }
        }
    }
}

/// A message kept by a [`Capture`].
pub type Captured = (Level, Vec<u8>);

thread_local! {
    static CAPTURED: std::cell::RefCell<Option<Vec<Captured>>> =
        const { std::cell::RefCell::new(None) };
}

/// While alive, this thread's diagnostics are kept (in order) instead of reported, so a caller
/// that returns effects as values can put them in sequence with its other effects. Ends (and
/// drops what was not taken) when dropped; captures do not nest (a new one ends the previous).
pub struct Capture(());

impl Capture {
    pub fn start() -> Capture {
        CAPTURED.with(|c| *c.borrow_mut() = Some(Vec::new()));
        Capture(())
    }

    /// The messages kept since the start or the last `take`.
    pub fn take(&self) -> Vec<Captured> {
        CAPTURED.with(|c| {
            c.borrow_mut()
                .as_mut()
                .map(std::mem::take)
                .unwrap_or_default()
        })
    }

    /// Whether a message was kept since the last `take`.
    pub fn any(&self) -> bool {
        CAPTURED.with(|c| c.borrow().as_ref().is_some_and(|v| !v.is_empty()))
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURED.with(|c| *c.borrow_mut() = None);
    }
}

/// `diag!(level, "format", args...)`: formats only when the level is enabled.
#[macro_export]
macro_rules! diag {
    ($lvl:expr, $($arg:tt)+) => {{
        let lvl = $lvl;
        if $crate::diag::enabled(lvl) {
            $crate::diag::report(lvl, ::std::format!($($arg)+).as_bytes());
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
