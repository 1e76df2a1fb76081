//! A node's log journal and its events with their publications, both
//! numbered so samplers can read what is new since a sequence number.

use std::collections::VecDeque;

use serde_json::Value;

use super::LogLine;

/// How many log lines and publications a node keeps.
const KEEP: usize = 4096;

/// The levels in the order of `node_info`'s `LogMessages`.
pub const LEVELS: [&str; 6] = ["trace", "debug", "info", "warning", "error", "panic"];

/// Rank of a level name; `disabled` is above every level.
pub fn level_rank(level: &str) -> usize {
    LEVELS.iter().position(|name| *name == level).unwrap_or(LEVELS.len())
}

/// The log lines of one node.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    lines: VecDeque<(u64, LogLine)>,
    last_seq: u64,
    /// Cumulative count per level, `LEVELS` order.
    pub counts: [u64; 6],
}

impl Journal {
    /// Appends a line and counts it.
    pub fn push(&mut self, line: LogLine) {
        let rank = level_rank(&line.level);
        if rank < self.counts.len() {
            self.counts[rank] += 1;
        }
        self.last_seq += 1;
        self.lines.push_back((self.last_seq, line));
        if self.lines.len() > KEEP {
            self.lines.pop_front();
        }
    }

    /// Lines with a sequence number above `seq`.
    pub fn since(&self, seq: u64) -> Vec<(u64, LogLine)> {
        let start = self.lines.partition_point(|(number, _)| *number <= seq);
        self.lines.range(start..).cloned().collect()
    }
}

/// A registered event.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub producer: u64,
    pub buffer_size: u64,
    pub notify: bool,
    pub subscribers: u64,
    pub remote_subscribers: u64,
    pub published: u64,
    pub local_sent: u64,
    pub remote_sent: u64,
    /// Publishing period; `None` for an event that is never published.
    pub every_ms: Option<i64>,
    pub next_ms: i64,
    publications: VecDeque<(u64, Value)>,
}

impl Event {
    pub fn new(name: &str, producer: u64, buffer_size: u64) -> Event {
        Event {
            name: name.to_string(),
            producer,
            buffer_size,
            notify: false,
            subscribers: 0,
            remote_subscribers: 0,
            published: 0,
            local_sent: 0,
            remote_sent: 0,
            every_ms: None,
            next_ms: 0,
            publications: VecDeque::new(),
        }
    }

    /// Publishes `message`, as `'name'@'node'` for listeners.
    pub fn publish(&mut self, node: &str, message: Value) {
        self.published += 1;
        self.local_sent += self.subscribers;
        self.remote_sent += self.remote_subscribers;
        let data = serde_json::json!({
            "event": format!("'{}'@'{}'", self.name, node),
            "message": message
        });
        self.publications.push_back((self.published, data));
        if self.publications.len() > KEEP {
            self.publications.pop_front();
        }
    }

    /// Publications with a sequence number above `seq`.
    pub fn since(&self, seq: u64) -> Vec<(u64, Value)> {
        let start = self.publications.partition_point(|(number, _)| *number <= seq);
        self.publications.range(start..).cloned().collect()
    }

    /// `EventInfo`, in the node's key order.
    pub fn info(&self, crc: &str) -> Value {
        serde_json::json!({
            "Event": format!("Event#<{crc}:{}>", self.name),
            "Producer": super::process::pid_string(crc, self.producer),
            "BufferSize": self.buffer_size,
            "CurrentBuffer": self.published.min(self.buffer_size),
            "Notify": self.notify,
            "Subscribers": self.subscribers + self.remote_subscribers,
            "MessagesPublished": self.published,
            "MessagesLocalSent": self.local_sent,
            "MessagesRemoteSent": self.remote_sent
        })
    }

    /// The derived state `event_list utilization_state` filters on.
    pub fn utilization(&self) -> &'static str {
        let subscribers = self.subscribers + self.remote_subscribers;
        if self.published > 0 && subscribers > 0 {
            "active"
        } else if self.notify {
            "on_demand"
        } else if self.published == 0 && subscribers == 0 {
            "idle"
        } else if self.published > 0 {
            "no_subscribers"
        } else {
            "no_publishing"
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Event, Journal};
    use crate::sim::world::LogLine;

    fn line(level: &str) -> LogLine {
        LogLine {
            time_ms: 0,
            level: level.to_string(),
            message: "m".to_string(),
            source: "s".to_string(),
            kind: "process".to_string(),
        }
    }

    #[test]
    fn journal_reads_after_a_sequence_and_counts_levels() {
        let mut journal = Journal::default();
        journal.push(line("info"));
        journal.push(line("error"));
        journal.push(line("error"));
        let newer = journal.since(1);
        assert_eq!(newer.len(), 2);
        assert_eq!(newer[0].0, 2);
        assert_eq!(journal.counts, [0, 0, 1, 0, 2, 0]);
    }

    #[test]
    fn publications_name_the_event_and_node() {
        let mut event = Event::new("orders", 1017, 10);
        event.publish("shop@localhost", json!({"Seq": 1}));
        let all = event.since(0);
        assert_eq!(all[0].1["event"], "'orders'@'shop@localhost'");
        assert_eq!(event.utilization(), "no_subscribers");
    }
}
