//! Node-wide tools: `node_*`, `runtime_stats`, `pprof_*`, log levels and
//! loggers, cron, events.

use serde_json::{json, Map, Value};

use super::args::{parse_alias, parse_pid, quote, Args};
use super::cron;
use super::journal::LEVELS;
use super::network::node_version;
use super::node::Node;
use super::pprof;
use super::process::{Role, State};
use super::runtime::{heap_text, HeapEntry};
use super::tools_app::find_meta;
use super::ToolReply;

/// What a node-wide tool needs beyond the node.
pub struct Context {
    pub now: i64,
    /// Connected peers (network reader goroutines).
    pub peers: usize,
}

/// Answers the tools of this module; `None` for any other tool.
pub fn call(
    node: &mut Node,
    context: &Context,
    tool: &str,
    args: &Map<String, Value>,
) -> Option<ToolReply> {
    let now = context.now;
    let reply = match tool {
        "node_info" => ToolReply::Json(node_info(node, now)),
        "node_env" => ToolReply::Json(env_object(&node.env)),
        "runtime_stats" => {
            ToolReply::Json(node.runtime.stats(pprof::goroutine_count(node, context.peers)))
        }
        "pprof_goroutines" => pprof_goroutines(node, context, args),
        "pprof_cpu" => pprof_cpu(node, args),
        "pprof_heap" => pprof_heap(node, now, args),
        "log_level_get" => log_level_get(node, args),
        "log_level_set" => log_level_set(node, args),
        "loggers_list" => ToolReply::Json(json!([{
            "name": "default",
            "levels": ["warning", "error", "panic", "trace", "debug", "info"]
        }])),
        "cron_info" => ToolReply::Json(cron::info(node, now)),
        "cron_job" => cron_job(node, args),
        "cron_schedule" => {
            let mut decoded = Args::lenient(args, "cronScheduleParams");
            let mut seconds = decoded.int("duration_seconds", "int");
            if seconds < 1 {
                seconds = 3600;
            }
            ToolReply::Json(Value::Array(cron::schedule(node, now, seconds)))
        }
        "event_list" => event_list(node, args),
        "event_info" => event_info(node, args),
        _ => return None,
    };
    Some(reply)
}

fn env_object(pairs: &[(String, String)]) -> Value {
    let mut sorted = pairs.to_vec();
    sorted.sort();
    Value::Object(sorted.into_iter().map(|(key, value)| (key, Value::String(value))).collect())
}

/// `NodeInfo`; the legacy shape lacks the newer counters.
pub fn node_info(node: &Node, now: i64) -> Value {
    let framework = if node.legacy { "3.2.0-development" } else { "3.3.0" };
    let running = node.count_state(State::Running);
    let zombee = node.count_state(State::Zombee);
    let mut info = Map::new();
    let mut put = |key: &str, value: Value| {
        info.insert(key.to_string(), value);
    };
    put("Name", json!(node.name));
    put("Uptime", json!(node.uptime(now)));
    put("Version", node_version());
    put(
        "Framework",
        json!({"Name": "Ergo Framework", "Release": framework, "Commit": "", "License": "MIT"}),
    );
    put("Commercial", Value::Null);
    put("Env", env_object(&node.env));
    put("LogLevel", json!(node.log_level));
    put("Loggers", json!([{"Name": "default", "Behavior": "gen.defaultLogger", "Levels": LEVELS}]));
    if !node.legacy {
        put("LogMessages", json!(node.journal.counts));
    }
    put("Cron", cron::info(node, now));
    put("ProcessesTotal", json!(node.processes.len()));
    put("ProcessesRunning", json!(running));
    put("ProcessesZombee", json!(zombee));
    if !node.legacy {
        put("ProcessesSpawned", json!(node.spawned));
        put("ProcessesSpawnFailed", json!(0));
        put("ProcessesTerminated", json!(node.terminated));
    }
    put("RegisteredAliases", json!(node.metas.len()));
    put("RegisteredNames", json!(node.names.len()));
    put("RegisteredEvents", json!(node.events.len()));
    if !node.legacy {
        let published: u64 = node.events.iter().map(|event| event.published).sum();
        let local: u64 = node.events.iter().map(|event| event.local_sent).sum();
        let remote: u64 = node.events.iter().map(|event| event.remote_sent).sum();
        put("EventsPublished", json!(published));
        put("EventsReceived", json!(0));
        put("EventsLocalSent", json!(local));
        put("EventsRemoteSent", json!(remote));
    }
    put("ApplicationsTotal", json!(node.apps.len()));
    put("ApplicationsRunning", json!(node.apps.len()));
    put("MemoryUsed", json!(node.runtime.sys()));
    put("MemoryAlloc", json!(node.runtime.heap_alloc()));
    put("UserTime", json!(node.runtime.user_time_ns()));
    put("SystemTime", json!(node.runtime.system_time_ns()));
    Value::Object(info)
}

