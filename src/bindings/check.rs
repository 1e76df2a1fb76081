//! Checking Rhai arguments against a tool's schema before sending them.

use std::fmt;

use rhai::Dynamic;
use serde_json::{Map, Value};

use super::convert::dynamic_to_value;
use super::nearest::nearest;
use super::schema::{Param, ParamKind, ToolSchema};

/// Arguments a tool would refuse, found before anything is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgError {
    pub tool: String,
    pub problem: ArgProblem,
}

/// What is wrong with the arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgProblem {
    Unknown {
        name: String,
        suggestion: Option<String>,
        valid: Vec<String>,
    },
    /// `expected` is the kind's noun phrase ("an integer"), `got` describes
    /// the value given ("a string `\"10\"`").
    WrongType {
        name: String,
        expected: String,
        got: String,
    },
    NotInEnum {
        name: String,
        value: String,
        suggestion: Option<String>,
        allowed: Vec<String>,
    },
    Missing {
        names: Vec<String>,
    },
}

impl std::error::Error for ArgError {}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.tool)?;
        match &self.problem {
            ArgProblem::Unknown { name, suggestion, valid } => {
                write!(f, "unknown parameter `{name}`")?;
                if let Some(suggestion) = suggestion {
                    write!(f, "; did you mean `{suggestion}`?")?;
                }
                if valid.is_empty() {
                    write!(f, " (it takes no parameters)")
                } else {
                    write!(f, " (valid: {})", valid.join(", "))
                }
            }
            ArgProblem::WrongType { name, expected, got } => {
                write!(f, "parameter `{name}` expects {expected}, got {got}")
            }
            ArgProblem::NotInEnum { name, value, suggestion, allowed } => {
                write!(f, "parameter `{name}` cannot be `{value}`")?;
                if let Some(suggestion) = suggestion {
                    write!(f, "; did you mean `{suggestion}`?")?;
                }
                let allowed: Vec<&str> = allowed
                    .iter()
                    .map(|value| if value.is_empty() { "\"\"" } else { value.as_str() })
                    .collect();
                write!(f, " (one of: {})", allowed.join(", "))
            }
            ArgProblem::Missing { names } if names.len() == 1 => {
                write!(f, "missing required parameter `{}`", names[0])
            }
            ArgProblem::Missing { names } => {
                let names: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
                write!(f, "missing required parameters {}", names.join(", "))
            }
        }
    }
}

impl ToolSchema {
    /// Checks `args` against the schema and converts them to JSON.
    ///
    /// `()` values are dropped (so `#{pid: ()}` leaves `pid` out). Integers
    /// stay integers; a float passed for an integer parameter is accepted
    /// only when it is whole. Strings are checked against an `enum`.
    pub fn check(&self, args: &rhai::Map) -> Result<Map<String, Value>, ArgError> {
        let mut checked = Map::with_capacity(args.len());

        for (name, value) in args {
            if value.is_unit() {
                continue;
            }
            let name = name.as_str();
            let json = match self.param(name) {
                Some(param) => self.check_param(param, value)?,
                None if self.closed => return Err(self.unknown(name)),
                None => dynamic_to_value(value).map_err(|error| {
                    self.problem(ArgProblem::WrongType {
                        name: name.to_string(),
                        expected: ParamKind::Any.to_string(),
                        got: error.to_string().replace("cannot convert ", ""),
                    })
                })?,
            };
            checked.insert(name.to_string(), json);
        }

        let missing: Vec<String> = self
            .params
            .iter()
            .filter(|param| param.required && !checked.contains_key(&param.name))
            .map(|param| param.name.clone())
            .collect();
        if !missing.is_empty() {
            return Err(self.problem(ArgProblem::Missing { names: missing }));
        }
        Ok(checked)
    }

    fn problem(&self, problem: ArgProblem) -> ArgError {
        ArgError { tool: self.name.clone(), problem }
    }

