//! Decoding the escapes of a JSON string.

use memchr::memchr;

use super::Parser;
use crate::bindings::convert::ConvertError;
use crate::json_escape::{hex4, join_surrogates, simple_escape};

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
            let decoded = match (escape, simple_escape(escape)) {
                (_, Some(character)) => character,
                (b'u', None) => {
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
                match low.and_then(|low| join_surrogates(unit, low)) {
                    Some(character) => Ok((character, next + 6)),
                    None => Ok(('\u{FFFD}', next)),
                }
            }
            0xDC00..=0xDFFF => Ok(('\u{FFFD}', next)),
            _ => Ok((char::from_u32(unit).unwrap_or('\u{FFFD}'), next)),
        }
    }
}
