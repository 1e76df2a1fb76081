//! Decoding one JSON string, fast: the text of a tool answer can be
//! 50 MB of escaped JSON (`\n`, `\"` every few bytes).
//!
//! Eight bytes are looked at a time for a backslash, a quote or a control
//! character. A long string is decoded in two parts on two threads, cut
//! just before an escape past the middle of what is left of the input;
//! the second part is trusted only once the first reaches the cut without
//! meeting the closing quote. The strings accepted, and what they decode
//! to, are exactly serde_json's for a Rust `String`: an invalid string
//! (a bad escape, a lone UTF-16 surrogate, a raw control character,
//! invalid UTF-8) is `None`, never a panic.

use std::num::NonZeroUsize;
use std::thread;

use memchr::memchr;

use crate::json_escape::{hex4, join_surrogates, simple_escape};

/// Below this, one thread is faster than starting another.
const PARALLEL_BYTES: usize = 1 << 20;

/// How far past the middle to look for an escape to cut before.
const CUT_WINDOW: usize = 1 << 16;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The string a JSON string literal (quotes included) stands for.
pub(super) fn string_literal(literal: &str) -> Option<String> {
    decode_literal(literal, parallel_from())
}

/// The string whose opening quote is at `open` in `bytes`, and the offset
/// just past its closing quote.
pub(super) fn string_at(bytes: &[u8], open: usize) -> Option<(String, usize)> {
    decode_string_at(bytes, open, parallel_from())
}

/// The length from which a string is decoded on two threads. Asking for
/// the core count reads cgroup files, so it is asked once per process.
fn parallel_from() -> usize {
    static FROM: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *FROM.get_or_init(|| {
        let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        if cores >= 2 {
            PARALLEL_BYTES
        } else {
            usize::MAX
        }
    })
}

/// [`string_literal`], on two threads for `parallel_from` bytes and more.
fn decode_literal(literal: &str, parallel_from: usize) -> Option<String> {
    let inner = literal.strip_prefix('"')?.strip_suffix('"')?;
    match decode_string(inner.as_bytes(), parallel_from)? {
        (text, None) => Some(text),
        (_, Some(_)) => None,
    }
}

/// [`string_at`], on two threads for `parallel_from` bytes and more.
fn decode_string_at(bytes: &[u8], open: usize, parallel_from: usize) -> Option<(String, usize)> {
    if bytes.get(open) != Some(&b'"') {
        return None;
    }
    let contents = open + 1;
    match decode_string(&bytes[contents..], parallel_from)? {
        (text, Some(quote)) => Some((text, contents + quote + 1)),
        (_, None) => None,
    }
}

/// Decodes string contents up to the first raw quote: the text, and the
/// quote's offset (`None` when the input ends first).
fn decode_string(input: &[u8], parallel_from: usize) -> Option<(String, Option<usize>)> {
    // Every escape is at least as long as what it decodes to.
    let mut output = vec![0u8; input.len()];

    let cut = if input.len() >= parallel_from { cut_point(input) } else { None };
    let (written, quote) = match cut {
        Some(cut) => decode_in_two(input, &mut output, cut)?,
        None => decode(input, &mut output)?,
    };
    output.truncate(written);
    // gives back the pages the second part was written to before the move
    output.shrink_to_fit();
    let text = String::from_utf8(output).ok()?;
    Some((text, quote))
}

/// Decodes `input[..cut]` here and `input[cut..]` on another thread, each
/// into the same range of `output`, then closes the gap between them. When
/// the first part meets the closing quote, the second is not used.
fn decode_in_two(input: &[u8], output: &mut [u8], cut: usize) -> Option<(usize, Option<usize>)> {
    let (head_in, tail_in) = input.split_at(cut);
    let (head_out, tail_out) = output.split_at_mut(cut);

    let parts = thread::scope(|scope| {
        let worker = thread::Builder::new()
            .name("ergosh-unescape".to_string())
            .spawn_scoped(scope, || decode(tail_in, tail_out))
            .ok()?;
        let head = decode(head_in, head_out);
        Some((head, worker.join().ok().flatten()))
    });

    let Some((head, tail)) = parts else {
        // no thread to be had: one does it all
        return decode(input, output);
    };
    let (head, head_quote) = head?;
    if head_quote.is_some() {
        return Some((head, head_quote));
    }
    let (tail, tail_quote) = tail?;
    output.copy_within(cut..cut + tail, head);
    Some((head + tail, tail_quote.map(|quote| cut + quote)))
}

