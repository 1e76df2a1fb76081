//! The table layout: format and measure every cell once, fit the columns
//! to the terminal width, then stream the rows through `tabled` one by one.

use std::io::{self, Write};

use tabled::settings::Style;
use tabled::tables::IterTable;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::render::cell::Cell;
use crate::render::style::Paint;

/// The space a column takes beyond its content: one space each side, and
/// one vertical bar between columns.
const COLUMN_OVERHEAD: usize = 3;

/// Where the cells of a grid come from.
pub trait Source {
    fn row_count(&self) -> usize;
    fn cell(&self, row: usize, column: usize) -> Cell;
}

/// One column as measured.
struct Column {
    /// Its place in the rows of cell texts.
    index: usize,
    name: String,
    width: usize,
    numeric: bool,
    constant: bool,
    /// Identifies the row (a PID, a name): kept whole and dropped last.
    leading: bool,
    /// The widest cell, the header not counted.
    content: usize,
}

/// A measured grid, ready to fit and write.
pub struct Grid {
    columns: Vec<Column>,
    /// The text of every cell, row by row, in the measured column order.
    texts: Vec<Vec<String>>,
    header: bool,
    hidden: Vec<String>,
}

impl Grid {
    /// Measures every cell of `source` under the column `names`.
    pub fn measure(source: &dyn Source, names: Vec<String>, header: bool) -> Grid {
        let mut columns: Vec<Column> = names
            .into_iter()
            .enumerate()
            .map(|(index, name)| Column {
                index,
                width: if header { text_width(&name) } else { 0 },
                name,
                numeric: true,
                constant: true,
                leading: false,
                content: 0,
            })
            .collect();
        let mut seen = vec![false; columns.len()];
        let mut texts: Vec<Vec<String>> = Vec::with_capacity(source.row_count());

        for row in 0..source.row_count() {
            let mut line = Vec::with_capacity(columns.len());
            for (index, column) in columns.iter_mut().enumerate() {
                let cell = source.cell(row, index);
                let cell_width = text_width(&cell.text);
                column.width = column.width.max(cell_width);
                column.content = column.content.max(cell_width);
                if !cell.text.is_empty() {
                    seen[index] = true;
                    column.numeric &= cell.numeric;
                }
                if let Some(first) = texts.first() {
                    column.constant &= first[index] == cell.text;
                }
                line.push(cell.text);
            }
            texts.push(line);
        }
        for (column, seen) in columns.iter_mut().zip(seen) {
            column.numeric &= seen;
        }

        Grid { columns, texts, header, hidden: Vec::new() }
    }

    /// Marks the columns that identify a row; they keep their width.
    pub fn mark_leading(&mut self, names: &[&str]) {
        for column in &mut self.columns {
            column.leading = names.contains(&column.name.as_str());
        }
    }

    /// Narrows the grid to `width` terminal columns. Columns whose value is
    /// the same in every row (of three or more) go first when
    /// `drop_constant`, since they say least; when even the narrowest layout
    /// is too wide, text columns go from the right, then numbers; what is
    /// left shrinks, the longest columns first.
    pub fn fit(&mut self, width: usize, rows: usize, drop_constant: bool) {
        while drop_constant && self.total(|column| column.width) > width && rows >= 3 {
            let Some(victim) = self.columns.iter().rposition(|column| column.constant) else {
                break;
            };
            self.hide(victim);
        }
        while self.columns.len() > 1 && self.total(minimum) > width {
            let droppable = |column: &Column| !column.leading;
            let victim = self
                .columns
                .iter()
                .skip(1)
                .rposition(|column| droppable(column) && !column.numeric)
                .or_else(|| self.columns.iter().skip(1).rposition(droppable))
                .map_or(self.columns.len() - 1, |index| index + 1);
            self.hide(victim);
        }
        if self.total(|column| column.width) > width {
            self.shrink(width);
        }
    }

    fn hide(&mut self, index: usize) {
        let column = self.columns.remove(index);
        self.hidden.push(column.name);
    }

    /// Names of the columns dropped to fit, in the order they were dropped.
    pub fn hidden(&self) -> &[String] {
        &self.hidden
    }

    fn total(&self, width_of: impl Fn(&Column) -> usize) -> usize {
        let content: usize = self.columns.iter().map(width_of).sum();
        content + self.columns.len() * COLUMN_OVERHEAD - 1
    }

