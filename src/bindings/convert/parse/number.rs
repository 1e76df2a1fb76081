//! JSON numbers: integers as `i64` where they fit, otherwise `f64`.

use rhai::Dynamic;

use super::Parser;
use crate::bindings::convert::ConvertError;

impl Parser<'_> {
    pub(super) fn number(&mut self) -> Result<Dynamic, ConvertError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }

        let mut magnitude: u64 = 0;
        let mut overflow = false;
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while let Some(digit @ b'0'..=b'9') = self.peek() {
                    let next = magnitude
                        .checked_mul(10)
                        .and_then(|value| value.checked_add(u64::from(digit - b'0')));
                    match next {
                        Some(value) => magnitude = value,
                        None => overflow = true,
                    }
                    self.pos += 1;
                }
            }
            _ => return Err(self.error("invalid number")),
        }

        let mut fractional = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.digits()?;
            fractional = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.digits()?;
            fractional = true;
        }

        if !fractional && !overflow {
            if !negative && magnitude <= i64::MAX as u64 {
                return Ok(Dynamic::from_int(magnitude as i64));
            }
            // -0 stays a float, as in serde_json
            if negative && magnitude != 0 && magnitude <= i64::MAX as u64 + 1 {
                return Ok(Dynamic::from_int((magnitude as i64).wrapping_neg()));
            }
        }
        self.float(start)
    }

    fn digits(&mut self) -> Result<(), ConvertError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.error("invalid number"));
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        Ok(())
    }

    fn float(&mut self, start: usize) -> Result<Dynamic, ConvertError> {
        match self.text[start..self.pos].parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Dynamic::from_float(value)),
            _ => {
                self.pos = start;
                Err(self.error("number out of range"))
            }
        }
    }
}
