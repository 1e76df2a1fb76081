//! Tool arguments decoded the way Go's `json.Unmarshal` decodes them into a
//! params struct: missing or null fields keep their zero value, a wrongly
//! typed field keeps its zero value and the first such field is reported.
//!
//! Some Ergo tools ignore that error ("lenient"), the others fail with
//! `invalid params: json: cannot unmarshal ...` ("strict").

use serde_json::{Map, Value};

/// One tool's arguments, read field by field.
pub struct Args<'a> {
    map: &'a Map<String, Value>,
    type_name: &'static str,
    strict: bool,
    error: Option<(usize, String)>,
}

impl<'a> Args<'a> {
    /// Arguments of a tool that fails on a wrongly typed field.
    pub fn strict(map: &'a Map<String, Value>, type_name: &'static str) -> Args<'a> {
        Args { map, type_name, strict: true, error: None }
    }

    /// Arguments of a tool that ignores wrongly typed fields.
    pub fn lenient(map: &'a Map<String, Value>, type_name: &'static str) -> Args<'a> {
        Args { map, type_name, strict: false, error: None }
    }

    /// A string field; "" when absent or wrongly typed.
    pub fn string(&mut self, key: &str) -> String {
        match self.map.get(key) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => text.clone(),
            Some(other) => {
                self.mismatch(key, other, "string");
                String::new()
            }
        }
    }

    /// A Go `int`/`int64` field.
    pub fn int(&mut self, key: &str, go_type: &'static str) -> i64 {
        self.optional_int(key, go_type).unwrap_or(0)
    }

    /// A Go `*int64` field: `None` when absent.
    pub fn optional_int(&mut self, key: &str, go_type: &'static str) -> Option<i64> {
        match self.map.get(key)? {
            Value::Null => None,
            Value::Number(number) => match number.as_i64() {
                Some(value) => Some(value),
                None => {
                    self.number_mismatch(key, number, go_type);
                    None
                }
            },
            other => {
                self.mismatch(key, other, go_type);
                None
            }
        }
    }

    /// A Go unsigned field (`uint64`, `uint16`).
    pub fn uint(&mut self, key: &str, go_type: &'static str) -> u64 {
        let limit = if go_type == "uint16" { u16::MAX as u64 } else { u64::MAX };
        match self.map.get(key) {
            None | Some(Value::Null) => 0,
            Some(Value::Number(number)) => match number.as_u64() {
                Some(value) if value <= limit => value,
                _ => {
                    self.number_mismatch(key, number, go_type);
                    0
                }
            },
            Some(other) => {
                self.mismatch(key, other, go_type);
                0
            }
        }
    }

    /// A Go `float64` field.
    pub fn float(&mut self, key: &str) -> f64 {
        match self.map.get(key) {
            None | Some(Value::Null) => 0.0,
            Some(Value::Number(number)) => number.as_f64().unwrap_or(0.0),
            Some(other) => {
                self.mismatch(key, other, "float64");
                0.0
            }
        }
    }

    /// A Go `bool` field.
    pub fn boolean(&mut self, key: &str) -> bool {
        self.optional_bool(key).unwrap_or(false)
    }

    /// A Go `*bool` field: `None` when absent.
    pub fn optional_bool(&mut self, key: &str) -> Option<bool> {
        match self.map.get(key)? {
            Value::Null => None,
            Value::Bool(flag) => Some(*flag),
            other => {
                self.mismatch(key, other, "bool");
                None
            }
        }
    }

    /// A Go `[]string` field.
    pub fn strings(&mut self, key: &str) -> Vec<String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut result = Vec::new();
                for item in items {
                    match item {
                        Value::String(text) => result.push(text.clone()),
                        other => self.mismatch(key, other, "string"),
                    }
                }
                result
            }
            Some(other) => {
                self.mismatch(key, other, "[]string");
                Vec::new()
            }
        }
    }

    /// A `json.RawMessage` field: any value, taken as is.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// Ends decoding: a strict tool answers its first type error.
    pub fn finish(self) -> Result<(), String> {
        match self.error {
            Some((_, message)) if self.strict => Err(format!("invalid params: {message}")),
            _ => Ok(()),
        }
    }

    fn mismatch(&mut self, key: &str, value: &Value, go_type: &str) {
        let kind = super::json::json_kind(value);
        self.record(
            key,
            format!(
                "json: cannot unmarshal {kind} into Go struct field {}.{key} of type {go_type}",
                self.type_name
            ),
        );
    }

    fn number_mismatch(&mut self, key: &str, number: &serde_json::Number, go_type: &str) {
        let message = format!(
            "json: cannot unmarshal number {number} into Go struct field {}.{key} of type {go_type}",
            self.type_name
        );
        self.record(key, message);
    }

    /// Keeps the error of the field that comes first in the request.
    fn record(&mut self, key: &str, message: String) {
        let position = self.map.keys().position(|name| name == key).unwrap_or(usize::MAX);
        let earlier = match &self.error {
            Some((current, _)) => position < *current,
            None => true,
        };
        if earlier {
            self.error = Some((position, message));
        }
    }
}

