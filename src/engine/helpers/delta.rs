//! A recon-style window: what changed between two snapshots.

use std::collections::HashMap;

use rhai::{Array, Dynamic, Map};

use super::rows::field;

/// For rows of `after` matched by `key_field` in `before`: every numeric
/// field becomes its change, other fields keep their `after` value, and
/// `new: false`. Rows only in `after` keep their values with `new: true`.
/// Rows only in `before` (gone since) are left out.
pub(crate) fn delta_rows(before: &Array, after: Array, key_field: &str) -> Array {
    let earlier: HashMap<String, &Dynamic> = before
        .iter()
        .filter_map(|row| {
            let key = field(row, key_field);
            (!key.is_unit()).then(|| (key.to_string(), row))
        })
        .collect();

    after
        .into_iter()
        .map(|row| {
            let key = field(&row, key_field);
            let previous = (!key.is_unit()).then(|| earlier.get(&key.to_string())).flatten();
            let row = row.flatten();
            if !row.is_map() {
                return row;
            }
            let mut map = row.cast::<Map>();
            match previous.and_then(|p| p.as_map_ref().ok()) {
                Some(old) => {
                    subtract(&mut map, &old, key_field);
                    map.insert("new".into(), Dynamic::FALSE);
                }
                None => {
                    map.insert("new".into(), Dynamic::TRUE);
                }
            }
            Dynamic::from_map(map)
        })
        .collect()
}

/// The change of every numeric field from `before` to `after` (two
/// snapshots of one thing, such as `node_info()`); fields only in `after`
/// count from zero; other fields are left out.
pub(crate) fn delta_maps(before: &Map, after: &Map) -> Map {
    let mut changes = Map::new();
    for (key, value) in after {
        let old = before.get(key).cloned().unwrap_or(Dynamic::from_int(0));
        if let Some(change) = difference(value, &old) {
            changes.insert(key.clone(), change);
        }
    }
    changes
}

/// Replace numeric fields of `map` by their change since `old`.
fn subtract(map: &mut Map, old: &Map, key_field: &str) {
    for (key, value) in map.iter_mut() {
        if key.as_str() == key_field {
            continue;
        }
        let previous = old.get(key).cloned().unwrap_or(Dynamic::from_int(0));
        if let Some(change) = difference(value, &previous) {
            *value = change;
        }
    }
}

/// `now - then` when both are numbers: integer when both are integers.
fn difference(now: &Dynamic, then: &Dynamic) -> Option<Dynamic> {
    if let (Ok(a), Ok(b)) = (now.as_int(), then.as_int()) {
        return Some(Dynamic::from_int(a.wrapping_sub(b)));
    }
    let a = now.as_int().map(|n| n as f64).or_else(|_| now.as_float()).ok()?;
    let b = then.as_int().map(|n| n as f64).or_else(|_| then.as_float()).ok()?;
    Some(Dynamic::from_float(a - b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: &str, messages_in: i64, name: &str) -> Dynamic {
        let mut map = Map::new();
        map.insert("PID".into(), pid.into());
        map.insert("MessagesIn".into(), Dynamic::from_int(messages_in));
        map.insert("Name".into(), name.into());
        Dynamic::from_map(map)
    }

    #[test]
    fn matched_rows_show_the_change_and_new_rows_their_values() {
        let before = vec![process("<A.0.1>", 100, "a"), process("<A.0.2>", 5, "b")];
        let after = vec![process("<A.0.1>", 130, "a"), process("<A.0.3>", 9, "c")];
        let window = delta_rows(&before, after, "PID");

        assert_eq!(window.len(), 2);
        let first = window[0].as_map_ref().map(|m| m.clone()).unwrap_or_default();
        assert_eq!(first["MessagesIn"].as_int(), Ok(30));
        assert_eq!(first["Name"].to_string(), "a");
        assert_eq!(first["PID"].to_string(), "<A.0.1>");
        assert_eq!(first["new"].as_bool(), Ok(false));

        let second = window[1].as_map_ref().map(|m| m.clone()).unwrap_or_default();
        assert_eq!(second["MessagesIn"].as_int(), Ok(9));
        assert_eq!(second["new"].as_bool(), Ok(true));
    }

    #[test]
    fn maps_subtract_numbers_and_drop_text() {
        let mut before = Map::new();
        before.insert("ProcessesTotal".into(), Dynamic::from_int(10));
        before.insert("Heap".into(), Dynamic::from_float(1.5));
        let mut after = before.clone();
        after.insert("ProcessesTotal".into(), Dynamic::from_int(14));
        after.insert("Heap".into(), Dynamic::from_float(2.0));
        after.insert("Name".into(), "n@h".into());

        let change = delta_maps(&before, &after);
        assert_eq!(change["ProcessesTotal"].as_int(), Ok(4));
        assert_eq!(change["Heap"].as_float(), Ok(0.5));
        assert!(!change.contains_key("Name"));
    }
}
