//! Operations on rows (arrays of maps): pick columns, sort, group, count,
//! sum. Functions that return every row take the array by value and move
//! the rows; those that return a part or a number only read it (Rhai
//! passes a variable to a `&mut` first parameter without copying).

use std::cmp::Ordering;

use rhai::{Array, Dynamic, Map, INT};

/// The value of `key` in a row that is a map, followed through dots
/// (`"data.heap_alloc"`); `()` when absent or the row is not a map.
pub(crate) fn field(row: &Dynamic, key: &str) -> Dynamic {
    let mut current = row.clone();
    for part in key.split('.') {
        let next = match current.as_map_ref() {
            Ok(map) => map.get(part).cloned(),
            Err(_) => None,
        };
        match next {
            Some(value) => current = value,
            None => return Dynamic::UNIT,
        }
    }
    current
}

/// A number as `f64`, for integers and floats alike.
pub(crate) fn number(value: &Dynamic) -> Option<f64> {
    if let Ok(n) = value.as_int() {
        return Some(n as f64);
    }
    value.as_float().ok()
}

/// Order two values: numbers by value, then strings, booleans; `()` first.
pub(crate) fn compare(a: &Dynamic, b: &Dynamic) -> Ordering {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => return x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Some(_), None) if b.is_unit() => return Ordering::Greater,
        (None, Some(_)) if a.is_unit() => return Ordering::Less,
        _ => {}
    }
    match (a.is_unit(), b.is_unit()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    if let (Ok(x), Ok(y)) = (a.as_bool(), b.as_bool()) {
        return x.cmp(&y);
    }
    a.to_string().cmp(&b.to_string())
}

/// Only the named columns of every map row (copied, the rows are only
/// read); other rows are kept as they are.
pub(crate) fn select(rows: &Array, columns: &[String]) -> Array {
    rows.iter()
        .map(|row| match row.as_map_ref() {
            Ok(map) => {
                let picked: Map = columns
                    .iter()
                    .filter_map(|c| map.get(c.as_str()).map(|v| (c.as_str().into(), v.clone())))
                    .collect();
                Dynamic::from_map(picked)
            }
            Err(_) => row.clone(),
        })
        .collect()
}

/// Rows sorted by a field, ascending or descending; the sort is stable.
pub(crate) fn sort_by(mut rows: Array, key: &str, descending: bool) -> Array {
    let mut keyed: Vec<(Dynamic, Dynamic)> =
        rows.drain(..).map(|row| (field(&row, key), row)).collect();
    keyed.sort_by(|(a, _), (b, _)| {
        let order = compare(a, b);
        if descending {
            order.reverse()
        } else {
            order
        }
    });
    keyed.into_iter().map(|(_, row)| row).collect()
}

/// The `n` rows with the largest `key`, largest first; only those are copied.
pub(crate) fn top(rows: &Array, n: INT, key: &str) -> Array {
    let mut keyed: Vec<(Dynamic, usize)> =
        rows.iter().enumerate().map(|(index, row)| (field(row, key), index)).collect();
    keyed.sort_by(|(a, _), (b, _)| compare(b, a));
    keyed.truncate(n.max(0) as usize);
    keyed.into_iter().map(|(_, index)| rows[index].clone()).collect()
}

/// The text a field's value is grouped under: strings as they are.
fn group_key(value: &Dynamic) -> String {
    if value.is_unit() {
        return String::new();
    }
    value.to_string()
}

/// Rows grouped by the text of a field: key → rows in their order.
pub(crate) fn group_by(rows: Array, key: &str) -> Map {
    let mut groups = Map::new();
    for row in rows {
        let name = group_key(&field(&row, key));
        let entry = groups.entry(name.into()).or_insert_with(|| Dynamic::from_array(Array::new()));
        if let Some(mut list) = entry.write_lock::<Array>() {
            list.push(row);
        }
    }
    groups
}

