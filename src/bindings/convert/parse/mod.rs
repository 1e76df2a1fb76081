//! A strict JSON parser that builds Rhai values directly.
//!
//! A `process_list(#{limit: -1})` answer is tens of megabytes, so this skips
//! the `serde_json::Value` a generic parser would build first: bytes are
//! scanned once, unescaped strings are sliced out whole (`memchr`), integers
//! accumulate into `i64`, and repeated short strings ("sleep", application
//! names, parent PIDs) share one `ImmutableString` through a small cache.

use std::collections::BTreeMap;

use memchr::memchr2;
use rhai::{Array, Dynamic, ImmutableString, Map};

use super::shape::{self, Shape};
use super::strings::StringCache;
use super::ConvertError;

mod escape;
mod number;

/// Containers nested deeper than this are refused (the parser recurses).
pub const MAX_DEPTH: usize = 512;

/// Rhai's map key type (a short-string-optimised `SmartString`), named
/// through `Map` because rhai exports it only with its `internals` feature.
pub(super) type Identifier = <Map as KeyOf>::Key;

pub(super) trait KeyOf {
    type Key;
}

impl<K, V> KeyOf for BTreeMap<K, V> {
    type Key = K;
}

/// Parses one JSON document into a Rhai value, single-threaded.
pub fn parse_sequential(text: &str) -> Result<Dynamic, ConvertError> {
    let mut parser = Parser::new(text, 0);
    parser.skip_whitespace();
    let value = parser.value()?;
    parser.expect_end()?;
    Ok(value)
}

/// Where one part of a split top-level array stopped.
pub(super) enum PartEnd {
    /// At the start of an element at the given offset: the next part
    /// (which started there) carries on.
    Handoff,
    /// At the end of the document, closing bracket and all.
    Complete,
}

pub(super) struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    strings: StringCache<'a>,
    /// Keys, raw keys and values of the objects being parsed, innermost
    /// last (keys only for objects that do not fit their level's shape).
    keys: Vec<Identifier>,
    raw_keys: Vec<&'a [u8]>,
    values: Vec<Dynamic>,
    /// The key layout last seen at each nesting level.
    shapes: Vec<Option<Shape<'a>>>,
    /// Room for strings that contain escapes.
    scratch: String,
}

impl<'a> Parser<'a> {
    pub(super) fn new(text: &'a str, pos: usize) -> Parser<'a> {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos,
            depth: 0,
            strings: StringCache::for_input(text.len() - pos.min(text.len())),
            keys: Vec::with_capacity(64),
            raw_keys: Vec::with_capacity(64),
            values: Vec::with_capacity(64),
            shapes: (0..shape::LEVELS).map(|_| None).collect(),
            scratch: String::new(),
        }
    }

