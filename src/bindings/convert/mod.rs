//! Converting between JSON and Rhai values.
//!
//! `parse_json` reads tool results (JSON text) straight into Rhai values;
//! `value_to_dynamic` and `dynamic_to_value` convert `serde_json` values
//! both ways, for arguments and structured content.

mod parse;
mod shape;
mod split;
mod strings;
mod value;

use rhai::Dynamic;

pub use parse::MAX_DEPTH;
pub use value::{dynamic_to_value, value_to_dynamic};

/// Why a conversion failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConvertError {
    #[error("invalid JSON at line {line} column {column}: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error("cannot convert {type_name} to JSON")]
    Unrepresentable { type_name: String },
}

impl ConvertError {
    /// A syntax error at byte `offset` of `text`, located by line and column
    /// (both from 1, the column counted in characters).
    fn syntax(text: &str, offset: usize, message: &str) -> ConvertError {
        let offset = offset.min(text.len());
        let before = &text.as_bytes()[..offset];
        let line_start = before.iter().rposition(|&byte| byte == b'\n').map_or(0, |at| at + 1);
        let line = 1 + before.iter().filter(|&&byte| byte == b'\n').count();
        let column = 1 + String::from_utf8_lossy(&before[line_start..]).chars().count();
        ConvertError::Syntax { line, column, message: message.to_string() }
    }
}

/// Parses JSON text into Rhai values: objects become maps, arrays arrays,
/// integers `i64` (those beyond `i64` become `f64`), other numbers `f64`,
/// null `()`. Strict: trailing text, bad escapes, control characters in
/// strings and nesting deeper than [`MAX_DEPTH`] are errors; lone UTF-16
/// surrogates decode to U+FFFD. A large top-level array is parsed on
/// several threads.
pub fn parse_json(text: &str) -> Result<Dynamic, ConvertError> {
    split::parse_parallel(text)
}

/// [`parse_json`] on the calling thread only (for measurements).
pub fn parse_json_sequential(text: &str) -> Result<Dynamic, ConvertError> {
    parse::parse_sequential(text)
}

#[cfg(test)]
mod tests;