/// How many rows have each value of a field: key → count.
pub(crate) fn count_by(rows: &Array, key: &str) -> Map {
    let mut counts = Map::new();
    for row in rows {
        let name = group_key(&field(row, key));
        let entry = counts.entry(name.into()).or_insert(Dynamic::from_int(0));
        let count = entry.as_int().unwrap_or(0);
        *entry = Dynamic::from_int(count + 1);
    }
    counts
}

/// The values of one field, `()` where a row lacks it.
pub(crate) fn pluck(rows: &Array, key: &str) -> Array {
    rows.iter().map(|row| field(row, key)).collect()
}

/// The sum of numbers: an integer while every term is one, else a float.
/// Values that are not numbers are skipped.
pub(crate) fn sum(values: impl Iterator<Item = Dynamic>) -> Dynamic {
    let mut integer: INT = 0;
    let mut float = 0.0;
    let mut is_float = false;
    for value in values {
        if let Ok(n) = value.as_int() {
            integer = integer.wrapping_add(n);
        } else if let Ok(x) = value.as_float() {
            float += x;
            is_float = true;
        }
    }
    if is_float {
        Dynamic::from_float(float + integer as f64)
    } else {
        Dynamic::from_int(integer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, mailbox: INT) -> Dynamic {
        let mut map = Map::new();
        map.insert("Name".into(), name.into());
        map.insert("MessagesMailbox".into(), Dynamic::from_int(mailbox));
        map.insert("State".into(), (if mailbox > 0 { "running" } else { "sleep" }).into());
        Dynamic::from_map(map)
    }

    fn rows() -> Array {
        vec![row("a", 5), row("b", 50), row("c", 0), row("d", 7)]
    }

    fn names(rows: &Array) -> Vec<String> {
        rows.iter().map(|r| field(r, "Name").to_string()).collect()
    }

    #[test]
    fn sort_by_orders_numbers_by_value_both_ways() {
        assert_eq!(names(&sort_by(rows(), "MessagesMailbox", false)), ["c", "a", "d", "b"]);
        assert_eq!(names(&sort_by(rows(), "MessagesMailbox", true)), ["b", "d", "a", "c"]);
    }

    #[test]
    fn sort_by_puts_missing_fields_first_ascending() {
        let mut list = rows();
        list.push(Dynamic::from_map(Map::new()));
        let sorted = sort_by(list, "MessagesMailbox", false);
        assert!(field(&sorted[0], "Name").is_unit());
    }

    #[test]
    fn top_takes_the_largest() {
        assert_eq!(names(&top(&rows(), 2, "MessagesMailbox")), ["b", "d"]);
        assert!(top(&rows(), -1, "MessagesMailbox").is_empty());
    }

    #[test]
    fn select_keeps_only_named_columns() {
        let picked = select(&rows(), &["Name".to_string()]);
        let first = picked[0].as_map_ref().map(|m| m.len()).unwrap_or(0);
        assert_eq!(first, 1);
        assert_eq!(field(&picked[1], "Name").to_string(), "b");
    }

    #[test]
    fn group_and_count_by_state() {
        let groups = group_by(rows(), "State");
        let running = groups["running"].clone().into_array().map(|a| a.len());
        assert_eq!(running, Ok(3));
        let counts = count_by(&rows(), "State");
        assert_eq!(counts["sleep"].as_int(), Ok(1));
        assert_eq!(counts["running"].as_int(), Ok(3));
    }

    #[test]
    fn sum_stays_integer_until_a_float_appears() {
        let values = pluck(&rows(), "MessagesMailbox");
        assert_eq!(sum(values.into_iter()).as_int(), Ok(62));
        let mixed = vec![Dynamic::from_int(1), Dynamic::from_float(0.5), "x".into()];
        assert_eq!(sum(mixed.into_iter()).as_float(), Ok(1.5));
    }

    #[test]
    fn field_follows_dots() {
        let mut inner = Map::new();
        inner.insert("heap".into(), Dynamic::from_int(9));
        let mut outer = Map::new();
        outer.insert("data".into(), Dynamic::from_map(inner));
        let value = Dynamic::from_map(outer);
        assert_eq!(field(&value, "data.heap").as_int(), Ok(9));
        assert!(field(&value, "data.nope").is_unit());
    }
}