/// Where a literal's contents can be cut in two: at a backslash past the
/// middle that starts an escape other than `\u` (so a surrogate pair
/// stays whole). `None` when the window past the middle has none.
fn cut_point(input: &[u8]) -> Option<usize> {
    let middle = input.len() / 2;
    let end = input.len().min(middle + CUT_WINDOW);
    let mut from = middle;

    while from < end {
        let at = from + memchr(b'\\', &input[from..end])?;
        let run = input[at..].iter().take_while(|&&byte| byte == b'\\').count();
        // backslashes pair off from the start of their run
        let before = input[..at].iter().rev().take_while(|&&byte| byte == b'\\').count();
        let start = at + before % 2;
        let letter = input.get(start + 1).copied();
        if start < at + run && letter.is_some_and(|letter| letter != b'u') {
            return Some(start);
        }
        from = at + run;
    }
    None
}

/// Decodes string contents into `output` (at least as long) up to the
/// first raw quote: the bytes written and the quote's offset, or `None`
/// if the contents are invalid.
fn decode(input: &[u8], output: &mut [u8]) -> Option<(usize, Option<usize>)> {
    let mut read = 0;
    let mut written = 0;

    loop {
        let run = plain_run(&input[read..]);
        output.get_mut(written..written + run)?.copy_from_slice(&input[read..read + run]);
        read += run;
        written += run;

        match input.get(read) {
            None => return Some((written, None)),
            Some(b'"') => return Some((written, Some(read))),
            Some(b'\\') => {}
            // a raw control character
            Some(_) => return None,
        }
        let (character, next) = escape(input, read + 1)?;
        let length = character.len_utf8();
        let slot = output.get_mut(written..written + length)?;
        character.encode_utf8(slot);
        read = next;
        written += length;
    }
}

/// The length of the run at the start of `input` without a backslash, a
/// quote or a control character.
fn plain_run(input: &[u8]) -> usize {
    let mut length = 0;
    while let Some(chunk) = input.get(length..length + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let special = special_bytes(u64::from_le_bytes(word));
        if special != 0 {
            return length + (special.trailing_zeros() / 8) as usize;
        }
        length += 8;
    }
    length + input[length..].iter().take_while(|&&byte| !is_special(byte)).count()
}

/// The high bit set in each byte of `word` that needs attention, exact for
/// the lowest such byte (higher ones may be flagged spuriously).
fn special_bytes(word: u64) -> u64 {
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let backslash = zero_bytes(word ^ (ONES * u64::from(b'\\')));
    let quote = zero_bytes(word ^ (ONES * u64::from(b'"')));
    (below_space | backslash | quote) & HIGHS
}

fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

fn is_special(byte: u8) -> bool {
    byte < 0x20 || byte == b'\\' || byte == b'"'
}

/// The character of the escape whose letter is at `at` (just after the
/// backslash), and where the input goes on after it.
fn escape(input: &[u8], at: usize) -> Option<(char, usize)> {
    let letter = *input.get(at)?;
    if letter == b'u' {
        return unicode(input, at + 1);
    }
    Some((simple_escape(letter)?, at + 1))
}

