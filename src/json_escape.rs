//! The pieces of JSON string escapes that every decoder here shares: the
//! one-letter escapes, `\uXXXX` digits and surrogate pairs. What to do with
//! a lone surrogate is left to each caller (the MCP reader refuses it, as
//! serde_json does; the Rhai conversion writes U+FFFD, as Go does).

/// The character of a one-letter escape (`n` for `\n`), or `None` for `u`
/// and for letters JSON does not allow.
pub fn simple_escape(letter: u8) -> Option<char> {
    let character = match letter {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    };
    Some(character)
}

/// The value of the four hex digits at the start of `bytes`.
pub fn hex4(bytes: &[u8]) -> Option<u32> {
    let digits = bytes.get(..4)?;
    digits.iter().try_fold(0, |value, &digit| Some(value * 16 + char::from(digit).to_digit(16)?))
}

/// The character of a high and a low surrogate joined.
pub fn join_surrogates(high: u32, low: u32) -> Option<char> {
    if !(0xD800..=0xDBFF).contains(&high) || !(0xDC00..=0xDFFF).contains(&low) {
        return None;
    }
    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_decode_as_json_says() {
        assert_eq!(simple_escape(b'n'), Some('\n'));
        assert_eq!(simple_escape(b'u'), None);
        assert_eq!(simple_escape(b'x'), None);
        assert_eq!(hex4(b"00e9rest"), Some(0xe9));
        assert_eq!(hex4(b"00g9"), None);
        assert_eq!(hex4(b"00e"), None);
        assert_eq!(join_surrogates(0xD83D, 0xDE00), Some('😀'));
        assert_eq!(join_surrogates(0xD83D, 0x0041), None);
    }
}
