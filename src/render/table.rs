//! Arrays of maps as tables with one column per key, and maps as key/value
//! tables with nested maps flattened to dotted keys.

use std::collections::HashSet;
use std::io::{self, Write};

use rhai::{Array, Dynamic, Map};

use crate::render::cell::{self, Cell};
use crate::render::grid::{truncate, Grid, Source};
use crate::render::human::{self, Unit};
use crate::render::style::Paint;

/// Keys that identify a row, shown first whatever their place in the map.
const LEADING_KEYS: &[&str] = &["key", "node", "Node", "PID", "pid", "Name", "name", "ID", "id"];

/// The rows of an array, one column per key.
struct Records<'a> {
    rows: &'a [Dynamic],
    names: Vec<String>,
    units: Vec<Unit>,
}

impl Source for Records<'_> {
    fn row_count(&self) -> usize {
        self.rows.len()
    }

    fn cell(&self, row: usize, column: usize) -> Cell {
        let value = &self.rows[row];
        let unit = self.units[column];
        match value.read_lock::<Map>() {
            Some(map) => match map.get(self.names[column].as_str()) {
                Some(item) => cell::cell_with_unit(unit, item),
                None => Cell { text: String::new(), numeric: false },
            },
            None => cell::cell_with_unit(Unit::Plain, value),
        }
    }
}

/// Key/value pairs already flattened.
struct Pairs {
    pairs: Vec<(String, Cell)>,
}

impl Source for Pairs {
    fn row_count(&self) -> usize {
        self.pairs.len()
    }

    fn cell(&self, row: usize, column: usize) -> Cell {
        let (key, value) = &self.pairs[row];
        let text = if column == 0 { key.clone() } else { value.text.clone() };
        Cell { text, numeric: false }
    }
}

/// The columns of `rows`: the identifying keys first, then every other key
/// in the order first seen.
pub fn columns_of(rows: &[Dynamic]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut plain = false;
    let mut last_shape: Option<Vec<&str>> = None;
    for row in rows {
        let Some(map) = row.read_lock::<Map>() else {
            plain = true;
            continue;
        };
        // Rows of one listing share their keys: skip the lookups then.
        let same_shape = last_shape.as_ref().is_some_and(|shape| {
            shape.len() == map.len() && map.keys().zip(shape).all(|(key, name)| key == name)
        });
        if same_shape {
            continue;
        }
        for key in map.keys() {
            if seen.insert(key.to_string()) {
                names.push(key.to_string());
            }
        }
        last_shape = Some(
            names
                .iter()
                .filter(|name| map.contains_key(name.as_str()))
                .map(String::as_str)
                .collect(),
        );
    }
    names.sort_by_key(|name| {
        LEADING_KEYS.iter().position(|key| key == name).unwrap_or(LEADING_KEYS.len())
    });
    if plain && names.is_empty() {
        names.push("value".to_string());
    }
    names
}

/// Writes `rows` as a table fitted to `width`.
pub fn write_records(
    rows: &Array,
    columns: Option<&[String]>,
    width: usize,
    out: &mut dyn Write,
    paint: Paint,
) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "(no rows)");
    }
    let names = match columns {
        Some(columns) => columns.to_vec(),
        None => columns_of(rows),
    };
    let units = names.iter().map(|name| human::unit_of(name)).collect();
    let source = Records { rows, names, units };

    let mut grid = Grid::measure(&source, source.names.clone(), true);
    grid.mark_leading(LEADING_KEYS);
    // Columns the caller chose are kept, constant or not.
    grid.fit(width, rows.len(), columns.is_none());
    let hidden = grid.hidden().to_vec();
    grid.write(out, paint)?;
    write_hidden_note(&hidden, width, out, paint)
}

fn write_hidden_note(
    hidden: &[String],
    width: usize,
    out: &mut dyn Write,
    paint: Paint,
) -> io::Result<()> {
    if hidden.is_empty() {
        return Ok(());
    }
    let note = format!(
        "({} hidden to fit: {}; select() or :format json shows them)",
        hidden.len(),
        hidden.join(", ")
    );
    writeln!(out, "{}", paint.dim(&truncate(&note, width)))
}

/// Writes a map as key/value lines; nested maps become dotted keys.
pub fn write_map(map: &Map, width: usize, out: &mut dyn Write, paint: Paint) -> io::Result<()> {
    if map.is_empty() {
        return writeln!(out, "#{{}}");
    }
    if is_map_of_maps(map) {
        return write_keyed_records(map, width, out, paint);
    }

    let mut pairs = Vec::new();
    flatten("", map, &mut pairs);
    let source = Pairs { pairs };
    let names = vec!["key".to_string(), "value".to_string()];

    let mut grid = Grid::measure(&source, names, false);
    grid.fit(width, 0, false);
    grid.write(out, paint)
}

/// A map whose every value is a map (results keyed by node, say) reads
/// best as a table with the key as its first column.
fn is_map_of_maps(map: &Map) -> bool {
    map.len() > 1 && map.values().all(|value| value.is_map())
}

fn write_keyed_records(
    map: &Map,
    width: usize,
    out: &mut dyn Write,
    paint: Paint,
) -> io::Result<()> {
    let rows: Array = map
        .iter()
        .map(|(key, value)| {
            let mut row = value.read_lock::<Map>().map(|inner| inner.clone()).unwrap_or_default();
            row.insert("key".into(), Dynamic::from(key.to_string()));
            Dynamic::from_map(row)
        })
        .collect();
    write_records(&rows, None, width, out, paint)
}

fn flatten(prefix: &str, map: &Map, pairs: &mut Vec<(String, Cell)>) {
    for (key, value) in map {
        let name = if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") };
        match value.read_lock::<Map>() {
            Some(inner) if !inner.is_empty() => flatten(&name, &inner, pairs),
            _ => pairs.push((name, cell::cell(key, value))),
        }
    }
}