fn pprof_goroutines(node: &Node, context: &Context, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::lenient(args, "pprofGoroutinesParams");
    let pid = decoded.string("pid");
    let limit = decoded.int("limit", "int");
    let debug = decoded.int("debug", "int");
    let filter = decoded.string("filter");
    let exclude = decoded.string("exclude");

    if !pid.is_empty() {
        if !node.pprof_tag {
            return ToolReply::Error(
                "looking up goroutine by process PID requires building with -tags=pprof. Without this tag, \
                 actor goroutines are not labeled with PID. Use pprof_goroutines without pid parameter to see \
                 all goroutines"
                    .to_string(),
            );
        }
        return match pprof::process_trace(node, &pid, context.peers) {
            Ok(text) => ToolReply::Text(text),
            Err(error) => ToolReply::Error(error),
        };
    }
    let stacks = pprof::stacks(node, context.peers);
    ToolReply::Text(pprof::goroutines_text(&stacks, debug, limit, &filter, &exclude))
}

fn pprof_cpu(node: &Node, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::lenient(args, "pprofCPUParams");
    let duration = decoded.int("duration", "int").clamp(0, 30);
    let duration = if duration < 1 { 5 } else { duration };
    let limit = decoded.int("limit", "int");
    let filter = decoded.string("filter");
    let exclude = decoded.string("exclude");
    let text = pprof::cpu_text(node, duration, limit, &filter, &exclude);
    ToolReply::Hold { seconds: duration as f64, then: Box::new(ToolReply::Text(text)) }
}

/// The node's allocators: fixed ones, one per busy behavior, and a
/// growing cache when memory grows.
fn heap_entries(node: &Node, now: i64) -> Vec<HeapEntry> {
    let entry = |function: &str, inuse: i64| HeapEntry {
        function: function.to_string(),
        inuse,
        alloc: inuse + inuse / 3,
    };
    let mailbox: u64 = node.processes.values().map(|process| process.counters(now).mailbox).sum();
    let mut entries = vec![
        entry("runtime.mallocgc", 1_048_576),
        entry("ergo.services/ergo/lib.(*queueLimitMPSC).Push", 262_144 + mailbox as i64 * 96),
        entry("ergo.services/application/mcp.toolProcessList.func2", 540_876),
        entry("encoding/json.(*encodeState).marshal", 535_245),
        entry("ergo.services/ergo/net/handshake.(*handshake).readMessage", 529_000),
        entry("unicode.map.init.0", 525_414),
    ];
    for process in node.processes.values() {
        let function = format!("{}.HandleMessage", pprof_receiver(&process.behavior));
        match &process.role {
            Role::Cache { base_bytes, growth } => {
                let grown = if *growth > 0 { node.runtime.grown as i64 } else { 0 };
                entries.push(entry(&function, *base_bytes as i64 + grown));
            }
            _ if process.flow.in_per_sec >= 5.0 => entries.push(entry(&function, 524_288)),
            _ => {}
        }
    }
    entries
}

fn pprof_receiver(behavior: &str) -> String {
    match behavior.split_once('.') {
        Some((package, kind)) => format!("{package}.(*{kind})"),
        None => behavior.to_string(),
    }
}

fn pprof_heap(node: &Node, now: i64, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::lenient(args, "pprofHeapParams");
    let limit = decoded.int("limit", "int");
    let filter = decoded.string("filter");
    let exclude = decoded.string("exclude");
    ToolReply::Text(heap_text(heap_entries(node, now), limit, &filter, &exclude))
}

/// Where a log level target points.
enum Target {
    Node,
    Process(u64),
    Meta(usize),
    Named(u64),
}

/// Resolves a target like the node: "node", a PID, an alias, a name.
fn resolve(node: &Node, target: &str, tool: &str) -> Result<Target, String> {
    if target.is_empty() || target == "node" {
        return Ok(Target::Node);
    }
    if let Ok(id) = parse_pid(target) {
        return match node.processes.contains_key(&id) {
            true => Ok(Target::Process(id)),
            false => Err(format!("{tool} process {target}: unknown process")),
        };
    }
    if let Ok(numbers) = parse_alias(target) {
        return find_meta(node, numbers)
            .map(Target::Meta)
            .ok_or_else(|| format!("{tool} meta {target}: unknown meta process"));
    }
    node.by_name(target).map(Target::Named).ok_or_else(|| {
        format!(
            "cannot resolve target {}: not a valid PID, alias, or registered name",
            quote(target)
        )
    })
}

fn log_level_get(node: &Node, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::lenient(args, "logLevelGetParams");
    let target = decoded.string("target");
    let level_of =
        |id: u64| node.processes.get(&id).map_or("info", |process| process.log_level.as_str());
    match resolve(node, &target, "log_level_get") {
        Ok(Target::Node) => ToolReply::Text(format!("node log level: {}", node.log_level)),
        Ok(Target::Process(id)) => {
            ToolReply::Text(format!("process {target} log level: {}", level_of(id)))
        }
        Ok(Target::Meta(index)) => {
            ToolReply::Text(format!("meta {target} log level: {}", node.metas[index].log_level))
        }
        Ok(Target::Named(id)) => ToolReply::Text(format!(
            "process {target} ({}) log level: {}",
            node.pid(id),
            level_of(id)
        )),
        Err(error) => ToolReply::Error(error),
    }
}

