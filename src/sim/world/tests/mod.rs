//! Tests across the world's modules: the replay of recorded calls, the
//! planted troubles, and the cluster's consistency and actions.

mod cluster;
mod replay;
mod scenarios;

use serde_json::{json, Map, Value};

use super::{ToolReply, World};
use crate::sim::SimOptions;

pub const SHOP: &str = "shop@localhost";
pub const BACKEND: &str = "backend@localhost";
pub const PAYMENTS: &str = "payments@localhost";

pub fn world() -> World {
    World::new(&SimOptions::test())
}

pub fn healthy() -> World {
    World::new(&SimOptions { healthy: true, ..SimOptions::test() })
}

pub fn args(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

pub fn settle(reply: ToolReply) -> ToolReply {
    match reply {
        ToolReply::Hold { then, .. } => settle(*then),
        other => other,
    }
}

pub fn json_of(world: &mut World, node: &str, tool: &str, arguments: Value) -> Value {
    match settle(world.call(node, tool, &args(arguments))) {
        ToolReply::Json(value) => value,
        ToolReply::Rendered(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
        other => panic!("{tool} on {node}: not JSON: {other:?}"),
    }
}

pub fn text_of(world: &mut World, node: &str, tool: &str, arguments: Value) -> String {
    match settle(world.call(node, tool, &args(arguments))) {
        ToolReply::Text(text) => text,
        other => panic!("{tool} on {node}: not text: {other:?}"),
    }
}

pub fn error_of(world: &mut World, node: &str, tool: &str, arguments: Value) -> String {
    match settle(world.call(node, tool, &args(arguments))) {
        ToolReply::Error(message) => message,
        other => panic!("{tool} on {node}: no error: {other:?}"),
    }
}

pub fn rows(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}

pub fn named<'a>(rows: &'a [Value], name: &str) -> &'a Value {
    rows.iter().find(|row| row["Name"] == name || row["Node"] == name).unwrap_or(&Value::Null)
}

pub fn number(value: &Value, key: &str) -> f64 {
    value[key].as_f64().unwrap_or(0.0)
}

pub fn drain(row: &Value) -> f64 {
    number(row, "MessagesIn") / number(row, "Wakeups").max(1.0)
}

pub fn pid_of(world: &mut World, node: &str, name: &str) -> String {
    text_of(world, node, "process_lookup", json!({"name": name}))
}
