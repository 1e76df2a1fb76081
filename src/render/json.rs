//! Values as pretty JSON, written straight to the output.

use std::io::{self, Write};

use rhai::{Array, Dynamic, ImmutableString, Map};
use serde_json::{Number, Value};

/// The JSON form of a Rhai value; values JSON cannot hold become strings.
pub fn to_json(value: &Dynamic) -> Value {
    if value.is_unit() {
        return Value::Null;
    }
    if let Ok(boolean) = value.as_bool() {
        return Value::Bool(boolean);
    }
    if let Ok(integer) = value.as_int() {
        return Value::Number(integer.into());
    }
    if let Ok(float) = value.as_float() {
        return Number::from_f64(float).map_or(Value::Null, Value::Number);
    }
    if let Some(text) = value.read_lock::<ImmutableString>() {
        return Value::String(text.to_string());
    }
    if let Some(array) = value.read_lock::<Array>() {
        return Value::Array(array.iter().map(to_json).collect());
    }
    if let Some(map) = value.read_lock::<Map>() {
        let object = map.iter().map(|(key, item)| (key.to_string(), to_json(item))).collect();
        return Value::Object(object);
    }
    Value::String(value.to_string())
}

/// Writes `value` as pretty JSON and a newline.
pub fn write_json(value: &Dynamic, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_json(value)).map_err(io::Error::from)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_stay_integers_and_unit_is_null() {
        let mut map = Map::new();
        map.insert("count".into(), Dynamic::from(3_i64));
        map.insert("ratio".into(), Dynamic::from(0.5_f64));
        map.insert("none".into(), Dynamic::UNIT);
        let json = to_json(&Dynamic::from_map(map));
        assert_eq!(json.to_string(), r#"{"count":3,"none":null,"ratio":0.5}"#);
    }
}