fn log_level_set(node: &mut Node, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "logLevelSetParams");
    let target = decoded.string("target");
    let level = decoded.string("level");
    if let Err(error) = decoded.finish() {
        return ToolReply::Error(error);
    }
    let level = level.to_lowercase();
    if !LEVELS.contains(&level.as_str()) && level != "disabled" {
        return ToolReply::Error(format!("unknown log level: {}", decoded_original(args)));
    }
    match resolve(node, &target, "log_level_set") {
        Ok(Target::Node) => {
            node.log_level = level.clone();
            ToolReply::Text(format!("node log level set to {level}"))
        }
        Ok(Target::Process(id)) => {
            set_process_level(node, id, &level);
            ToolReply::Text(format!("process {target} log level set to {level}"))
        }
        Ok(Target::Meta(index)) => {
            node.metas[index].log_level = level.clone();
            ToolReply::Text(format!("meta {target} log level set to {level}"))
        }
        Ok(Target::Named(id)) => {
            set_process_level(node, id, &level);
            ToolReply::Text(format!("process {target} ({}) log level set to {level}", node.pid(id)))
        }
        Err(error) => ToolReply::Error(error),
    }
}

/// The level as the caller wrote it, for the error message.
fn decoded_original(args: &Map<String, Value>) -> String {
    args.get("level").and_then(Value::as_str).unwrap_or_default().to_string()
}

fn set_process_level(node: &mut Node, id: u64, level: &str) {
    if let Some(process) = node.processes.get_mut(&id) {
        process.log_level = level.to_string();
    }
}

fn cron_job(node: &Node, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "cronJobParams");
    let name = decoded.string("name");
    if let Err(error) = decoded.finish() {
        return ToolReply::Error(error);
    }
    match node.cron.iter().find(|job| job.name == name) {
        Some(job) => ToolReply::Json(cron::job_info(node, job)),
        None => ToolReply::Error("cron_job: unknown".to_string()),
    }
}

fn event_list(node: &Node, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::lenient(args, "eventListParams");
    let mut limit = decoded.int("limit", "int");
    let name = decoded.string("name");
    let producer = decoded.string("producer");
    let notify = decoded.optional_bool("notify");
    let min_subscribers = decoded.optional_int("min_subscribers", "int64");
    let max_subscribers = decoded.optional_int("max_subscribers", "int64");
    let min_published = decoded.int("min_published", "int64");
    let max_published = decoded.optional_int("max_published", "int64");
    let min_local = decoded.int("min_local_sent", "int64");
    let min_remote = decoded.int("min_remote_sent", "int64");
    let has_buffer = decoded.optional_bool("has_buffer");
    let utilization = decoded.string("utilization_state");
    let sort_by = decoded.string("sort_by");
    if limit == 0 {
        limit = 100;
    }

    let mut found = Vec::new();
    for event in &node.events {
        let subscribers = (event.subscribers + event.remote_subscribers) as i64;
        let producer_name =
            node.processes.get(&event.producer).map_or("", |process| process.name.as_str());
        let keep = (name.is_empty() || event.name.contains(&name))
            && (producer.is_empty()
                || node.pid(event.producer).contains(&producer)
                || (!producer_name.is_empty() && producer_name.contains(&producer)))
            && (utilization.is_empty() || event.utilization() == utilization)
            && notify.is_none_or(|flag| flag == event.notify)
            && has_buffer.is_none_or(|flag| flag == (event.buffer_size > 0))
            && min_subscribers.is_none_or(|minimum| subscribers >= minimum)
            && max_subscribers.is_none_or(|maximum| subscribers <= maximum)
            && (min_published <= 0 || event.published as i64 >= min_published)
            && max_published.is_none_or(|maximum| event.published as i64 <= maximum)
            && (min_local <= 0 || event.local_sent as i64 >= min_local)
            && (min_remote <= 0 || event.remote_sent as i64 >= min_remote);
        if !keep {
            continue;
        }
        let value = match sort_by.as_str() {
            "subscribers" => subscribers as f64,
            "published" => event.published as f64,
            "local_sent" => event.local_sent as f64,
            "remote_sent" => event.remote_sent as f64,
            _ => 0.0,
        };
        found.push((value, event.info(&node.crc)));
        if sort_by.is_empty() && limit > 0 && found.len() as i64 >= limit {
            break;
        }
    }
    if !sort_by.is_empty() {
        found.sort_by(|a, b| b.0.total_cmp(&a.0));
        if limit > 0 {
            found.truncate(limit as usize);
        }
    }
    if found.is_empty() {
        return ToolReply::Json(Value::Null);
    }
    ToolReply::Json(Value::Array(found.into_iter().map(|(_, info)| info).collect()))
}

fn event_info(node: &Node, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "eventInfoParams");
    let name = decoded.string("name");
    if let Err(error) = decoded.finish() {
        return ToolReply::Error(error);
    }
    match node.events.iter().find(|event| event.name == name) {
        Some(event) => ToolReply::Json(event.info(&node.crc)),
        None => ToolReply::Error("event_info: unknown event".to_string()),
    }
}
