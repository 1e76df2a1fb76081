//! Tools that act on processes: message types, `send_message`,
//! `call_process`, `send_exit`, `process_kill`.

use serde_json::{json, Map, Value};

use super::args::{parse_pid, Args};
use super::node::Node;
use super::process::{Flow, Process, Role, State};
use super::ToolReply;

/// The request timeout of `call_process` when none is given, in seconds.
const DEFAULT_CALL_TIMEOUT: i64 = 5;

/// A struct field of a registered type: (name, Go type, JSON tag).
type Field = (&'static str, &'static str, &'static str);

/// The registered types: full name and fields.
fn registered_types() -> Vec<(&'static str, Vec<Field>)> {
    let mut types = vec![
        (
            "#main/ShopOrder",
            vec![
                ("ID", "int64", "id"),
                ("Item", "string", "item"),
                ("Qty", "int", "qty"),
                ("Rush", "bool", "rush"),
                ("Notes", "string", "notes"),
            ],
        ),
        (
            "#main/OrderReceipt",
            vec![
                ("OrderID", "int64", "order_id"),
                ("Accepted", "bool", "accepted"),
                ("Queue", "int", "queue"),
                ("Message", "string", "message"),
            ],
        ),
        ("#main/SpawnThrowaway", vec![("Count", "int", "count")]),
    ];
    for name in [
        "#ergo.services/application/mcp/ToolCallRequest",
        "#ergo.services/application/mcp/ToolCallResponse",
        "#ergo.services/ergo/app/system/MessageMetrics",
        "#ergo.services/ergo/app/system/inspect/RequestInspectNode",
        "#ergo.services/ergo/app/system/inspect/ResponseInspectNode",
        "#ergo.services/ergo/gen/ApplicationInfo",
        "#ergo.services/ergo/gen/MessageEvent",
        "#ergo.services/ergo/gen/NodeInfo",
        "#ergo.services/ergo/gen/ProcessInfo",
        "#ergo.services/ergo/gen/ProcessShortInfo",
        "#ergo.services/ergo/gen/RemoteNodeInfo",
        "#ergo.services/ergo/net/proto/MessageResult",
        "#ergo.services/ergo/net/proto/MessageSpawn",
    ] {
        types.push((name, Vec::new()));
    }
    types.sort_by(|a, b| a.0.cmp(b.0));
    types
}

/// Finds a type by full (`#pkg/Name`, `pkg/Name`) or short name.
fn resolve_type(name: &str) -> Option<&'static str> {
    let full = if name.starts_with('#') { name.to_string() } else { format!("#{name}") };
    registered_types()
        .into_iter()
        .map(|(type_name, _)| type_name)
        .find(|type_name| *type_name == full || type_name.rsplit('/').next() == Some(name))
}

fn type_not_found(name: &str) -> ToolReply {
    ToolReply::Error(format!("type not found: {name}. Use message_types to list registered types"))
}

/// Answers the tools of this module; `None` for any other tool.
pub fn call(node: &mut Node, now: i64, tool: &str, args: &Map<String, Value>) -> Option<ToolReply> {
    let reply = match tool {
        "message_types" => {
            let mut decoded = Args::lenient(args, "messageTypesParams");
            let filter = decoded.string("filter").to_lowercase();
            let names: Vec<&str> = registered_types()
                .into_iter()
                .map(|(name, _)| name)
                .filter(|name| name.to_lowercase().contains(&filter))
                .collect();
            ToolReply::Json(json!(names))
        }
        "message_type_info" => message_type_info(args),
        "send_message" => send_message(node, args),
        "call_process" => call_process(node, now, args),
        "send_exit" => send_exit(node, args),
        "process_kill" => process_kill(node, now, args),
        _ => return None,
    };
    Some(reply)
}

fn message_type_info(args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "messageTypeInfoParams");
    let name = decoded.string("type_name");
    if let Err(error) = decoded.finish() {
        return ToolReply::Error(error);
    }
    let Some(full) = resolve_type(&name) else {
        return type_not_found(&name);
    };
    let fields: Vec<Value> = registered_types()
        .into_iter()
        .find(|(type_name, _)| *type_name == full)
        .map(|(_, fields)| fields)
        .unwrap_or_default()
        .into_iter()
        .map(|(field, kind, tag)| json!({"name": field, "type": kind, "tag": tag}))
        .collect();
    ToolReply::Json(
        json!({"fields": fields, "kind": "struct", "type_name": full.trim_start_matches('#')}),
    )
}

/// The target process: a PID string or a registered name.
fn target(node: &Node, to: &str) -> Option<u64> {
    match parse_pid(to) {
        Ok(id) => node.processes.contains_key(&id).then_some(id),
        Err(_) => node.by_name(to),
    }
}

/// Go's `%T` of a raw JSON message.
fn raw_type(message: Option<&Value>) -> &'static str {
    match message {
        Some(Value::Object(_)) => "map[string]interface {}",
        Some(Value::Array(_)) => "[]interface {}",
        Some(Value::String(_)) => "string",
        Some(Value::Number(_)) => "float64",
        Some(Value::Bool(_)) => "bool",
        _ => "<nil>",
    }
}

fn deliver(node: &mut Node, id: u64) {
    if let Some(process) = node.processes.get_mut(&id) {
        process.extra_in += 1;
        process.extra_running_ns += 21_000;
    }
}