    fn unknown(&self, name: &str) -> ArgError {
        self.problem(ArgProblem::Unknown {
            name: name.to_string(),
            suggestion: nearest(name, self.param_names()).map(str::to_string),
            valid: self.param_names().map(str::to_string).collect(),
        })
    }

    fn check_param(&self, param: &Param, value: &Dynamic) -> Result<Value, ArgError> {
        let json = convert_as(&param.kind, value).map_err(|mismatch| {
            self.problem(ArgProblem::WrongType {
                name: format!("{}{}", param.name, mismatch.path),
                expected: mismatch.expected,
                got: mismatch.got,
            })
        })?;

        if let (Value::String(text), false) = (&json, param.enum_values.is_empty()) {
            if !param.enum_values.contains(text) {
                let allowed = param.enum_values.iter().map(String::as_str);
                return Err(self.problem(ArgProblem::NotInEnum {
                    name: param.name.clone(),
                    value: text.clone(),
                    suggestion: nearest(text, allowed).map(str::to_string),
                    allowed: param.enum_values.clone(),
                }));
            }
        }
        Ok(json)
    }
}

/// Where inside a parameter a value did not fit (`""` or `"[2]"`), what was
/// expected and what was given.
struct Mismatch {
    path: String,
    expected: String,
    got: String,
}

impl Mismatch {
    fn new(kind: &ParamKind, value: &Dynamic) -> Mismatch {
        Mismatch { path: String::new(), expected: kind.to_string(), got: describe(value) }
    }
}

fn convert_as(kind: &ParamKind, value: &Dynamic) -> Result<Value, Mismatch> {
    let mismatch = || Mismatch::new(kind, value);

    match kind {
        ParamKind::String => {
            if let Ok(text) = value.as_immutable_string_ref() {
                Ok(Value::String(text.as_str().to_string()))
            } else if let Ok(character) = value.as_char() {
                Ok(Value::String(character.to_string()))
            } else {
                Err(mismatch())
            }
        }
        ParamKind::Integer => match (value.as_int(), value.as_float()) {
            (Ok(integer), _) => Ok(Value::from(integer)),
            (_, Ok(float)) if float.fract() == 0.0 && float.abs() < 9.0e18 => {
                Ok(Value::from(float as i64))
            }
            _ => Err(mismatch()),
        },
        ParamKind::Number => match (value.as_int(), value.as_float()) {
            (Ok(integer), _) => Ok(Value::from(integer)),
            (_, Ok(float)) => {
                serde_json::Number::from_f64(float).map(Value::Number).ok_or_else(mismatch)
            }
            _ => Err(mismatch()),
        },
        ParamKind::Boolean => value.as_bool().map(Value::Bool).map_err(|_| mismatch()),
        ParamKind::Array(items) => {
            let array = value.as_array_ref().map_err(|_| mismatch())?;
            let mut converted = Vec::with_capacity(array.len());
            for (index, item) in array.iter().enumerate() {
                let item = convert_as(items, item).map_err(|inner| Mismatch {
                    path: format!("[{index}]{}", inner.path),
                    ..inner
                })?;
                converted.push(item);
            }
            Ok(Value::Array(converted))
        }
        ParamKind::Object if !value.is_map() => Err(mismatch()),
        ParamKind::Object | ParamKind::Any => dynamic_to_value(value).map_err(|_| mismatch()),
    }
}

/// A value as an error message shows it: its type and a short rendering,
/// e.g. ``a string `"10"` `` or ``a float `1.5` ``.
fn describe(value: &Dynamic) -> String {
    let kind = if value.is_int() {
        "an integer"
    } else if value.is_float() {
        "a float"
    } else if value.is_bool() {
        "a boolean"
    } else if value.is_string() {
        "a string"
    } else if value.is_char() {
        "a character"
    } else if value.is_array() {
        return "an array".to_string();
    } else if value.is_map() {
        return "a map".to_string();
    } else {
        return format!("a value of type `{}`", value.type_name());
    };

    let shown =
        if value.is_string() { format!("{:?}", value.to_string()) } else { value.to_string() };
    if shown.chars().count() > 40 {
        let cut: String = shown.chars().take(37).collect();
        format!("{kind} `{cut}...`")
    } else {
        format!("{kind} `{shown}`")
    }
}

