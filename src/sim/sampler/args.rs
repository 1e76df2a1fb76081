//! Decoding sampler arguments the way the node's Go handlers do: a value of
//! the wrong JSON type fails with the message `encoding/json` writes.

use serde_json::{Map, Value};

use crate::sim::world::json_kind;

/// The arguments of one sampler call, named after the Go params struct.
pub struct Args<'a> {
    map: &'a Map<String, Value>,
    structure: &'static str,
}

impl<'a> Args<'a> {
    pub fn new(map: &'a Map<String, Value>, structure: &'static str) -> Args<'a> {
        Args { map, structure }
    }

    /// An integer field; absent or null gives `default`.
    pub fn int(&self, name: &str, default: i64) -> Result<i64, String> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Number(number)) => match number.as_i64() {
                Some(value) => Ok(value),
                None => Err(self.mismatch(&format!("number {number}"), name, "int")),
            },
            Some(other) => Err(self.mismatch(json_kind(other), name, "int")),
        }
    }

    /// A string field; absent or null gives the empty string.
    pub fn string(&self, name: &str) -> Result<String, String> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(text)) => Ok(text.clone()),
            Some(other) => Err(self.mismatch(json_kind(other), name, "string")),
        }
    }

    /// A list of strings; `None` when absent (not the same as empty).
    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, String> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.clone()),
                    other => Err(self.mismatch(json_kind(other), name, "string")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(self.mismatch(json_kind(other), name, "[]string")),
        }
    }

    /// An object field; absent or null gives an empty map.
    pub fn object(&self, name: &str) -> Result<Map<String, Value>, String> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map.clone()),
            Some(other) => Err(self.mismatch(json_kind(other), name, "map[string]interface {}")),
        }
    }

    fn mismatch(&self, found: &str, name: &str, wanted: &str) -> String {
        format!(
            "invalid params: json: cannot unmarshal {found} into Go struct field {}.{name} of type {wanted}",
            self.structure
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Args;

    #[test]
    fn wrong_types_fail_like_go() {
        let map = json!({"interval_ms": "fast", "count": 2}).as_object().unwrap().clone();
        let args = Args::new(&map, "sampleStartParams");
        assert_eq!(args.int("count", 0), Ok(2));
        assert_eq!(args.int("linger_sec", 30), Ok(30));
        assert_eq!(
            args.int("interval_ms", 5000).unwrap_err(),
            "invalid params: json: cannot unmarshal string into Go struct field sampleStartParams.interval_ms of type int"
        );
    }
}
