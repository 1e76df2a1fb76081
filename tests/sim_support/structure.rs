//! Comparing the structure of two answers: keys and kinds of values,
//! recursively, with what the recordings allow to vary.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::recorded::{tool_of, Exchange};

/// What the recordings show at each place (`tool:path`) of each tool's
/// answers: the kinds of value, and which object keys are sometimes left
/// out (Go's `omitempty`).
#[derive(Default)]
pub struct Kinds {
    kinds: HashMap<String, BTreeSet<&'static str>>,
    objects: HashMap<String, usize>,
    keys: HashMap<String, usize>,
}

impl Kinds {
    fn get(&self, place: &str) -> Option<&BTreeSet<&'static str>> {
        self.kinds.get(place)
    }

    fn is_optional(&self, place: &str, key: &str) -> bool {
        let objects = self.objects.get(place).copied().unwrap_or(0);
        let present = self.keys.get(&format!("{place}.{key}")).copied().unwrap_or(0);
        present < objects
    }
}

pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(items) if items.is_empty() => "empty array",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub fn collect_kinds(tool: &str, path: &str, value: &Value, kinds: &mut Kinds) {
    let place = format!("{tool}:{path}");
    kinds.kinds.entry(place.clone()).or_default().insert(kind(value));
    if let Value::Object(map) = value {
        *kinds.objects.entry(place.clone()).or_default() += 1;
        for key in map.keys() {
            *kinds.keys.entry(format!("{place}.{key}")).or_default() += 1;
        }
    }
    match value {
        Value::Array(items) => {
            items.iter().for_each(|item| collect_kinds(tool, &format!("{path}[]"), item, kinds))
        }
        Value::Object(map) if !is_data_map(tool, path) => map
            .iter()
            .for_each(|(key, item)| collect_kinds(tool, &format!("{path}.{key}"), item, kinds)),
        _ => {}
    }
}

/// Places whose keys are data (names of variables, inspect items, message
/// fields), not part of the schema.
pub fn is_data_map(tool: &str, path: &str) -> bool {
    let whole_answer =
        matches!(tool, "node_env" | "process_inspect" | "meta_inspect" | "call_process");
    (whole_answer && path.is_empty())
        || path.ends_with(".Env")
        || path.ends_with(".message")
        || path.ends_with(".MailboxQueues")
}

pub fn compare(
    tool: &str,
    path: &str,
    recorded: &Value,
    actual: &Value,
    kinds: &Kinds,
    problems: &mut Vec<String>,
) {
    let (recorded_kind, actual_kind) = (kind(recorded), kind(actual));
    if recorded_kind != actual_kind {
        let seen = kinds.get(&format!("{tool}:{path}"));
        if !seen.is_some_and(|seen| seen.contains(actual_kind)) {
            problems.push(format!("{path}: recorded {recorded_kind}, simulated {actual_kind}"));
        }
        return;
    }
    match (recorded, actual) {
        (Value::Object(recorded), Value::Object(actual)) if !is_data_map(tool, path) => {
            for (key, item) in recorded {
                match actual.get(key) {
                    Some(other) => {
                        compare(tool, &format!("{path}.{key}"), item, other, kinds, problems)
                    }
                    None if kinds.is_optional(&format!("{tool}:{path}"), key) => {}
                    None => problems.push(format!("{path}: key `{key}` missing")),
                }
            }
        }
        (Value::Array(recorded), Value::Array(actual)) => {
            if let Some(first) = recorded.first() {
                for item in actual {
                    compare(tool, &format!("{path}[]"), first, item, kinds, problems);
                }
            }
        }
        (Value::String(recorded), Value::String(actual)) if path.ends_with(".text") => {
            compare_text(tool, recorded, actual, kinds, problems);
        }
        _ => {}
    }
}

/// A tool's text: JSON compared as JSON, plain text must stay plain.
pub fn compare_text(
    tool: &str,
    recorded: &str,
    actual: &str,
    kinds: &Kinds,
    problems: &mut Vec<String>,
) {
    let structured = |text: &str| {
        serde_json::from_str::<Value>(text)
            .ok()
            .filter(|v| v.is_object() || v.is_array() || v.is_null())
    };
    match (structured(recorded), structured(actual)) {
        (Some(recorded), Some(actual)) => compare(tool, "", &recorded, &actual, kinds, problems),
        (Some(_), None) => {
            problems.push(format!("text: recorded JSON, simulated plain text {:?}", clip(actual)))
        }
        (None, Some(_)) => {
            problems.push(format!("text: recorded plain text, simulated JSON {:?}", clip(actual)))
        }
        (None, None) => {}
    }
}

pub fn clip(text: &str) -> String {
    text.chars().take(120).collect()
}

pub fn tool_kinds(exchanges: &[Exchange]) -> Kinds {
    let mut kinds = Kinds::default();
    for exchange in exchanges {
        let Some(tool) = tool_of(exchange) else {
            continue;
        };
        let Some(text) = exchange.response["result"]["content"][0]["text"].as_str() else {
            continue;
        };
        if let Ok(value) = serde_json::from_str::<Value>(text) {
            collect_kinds(&tool, "", &value, &mut kinds);
        }
    }
    kinds
}