#[cfg(test)]
mod tests {
    use rhai::{Array, Map};
    use serde_json::json;

    use super::*;
    use crate::bindings::schema::tests::recorded_catalog;
    use crate::bindings::schema::Catalog;
    use crate::protocol::ToolSpec;

    fn args(pairs: &[(&str, Dynamic)]) -> Map {
        pairs.iter().map(|(key, value)| ((*key).into(), value.clone())).collect()
    }

    fn text(value: &str) -> Dynamic {
        Dynamic::from(value.to_string())
    }

    /// The recorded catalog, or a stand-in with the same process_list
    /// parameters when the recordings are absent.
    fn catalog() -> Catalog {
        recorded_catalog().unwrap_or_else(|| {
            let spec: ToolSpec = serde_json::from_value(json!({
                "name": "process_list",
                "inputSchema": {"properties": {
                    "limit": {"type": "integer"}, "sort_by": {"type": "string", "enum": ["mailbox"]}
                }}
            }))
            .unwrap();
            Catalog::new(&[spec])
        })
    }

    fn error(tool: &str, pairs: &[(&str, Dynamic)]) -> String {
        let catalog = catalog();
        let schema = catalog.get(tool).expect("the tool is listed");
        schema.check(&args(pairs)).expect_err("the arguments are wrong").to_string()
    }

    fn skip_without_recordings() -> bool {
        recorded_catalog().is_none()
    }

    #[test]
    fn good_arguments_convert_to_json() {
        let catalog = catalog();
        let schema = catalog.get("process_list").unwrap();
        let checked = schema
            .check(&args(&[("sort_by", text("mailbox")), ("limit", Dynamic::from_int(10))]))
            .unwrap();
        assert_eq!(serde_json::Value::Object(checked), json!({"sort_by": "mailbox", "limit": 10}));
    }

    #[test]
    fn unknown_parameter_suggests_the_nearest_and_lists_the_valid_ones() {
        if skip_without_recordings() {
            return;
        }
        assert_eq!(
            error("process_list", &[("sort", text("mailbox"))]),
            "process_list: unknown parameter `sort`; did you mean `sort_by`? (valid: application, \
             behavior, limit, max_uptime, min_init_time_ms, min_mailbox, min_mailbox_latency_ms, \
             min_messages_in, min_messages_out, min_running_time_ms, min_uptime, min_wakeups, name, node, \
             sort_by, state, timeout)"
        );
        assert_eq!(
            error("node_info", &[("zzz", Dynamic::from_int(1))]),
            "node_info: unknown parameter `zzz` (valid: node, timeout)"
        );
    }

    #[test]
    fn wrong_type_names_the_parameter_the_type_and_the_value() {
        if skip_without_recordings() {
            return;
        }
        assert_eq!(
            error("process_list", &[("limit", text("10"))]),
            "process_list: parameter `limit` expects an integer, got a string `\"10\"`"
        );
        assert_eq!(
            error("process_list", &[("limit", Dynamic::from_float(2.5))]),
            "process_list: parameter `limit` expects an integer, got a float `2.5`"
        );
        assert_eq!(
            error("process_info", &[("pid", Dynamic::from_int(42))]),
            "process_info: parameter `pid` expects a string, got an integer `42`"
        );
        assert_eq!(
            error("send_message", &[("to", text("x")), ("message", Dynamic::from_bool(true))]),
            "send_message: parameter `message` expects a map, got a boolean `true`"
        );
    }

