//! One value as the text of a table cell: humanised by its field name,
//! nested values in a compact one-line form.

use std::fmt::Write as _;

use rhai::{Dynamic, ImmutableString};

use crate::render::human::{self, Unit};

/// The text of one cell and whether it reads as a number (right-aligned).
pub struct Cell {
    pub text: String,
    pub numeric: bool,
}

/// Formats `value` found under `field` for a table cell.
pub fn cell(field: &str, value: &Dynamic) -> Cell {
    cell_with_unit(human::unit_of(field), value)
}

/// Like [`cell`] with the unit already judged (once per column).
pub fn cell_with_unit(unit: Unit, value: &Dynamic) -> Cell {
    if let Some(number) = number(value) {
        let text = human::format_unit(unit, number).unwrap_or_else(|| scalar(value));
        return Cell { text, numeric: true };
    }
    Cell { text: compact(value), numeric: false }
}

/// The value as a float when it is an integer or a float.
pub fn number(value: &Dynamic) -> Option<f64> {
    if let Ok(integer) = value.as_int() {
        return Some(integer as f64);
    }
    value.as_float().ok()
}

/// A scalar as the user would write it, strings without quotes.
pub fn scalar(value: &Dynamic) -> String {
    if value.is_unit() {
        return String::new();
    }
    if let Some(text) = value.read_lock::<ImmutableString>() {
        return one_line(text.as_str());
    }
    if let Ok(float) = value.as_float() {
        return float_text(float);
    }
    value.to_string()
}

/// Floats without trailing noise: `2.5`, `0.333`, `12`.
pub fn float_text(float: f64) -> String {
    if float.is_finite() && float.fract() == 0.0 && float.abs() < 1e15 {
        return format!("{float:.0}");
    }
    let text = format!("{float:.3}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    trimmed.to_string()
}

/// Any value on one line: scalars plainly, maps and arrays JSON-like.
pub fn compact(value: &Dynamic) -> String {
    let mut out = String::new();
    write_compact(value, &mut out, true);
    out
}

fn write_compact(value: &Dynamic, out: &mut String, top: bool) {
    if let Some(map) = value.read_lock::<rhai::Map>() {
        out.push('{');
        for (index, (key, item)) in map.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{key}: ");
            write_compact(item, out, false);
        }
        out.push('}');
        return;
    }
    if let Some(array) = value.read_lock::<rhai::Array>() {
        out.push('[');
        for (index, item) in array.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            write_compact(item, out, false);
        }
        out.push(']');
        return;
    }
    if !top {
        if let Some(text) = value.read_lock::<ImmutableString>() {
            let _ = write!(out, "{:?}", one_line(text.as_str()));
            return;
        }
    }
    out.push_str(&scalar(value));
}

/// Newlines and tabs inside a cell would break the grid.
fn one_line(text: &str) -> String {
    if !text.contains(['\n', '\r', '\t']) {
        return text.to_string();
    }
    text.replace("\r\n", " ⏎ ").replace(['\n', '\r'], " ⏎ ").replace('\t', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_fields_are_humanised_and_numeric() {
        let cell = cell("MemoryAlloc", &Dynamic::from(5_722_400_i64));
        assert_eq!(cell.text, "5.5 MiB");
        assert!(cell.numeric);
    }

    #[test]
    fn plain_numbers_keep_their_digits() {
        assert_eq!(cell("MessagesMailbox", &Dynamic::from(4605_i64)).text, "4605");
        assert_eq!(cell("drain", &Dynamic::from(2.5_f64)).text, "2.5");
        assert_eq!(cell("drain", &Dynamic::from(1.0_f64 / 3.0)).text, "0.333");
    }

    #[test]
    fn nested_values_fit_on_one_line() {
        let mut map = rhai::Map::new();
        map.insert("Name".into(), Dynamic::from("default"));
        map.insert("Levels".into(), Dynamic::from(vec![Dynamic::from("info")]));
        let text = compact(&Dynamic::from(map));
        assert_eq!(text, r#"{Levels: ["info"], Name: "default"}"#);
    }

    #[test]
    fn multi_line_strings_become_one_line() {
        assert_eq!(scalar(&Dynamic::from("a\nb")), "a ⏎ b");
        assert_eq!(scalar(&Dynamic::UNIT), "");
    }
}
