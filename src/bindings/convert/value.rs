//! Conversion between `serde_json::Value` and Rhai values, both ways.

use rhai::{Array, Dynamic, ImmutableString, Map};
use serde_json::{Number, Value};

use super::ConvertError;

/// JSON to Rhai: objects become maps, arrays arrays, integers `i64`
/// (integers beyond `i64` become floats), other numbers `f64`, null `()`.
pub fn value_to_dynamic(value: &Value) -> Dynamic {
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(flag) => Dynamic::from_bool(*flag),
        Value::Number(number) => number_to_dynamic(number),
        Value::String(text) => Dynamic::from(ImmutableString::from(text.as_str())),
        Value::Array(items) => {
            let array: Array = items.iter().map(value_to_dynamic).collect();
            Dynamic::from_array(array)
        }
        Value::Object(members) => {
            let map: Map = members
                .iter()
                .map(|(key, value)| (key.as_str().into(), value_to_dynamic(value)))
                .collect();
            Dynamic::from_map(map)
        }
    }
}

fn number_to_dynamic(number: &Number) -> Dynamic {
    match number.as_i64() {
        Some(integer) => Dynamic::from_int(integer),
        None => Dynamic::from_float(number.as_f64().unwrap_or(f64::NAN)),
    }
}

/// Rhai to JSON. Maps become objects, arrays arrays, `()` null, chars and
/// strings strings, a BLOB an array of byte values. Values JSON cannot
/// hold (function pointers, timestamps, custom types, NaN or infinite
/// floats) are an error naming the type.
pub fn dynamic_to_value(value: &Dynamic) -> Result<Value, ConvertError> {
    if value.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(integer) = value.as_int() {
        return Ok(Value::from(integer));
    }
    if let Ok(float) = value.as_float() {
        return float_to_value(float);
    }
    if let Ok(flag) = value.as_bool() {
        return Ok(Value::Bool(flag));
    }
    if let Ok(character) = value.as_char() {
        return Ok(Value::String(character.to_string()));
    }
    if let Ok(text) = value.as_immutable_string_ref() {
        return Ok(Value::String(text.as_str().to_string()));
    }
    if let Ok(array) = value.as_array_ref() {
        let items = array.iter().map(dynamic_to_value).collect::<Result<Vec<_>, _>>()?;
        return Ok(Value::Array(items));
    }
    if let Ok(map) = value.as_map_ref() {
        let mut members = serde_json::Map::with_capacity(map.len());
        for (key, item) in map.iter() {
            members.insert(key.to_string(), dynamic_to_value(item)?);
        }
        return Ok(Value::Object(members));
    }
    if let Ok(blob) = value.as_blob_ref() {
        return Ok(Value::Array(blob.iter().map(|byte| Value::from(*byte)).collect()));
    }
    Err(ConvertError::Unrepresentable { type_name: value.type_name().to_string() })
}

fn float_to_value(float: f64) -> Result<Value, ConvertError> {
    Number::from_f64(float)
        .map(Value::Number)
        .ok_or(ConvertError::Unrepresentable { type_name: format!("float {float}") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_rhai() {
        let value = json!({
            "PID": "<9F35C982.0.1012>",
            "MessagesIn": 6130,
            "MailboxLatency": -1,
            "Ratio": 0.25,
            "Alive": true,
            "Commercial": null,
            "Levels": ["trace", "debug"],
            "Nested": {"a": [1, [2, {"b": []}]], "c": {}}
        });
        let back = dynamic_to_value(&value_to_dynamic(&value)).expect("converts back");
        assert_eq!(back, value);
    }

    #[test]
    fn integers_stay_integers_and_huge_ones_become_floats() {
        assert!(value_to_dynamic(&json!(42)).is_int());
        assert!(value_to_dynamic(&json!(-1)).is_int());
        assert!(value_to_dynamic(&json!(1.5)).is_float());
        let huge = value_to_dynamic(&json!(u64::MAX));
        assert_eq!(huge.as_float(), Ok(u64::MAX as f64));
    }

    #[test]
    fn rhai_only_values_convert_or_fail_by_name() {
        assert_eq!(dynamic_to_value(&Dynamic::from('x')), Ok(json!("x")));
        assert_eq!(dynamic_to_value(&Dynamic::from_blob(vec![1, 255])), Ok(json!([1, 255])));
        assert_eq!(dynamic_to_value(&Dynamic::UNIT), Ok(Value::Null));

        let error = dynamic_to_value(&Dynamic::from_float(f64::NAN)).unwrap_err();
        assert_eq!(error.to_string(), "cannot convert float NaN to JSON");

        let pointer = Dynamic::from(rhai::FnPtr::new("f").expect("a valid name"));
        let error = dynamic_to_value(&pointer).unwrap_err();
        assert_eq!(error.to_string(), "cannot convert Fn to JSON");
    }

    #[test]
    fn shared_values_are_read_through() {
        let shared = Dynamic::from_int(7).into_shared();
        assert_eq!(dynamic_to_value(&shared), Ok(json!(7)));
        let map: Map = [("k".into(), shared)].into_iter().collect();
        assert_eq!(dynamic_to_value(&Dynamic::from_map(map).into_shared()), Ok(json!({"k": 7})));
    }
}