    #[test]
    fn a_wrong_array_element_is_named_by_index() {
        let spec: ToolSpec = serde_json::from_value(json!({
            "name": "t",
            "inputSchema": {"properties": {"names": {"type": "array", "items": {"type": "string"}}}}
        }))
        .unwrap();
        let schema = ToolSchema::from_spec(&spec);
        let list: Array = vec![text("a"), Dynamic::from_int(7)];
        let message = schema.check(&args(&[("names", Dynamic::from_array(list))])).unwrap_err();
        assert_eq!(
            message.to_string(),
            "t: parameter `names[1]` expects a string, got an integer `7`"
        );

        let message = schema.check(&args(&[("names", text("a"))])).unwrap_err();
        assert_eq!(
            message.to_string(),
            "t: parameter `names` expects an array of strings, got a string `\"a\"`"
        );
    }

    #[test]
    fn enum_value_outside_the_list_suggests_the_nearest() {
        if skip_without_recordings() {
            return;
        }
        assert_eq!(
            error("process_list", &[("sort_by", text("mailbx"))]),
            "process_list: parameter `sort_by` cannot be `mailbx`; did you mean `mailbox`? (one of: \
             mailbox, mailbox_latency, running_time, init_time, wakeups, uptime, messages_in, \
             messages_out, drain)"
        );
        assert_eq!(
            error("sample_listen", &[("log_source", text("zzzzzzz"))]),
            "sample_listen: parameter `log_source` cannot be `zzzzzzz` (one of: \"\", process, meta, \
             node, network)"
        );
    }

    #[test]
    fn missing_required_parameters_are_named() {
        if skip_without_recordings() {
            return;
        }
        assert_eq!(error("process_info", &[]), "process_info: missing required parameter `pid`");
        assert_eq!(
            error("send_message", &[("message", Dynamic::from_map(Map::new()))]),
            "send_message: missing required parameter `to`"
        );
        assert_eq!(
            error("network_connect_route", &[]),
            "network_connect_route: missing required parameters `host`, `name`, `port`"
        );
        // a unit value counts as absent
        assert_eq!(
            error("process_info", &[("pid", Dynamic::UNIT)]),
            "process_info: missing required parameter `pid`"
        );
    }

    #[test]
    fn numbers_convert_by_the_declared_kind() {
        let spec: ToolSpec = serde_json::from_value(json!({
            "name": "t",
            "inputSchema": {"properties": {
                "count": {"type": "integer"}, "ratio": {"type": "number"},
                "flag": {"type": "boolean"}, "any": {}, "name": {"type": "string"}
            }}
        }))
        .unwrap();
        let schema = ToolSchema::from_spec(&spec);
        let nested: Map =
            args(&[("k", Dynamic::from_array(vec![Dynamic::from_int(1), Dynamic::UNIT]))]);
        let checked = schema
            .check(&args(&[
                ("count", Dynamic::from_float(3.0)),
                ("ratio", Dynamic::from_int(2)),
                ("flag", Dynamic::from_bool(false)),
                ("any", Dynamic::from_map(nested)),
                ("name", Dynamic::from('c')),
            ]))
            .unwrap();
        assert_eq!(
            serde_json::Value::Object(checked),
            json!({"count": 3, "ratio": 2, "flag": false, "any": {"k": [1, null]}, "name": "c"})
        );
        let float = schema.check(&args(&[("ratio", Dynamic::from_float(0.5))])).unwrap();
        assert_eq!(float["ratio"], json!(0.5));
    }

    #[test]
    fn an_open_schema_passes_unknown_parameters_through() {
        let spec: ToolSpec =
            serde_json::from_value(json!({"name": "echo", "inputSchema": {"type": "object"}}))
                .unwrap();
        let schema = ToolSchema::from_spec(&spec);
        let checked = schema.check(&args(&[("anything", Dynamic::from_int(1))])).unwrap();
        assert_eq!(checked["anything"], json!(1));
    }
}
