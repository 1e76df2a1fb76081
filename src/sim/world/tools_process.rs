//! Process tools: `process_list`, `process_children`, `process_info`,
//! `process_state`, `process_lookup`, `process_inspect`.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::args::{parse_pid, quote, Args};
use super::json::pretty_go;
use super::node::Node;
use super::process::{full_info, short_info, Counters, Process, Role, State};
use super::runtime::format_bytes;
use super::ToolReply;

/// Answers the tools of this module; `None` for any other tool.
pub fn call(node: &mut Node, now: i64, tool: &str, args: &Map<String, Value>) -> Option<ToolReply> {
    let reply = match tool {
        "process_list" => process_list(node, now, args),
        "process_children" => process_children(node, now, args),
        "process_info" => {
            with_pid(node, args, "processInfoParams", "process_info", |node, process| {
                ToolReply::Json(full_info(process, &node.crc, &node.env, now))
            })
        }
        "process_state" => {
            with_pid(node, args, "processStateParams", "process_state", |_, process| {
                ToolReply::Text(process.state.as_str().to_string())
            })
        }
        "process_lookup" => process_lookup(node, args),
        "process_inspect" => process_inspect(node, now, args),
        _ => return None,
    };
    Some(reply)
}

pub fn invalid(error: String) -> ToolReply {
    ToolReply::Error(error)
}

/// Decodes `pid`, finds the process and answers through `answer`.
fn with_pid(
    node: &Node,
    args: &Map<String, Value>,
    type_name: &'static str,
    tool: &str,
    answer: impl Fn(&Node, &Process) -> ToolReply,
) -> ToolReply {
    let mut decoded = Args::strict(args, type_name);
    let pid = decoded.string("pid");
    if let Err(error) = decoded.finish() {
        return invalid(error);
    }
    let id = match parse_pid(&pid) {
        Ok(id) => id,
        Err(error) => return invalid(format!("invalid pid: {error}")),
    };
    match node.processes.get(&id) {
        Some(process) => answer(node, process),
        None => invalid(format!("{tool}: unknown process")),
    }
}

struct ListFilter {
    limit: i64,
    application: String,
    behavior: String,
    state: String,
    name: String,
    min_in: u64,
    min_out: u64,
    min_mailbox: u64,
    min_latency: f64,
    min_running_ms: f64,
    min_init_ms: f64,
    min_wakeups: u64,
    min_uptime: i64,
    max_uptime: i64,
    sort_by: String,
}

impl ListFilter {
    fn decode(args: &Map<String, Value>) -> ListFilter {
        let mut decoded = Args::lenient(args, "processListParams");
        ListFilter {
            limit: decoded.int("limit", "int"),
            application: decoded.string("application"),
            behavior: decoded.string("behavior"),
            state: decoded.string("state"),
            name: decoded.string("name"),
            min_in: decoded.uint("min_messages_in", "uint64"),
            min_out: decoded.uint("min_messages_out", "uint64"),
            min_mailbox: decoded.uint("min_mailbox", "uint64"),
            min_latency: decoded.float("min_mailbox_latency_ms"),
            min_running_ms: decoded.float("min_running_time_ms"),
            min_init_ms: decoded.float("min_init_time_ms"),
            min_wakeups: decoded.uint("min_wakeups", "uint64"),
            min_uptime: decoded.int("min_uptime", "int64"),
            max_uptime: decoded.int("max_uptime", "int64"),
            sort_by: decoded.string("sort_by"),
        }
    }

    fn is_plain(&self) -> bool {
        self.application.is_empty()
            && self.behavior.is_empty()
            && self.state.is_empty()
            && self.name.is_empty()
            && self.sort_by.is_empty()
            && self.min_in == 0
            && self.min_out == 0
            && self.min_mailbox == 0
            && self.min_running_ms <= 0.0
            && self.min_init_ms <= 0.0
            && self.min_wakeups == 0
            && self.min_uptime <= 0
            && self.max_uptime <= 0
    }

