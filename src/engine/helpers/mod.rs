//! Helpers registered natively (fast, no script overhead): rows, windows,
//! formatting, JSON and CSV files, trends, derived metrics, time.

mod delta;
mod predicate;
mod rows;
mod text;

use std::fs;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, Map, NativeCallContext, INT};

use super::failure::thrown;
use super::state::Shared;
use crate::bindings::convert::{dynamic_to_value, parse_json};
use crate::bindings::derived;
use crate::render;

type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// Height of a `plot()` in lines.
const PLOT_HEIGHT: usize = 8;

/// Every helper name, for completion and `function_names()`.
pub(crate) const NAMES: &[&str] = &[
    "table",
    "select",
    "where",
    "filter",
    "count",
    "sort_by",
    "top",
    "group_by",
    "count_by",
    "sum",
    "pluck",
    "delta",
    "sleep",
    "now",
    "fmt_bytes",
    "fmt_duration",
    "fmt_secs",
    "to_json",
    "from_json",
    "save_json",
    "load_json",
    "to_csv",
    "plot",
    "spark",
    "drain",
    "liveness",
    "warn",
    "columns",
];

fn strings(list: Array) -> Vec<String> {
    list.into_iter().map(|v| v.to_string()).collect()
}

/// A number from an integer or a float argument.
fn as_number(value: &Dynamic) -> Fallible<f64> {
    rows::number(value)
        .ok_or_else(|| thrown(format!("expected a number, got {}", value.type_name())))
}

/// Numbers of a series: plain numbers, or `field` of each row; a sample's
/// field is looked up in its `data` too. Non-numbers become gaps.
fn series(values: &Array, field: Option<&str>) -> Vec<f64> {
    values
        .iter()
        .map(|item| {
            let value = match field {
                None => item.clone(),
                Some(key) => {
                    let direct = rows::field(item, key);
                    if direct.is_unit() {
                        rows::field(&rows::field(item, "data"), key)
                    } else {
                        direct
                    }
                }
            };
            rows::number(&value).unwrap_or(f64::NAN)
        })
        .collect()
}

fn to_json_text(value: &Dynamic, pretty: bool) -> Fallible<String> {
    let json = dynamic_to_value(value).map_err(|e| thrown(format!("to_json: {e}")))?;
    let text =
        if pretty { serde_json::to_string_pretty(&json) } else { serde_json::to_string(&json) };
    text.map_err(|e| thrown(format!("to_json: {e}")))
}

fn from_json_text(text: &str) -> Fallible<Dynamic> {
    parse_json(text).map_err(|e| thrown(format!("from_json: {e}")))
}

/// The rows the predicate accepts (each kept row copied once).
fn keep_where(context: &NativeCallContext, rows: &mut Array, predicate: &FnPtr) -> Fallible<Array> {
    let mut kept = Array::new();
    predicate::for_each_answer(context, rows, predicate, |row, accepted| {
        if accepted {
            kept.push(row.clone());
        }
    })?;
    Ok(kept)
}

/// How many rows the predicate accepts, copying none.
fn count_where(context: &NativeCallContext, rows: &mut Array, predicate: &FnPtr) -> Fallible<INT> {
    let mut count: INT = 0;
    predicate::for_each_answer(context, rows, predicate, |_, accepted| {
        count += INT::from(accepted);
    })?;
    Ok(count)
}

pub(crate) fn register(engine: &mut Engine, shared: &Arc<Shared>) {
    register_rows(engine);
    register_formatting(engine);
    register_files(engine);
    register_trends(engine, shared);

    let s = shared.clone();
    engine.register_fn("sleep", move |ms: INT| s.sleep(Duration::from_millis(ms.max(0) as u64)));
    let s = shared.clone();
    engine.register_fn("sleep", move |ms: f64| {
        s.sleep(Duration::from_secs_f64(ms.max(0.0) / 1000.0))
    });
    engine.register_fn("now", || -> INT {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as INT)
    });
    let s = shared.clone();
    engine.register_fn("warn", move |message: &str| s.frontend.warn(message));
}