/// `XXXX` at `at`, after `\u`: a character, or a surrogate pair joined.
/// A surrogate without its partner is refused, as serde_json does.
fn unicode(input: &[u8], at: usize) -> Option<(char, usize)> {
    let unit = hex4(input.get(at..)?)?;
    let next = at + 4;
    match unit {
        0xD800..=0xDBFF => {
            let low = match input.get(next..)? {
                [b'\\', b'u', rest @ ..] => hex4(rest)?,
                _ => return None,
            };
            Some((join_surrogates(unit, low)?, next + 6))
        }
        0xDC00..=0xDFFF => None,
        _ => Some((char::from_u32(unit)?, next)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn serde(literal: &str) -> Option<String> {
        serde_json::from_str::<String>(literal).ok()
    }

    /// serde_json's reading of the string opening at `open`, and its end.
    fn serde_at(bytes: &[u8], open: usize) -> Option<(String, usize)> {
        let mut stream = serde_json::Deserializer::from_slice(&bytes[open..]).into_iter::<String>();
        let text = stream.next()?.ok()?;
        Some((text, open + stream.byte_offset()))
    }

    #[test]
    fn escapes_decode_as_serde_json_decodes_them() {
        let cases = [
            r#""""#,
            r#""plain text, long enough for whole words""#,
            r#""a\"b\\c\/d\be\ff\ng\rh\ti""#,
            r#""\u003c9F35C982.0.1012\u003e \u00e9 \u20AC \uD83D\uDE00""#,
            r#""\u0000 and é and 😀 raw""#,
        ];
        for literal in cases {
            assert_eq!(decode_literal(literal, usize::MAX), serde(literal), "{literal}");
            assert!(serde(literal).is_some(), "{literal}");
        }
    }

    #[test]
    fn invalid_literals_are_refused() {
        let cases = [
            r#""\x""#,
            r#""\u12""#,
            r#""\u12G4""#,
            r#""\uD83D""#,
            r#""\uD83D\n""#,
            r#""\uD83D\u0041""#,
            r#""\uDE00""#,
            "\"tab\there\"",
            r#""a"b""#,
            r#""\""#,
            r#""no end"#,
            "",
        ];
        for literal in cases {
            assert_eq!(decode_literal(literal, usize::MAX), None, "{literal}");
            assert_eq!(serde(literal), None, "{literal}");
        }
    }

    #[test]
    fn a_long_literal_decodes_the_same_in_two_parts() {
        let row = r#"{\n  \"PID\": \"\\u003c9F35C982.0.1012\\u003e\",\n  \"Name\": \"é\"\n},"#;
        let literal = format!("\"[{}]\"", row.repeat(2000));
        let input = &literal.as_bytes()[1..literal.len() - 1];
        assert!(cut_point(input).is_some());
        assert_eq!(decode_literal(&literal, 1), serde(&literal));
        assert!(serde(&literal).is_some());
    }

    #[test]
    fn a_string_in_a_document_ends_at_its_closing_quote() {
        let document = br#"{"text":"a\"b\\","x":1}"#;
        assert_eq!(decode_string_at(document, 8, usize::MAX), Some(("a\"b\\".to_string(), 16)));
        assert_eq!(decode_string_at(document, 8, usize::MAX), serde_at(document, 8));
        assert_eq!(decode_string_at(document, 0, usize::MAX), None);
        assert_eq!(decode_string_at(br#""no end"#, 0, 1), None);
    }

    #[test]
    fn a_long_string_that_ends_before_the_cut_is_read_by_the_first_part() {
        let document = format!(r#""short\n", "{}""#, r"x\n".repeat(1000));
        let ours = decode_string_at(document.as_bytes(), 0, 1);
        assert_eq!(ours, Some(("short\n".to_string(), 9)));
    }

    #[test]
    fn cuts_fall_before_an_escape_other_than_unicode() {
        let input = br#"aaaa\\\\\uD83D\uDE00\\\"b"#;
        let cut = cut_point(input).expect("an escape past the middle");
        assert_eq!(&input[cut..], br#"\\\"b"#);
        assert_eq!(cut_point(br"aaaaaaaa\u0041"), None);
    }

    /// Characters that make literals interesting: escapes and their
    /// pieces, quotes, control characters, multi-byte characters.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\\".to_string()),
            Just("\"".to_string()),
            Just("u".to_string()),
            Just("\\u".to_string()),
            Just("\\n".to_string()),
            Just("\\\\".to_string()),
            Just("\\\"".to_string()),
            Just("\\uD83D".to_string()),
            Just("\\uDE00".to_string()),
            Just("\\u00e9".to_string()),
            Just("\n".to_string()),
            "[0-9a-fA-FxX]{1,4}",
            "[ -~]{1,12}",
            any::<char>().prop_map(String::from),
        ]
    }

    proptest! {
        #[test]
        fn any_literal_decodes_as_serde_json_decodes_it(
            pieces in proptest::collection::vec(piece(), 0..40),
            parallel_from in 0usize..64,
        ) {
            let literal = format!("\"{}\"", pieces.concat());
            prop_assert_eq!(decode_literal(&literal, parallel_from), serde(&literal));
        }

        #[test]
        fn any_string_in_a_document_reads_as_serde_json_reads_it(
            pieces in proptest::collection::vec(piece(), 0..40),
            tail in proptest::collection::vec(piece(), 0..40),
            parallel_from in 0usize..64,
        ) {
            let document = format!("\"{}\"{}", pieces.concat(), tail.concat());
            let bytes = document.as_bytes();
            prop_assert_eq!(decode_string_at(bytes, 0, parallel_from), serde_at(bytes, 0));
        }

        #[test]
        fn invalid_utf8_is_refused(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
            parallel_from in 0usize..64,
        ) {
            let mut document = vec![b'"'];
            document.extend_from_slice(&bytes);
            prop_assert_eq!(decode_string_at(&document, 0, parallel_from), serde_at(&document, 0));
        }

        #[test]
        fn any_string_round_trips(text in any::<String>(), parallel_from in 0usize..64) {
            let literal = serde_json::to_string(&text).expect("a string encodes");
            prop_assert_eq!(decode_literal(&literal, parallel_from), Some(text));
        }

        #[test]
        fn hostile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = decode_literal(&text, 0);
            let _ = decode_literal(&format!("\"{text}\""), 0);
            let _ = decode_string_at(&bytes, 0, 0);
            let _ = decode_string_at(&bytes, bytes.len() / 2, 1);
        }
    }
}