    /// Parses elements of the top-level array from the current position
    /// (just after `[` for the first part, at an element for the others)
    /// until the closing bracket, or until the element starting at `stop`.
    pub(super) fn top_array_part(
        &mut self,
        first: bool,
        stop: Option<usize>,
    ) -> Result<(Array, PartEnd), ConvertError> {
        let mut items = Array::with_capacity(1024);
        self.depth = 1;
        self.skip_whitespace();
        if first && self.peek() == Some(b']') {
            self.pos += 1;
            self.expect_end()?;
            return Ok((items, PartEnd::Complete));
        }

        loop {
            if Some(self.pos) == stop {
                return Ok((items, PartEnd::Handoff));
            }
            items.push(self.value()?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_whitespace();
                }
                Some(b']') => {
                    self.pos += 1;
                    self.expect_end()?;
                    return Ok((items, PartEnd::Complete));
                }
                _ => return Err(self.error("expected `,` or `]` after an array element")),
            }
        }
    }

    /// Only whitespace may follow the document.
    pub(super) fn expect_end(&mut self) -> Result<(), ConvertError> {
        self.skip_whitespace();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(self.error("trailing characters after the JSON value"))
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub(super) fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    pub(super) fn error(&self, message: &str) -> ConvertError {
        ConvertError::syntax(self.text, self.pos, message)
    }

    /// One value at the current position (whitespace already skipped).
    fn value(&mut self) -> Result<Dynamic, ConvertError> {
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                self.pos += 1;
                self.string_value().map(Dynamic::from)
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Dynamic::TRUE),
            Some(b'f') => self.literal("false", Dynamic::FALSE),
            Some(b'n') => self.literal("null", Dynamic::UNIT),
            Some(_) => Err(self.error("expected a JSON value")),
            None => Err(self.error("unexpected end of input")),
        }
    }

    fn literal(&mut self, word: &str, value: Dynamic) -> Result<Dynamic, ConvertError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn enter(&mut self) -> Result<(), ConvertError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.pos += 1;
        self.skip_whitespace();
        Ok(())
    }

    fn array(&mut self) -> Result<Dynamic, ConvertError> {
        self.enter()?;
        let mut items = Array::new();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Dynamic::from_array(items));
        }

        loop {
            items.push(self.value()?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_whitespace();
                }
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Dynamic::from_array(items));
                }
                _ => return Err(self.error("expected `,` or `]` after an array element")),
            }
        }
    }

    fn object(&mut self) -> Result<Dynamic, ConvertError> {
        self.enter()?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Dynamic::from_map(Map::new()));
        }

        let level = self.depth - 1;
        let shape = self.shapes.get_mut(level).and_then(Option::take);
        let starts =
            Starts { key: self.keys.len(), raw: self.raw_keys.len(), value: self.values.len() };
        let mut fits = shape.is_some();
        let mut count = 0;

        loop {
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            self.pos += 1;
            let (start, end, escaped) = self.string_extent()?;
            let bytes: &'a [u8] = self.bytes;
            let raw = &bytes[start..end];

            if fits && !shape.as_ref().is_some_and(|shape| shape.matches(count, raw)) {
                // from here on keys are kept: the ones before came from the shape
                fits = false;
                if let Some(shape) = &shape {
                    self.keys.extend_from_slice(shape.keys_before(count));
                }
            }
            if !fits {
                let key = self.key(start, end, escaped)?;
                self.keys.push(key);
            }
            self.raw_keys.push(raw);
            count += 1;

            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:` after an object key"));
            }
            self.pos += 1;
            self.skip_whitespace();

            let value = self.value()?;
            self.values.push(value);

            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_whitespace();
                }
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    let map = self.finish_object(level, shape, fits, starts);
                    return Ok(Dynamic::from_map(map));
                }
                _ => return Err(self.error("expected `,` or `}` after an object member")),
            }
        }
    }

    /// Builds the map of the object whose members start at `starts`, and
    /// keeps the shape for the next object at `level`.
    fn finish_object(
        &mut self,
        level: usize,
        mut shape: Option<Shape<'a>>,
        fits: bool,
        starts: Starts,
    ) -> Map {
        let count = self.raw_keys.len() - starts.raw;
        let map = match shape.as_mut() {
            Some(fitting) if fits && fitting.len() == count => {
                fitting.build(&mut self.values[starts.value..])
            }
            _ => {
                if fits {
                    // a prefix of the shape: its keys were never kept
                    if let Some(shape) = &shape {
                        self.keys.extend_from_slice(shape.keys_before(count));
                    }
                }
                let replace = shape.as_mut().is_none_or(Shape::missed);
                if replace {
                    shape = Shape::new(&self.raw_keys[starts.raw..], &self.keys[starts.key..]);
                }
                // a repeated key keeps its last value, as serde_json does
                self.keys.drain(starts.key..).zip(self.values.drain(starts.value..)).collect()
            }
        };

        self.values.truncate(starts.value);
        self.raw_keys.truncate(starts.raw);
        if let Some(slot) = self.shapes.get_mut(level) {
            *slot = shape;
        }
        map
    }

    /// An object key at `text[start..end]`.
    fn key(&mut self, start: usize, end: usize, escaped: bool) -> Result<Identifier, ConvertError> {
        if escaped {
            self.unescape(start, end)?;
            Ok(Identifier::from(self.scratch.as_str()))
        } else {
            Ok(Identifier::from(&self.text[start..end]))
        }
    }

    /// A string value; the opening quote is consumed.
    fn string_value(&mut self) -> Result<ImmutableString, ConvertError> {
        let (start, end, escaped) = self.string_extent()?;
        let bytes: &'a [u8] = self.bytes;
        let raw = &bytes[start..end];
        let slot = self.strings.slot(raw);
        if let Some(shared) = slot.and_then(|slot| self.strings.get(slot, raw)) {
            return Ok(shared);
        }

        let value = if escaped {
            self.unescape(start, end)?;
            ImmutableString::from(self.scratch.as_str())
        } else {
            ImmutableString::from(&self.text[start..end])
        };
        if let Some(slot) = slot {
            self.strings.offer(slot, raw, &value);
        }
        Ok(value)
    }

    /// Finds the closing quote of the string starting at `pos` and moves
    /// past it: (start, end, whether it holds escapes). Control characters
    /// are refused here; escapes are checked when decoded.
    fn string_extent(&mut self) -> Result<(usize, usize, bool), ConvertError> {
        let start = self.pos;
        let mut cursor = start;
        let mut escaped = false;

        let end = loop {
            let Some(offset) = memchr2(b'"', b'\\', &self.bytes[cursor..]) else {
                self.pos = self.bytes.len();
                return Err(self.error("unterminated string"));
            };
            cursor += offset;
            if self.bytes[cursor] == b'"' {
                break cursor;
            }
            escaped = true;
            cursor += 2;
            if cursor > self.bytes.len() {
                self.pos = self.bytes.len();
                return Err(self.error("unterminated string"));
            }
        };

        if let Some(offset) = self.bytes[start..end].iter().position(|&byte| byte < 0x20) {
            self.pos = start + offset;
            return Err(self.error("control character in a string"));
        }
        self.pos = end + 1;
        Ok((start, end, escaped))
    }
}

/// Where an object's members start on the parser's stacks.
#[derive(Clone, Copy)]
struct Starts {
    key: usize,
    raw: usize,
    value: usize,
}
