//! Values → text: tables fitted to the terminal, key/value maps, JSON,
//! playbook reports, sparklines and plots, humanised numbers.
//!
//! A leaf: it knows Rhai values and the output stream, nothing of the
//! session, the client or the terminal it writes to (the caller says how
//! wide and whether colour is allowed).

mod cell;
mod chart;
mod grid;
pub mod human;
mod json;
pub mod report;
mod style;
mod table;

use std::io::{self, Write};

use rhai::{Array, Dynamic, ImmutableString, Map};

pub use chart::{plot, sparkline};
pub use json::to_json;
pub use report::Severity;
pub use style::Paint;

/// How a value is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Tables, key/value maps and report summaries.
    Table,
    /// Pretty JSON.
    Json,
    /// Rhai's own `to_string`.
    Raw,
}

impl Format {
    /// Reads `table`, `json` or `raw`.
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "table" => Some(Format::Table),
            "json" => Some(Format::Json),
            "raw" => Some(Format::Raw),
            _ => None,
        }
    }
}

/// What the caller knows about the output.
#[derive(Clone, Copy, Debug)]
pub struct RenderOptions {
    pub format: Format,
    /// Terminal columns; `usize::MAX` for no fitting (a pipe).
    pub width: usize,
    pub color: bool,
}

/// Writes `value` to `out` as `options` say. Unit writes nothing.
pub fn render(value: &Dynamic, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let paint = Paint::new(options.color);
    match options.format {
        Format::Json => json::write_json(value, out),
        Format::Raw => {
            if value.is_unit() {
                return Ok(());
            }
            writeln!(out, "{value}")
        }
        Format::Table => render_table(value, options.width, out, paint),
    }
}

fn render_table(
    value: &Dynamic,
    width: usize,
    out: &mut dyn Write,
    paint: Paint,
) -> io::Result<()> {
    if value.is_unit() {
        return Ok(());
    }
    if report::is_report_set(value) {
        return report::write_report_set(value, width, out, paint);
    }
    if let Some(text) = value.read_lock::<ImmutableString>() {
        return write_text(text.as_str(), out);
    }
    if let Some(rows) = value.read_lock::<Array>() {
        return render_array(&rows, width, out, paint);
    }
    if let Some(map) = value.read_lock::<Map>() {
        return table::write_map(&map, width, out, paint);
    }
    writeln!(out, "{}", cell::scalar(value))
}

/// Arrays of maps are tables; arrays of scalars one value a line.
fn render_array(rows: &Array, width: usize, out: &mut dyn Write, paint: Paint) -> io::Result<()> {
    if rows.iter().any(|row| row.is_map()) {
        return table::write_records(rows, None, width, out, paint);
    }
    if rows.is_empty() {
        return writeln!(out, "[]");
    }
    for row in rows {
        writeln!(out, "{}", cell::compact(row))?;
    }
    Ok(())
}

/// Text results (pprof dumps, plain tool answers) print as they came.
fn write_text(text: &str, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}

/// `rows` as a table string fitted to `width`, optionally only `columns`
/// (the engine's `table()` helper).
pub fn table(rows: &Array, columns: Option<&[String]>, width: usize) -> String {
    let mut buffer = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = table::write_records(rows, columns, width, &mut buffer, Paint::new(false));
    String::from_utf8_lossy(&buffer).into_owned()
}

/// Renders into a string (for tests and for the engine).
pub fn render_to_string(value: &Dynamic, options: &RenderOptions) -> String {
    let mut buffer = Vec::new();
    let _ = render(value, options, &mut buffer);
    String::from_utf8_lossy(&buffer).into_owned()
}

#[cfg(test)]
mod tests;
