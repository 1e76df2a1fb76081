//! Process and application tools: `process_*`, `meta_inspect`, `app_*`.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::args::{parse_alias, parse_pid, quote, Args};
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
        "process_info" => with_pid(
            node,
            args,
            "processInfoParams",
            "process_info",
            |node, process| ToolReply::Json(full_info(process, &node.crc, &node.env, now)),
        ),
        "process_state" => with_pid(
            node,
            args,
            "processStateParams",
            "process_state",
            |_, process| ToolReply::Text(process.state.as_str().to_string()),
        ),
        "process_lookup" => process_lookup(node, args),
        "process_inspect" => process_inspect(node, now, args),
        "meta_inspect" => meta_inspect(node, args),
        "app_list" => app_list(node, now, args),
        "app_info" => app_info(node, now, args),
        "app_processes" => app_processes(node, now, args),
        _ => return None,
    };
    Some(reply)
}

fn invalid(error: String) -> ToolReply {
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
        let (wakeups, init_time) = if node.legacy {
            (0, 0)
        } else {
            (counters.wakeups, process.init_time_ns)
        };
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

fn rows_or_null(node: &Node, now: i64, ids: &[u64]) -> ToolReply {
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
        sorted
            .into_iter()
            .map(|(key, value)| (key.to_string(), Value::String(value)))
            .collect(),
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
            let children = node
                .processes
                .values()
                .filter(|child| child.parent == id)
                .count();
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
                (
                    "eviction",
                    if *growth > 0 { "none" } else { "lru" }.to_string(),
                ),
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

fn meta_inspect(node: &Node, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "metaInspectParams");
    let alias = decoded.string("alias");
    decoded.strings("items");
    if let Err(error) = decoded.finish() {
        return invalid(error);
    }
    let numbers = match parse_alias(&alias) {
        Ok(numbers) => numbers,
        Err(error) => return invalid(format!("invalid alias: {error}")),
    };
    match find_meta(node, numbers) {
        Some(index) => ToolReply::Json(node.metas[index].inspect.clone()),
        None => invalid("meta_inspect: unknown meta process".to_string()),
    }
}

/// The meta process whose alias has these numbers.
pub fn find_meta(node: &Node, numbers: [u64; 3]) -> Option<usize> {
    node.metas
        .iter()
        .position(|meta| parse_alias(&meta.alias).ok() == Some(numbers))
}

fn app_members(node: &Node, app: &str, direct_only: bool) -> Vec<u64> {
    node.processes
        .values()
        .filter(|process| process.application == app && (!direct_only || process.parent == 1))
        .map(|process| process.id)
        .collect()
}

fn app_list(node: &Node, now: i64, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::lenient(args, "appListParams");
    let state = decoded.string("state");
    let mode = decoded.string("mode");
    let name = decoded.string("name");
    let min_uptime = decoded.int("min_uptime", "int64");

    let mut result = Vec::new();
    for app in &node.apps {
        let uptime = (now - app.born_ms) / 1000;
        if (!state.is_empty() && !"running".eq_ignore_ascii_case(&state))
            || (!mode.is_empty() && !app.mode.eq_ignore_ascii_case(&mode))
            || (!name.is_empty() && !app.name.contains(&name))
            || (min_uptime > 0 && uptime < min_uptime)
        {
            continue;
        }
        let mut row = Map::new();
        row.insert("name".into(), json!(app.name));
        row.insert("state".into(), json!("running"));
        row.insert("mode".into(), json!(app.mode));
        if !app.description.is_empty() {
            row.insert("description".into(), json!(app.description));
        }
        if !app.release.is_empty() {
            row.insert("version".into(), json!(app.release));
        }
        row.insert("uptime".into(), json!(uptime));
        if app.weight != 0 {
            row.insert("weight".into(), json!(app.weight));
        }
        row.insert(
            "processes".into(),
            json!(app_members(node, &app.name, true).len()),
        );
        result.push(Value::Object(row));
    }
    ToolReply::Json(Value::Array(result))
}

fn app_info(node: &Node, now: i64, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "appInfoParams");
    let name = decoded.string("name");
    if let Err(error) = decoded.finish() {
        return invalid(error);
    }
    let Some(app) = node.apps.iter().find(|app| app.name == name) else {
        return invalid("app_info: unknown application".to_string());
    };
    let mut env: Vec<(String, String)> = node.env.clone();
    env.extend(app.env.iter().cloned());
    env.sort();
    let env: Map<String, Value> = env
        .into_iter()
        .map(|(key, value)| (key, Value::String(value)))
        .collect();
    let group: Vec<String> = app_members(node, &app.name, true)
        .into_iter()
        .map(|id| node.pid(id))
        .collect();
    ToolReply::Json(json!({
        "Name": app.name,
        "Weight": app.weight,
        "Description": app.description,
        "Version": {"Name": app.name, "Release": app.release, "Commit": "", "License": "MIT"},
        "Env": env,
        "Depends": {"Applications": [], "Network": false},
        "Mode": app.mode,
        "State": "running",
        "Parent": "",
        "Uptime": (now - app.born_ms) / 1000,
        "Group": group
    }))
}

fn app_processes(node: &Node, now: i64, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "appProcessesParams");
    let name = decoded.string("name");
    let mut limit = decoded.int("limit", "int");
    if let Err(error) = decoded.finish() {
        return invalid(error);
    }
    if limit < 1 {
        limit = 100;
    }
    if !node.apps.iter().any(|app| app.name == name) {
        return invalid("app_processes: unknown application".to_string());
    }
    let mut members = app_members(node, &name, false);
    members.truncate(limit as usize);
    rows_or_null(node, now, &members)
}