/// Parses a PID the way the node does: `<crc.high.low>`, the crc ignored.
pub fn parse_pid(text: &str) -> Result<u64, String> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 3 {
        return Err("incorrect PID format, expected <crc.high.low>".to_string());
    }
    let high = parse_int(parts[1])?;
    let low = parse_int(parts[2].trim_end_matches('>'))?;
    Ok((high << 32) | low)
}

/// Parses an alias `Alias#<crc.a.b.c>` into its three numbers.
pub fn parse_alias(text: &str) -> Result<[u64; 3], String> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return Err("incorrect Alias format, expected <crc.id0.id1.id2>".to_string());
    }
    Ok([parse_int(parts[1])?, parse_int(parts[2])?, parse_int(parts[3].trim_end_matches('>'))?])
}

fn parse_int(text: &str) -> Result<u64, String> {
    text.parse::<i64>()
        .map(|value| value as u64)
        .map_err(|_| format!("strconv.ParseInt: parsing {text:?}: invalid syntax"))
}

/// Go's `%q` of a string, for messages that quote user input.
pub fn quote(text: &str) -> String {
    format!("{text:?}")
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map, Value};

    use super::{parse_alias, parse_pid, Args};

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn strict_reports_the_recorded_message() {
        let arguments = map(json!({"pid": 42}));
        let mut args = Args::strict(&arguments, "processInfoParams");
        assert_eq!(args.string("pid"), "");
        assert_eq!(
            args.finish().unwrap_err(),
            "invalid params: json: cannot unmarshal number into Go struct field processInfoParams.pid of type string"
        );
    }

    #[test]
    fn lenient_keeps_defaults_and_other_fields() {
        let arguments = map(json!({"limit": "five", "sort_by": "mailbox"}));
        let mut args = Args::lenient(&arguments, "processListParams");
        assert_eq!(args.int("limit", "int"), 0);
        assert_eq!(args.string("sort_by"), "mailbox");
        assert!(args.finish().is_ok());
    }

    #[test]
    fn fractional_number_for_an_int_names_the_number() {
        let arguments = map(json!({"limit": 2.5}));
        let mut args = Args::strict(&arguments, "appProcessesParams");
        args.int("limit", "int");
        assert_eq!(
            args.finish().unwrap_err(),
            "invalid params: json: cannot unmarshal number 2.5 into Go struct field appProcessesParams.limit of type int"
        );
    }

    #[test]
    fn pids_parse_like_the_node() {
        assert_eq!(parse_pid("<9F35C982.0.1012>"), Ok(1012));
        assert_eq!(parse_pid("<00000000.0.99999>"), Ok(99999));
        assert_eq!(
            parse_pid("slow_worker").unwrap_err(),
            "incorrect PID format, expected <crc.high.low>"
        );
        assert!(parse_pid("<A.x.1>").unwrap_err().starts_with("strconv.ParseInt"));
        assert_eq!(parse_alias("Alias#<9F35C982.195416.25526.0>"), Ok([195416, 25526, 0]));
    }
}
