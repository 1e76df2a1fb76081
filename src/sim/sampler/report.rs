//! What `sample_list` and `sample_read` answer, worded and keyed as the
//! node's MCP application words and keys them.

use serde_json::{json, Map, Value};

use super::{Kind, Sampler};
use crate::sim::clock::{go_duration, rfc3339_nano, rfc3339_seconds};
use crate::sim::world::LogLine;

/// The `sample_list` answer: one inspect map per sampler, keys sorted.
pub fn list<'a>(samplers: impl Iterator<Item = &'a Sampler>, now: u64, wall_base_ms: u64) -> Value {
    let rows: Vec<Value> = samplers.map(|sampler| list_row(sampler, now, wall_base_ms)).collect();
    Value::Array(rows)
}

fn list_row(sampler: &Sampler, now: u64, wall_base_ms: u64) -> Value {
    let end = sampler.finished.map(|(at, _)| at).unwrap_or(now);
    let (deadline, remaining) = match sampler.deadline_ms {
        Some(deadline) => (
            rfc3339_seconds(wall_base_ms + deadline),
            go_duration(whole_seconds(deadline.saturating_sub(end))),
        ),
        None => ("none".to_string(), "unlimited".to_string()),
    };
    let collected = sampler.next_sequence - 1;
    let samples =
        format!("{collected} collected, buffer {}/{}", sampler.buffer.len(), sampler.capacity);

    let mut row = Map::new();
    row.insert("deadline".into(), json!(deadline));
    row.insert("description".into(), json!(description(sampler)));
    row.insert("id".into(), json!(sampler.id));
    row.insert("owner".into(), json!(sampler.node));
    row.insert("pid".into(), json!(sampler.pid));
    if let Kind::Active(active) = &sampler.kind {
        let progress = if active.count > 0 {
            format!("{}/{} samples", active.successes, active.count)
        } else {
            format!("{} samples", active.successes)
        };
        row.insert("progress".into(), json!(progress));
    }
    row.insert("remaining".into(), json!(remaining));
    row.insert("samples".into(), json!(samples));
    row.insert("status".into(), json!(sampler.status()));
    row.insert(
        "uptime".into(),
        json!(go_duration(whole_seconds(now - sampler.started_ms.min(now)))),
    );
    Value::Object(row)
}

fn whole_seconds(ms: u64) -> u64 {
    ms / 1000 * 1000
}

/// `process_list(sort_by=mailbox, limit=2) every 1s`, or
/// `listen: log [warning, error]`.
fn description(sampler: &Sampler) -> String {
    match &sampler.kind {
        Kind::Active(active) => {
            let arguments: Vec<String> = active
                .arguments
                .iter()
                .map(|(name, value)| format!("{name}={}", plain(value)))
                .collect();
            format!(
                "{}({}) every {}",
                active.tool,
                arguments.join(", "),
                go_duration(active.interval_ms)
            )
        }
        Kind::Passive(passive) => {
            let mut parts = Vec::new();
            if !passive.levels.is_empty() {
                parts.push(format!("log [{}]", passive.levels.join(", ")));
            }
            if let Some((name, owner)) = &passive.event {
                parts.push(format!("event '{name}'@'{owner}'"));
            }
            format!("listen: {}", parts.join(", "))
        }
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The `sample_read` answer: entries with a sequence above `since`;
/// `sequence` is the number the next entry will get.
pub fn read(sampler: &Sampler, since: u64, wall_base_ms: u64) -> Value {
    let samples: Vec<Value> = sampler
        .buffer
        .iter()
        .filter(|entry| entry.sequence > since)
        .map(|entry| {
            json!({
                "sequence": entry.sequence,
                "timestamp": rfc3339_nano(wall_base_ms + entry.at_ms),
                "data": entry.data,
            })
        })
        .collect();

    let mut answer = Map::new();
    answer.insert("sampler_id".into(), json!(sampler.id));
    match &sampler.kind {
        Kind::Active(active) => {
            answer.insert("mode".into(), json!("active"));
            answer.insert("tool".into(), json!(active.tool));
        }
        Kind::Passive(_) => {
            answer.insert("mode".into(), json!("passive"));
        }
    }
    answer.insert("sequence".into(), json!(sampler.next_sequence));
    answer.insert("completed".into(), json!(sampler.finished.is_some()));
    answer.insert("samples".into(), Value::Array(samples));
    Value::Object(answer)
}

/// One captured log line, keyed as the node keys it.
pub fn log_entry(line: &LogLine, wall_base_ms: u64) -> Value {
    let time = rfc3339_nano(wall_base_ms + line.time_ms);
    json!({
        "level": line.level,
        "message": line.message,
        "source": line.source,
        "time": time,
        "type": line.kind,
    })
}