    /// Caps the widest columns at the largest common width that fits.
    fn shrink(&mut self, width: usize) {
        let fits = |cap: usize, columns: &[Column]| {
            let content: usize =
                columns.iter().map(|column| column.width.min(cap.max(minimum(column)))).sum();
            content + columns.len() * COLUMN_OVERHEAD - 1 <= width
        };

        let widest = self.columns.iter().map(|column| column.width).max().unwrap_or(0);
        let (mut low, mut high) = (0, widest);
        while low < high {
            let middle = (low + high).div_ceil(2);
            if fits(middle, &self.columns) {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        for column in &mut self.columns {
            column.width = column.width.min(low.max(minimum(column)));
        }
    }

    /// Writes the header, its rule, and then every row, in the kept columns.
    pub fn write(mut self, out: &mut dyn Write, paint: Paint) -> io::Result<()> {
        if self.columns.is_empty() {
            return Ok(());
        }
        if self.header {
            self.write_header(out, paint)?;
        }

        let columns = &self.columns;
        let rows = self.texts.iter_mut().map(|texts| {
            columns
                .iter()
                .map(|column| {
                    pad(std::mem::take(&mut texts[column.index]), column.width, column.numeric)
                })
                .collect::<Vec<String>>()
        });

        let mut table = IterTable::new(rows);
        table.with(Style::empty().vertical('│')).sniff(1);
        // tabled reports a failed write as a formatting error; keep the
        // real one so a closed pipe is seen as such.
        let mut keeper = ErrorKeeper { inner: &mut *out, error: None };
        if let Err(error) = table.build(&mut keeper) {
            return Err(keeper.error.take().unwrap_or(error));
        }
        writeln!(out)
    }

    fn write_header(&self, out: &mut dyn Write, paint: Paint) -> io::Result<()> {
        let names: Vec<String> = self
            .columns
            .iter()
            .map(|column| pad(column.name.clone(), column.width, column.numeric))
            .collect();
        let line = format!(" {} ", names.join(" │ "));
        writeln!(out, "{}", paint.bold(&line))?;

        let rules: Vec<String> =
            self.columns.iter().map(|column| "─".repeat(column.width + 2)).collect();
        writeln!(out, "{}", paint.dim(&rules.join("┼")))
    }
}

/// A writer that remembers the first error of the writer it wraps.
struct ErrorKeeper<'a> {
    inner: &'a mut dyn Write,
    error: Option<io::Error>,
}

impl Write for ErrorKeeper<'_> {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        self.inner.write(buffer).inspect_err(|error| {
            self.error.get_or_insert_with(|| io::Error::new(error.kind(), error.to_string()));
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The narrowest a column may become before columns are dropped instead.
fn minimum(column: &Column) -> usize {
    let header = text_width(&column.name).clamp(4, 10);
    if column.leading {
        return column.width.min(24);
    }
    // A cut number would read as another number: only its header shrinks.
    if column.numeric {
        return column.width.min(column.content.max(header));
    }
    column.width.min(header)
}

/// Display columns of `text`; ASCII (almost every cell) counted by bytes.
fn text_width(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.width()
    }
}

/// Truncates `text` to `width` (with an ellipsis) and pads it, numbers to
/// the right.
pub fn pad(text: String, width: usize, right: bool) -> String {
    let mut text = match truncate(&text, width) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(cut) => cut,
    };
    let fill = width.saturating_sub(text_width(&text));
    if fill == 0 {
        return text;
    }
    if right {
        let mut padded = String::with_capacity(text.len() + fill);
        padded.extend(std::iter::repeat_n(' ', fill));
        padded.push_str(&text);
        padded
    } else {
        text.extend(std::iter::repeat_n(' ', fill));
        text
    }
}

/// Cuts `text` to `width` display columns, ending in `…` when cut.
pub fn truncate(text: &str, width: usize) -> std::borrow::Cow<'_, str> {
    if text_width(text) <= width {
        return text.into();
    }
    if width == 0 {
        return "".into();
    }
    let mut kept = String::new();
    let mut used = 0;
    for character in text.chars() {
        let size = character.width().unwrap_or(0);
        if used + size > width - 1 {
            break;
        }
        used += size;
        kept.push(character);
    }
    kept.push('…');
    kept.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_ends_in_an_ellipsis_within_the_width() {
        assert_eq!(truncate("slow_worker", 6), "slow_…");
        assert_eq!(truncate("slow", 6), "slow");
        assert_eq!(truncate("slow", 1), "…");
    }

    #[test]
    fn numbers_pad_on_the_left() {
        assert_eq!(pad("42".to_string(), 5, true), "   42");
        assert_eq!(pad("ab".to_string(), 4, false), "ab  ");
    }
}
