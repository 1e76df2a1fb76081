//! Tool schemas: what a tool's `inputSchema` says about its parameters,
//! and the catalog of every tool a server lists.

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;

use crate::protocol::ToolSpec;

/// The JSON type a parameter expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamKind {
    String,
    Integer,
    Number,
    Boolean,
    /// An array whose items have the given kind.
    Array(Box<ParamKind>),
    Object,
    /// No type, or one ergosh does not know: anything convertible to JSON.
    Any,
}

impl ParamKind {
    /// Reads the `type` (and `items`) of one property schema.
    fn from_schema(schema: &Value) -> ParamKind {
        let name = match schema.get("type") {
            Some(Value::String(name)) => name.as_str(),
            // `["string", "null"]`: the first type that is not null decides
            Some(Value::Array(names)) => {
                names.iter().filter_map(Value::as_str).find(|name| *name != "null").unwrap_or("")
            }
            _ => "",
        };
        match name {
            "string" => ParamKind::String,
            "integer" => ParamKind::Integer,
            "number" => ParamKind::Number,
            "boolean" => ParamKind::Boolean,
            "object" => ParamKind::Object,
            "array" => {
                let items = schema.get("items").map_or(ParamKind::Any, ParamKind::from_schema);
                ParamKind::Array(Box::new(items))
            }
            _ => ParamKind::Any,
        }
    }
}

impl fmt::Display for ParamKind {
    /// Reads as a noun phrase: "an integer", "an array of strings".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamKind::String => f.write_str("a string"),
            ParamKind::Integer => f.write_str("an integer"),
            ParamKind::Number => f.write_str("a number"),
            ParamKind::Boolean => f.write_str("a boolean"),
            ParamKind::Object => f.write_str("a map"),
            ParamKind::Any => f.write_str("any value"),
            ParamKind::Array(items) => match items.as_ref() {
                ParamKind::String => f.write_str("an array of strings"),
                ParamKind::Integer => f.write_str("an array of integers"),
                ParamKind::Number => f.write_str("an array of numbers"),
                ParamKind::Boolean => f.write_str("an array of booleans"),
                ParamKind::Object => f.write_str("an array of maps"),
                ParamKind::Any => f.write_str("an array"),
                ParamKind::Array(_) => f.write_str("an array of arrays"),
            },
        }
    }
}

/// One property of a tool's `inputSchema`.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub kind: ParamKind,
    pub description: String,
    /// The allowed values when the schema has an `enum` (strings as they
    /// are, other values as JSON text).
    pub enum_values: Vec<String>,
    pub required: bool,
}

/// What ergosh knows about one tool's arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSchema {
    pub name: String,
    pub description: String,
    /// In the order the schema lists them.
    pub params: Vec<Param>,
    /// Unknown parameters are refused. True unless the schema allows
    /// additional properties (`additionalProperties: true` or a schema) or
    /// lists no properties at all without forbidding extra ones.
    pub closed: bool,
}

impl ToolSchema {
    pub fn from_spec(spec: &ToolSpec) -> ToolSchema {
        let schema = &spec.input_schema;
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();

        let params: Vec<Param> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|properties| {
                properties
                    .iter()
                    .map(|(name, property)| {
                        param(name, property, required.contains(&name.as_str()))
                    })
                    .collect()
            })
            .unwrap_or_default();

        let closed = match schema.get("additionalProperties") {
            Some(Value::Bool(false)) => true,
            Some(Value::Bool(true)) | Some(Value::Object(_)) => false,
            _ => !params.is_empty(),
        };

        ToolSchema {
            name: spec.name.clone(),
            description: spec.description.clone(),
            params,
            closed,
        }
    }

    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|param| param.name == name)
    }

    /// Parameter names in schema order.
    pub fn param_names(&self) -> impl Iterator<Item = &str> {
        self.params.iter().map(|param| param.name.as_str())
    }
}

fn param(name: &str, property: &Value, required: bool) -> Param {
    let enum_values = property
        .get("enum")
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .map(|value| match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();

    Param {
        name: name.to_string(),
        kind: ParamKind::from_schema(property),
        description: property
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        enum_values,
        required,
    }
}

/// Every tool a server lists, by name, in the server's order.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    schemas: Vec<ToolSchema>,
    by_name: HashMap<String, usize>,
}

impl Catalog {
    pub fn new(specs: &[ToolSpec]) -> Catalog {
        let mut catalog = Catalog::default();
        for spec in specs {
            let schema = ToolSchema::from_spec(spec);
            match catalog.by_name.get(&schema.name) {
                // a server listing a name twice: the later entry wins
                Some(&index) => catalog.schemas[index] = schema,
                None => {
                    catalog.by_name.insert(schema.name.clone(), catalog.schemas.len());
                    catalog.schemas.push(schema);
                }
            }
        }
        catalog
    }

    pub fn get(&self, name: &str) -> Option<&ToolSchema> {
        self.by_name.get(name).map(|&index| &self.schemas[index])
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.schemas.iter().map(|schema| schema.name.as_str())
    }

