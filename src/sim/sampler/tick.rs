//! What a sampler does as sim time moves: an active one calls its tool
//! when due, a passive one takes new log lines and publications; both
//! push into the ring buffer.

use serde_json::{json, Value};

use super::{report, Due, Entry, Kind, Sampler};
use crate::sim::wire;
use crate::sim::world::{ToolReply, World};

impl Sampler {
    pub(super) fn status(&self) -> &'static str {
        self.finished.map(|(_, status)| status).unwrap_or("running")
    }

    pub(super) fn due(&self) -> Option<(u64, Due)> {
        if self.finished.is_some() {
            return None;
        }
        let deadline = self.deadline_ms.unwrap_or(u64::MAX);
        match &self.kind {
            Kind::Active(active) if active.next_due_ms < deadline => {
                Some((active.next_due_ms, Due::Tick))
            }
            _ => self.deadline_ms.map(|at| (at, Due::Deadline)),
        }
    }

    pub(super) fn tick(&mut self, world: &mut World, at: u64) {
        let Kind::Active(active) = &mut self.kind else {
            return;
        };
        active.next_due_ms = at + active.interval_ms;
        let reply = world.call(&self.node, &active.tool, &active.arguments);
        match reply_text(reply) {
            Ok(text) => {
                active.errors_in_row = 0;
                active.successes += 1;
                let done = active.count > 0 && active.successes >= active.count;
                self.push(at, json!({"content": [{"type": "text", "text": text}]}));
                if done {
                    self.finished = Some((at, "completed"));
                }
            }
            Err(_) => {
                active.errors_in_row += 1;
                if active.max_errors > 0 && active.errors_in_row >= active.max_errors {
                    self.finished = Some((at, "failed"));
                }
            }
        }
    }

    pub(super) fn poll(&mut self, world: &World, at: u64, wall_base_ms: u64) {
        let Kind::Passive(passive) = &mut self.kind else {
            return;
        };
        let mut entries = Vec::new();
        if !passive.levels.is_empty() {
            for (sequence, line) in world.logs_since(&self.node, passive.log_cursor) {
                passive.log_cursor = passive.log_cursor.max(sequence);
                let level_wanted = passive.levels.contains(&line.level);
                let source_wanted = passive.source.is_empty() || passive.source == line.kind;
                if level_wanted && source_wanted {
                    entries.push((line.time_ms, report::log_entry(&line, wall_base_ms)));
                }
            }
        }
        if let Some((name, owner)) = &passive.event {
            // The world hands publications over already shaped as the
            // node stores them: `{"event": "'name'@'node'", "message": ...}`.
            for (sequence, data) in world.publications_since(owner, name, passive.event_cursor) {
                passive.event_cursor = passive.event_cursor.max(sequence);
                entries.push((at, data));
            }
        }
        for (time, data) in entries {
            self.push(time.min(at), data);
        }
    }

    fn push(&mut self, at: u64, data: Value) {
        if self.buffer.len() >= self.capacity {
            self.buffer.pop_front();
        }
        self.buffer.push_back(Entry { sequence: self.next_sequence, at_ms: at, data });
        self.next_sequence += 1;
    }
}

/// The text a tool answered, as a sampler stores it.
fn reply_text(reply: ToolReply) -> Result<String, String> {
    match reply {
        ToolReply::Json(value) => Ok(wire::pretty(&value)),
        ToolReply::Text(text) => Ok(text),
        ToolReply::Rendered(text) => Ok(text.as_str().to_string()),
        ToolReply::Error(message) => Err(message),
        ToolReply::Hold { then, .. } => reply_text(*then),
    }
}
