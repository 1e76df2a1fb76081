//! Rows as CSV.

use rhai::{Array, Dynamic};

use super::rows::field;

/// The columns of rows: the given ones, else every key in first-seen order.
pub(crate) fn columns(rows: &Array, given: Option<&[String]>) -> Vec<String> {
    if let Some(given) = given {
        return given.to_vec();
    }
    let mut seen: Vec<String> = Vec::new();
    for row in rows {
        if let Ok(map) = row.as_map_ref() {
            for key in map.keys() {
                if !seen.iter().any(|k| k.as_str() == key.as_str()) {
                    seen.push(key.to_string());
                }
            }
        }
    }
    seen
}

/// Rows as CSV with a header line; cells quoted when they need it.
pub(crate) fn to_csv(rows: &Array, given: Option<&[String]>) -> String {
    let columns = columns(rows, given);
    let mut out = String::new();
    push_line(&mut out, columns.iter().map(String::as_str));
    for row in rows {
        let cells: Vec<String> = columns.iter().map(|c| cell(&field(row, c))).collect();
        push_line(&mut out, cells.iter().map(String::as_str));
    }
    out
}

fn cell(value: &Dynamic) -> String {
    if value.is_unit() {
        String::new()
    } else {
        value.to_string()
    }
}

fn push_line<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    let mut first = true;
    for text in cells {
        if !first {
            out.push(',');
        }
        first = false;
        if text.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&text.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(text);
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    use rhai::Map;

    fn map(pairs: &[(&str, Dynamic)]) -> Map {
        pairs.iter().map(|(k, v)| ((*k).into(), v.clone())).collect()
    }

    #[test]
    fn csv_quotes_cells_that_need_it() {
        let rows = vec![
            Dynamic::from_map(map(&[("a", 1_i64.into()), ("b", "x,y".into())])),
            Dynamic::from_map(map(&[("a", 2_i64.into()), ("c", "say \"hi\"".into())])),
        ];
        assert_eq!(to_csv(&rows, None), "a,b,c\n1,\"x,y\",\n2,,\"say \"\"hi\"\"\"\n");
        let only = ["c".to_string()];
        assert_eq!(to_csv(&rows, Some(&only)), "c\n\n\"say \"\"hi\"\"\"\n");
    }
}