    fn accepts(
        &self,
        process: &Process,
        counters: &Counters,
        wakeups: u64,
        init_time: u64,
    ) -> bool {
        let strings = (self.application.is_empty() || process.application == self.application)
            && (self.behavior.is_empty() || process.behavior.contains(&self.behavior))
            && (self.state.is_empty() || process.state.as_str().eq_ignore_ascii_case(&self.state))
            && (self.name.is_empty() || process.name.contains(&self.name));
        strings
            && (self.min_in == 0 || counters.messages_in >= self.min_in)
            && (self.min_out == 0 || counters.messages_out >= self.min_out)
            && (self.min_mailbox == 0 || counters.mailbox >= self.min_mailbox)
            && (self.min_running_ms <= 0.0
                || counters.running_ns as f64 / 1e6 >= self.min_running_ms)
            && (self.min_init_ms <= 0.0 || init_time as f64 / 1e6 >= self.min_init_ms)
            && (self.min_wakeups == 0 || wakeups >= self.min_wakeups)
            && (self.min_uptime <= 0 || counters.uptime >= self.min_uptime)
            && (self.max_uptime <= 0 || counters.uptime <= self.max_uptime)
    }

    fn sort_value(&self, counters: &Counters, wakeups: u64, init_time: u64) -> f64 {
        match self.sort_by.as_str() {
            "mailbox" => counters.mailbox as f64,
            "running_time" => counters.running_ns as f64,
            "init_time" => init_time as f64,
            "wakeups" => wakeups as f64,
            "uptime" => counters.uptime as f64,
            "messages_in" => counters.messages_in as f64,
            "messages_out" => counters.messages_out as f64,
            "drain" if wakeups > 0 => counters.messages_in as f64 / wakeups as f64,
            _ => 0.0,
        }
    }
}

fn process_list(node: &mut Node, now: i64, args: &Map<String, Value>) -> ToolReply {
    let mut filter = ListFilter::decode(args);
    if filter.limit == 0 {
        filter.limit = 100;
    }
    if filter.min_latency > 0.0 || filter.sort_by == "mailbox_latency" {
        return invalid(
            "mailbox latency measurement is disabled. Rebuild the application with -tags=latency to enable it"
                .to_string(),
        );
    }

    let cacheable = node.scale && filter.limit < 0 && filter.is_plain();
    if cacheable {
        if let Some(text) = &node.rendered {
            return ToolReply::Rendered(Arc::clone(text));
        }
    }

    let rows = list_rows(node, now, &filter);
    if rows.is_empty() {
        return ToolReply::Json(Value::Null);
    }
    let value = Value::Array(rows);
    if cacheable {
        let text = Arc::new(pretty_go(&value));
        node.rendered = Some(Arc::clone(&text));
        return ToolReply::Rendered(text);
    }
    ToolReply::Json(value)
}

fn list_rows(node: &Node, now: i64, filter: &ListFilter) -> Vec<Value> {
    let collect_all = !filter.sort_by.is_empty();
    let mut matched: Vec<(f64, &Process)> = Vec::new();
    for process in node.processes.values() {
        let counters = process.counters(now);
        let (wakeups, init_time) =
            if node.legacy { (0, 0) } else { (counters.wakeups, process.init_time_ns) };
        if !filter.accepts(process, &counters, wakeups, init_time) {
            continue;
        }
        matched.push((filter.sort_value(&counters, wakeups, init_time), process));
        if !collect_all && filter.limit > 0 && matched.len() as i64 >= filter.limit {
            break;
        }
    }
    if collect_all {
        matched.sort_by(|a, b| b.0.total_cmp(&a.0));
        if filter.limit > 0 {
            matched.truncate(filter.limit as usize);
        }
    }
    matched
        .into_iter()
        .map(|(_, process)| short_info(process, &node.crc, now, node.legacy))
        .collect()
}

pub fn rows_or_null(node: &Node, now: i64, ids: &[u64]) -> ToolReply {
    if ids.is_empty() {
        return ToolReply::Json(Value::Null);
    }
    let rows = ids
        .iter()
        .filter_map(|id| node.processes.get(id))
        .map(|process| short_info(process, &node.crc, now, node.legacy))
        .collect();
    ToolReply::Json(Value::Array(rows))
}

