//! Replays every recorded tool call (but the samplers') against the world
//! and compares the answer's structure with the real node's.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::sim::world::{json_kind, ToolReply, World, RECORDED_NAMES};
use crate::sim::SimOptions;

const SAMPLER_TOOLS: &[&str] =
    &["sample_start", "sample_listen", "sample_read", "sample_stop", "sample_list"];

/// The recordings folder, or `None` (with a note) when it is absent.
pub fn recordings_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/ergo-mcp/recordings");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} is absent", dir.display());
        None
    }
}

/// One recorded tool call: file name, tool, arguments, outcome.
pub struct Exchange {
    pub file: String,
    pub tool: String,
    pub arguments: Option<Map<String, Value>>,
    pub outcome: Outcome,
}

pub enum Outcome {
    Json(Value),
    Text(String),
    Error(String),
}

pub fn exchanges(dir: &PathBuf) -> Vec<Exchange> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect())
        .unwrap_or_default();
    files.sort();
    files.into_iter().filter_map(|path| exchange(&path)).collect()
}

fn exchange(path: &PathBuf) -> Option<Exchange> {
    let file = path.file_name()?.to_str()?.to_string();
    if !file.as_bytes().first()?.is_ascii_digit() || !file.ends_with(".json") {
        return None;
    }
    let record: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let body = &record["request"]["body"];
    if body["method"] != "tools/call" {
        return None;
    }
    let params = body["params"].as_object()?;
    let tool = params.get("name")?.as_str()?.to_string();
    let arguments = params.get("arguments").and_then(Value::as_object).cloned();
    let response = &record["response"]["body"];
    let outcome = if let Some(message) = response["error"]["message"].as_str() {
        Outcome::Error(message.to_string())
    } else {
        let text = response["result"]["content"][0]["text"].as_str()?.to_string();
        match serde_json::from_str::<Value>(&text) {
            Ok(value) => Outcome::Json(value),
            Err(_) => Outcome::Text(text),
        }
    };
    Some(Exchange { file, tool, arguments, outcome })
}

/// Replaces recorded names with simulated ones, deep inside `value`.
fn translate(value: &Value, pids: &HashMap<String, String>) -> Value {
    match value {
        Value::String(text) => {
            if let Some(pid) = pids.get(text) {
                return Value::String(pid.clone());
            }
            let mapped = RECORDED_NAMES.iter().find(|(recorded, _)| recorded == text);
            Value::String(mapped.map_or(text.clone(), |(_, simulated)| simulated.to_string()))
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|item| translate(item, pids)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter().map(|(key, item)| (key.clone(), translate(item, pids))).collect(),
        ),
        other => other.clone(),
    }
}

/// Same kinds and, for objects, the same keys in the same order. Inside a
/// value an empty list may be null on one side and `[]` on the other.
pub fn same_shape(recorded: &Value, ours: &Value, path: &str) -> Result<(), String> {
    match (recorded, ours) {
        (Value::Object(left), Value::Object(right)) => {
            let left_keys: Vec<&String> = left.keys().collect();
            let right_keys: Vec<&String> = right.keys().collect();
            if left_keys != right_keys && !is_map(path) {
                return Err(format!("{path}: keys {left_keys:?} != {right_keys:?}"));
            }
            for (key, item) in left {
                if let Some(other) = right.get(key) {
                    same_shape(item, other, &format!("{path}.{key}"))?;
                }
            }
            Ok(())
        }
        (Value::Array(left), Value::Array(right)) => {
            if path.is_empty() && right.is_empty() != left.is_empty() {
                return Err(format!("recorded {} items, simulated {}", left.len(), right.len()));
            }
            for (index, item) in right.iter().enumerate() {
                if let Some(model) = left.get(index.min(left.len().saturating_sub(1))) {
                    same_shape(model, item, &format!("{path}[{index}]"))?;
                }
            }
            Ok(())
        }
        (Value::Null, Value::Array(_)) | (Value::Array(_), Value::Null) if !path.is_empty() => {
            Ok(())
        }
        _ if json_kind(recorded) == json_kind(ours) => Ok(()),
        _ => Err(format!(
            "{path}: recorded {} but simulated {}",
            json_kind(recorded),
            json_kind(ours)
        )),
    }
}

/// Objects whose keys are data (environments, inspect maps).
fn is_map(path: &str) -> bool {
    path.ends_with("Env")
}

