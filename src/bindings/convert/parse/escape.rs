//! Decoding the escapes of a JSON string.

use memchr::memchr;

use super::Parser;
use crate::bindings::convert::ConvertError;

impl Parser<'_> {
    /// Decodes the escapes of `text[start..end]` into `scratch`.
    pub(super) fn unescape(&mut self, start: usize, end: usize) -> Result<(), ConvertError> {
        self.scratch.clear();
        let mut cursor = start;

        while cursor < end {
            let run = memchr(b'\\', &self.bytes[cursor..end]).map_or(end, |offset| cursor + offset);
            self.scratch.push_str(&self.text[cursor..run]);
            if run == end {
                break;
            }

            let escape = self.bytes[run + 1];
            cursor = run + 2;
            let decoded = match escape {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let (character, next) = self.unicode_escape(cursor, end)?;
                    cursor = next;
                    character
                }
                _ => {
                    self.pos = run;
                    return Err(self.error("invalid escape in a string"));
                }
            };
            self.scratch.push(decoded);
        }
        Ok(())
    }

    /// `XXXX` after `\u` at `at`, joining a surrogate pair when one follows.
    /// A lone surrogate decodes to U+FFFD, as Go's encoding/json does.
    fn unicode_escape(&mut self, at: usize, end: usize) -> Result<(char, usize), ConvertError> {
        let Some(unit) = hex4(&self.bytes[at..end]) else {
            self.pos = at;
            return Err(self.error("invalid unicode escape in a string"));
        };
        let next = at + 4;

        match unit {
            0xD800..=0xDBFF => {
                let rest = &self.bytes[next..end];
                let low = match rest {
                    [b'\\', b'u', tail @ ..] => hex4(tail),
                    _ => None,
                };
                match low {
                    Some(low @ 0xDC00..=0xDFFF) => {
                        let scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        Ok((char::from_u32(scalar).unwrap_or('\u{FFFD}'), next + 6))
                    }
                    _ => Ok(('\u{FFFD}', next)),
                }
            }
            0xDC00..=0xDFFF => Ok(('\u{FFFD}', next)),
            _ => Ok((char::from_u32(unit).unwrap_or('\u{FFFD}'), next)),
        }
    }
}

fn hex4(bytes: &[u8]) -> Option<u32> {
    let digits = bytes.get(..4)?;
    let mut value = 0;
    for &digit in digits {
        value = value * 16 + char::from(digit).to_digit(16)?;
    }
    Some(value)
}
