//! Go-style pretty JSON: what `json.MarshalIndent(v, "", "  ")` writes,
//! including Go's HTML escaping of `<`, `>` and `&`.

use std::fmt::Write;

use serde_json::{Number, Value};

/// Pretty-prints `value` the way an Ergo node does: two-space indent, `<`,
/// `>`, `&` as `\u003c`, `\u003e`, `\u0026`, whole floats without `.0`.
pub fn pretty_go(value: &Value) -> String {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value, 0);
    out
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => write_number(out, number),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => write_array(out, items, depth),
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_string(out, key);
                out.push_str(": ");
                write_value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

fn write_array(out: &mut String, items: &[Value], depth: usize) {
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push('[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        newline(out, depth + 1);
        write_value(out, item, depth + 1);
    }
    newline(out, depth);
    out.push(']');
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write_number(out: &mut String, number: &Number) {
    if number.is_i64() || number.is_u64() {
        let _ = write!(out, "{number}");
        return;
    }
    let float = number.as_f64().unwrap_or(0.0);
    out.push_str(&go_float(float));
}

/// Go's float64 encoding: plain decimal between 1e-6 and 1e21, otherwise
/// an exponent without padding (`1e-7`, `1e+21`).
fn go_float(float: f64) -> String {
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

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (index, byte) in bytes.iter().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            b'<' => "\\u003c",
            b'>' => "\\u003e",
            b'&' => "\\u0026",
            0..=0x1f => "",
            // U+2028 and U+2029 are E2 80 A8 / E2 80 A9.
            0xA8 | 0xA9 if index >= 2 && bytes[index - 2] == 0xE2 && bytes[index - 1] == 0x80 => "",
            _ => continue,
        };
        let end = if escape.is_empty() && *byte >= 0x80 { index - 2 } else { index };
        out.push_str(&text[start..end]);
        if escape.is_empty() && *byte >= 0x80 {
            let _ = write!(out, "\\u{:04x}", 0x2000 + (*byte as u32 - 0xA8 + 0x28));
        } else if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", *byte as u32);
        } else {
            out.push_str(escape);
        }
        start = index + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::pretty_go;

    #[test]
    fn escapes_html_characters_like_go() {
        let text = pretty_go(&json!({"PID": "<9F35C982.0.1012>", "a&b": 1}));
        assert_eq!(text, "{\n  \"PID\": \"\\u003c9F35C982.0.1012\\u003e\",\n  \"a\\u0026b\": 1\n}");
    }

    #[test]
    fn empty_containers_stay_on_one_line() {
        let text = pretty_go(&json!({"Aliases": [], "Env": {}, "Commercial": null}));
        assert_eq!(text, "{\n  \"Aliases\": [],\n  \"Env\": {},\n  \"Commercial\": null\n}");
    }

    #[test]
    fn control_and_separator_characters_are_escaped() {
        let text = pretty_go(&json!("a\u{1}b\u{2028}c\"d\\é"));
        assert_eq!(text, "\"a\\u0001b\\u2028c\\\"d\\\\é\"");
    }

    #[test]
    fn floats_follow_go_formatting() {
        assert_eq!(pretty_go(&json!(0.010768658030010534)), "0.010768658030010534");
        assert_eq!(pretty_go(&json!(2.0)), "2");
        assert_eq!(pretty_go(&json!(1e-7)), "1e-7");
        assert_eq!(pretty_go(&json!(-1)), "-1");
    }

    #[test]
    fn nested_arrays_indent_by_two_spaces() {
        let text = pretty_go(&json!([{"Levels": ["trace", "info"]}]));
        assert_eq!(
            text,
            "[\n  {\n    \"Levels\": [\n      \"trace\",\n      \"info\"\n    ]\n  }\n]"
        );
    }
}
