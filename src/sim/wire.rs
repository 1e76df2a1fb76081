//! Bytes as an Ergo node puts them on the wire: compact JSON with Go's
//! escaping (`<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026`) and request ids
//! decoded as float64, the way Go's `encoding/json` does.

use serde_json::Value;

/// Appends `text` as a JSON string literal, escaped as Go escapes it.
///
/// Runs of plain bytes are copied at once: a `process_list` text on a
/// scale-mode node is tens of megabytes.
pub fn push_string(out: &mut Vec<u8>, text: &str) {
    out.reserve(text.len() + text.len() / 8 + 2);
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let escape: Option<&[u8]> = match byte {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            b'<' => Some(b"\\u003c"),
            b'>' => Some(b"\\u003e"),
            b'&' => Some(b"\\u0026"),
            _ => None,
        };
        if let Some(escape) = escape {
            out.extend_from_slice(&bytes[start..index]);
            out.extend_from_slice(escape);
            index += 1;
            start = index;
        } else if byte < 0x20 {
            out.extend_from_slice(&bytes[start..index]);
            out.extend_from_slice(format!("\\u{byte:04x}").as_bytes());
            index += 1;
            start = index;
        } else if byte == 0xE2 && is_line_separator(&bytes[index..]) {
            // U+2028 and U+2029 are escaped too, as Go does for JavaScript.
            out.extend_from_slice(&bytes[start..index]);
            let last = if bytes[index + 2] == 0xA8 { b'8' } else { b'9' };
            out.extend_from_slice(b"\\u202");
            out.push(last);
            index += 3;
            start = index;
        } else {
            index += 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn is_line_separator(bytes: &[u8]) -> bool {
    bytes.len() >= 3 && bytes[1] == 0x80 && (bytes[2] == 0xA8 || bytes[2] == 0xA9)
}

/// Appends `value` as compact JSON with Go's escaping and float format.
pub fn push_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(flag) => out.extend_from_slice(if *flag { b"true" } else { b"false" }),
        Value::Number(number) => {
            if number.is_i64() || number.is_u64() {
                out.extend_from_slice(number.to_string().as_bytes());
            } else {
                out.extend_from_slice(go_float(number.as_f64().unwrap_or(0.0)).as_bytes());
            }
        }
        Value::String(text) => push_string(out, text),
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                push_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                push_string(out, key);
                out.push(b':');
                push_value(out, item);
            }
            out.push(b'}');
        }
    }
}

/// `value` as Go's `json.MarshalIndent(value, "", "  ")` writes it.
pub fn pretty(value: &Value) -> String {
    let mut out = Vec::with_capacity(256);
    push_pretty(&mut out, value, 0);
    String::from_utf8(out).unwrap_or_default()
}

fn push_pretty(out: &mut Vec<u8>, value: &Value, depth: usize) {
    match value {
        Value::Array(items) if !items.is_empty() => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                newline(out, depth + 1);
                push_pretty(out, item, depth + 1);
            }
            newline(out, depth);
            out.push(b']');
        }
        Value::Object(map) if !map.is_empty() => {
            out.push(b'{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                newline(out, depth + 1);
                push_string(out, key);
                out.extend_from_slice(b": ");
                push_pretty(out, item, depth + 1);
            }
            newline(out, depth);
            out.push(b'}');
        }
        other => push_value(out, other),
    }
}

fn newline(out: &mut Vec<u8>, depth: usize) {
    out.push(b'\n');
    for _ in 0..depth {
        out.extend_from_slice(b"  ");
    }
}

/// `value` as compact Go-style JSON.
pub fn compact(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    push_value(&mut out, value);
    out
}

/// The id as the node echoes it: numbers pass through float64, so
/// `12345678901234567890` comes back as `12345678901234567000`.
pub fn encode_id(id: Option<&Value>) -> Vec<u8> {
    match id {
        None => b"null".to_vec(),
        Some(Value::Number(number)) => go_float(number.as_f64().unwrap_or(0.0)).into_bytes(),
        Some(other) => compact(other),
    }
}

/// Go's float64 text: shortest decimal between 1e-6 and 1e21, otherwise
/// an exponent (`1e-7`, `1e+21`).
pub fn go_float(float: f64) -> String {
    let magnitude = float.abs();
    if magnitude == 0.0 || (1e-6..1e21).contains(&magnitude) {
        return format!("{float}");
    }
    let text = format!("{float:e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) if exponent.starts_with('-') => {
            format!("{mantissa}e{exponent}")
        }
        Some((mantissa, exponent)) => format!("{mantissa}e+{exponent}"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{compact, encode_id, push_string};

    #[test]
    fn html_characters_and_line_separators_are_escaped() {
        let mut out = Vec::new();
        push_string(&mut out, "<a.0.1> & \"q\"\n\u{2028}é");
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "\"\\u003ca.0.1\\u003e \\u0026 \\\"q\\\"\\n\\u2028é\"");
    }

    #[test]
    fn ids_go_through_float64() {
        let big: serde_json::Value = serde_json::from_str("12345678901234567890").unwrap();
        assert_eq!(encode_id(Some(&big)), b"12345678901234567000");
        assert_eq!(encode_id(Some(&json!(0))), b"0");
        assert_eq!(encode_id(Some(&json!(1.5))), b"1.5");
        assert_eq!(encode_id(Some(&json!("req"))), b"\"req\"");
        assert_eq!(encode_id(None), b"null");
    }

    #[test]
    fn pretty_indents_two_spaces_and_keeps_empty_containers_short() {
        let text = super::pretty(&json!({"PID": "<a>", "Aliases": [], "Env": {}, "n": [1]}));
        assert_eq!(
            text,
            "{\n  \"PID\": \"\\u003ca\\u003e\",\n  \"Aliases\": [],\n  \"Env\": {},\n  \"n\": [\n    1\n  ]\n}"
        );
    }

    #[test]
    fn compact_keeps_key_order() {
        let text = compact(&json!({"b": 1, "a": [true, null]}));
        assert_eq!(text, br#"{"b":1,"a":[true,null]}"#);
    }
}