fn settle(reply: ToolReply) -> ToolReply {
    match reply {
        ToolReply::Hold { then, .. } => settle(*then),
        other => other,
    }
}

#[test]
fn every_recorded_call_has_the_recorded_shape() {
    let Some(dir) = recordings_dir() else { return };
    // The recorded node is one release older: legacy node_info.
    let mut world = World::new(&SimOptions { legacy: true, ..SimOptions::test() });
    let mut pids: HashMap<String, String> = HashMap::new();
    let mut failures = Vec::new();
    let mut now = 0;
    let mut checked = 0;

    for exchange in exchanges(&dir) {
        if SAMPLER_TOOLS.contains(&exchange.tool.as_str()) || exchange.tool == "no_such_tool" {
            continue;
        }
        // A request without `arguments` and a proxy failure are the server's.
        let Some(arguments) = &exchange.arguments else {
            continue;
        };
        if matches!(&exchange.outcome, Outcome::Error(message) if message.starts_with("remote call to"))
        {
            continue;
        }
        now += 250;
        world.advance_to(now);

        let mut arguments = translate(&Value::Object(arguments.clone()), &pids)
            .as_object()
            .cloned()
            .unwrap_or_default();
        let node = arguments.remove("node").and_then(|node| node.as_str().map(str::to_string));
        let node = node.unwrap_or_else(|| "shop@localhost".to_string());
        if exchange.tool != "call_process" {
            arguments.remove("timeout");
        }
        let reply = settle(world.call(&node, &exchange.tool, &arguments));
        checked += 1;

        let problem = match (&exchange.outcome, &reply) {
            (Outcome::Json(recorded), ToolReply::Json(ours)) => {
                if let (Value::Array(left), Value::Array(right)) = (recorded, ours) {
                    remember_pids(left, right, &mut pids);
                }
                same_shape(recorded, ours, "").err()
            }
            (Outcome::Text(recorded), ToolReply::Text(ours)) => (text_shape(recorded)
                != text_shape(ours))
            .then(|| format!("text {recorded:?} vs {ours:?}")),
            (Outcome::Error(recorded), ToolReply::Error(ours)) => {
                let recorded = translate(&Value::String(recorded.clone()), &pids);
                let expected = recorded
                    .as_str()
                    .unwrap_or_default()
                    .replace("demo@localhost", "shop@localhost");
                (expected != *ours).then(|| format!("error {expected:?} vs {ours:?}"))
            }
            (_, ours) => Some(format!("different kind of answer: {ours:?}")),
        };
        if let Some(problem) = problem {
            failures.push(format!("{}: {problem}", exchange.file));
        }
    }
    assert!(checked > 80, "only {checked} recorded calls replayed");
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// A PID, a single word, or the first word of a sentence.
fn text_shape(text: &str) -> String {
    let text = text.trim();
    if text.starts_with('<') && text.ends_with('>') && !text.contains(' ') {
        return "<pid>".to_string();
    }
    if !text.contains(char::is_whitespace) {
        return "<word>".to_string();
    }
    text.split_whitespace().next().unwrap_or_default().to_string()
}

/// PIDs a recorded call returned (throwaways) map to the ones we returned.
fn remember_pids(recorded: &[Value], ours: &[Value], pids: &mut HashMap<String, String>) {
    for (left, right) in recorded.iter().zip(ours) {
        if let (Some(left), Some(right)) = (left.as_str(), right.as_str()) {
            if left.starts_with('<') {
                pids.insert(left.to_string(), right.to_string());
            }
        }
    }
}

#[test]
fn legacy_node_info_has_exactly_the_recorded_keys() {
    let Some(dir) = recordings_dir() else { return };
    let Some(Exchange { outcome: Outcome::Json(recorded), .. }) =
        exchanges(&dir).into_iter().find(|exchange| exchange.file.starts_with("006_"))
    else {
        panic!("006_node_info is not a JSON answer");
    };
    let options = SimOptions { legacy: true, ..SimOptions::test() };
    let mut world = World::new(&options);
    let ToolReply::Json(ours) = world.call("shop@localhost", "node_info", &Map::new()) else {
        panic!("node_info did not answer JSON");
    };
    let recorded_keys: Vec<&String> =
        recorded.as_object().map(|map| map.keys().collect()).unwrap_or_default();
    let our_keys: Vec<&String> =
        ours.as_object().map(|map| map.keys().collect()).unwrap_or_default();
    assert_eq!(recorded_keys, our_keys);
    same_shape(&recorded, &ours, "").unwrap();
}