    pub fn schemas(&self) -> impl Iterator<Item = &ToolSchema> {
        self.schemas.iter()
    }

    pub fn len(&self) -> usize {
        self.schemas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The recorded `tools/list` of a real Ergo node, when the shared
    /// reference material is present.
    pub(crate) fn recorded_specs() -> Option<Vec<ToolSpec>> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/ergo-mcp/recordings/004_tools_list.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            println!("skipped: {path} is absent");
            return None;
        };
        let recording: Value = serde_json::from_str(&text).expect("the recording is JSON");
        let tools = recording["response"]["body"]["result"]["tools"].clone();
        Some(serde_json::from_value(tools).expect("the recorded tools decode"))
    }

    pub(crate) fn recorded_catalog() -> Option<Catalog> {
        recorded_specs().map(|specs| Catalog::new(&specs))
    }

    #[test]
    fn every_recorded_tool_has_a_schema() {
        let Some(catalog) = recorded_catalog() else { return };
        assert_eq!(catalog.len(), 48);

        for schema in catalog.schemas() {
            assert!(!schema.description.is_empty(), "{} has a description", schema.name);
            assert!(schema.param("node").is_some(), "{} takes `node`", schema.name);
            assert_eq!(schema.param("timeout").map(|p| &p.kind), Some(&ParamKind::Integer));
            assert!(schema.closed, "{} refuses unknown parameters", schema.name);
        }
    }

    #[test]
    fn process_list_params_keep_schema_order_and_enum() {
        let Some(catalog) = recorded_catalog() else { return };
        let schema = catalog.get("process_list").expect("process_list is listed");

        let names: Vec<&str> = schema.param_names().collect();
        assert_eq!(names[..3], ["application", "behavior", "limit"]);
        assert_eq!(names.last(), Some(&"timeout"));
        assert!(names.contains(&"node"));

        let sort_by = schema.param("sort_by").expect("sort_by");
        assert_eq!(sort_by.kind, ParamKind::String);
        assert!(sort_by
            .enum_values
            .starts_with(&["mailbox".to_string(), "mailbox_latency".to_string()]));
        assert!(!sort_by.required);
        assert_eq!(schema.param("min_init_time_ms").map(|p| &p.kind), Some(&ParamKind::Number));
    }

    #[test]
    fn required_arrays_and_objects_are_read() {
        let Some(catalog) = recorded_catalog() else { return };

        let route = catalog.get("network_connect_route").expect("listed");
        let required: Vec<&str> =
            route.params.iter().filter(|p| p.required).map(|p| p.name.as_str()).collect();
        assert_eq!(required.len(), 3);
        assert!(required.contains(&"host") && required.contains(&"port"));

        let send = catalog.get("send_message").expect("listed");
        assert_eq!(send.param("message").map(|p| &p.kind), Some(&ParamKind::Object));

        let arrays: Vec<(&str, &str)> = catalog
            .schemas()
            .flat_map(|s| s.params.iter().map(move |p| (s.name.as_str(), p)))
            .filter(|(_, p)| p.kind == ParamKind::Array(Box::new(ParamKind::String)))
            .map(|(tool, p)| (tool, p.name.as_str()))
            .collect();
        assert_eq!(arrays.len(), 3, "{arrays:?}");
    }

    #[test]
    fn kinds_read_type_lists_and_missing_types() {
        let spec = ToolSpec {
            name: "t".into(),
            description: String::new(),
            input_schema: serde_json::json!({
                "type": "object",
                "properties": {
                    "a": {"type": ["null", "integer"]},
                    "b": {},
                    "c": {"type": "array"},
                    "d": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
                    "e": {"type": "string", "enum": ["x", 1]}
                },
                "required": ["b"]
            }),
        };
        let schema = ToolSchema::from_spec(&spec);
        let kinds: Vec<&ParamKind> = schema.params.iter().map(|p| &p.kind).collect();
        assert_eq!(
            kinds,
            [
                &ParamKind::Integer,
                &ParamKind::Any,
                &ParamKind::Array(Box::new(ParamKind::Any)),
                &ParamKind::Array(Box::new(ParamKind::Array(Box::new(ParamKind::Number)))),
                &ParamKind::String,
            ]
        );
        assert!(schema.param("b").is_some_and(|p| p.required));
        assert_eq!(
            schema.param("e").map(|p| p.enum_values.clone()),
            Some(vec!["x".into(), "1".into()])
        );
        assert!(schema.closed);
    }

    #[test]
    fn a_schema_without_properties_is_open() {
        let spec = ToolSpec {
            name: "echo".into(),
            description: String::new(),
            input_schema: serde_json::json!({"type": "object"}),
        };
        assert!(!ToolSchema::from_spec(&spec).closed);

        let spec = ToolSpec {
            input_schema: serde_json::json!({"properties": {"a": {}}, "additionalProperties": true}),
            ..spec
        };
        assert!(!ToolSchema::from_spec(&spec).closed);
    }
}