fn process_children(node: &Node, now: i64, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "processChildrenParams");
    let parent = decoded.string("parent");
    let recursive = decoded.boolean("recursive");
    if let Err(error) = decoded.finish() {
        return invalid(error);
    }
    let root = match parse_pid(&parent) {
        Ok(id) => id,
        Err(_) => match node.by_name(&parent) {
            Some(id) => id,
            None => {
                return invalid(format!(
                    "cannot resolve parent {}: unknown process",
                    quote(&parent)
                ))
            }
        },
    };

    let children_of = |id: u64| -> Vec<u64> {
        node.processes
            .values()
            .filter(|process| process.parent == id)
            .map(|process| process.id)
            .collect()
    };
    let mut found = children_of(root);
    if recursive {
        let mut next = 0;
        while next < found.len() {
            let more = children_of(found[next]);
            found.extend(more);
            next += 1;
        }
    }
    rows_or_null(node, now, &found)
}

fn process_lookup(node: &Node, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "processLookupParams");
    let name = decoded.string("name");
    let pid = decoded.string("pid");
    if let Err(error) = decoded.finish() {
        return invalid(error);
    }
    if !name.is_empty() {
        return match node.by_name(&name) {
            Some(id) => ToolReply::Text(node.pid(id)),
            None => invalid("process_lookup by name: unknown process".to_string()),
        };
    }
    if !pid.is_empty() {
        return match parse_pid(&pid) {
            Err(error) => invalid(format!("invalid pid: {error}")),
            Ok(id) => match node.processes.get(&id) {
                Some(process) => ToolReply::Text(process.name.clone()),
                None => invalid("process_lookup by pid: unknown process".to_string()),
            },
        };
    }
    invalid("either 'name' or 'pid' parameter is required".to_string())
}

fn strings(pairs: &[(&str, String)]) -> Value {
    let mut sorted = pairs.to_vec();
    sorted.sort();
    Value::Object(
        sorted.into_iter().map(|(key, value)| (key.to_string(), Value::String(value))).collect(),
    )
}

fn process_inspect(node: &Node, now: i64, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "processInspectParams");
    let pid = decoded.string("pid");
    decoded.strings("items");
    if let Err(error) = decoded.finish() {
        return invalid(error);
    }
    let id = match parse_pid(&pid) {
        Ok(id) => id,
        Err(error) => return invalid(format!("invalid pid: {error}")),
    };
    let Some(process) = node.processes.get(&id) else {
        return invalid("process_inspect: unknown process".to_string());
    };
    // A process busy in a callback never gets to the inspect request.
    let blocked = process.state == State::WaitResponse
        || process.state == State::Zombee
        || process.flow.busy_ns_per_sec > 0.0;
    if blocked {
        return invalid("process_inspect: timed out".to_string());
    }

    let uptime = process.counters(now).uptime;
    let answer = match &process.role {
        Role::Plain | Role::Blackhole | Role::Factory => Value::Null,
        Role::Supervisor { strategy, restarts } => {
            let children = node.processes.values().filter(|child| child.parent == id).count();
            strings(&[
                ("type", "supervisor".to_string()),
                ("strategy", strategy.clone()),
                ("intensity", "100".to_string()),
                ("period", "5".to_string()),
                ("children", children.to_string()),
                ("restarts_count", restarts.to_string()),
            ])
        }
        Role::Cache { base_bytes, growth } => {
            let size = base_bytes + growth * uptime.max(0) as u64;
            strings(&[
                ("entries", (size / 102_400).max(1).to_string()),
                ("eviction", if *growth > 0 { "none" } else { "lru" }.to_string()),
                ("growth", format!("{}/s", format_bytes(*growth as i64))),
                ("size", format_bytes(size as i64)),
                ("size_bytes", size.to_string()),
                ("uptime_seconds", uptime.to_string()),
            ])
        }
        Role::OrderDesk { accepted } => strings(&[
            ("accepted", accepted.to_string()),
            ("queue", process.counters(now).mailbox.to_string()),
        ]),
    };
    ToolReply::Json(answer)
}