fn send_message(node: &mut Node, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "sendMessageParams");
    let to = decoded.string("to");
    let type_name = decoded.string("type_name");
    let important = decoded.boolean("important");
    let message = decoded.raw("message");
    if let Err(error) = decoded.finish() {
        return ToolReply::Error(error);
    }
    if !type_name.is_empty() && resolve_type(&type_name).is_none() {
        return type_not_found(&type_name);
    }
    let Some(id) = target(node, &to) else {
        let prefix = if important { "send_message (important)" } else { "send_message" };
        return ToolReply::Error(format!("{prefix}: unknown process"));
    };
    deliver(node, id);
    if let Some(process) = node.processes.get_mut(&id) {
        if let Role::OrderDesk { accepted } = &mut process.role {
            *accepted += 1;
        }
    }
    let shown = if type_name.is_empty() { raw_type(message).to_string() } else { type_name };
    ToolReply::Text(format!("message sent to {to} (type: {shown}, important: {important})"))
}

fn call_process(node: &mut Node, now: i64, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "callProcessParams");
    let to = decoded.string("to");
    let type_name = decoded.string("type_name");
    let timeout = decoded.int("timeout", "int");
    decoded.boolean("important");
    let request = decoded.raw("request").cloned().unwrap_or(Value::Null);
    if let Err(error) = decoded.finish() {
        return ToolReply::Error(error);
    }
    let full = if type_name.is_empty() {
        None
    } else {
        match resolve_type(&type_name) {
            Some(full) => Some(full),
            None => return type_not_found(&type_name),
        }
    };
    let Some(id) = target(node, &to) else {
        return ToolReply::Error("call_process: unknown process".to_string());
    };
    deliver(node, id);

    let timed_out = ToolReply::Hold {
        seconds: if timeout > 0 { timeout } else { DEFAULT_CALL_TIMEOUT } as f64,
        then: Box::new(ToolReply::Error("call_process: timed out".to_string())),
    };
    let process = &node.processes[&id];
    let blocked = matches!(process.state, State::WaitResponse | State::Zombee)
        || process.flow.busy_ns_per_sec > 0.0;
    if blocked {
        return timed_out;
    }
    match (process.role.clone(), full) {
        (Role::OrderDesk { accepted }, Some("#main/ShopOrder")) => {
            let queue = process.counters(now).mailbox + 1;
            if let Some(process) = node.processes.get_mut(&id) {
                process.role = Role::OrderDesk { accepted: accepted + 1 };
            }
            let item = request.get("item").and_then(Value::as_str).unwrap_or_default();
            ToolReply::Json(json!({
                "order_id": request.get("id").cloned().unwrap_or(json!(0)),
                "accepted": true,
                "queue": queue,
                "message": format!("accepted {item}")
            }))
        }
        (Role::Factory, Some("#main/SpawnThrowaway")) => {
            let count = request.get("count").and_then(Value::as_u64).unwrap_or(1).min(1_000);
            ToolReply::Json(Value::Array(spawn_throwaways(node, id, count, now)))
        }
        _ => timed_out,
    }
}

fn spawn_throwaways(node: &mut Node, factory: u64, count: u64, now: i64) -> Vec<Value> {
    let mut pids = Vec::new();
    for _ in 0..count {
        let application = node
            .processes
            .get(&factory)
            .map_or(String::new(), |process| process.application.clone());
        let mut process = Process::new(0, "", &application, "main.throwaway", factory);
        process.born_ms = now;
        process.flow = Flow::default();
        let id = node.spawn(process);
        pids.push(Value::String(node.pid(id)));
    }
    pids
}

/// Decodes the `pid` argument of `send_exit` / `process_kill`.
fn decode_pid(
    args: &Map<String, Value>,
    type_name: &'static str,
    reason: bool,
) -> Result<(String, u64, String), String> {
    let mut decoded = Args::strict(args, type_name);
    let pid = decoded.string("pid");
    let reason = if reason { decoded.string("reason") } else { String::new() };
    decoded.finish()?;
    let id = parse_pid(&pid).map_err(|error| format!("invalid pid: {error}"))?;
    Ok((pid, id, reason))
}

fn send_exit(node: &mut Node, args: &Map<String, Value>) -> ToolReply {
    let (pid, id, reason) = match decode_pid(args, "sendExitParams", true) {
        Ok(decoded) => decoded,
        Err(error) => return ToolReply::Error(error),
    };
    let reason = if reason.is_empty() { "normal".to_string() } else { reason };
    let Some(process) = node.processes.get(&id) else {
        return ToolReply::Error("send_exit: unknown process".to_string());
    };
    // A process stuck in a callback never reads its Urgent queue.
    if process.state != State::Zombee && process.flow.busy_ns_per_sec == 0.0 {
        node.terminate(id);
    }
    ToolReply::Text(format!("exit signal sent to {pid} (reason: {reason})"))
}

fn process_kill(node: &mut Node, now: i64, args: &Map<String, Value>) -> ToolReply {
    let (pid, id, _) = match decode_pid(args, "processKillParams", false) {
        Ok(decoded) => decoded,
        Err(error) => return ToolReply::Error(error),
    };
    let Some(process) = node.processes.get_mut(&id) else {
        return ToolReply::Error("process_kill: unknown process".to_string());
    };
    if process.has_goroutine() {
        // Its goroutine is still inside a callback: it stays a zombee.
        process.state = State::Zombee;
        process.frozen_ms.get_or_insert(now);
    } else {
        // A sleeping process has no goroutine to wait for: it is gone at once.
        node.terminate(id);
    }
    ToolReply::Text(format!("process {pid} killed"))
}