fn register_rows(engine: &mut Engine) {
    engine.register_fn("select", |rows: &mut Array, columns: Array| {
        rows::select(rows, &strings(columns))
    });
    engine.register_fn(
        "where",
        |context: NativeCallContext, rows: &mut Array, predicate: FnPtr| {
            keep_where(&context, rows, &predicate)
        },
    );
    // Replaces Rhai's own `filter` on arrays: same forms, no copy per call.
    engine.register_fn(
        "filter",
        |context: NativeCallContext, rows: &mut Array, predicate: FnPtr| {
            keep_where(&context, rows, &predicate)
        },
    );
    engine.register_fn(
        "count",
        |context: NativeCallContext, rows: &mut Array, predicate: FnPtr| {
            count_where(&context, rows, &predicate)
        },
    );
    engine.register_fn("sort_by", |rows: Array, key: &str| rows::sort_by(rows, key, false));
    engine.register_fn("sort_by", |rows: Array, key: &str, descending: bool| {
        rows::sort_by(rows, key, descending)
    });
    engine.register_fn("top", |rows: &mut Array, n: INT, key: &str| rows::top(rows, n, key));
    engine.register_fn("group_by", |rows: Array, key: &str| rows::group_by(rows, key));
    engine.register_fn("count_by", |rows: &mut Array, key: &str| rows::count_by(rows, key));
    engine.register_fn("pluck", |rows: &mut Array, key: &str| rows::pluck(rows, key));
    engine.register_fn("sum", |values: &mut Array| rows::sum(values.iter().cloned()));
    engine.register_fn("sum", |rows: &mut Array, key: &str| {
        rows::sum(rows.iter().map(|row| rows::field(row, key)))
    });
    engine.register_fn("columns", |rows: &mut Array| -> Array {
        text::columns(rows, None).into_iter().map(Dynamic::from).collect()
    });
    engine.register_fn("delta", |before: &mut Array, after: Array, key: &str| {
        delta::delta_rows(before, after, key)
    });
    engine.register_fn("delta", |before: &mut Map, after: Map| delta::delta_maps(before, &after));
    engine.register_fn("drain", |row: &mut Map| {
        derived::drain(row).map_or(Dynamic::UNIT, Dynamic::from)
    });
    engine.register_fn("liveness", |row: &mut Map| {
        let uptime = row.get("Uptime").and_then(rows::number).unwrap_or(0.0);
        derived::liveness(row, uptime).map_or(Dynamic::UNIT, Dynamic::from)
    });
}

fn register_formatting(engine: &mut Engine) {
    engine.register_fn("fmt_bytes", |n: Dynamic| -> Fallible<String> {
        Ok(render::human::bytes(as_number(&n)? as i64))
    });
    engine.register_fn("fmt_duration", |ns: Dynamic| -> Fallible<String> {
        Ok(render::human::duration_ns(as_number(&ns)? as i64))
    });
    engine.register_fn("fmt_secs", |s: Dynamic| -> Fallible<String> {
        Ok(render::human::seconds(as_number(&s)? as i64))
    });
    engine.register_fn("to_json", |value: Dynamic| to_json_text(&value, false));
    engine.register_fn("to_json", |value: Dynamic, pretty: bool| to_json_text(&value, pretty));
    engine.register_fn("from_json", |text: &str| from_json_text(text));
    engine.register_fn("to_csv", |rows: &mut Array| text::to_csv(rows, None));
    engine.register_fn("to_csv", |rows: &mut Array, columns: Array| {
        text::to_csv(rows, Some(&strings(columns)))
    });
}

fn register_files(engine: &mut Engine) {
    engine.register_fn("save_json", |value: Dynamic, path: &str| -> Fallible<()> {
        let mut text = to_json_text(&value, true)?;
        text.push('\n');
        fs::write(path, text).map_err(|e| thrown(format!("save_json: cannot write `{path}`: {e}")))
    });
    engine.register_fn("load_json", |path: &str| -> Fallible<Dynamic> {
        let text = fs::read_to_string(path)
            .map_err(|e| thrown(format!("load_json: cannot read `{path}`: {e}")))?;
        parse_json(&text).map_err(|e| thrown(format!("load_json: `{path}`: {e}")))
    });
}

fn register_trends(engine: &mut Engine, shared: &Arc<Shared>) {
    let s = shared.clone();
    engine.register_fn("table", move |rows: &mut Array| {
        render::table(rows, None, s.frontend.width())
    });
    let s = shared.clone();
    engine.register_fn("table", move |rows: &mut Array, columns: Array| {
        render::table(rows, Some(&strings(columns)), s.frontend.width())
    });
    let s = shared.clone();
    engine.register_fn("plot", move |values: &mut Array| {
        render::plot(&series(values, None), s.frontend.width(), PLOT_HEIGHT)
    });
    let s = shared.clone();
    engine.register_fn("plot", move |values: &mut Array, field: &str| {
        render::plot(&series(values, Some(field)), s.frontend.width(), PLOT_HEIGHT)
    });
    engine.register_fn("spark", |values: &mut Array| render::sparkline(&series(values, None)));
    engine.register_fn("spark", |values: &mut Array, field: &str| {
        render::sparkline(&series(values, Some(field)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_reads_fields_of_rows_and_of_sample_data() {
        let mut data = Map::new();
        data.insert("heap".into(), Dynamic::from_int(7));
        let mut sample = Map::new();
        sample.insert("sequence".into(), Dynamic::from_int(1));
        sample.insert("data".into(), Dynamic::from_map(data));
        let mut row = Map::new();
        row.insert("heap".into(), Dynamic::from_float(2.5));
        let values = vec![Dynamic::from_map(sample), Dynamic::from_map(row), "x".into()];

        let numbers = series(&values, Some("heap"));
        assert_eq!(numbers[..2], [7.0, 2.5]);
        assert!(numbers[2].is_nan());
        let plain = vec![Dynamic::from_int(1), Dynamic::from_float(2.0)];
        assert_eq!(series(&plain, None), [1.0, 2.0]);
    }
}
