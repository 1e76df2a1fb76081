//! The simulated node's `tools/list`: the same 48 tools, parameter names,
//! types, enums and required lists as a real Ergo MCP node, with
//! descriptions in our own words. Every schema also gets the injected
//! `node` and `timeout` properties of the cluster proxy.

use serde_json::{json, Map, Value};

use crate::protocol::ToolSpec;

/// One parameter of a tool.
struct Param {
    name: &'static str,
    kind: &'static str,
    doc: &'static str,
    choices: &'static [&'static str],
    items: Option<&'static str>,
}

/// One tool: `closed` tools take no parameters of their own and forbid
/// unknown ones (`additionalProperties: false`).
struct Tool {
    name: &'static str,
    doc: &'static str,
    closed: bool,
    params: &'static [Param],
    required: &'static [&'static str],
}

const fn param(name: &'static str, kind: &'static str, doc: &'static str) -> Param {
    Param { name, kind, doc, choices: &[], items: None }
}

const fn choice(name: &'static str, doc: &'static str, choices: &'static [&'static str]) -> Param {
    Param { name, kind: "string", doc, choices, items: None }
}

const fn strings(name: &'static str, doc: &'static str) -> Param {
    Param { name, kind: "array", doc, choices: &[], items: Some("string") }
}

const fn closed(name: &'static str, doc: &'static str) -> Tool {
    Tool { name, doc, closed: true, params: &[], required: &[] }
}

const fn open(
    name: &'static str,
    doc: &'static str,
    params: &'static [Param],
    required: &'static [&'static str],
) -> Tool {
    Tool { name, doc, closed: false, params, required }
}

const NODE_DOC: &str =
    "Name of another cluster node to run the call on (for example 'peer@host'); leave out for this node";
const TIMEOUT_DOC: &str =
    "Seconds to wait for a proxied call (30 when unset, at most 120); ignored for local calls";

const PID: Param = param("pid", "string", "Process identifier, written like '<1A2B3C4D.0.1005>'");
const NODE_NAME: Param = param("name", "string", "Full name of the remote node, like 'peer@host'");
const EXCLUDE: Param = param("exclude", "string", "Leave out entries containing this text");
const FILTER: Param = param("filter", "string", "Keep only entries containing this text");
const TOP: Param =
    param("limit", "integer", "How many of the top functions to show (20 when unset)");
const BUFFER: Param = param(
    "buffer_size",
    "integer",
    "Capacity of the sample ring buffer (256 when unset); the oldest entry is dropped when full",
);
const DURATION: Param = param(
    "duration_sec",
    "integer",
    "Lifetime in seconds (60 when unset, at most 3600; 0 runs until stopped)",
);
const LINGER: Param = param(
    "linger_sec",
    "integer",
    "Seconds the samples stay readable after the sampler finishes (30 when unset)",
);
const SAMPLER_ID: Param =
    param("sampler_id", "string", "Identifier that sample_start or sample_listen answered");
const TARGET: Param = param(
    "target",
    "string",
    "What to address: 'node' (the default), a PID, a registered process name or a meta process alias",
);
const IMPORTANT: Param = param(
    "important",
    "boolean",
    "Ask for important delivery, so a missing remote target fails at once (false when unset)",
);
const DESTINATION: Param = param("to", "string", "Receiving process: a registered name or a PID");

const TOOLS: &[Tool] = &[
    closed("node_info", "Summary of this node: name, uptime, versions, process and application counts, memory, CPU time, registry sizes, log levels and, on newer releases, spawn, termination, log and event counters (LogMessages counts lines per level from trace to panic)."),
    closed("node_env", "The node's environment variables as a name-to-value map."),
    open("process_list", "Short records of the node's processes (PID, name, behavior, application, message counters, mailbox depth and latency, running and init time, wakeups, uptime, state, parent, leader), filtered and sorted as asked; numeric filters keep values at or above the threshold.", &[
        param("application", "string", "Keep processes of this application (exact name)"),
        param("behavior", "string", "Keep processes whose behavior contains this text"),
        param("limit", "integer", "Most rows to answer (100 when unset)"),
        param("max_uptime", "integer", "Keep processes up for at most this many seconds (young processes, restart loops)"),
        param("min_init_time_ms", "number", "Keep processes whose init took at least this many milliseconds"),
        param("min_mailbox", "integer", "Keep processes with at least this many queued messages"),
        param("min_mailbox_latency_ms", "number", "Keep processes whose oldest queued message is at least this old, in milliseconds (needs a latency build)"),
        param("min_messages_in", "integer", "Keep processes that received at least this many messages"),
        param("min_messages_out", "integer", "Keep processes that sent at least this many messages"),
        param("min_running_time_ms", "number", "Keep processes that spent at least this many milliseconds in callbacks"),
        param("min_uptime", "integer", "Keep processes up for at least this many seconds"),
        param("min_wakeups", "integer", "Keep processes woken at least this many times"),
        param("name", "string", "Keep processes whose registered name contains this text"),
        choice("sort_by", "Order by this field, largest first", &["mailbox", "mailbox_latency", "running_time", "init_time", "wakeups", "uptime", "messages_in", "messages_out", "drain"]),
        param("state", "string", "Keep processes in this state (init, sleep, running, wait response, terminated, zombee)"),
    ], &[]),
    open("process_children", "Processes started by a parent, given by PID or registered name: its part of the supervision tree.", &[
        param("parent", "string", "The parent: registered name or PID"),
        param("recursive", "boolean", "Walk the whole subtree instead of direct children only (false when unset)"),
    ], &["parent"]),
    open("process_info", "Everything known about one process: state, mailbox queues, message counters, links, monitors, aliases, events, meta processes, parent, leader and environment.", &[PID], &["pid"]),
    open("process_state", "The state one process is in right now, as a word.", &[param("pid", "string", "Process identifier")], &["pid"]),
    open("process_lookup", "Turns a registered name into a PID, or a PID into its registered name.", &[
        param("name", "string", "Registered name to turn into a PID"),
        param("pid", "string", "PID to turn into a registered name"),
    ], &[]),
    open("process_inspect", "Asks a process for its own view of itself (its inspect callback) and answers the key-value pairs it gives.", &[
        strings("items", "Names of the items to ask for, if the process supports a choice"),
        param("pid", "string", "Process identifier"),
    ], &["pid"]),
    open("meta_inspect", "Asks a meta process (a web socket, a port, an SSE stream, ...) for its own view of itself.", &[
        param("alias", "string", "Alias of the meta process"),
        strings("items", "Names of the items to ask for, if the meta process supports a choice"),
    ], &["alias"]),
    open("app_list", "Applications on the node with name, state, mode, version, description, uptime, weight and process count, filtered as asked.", &[
        param("min_uptime", "integer", "Keep applications up for at least this many seconds"),
        param("mode", "string", "Keep applications started in this mode (permanent, transient, temporary)"),
        param("name", "string", "Keep applications whose name contains this text"),
        param("state", "string", "Keep applications in this state (loaded, running, stopped)"),
    ], &[]),
    open("app_info", "Details of one application: state, mode, version, description, dependencies, environment and group.", &[param("name", "string", "The application's name")], &["name"]),
    open("app_processes", "Short records of the processes that belong to one application.", &[
        param("limit", "integer", "Most rows to answer (100 when unset)"),
        param("name", "string", "The application's name"),
    ], &["name"]),
    open("event_list", "Registered events with their producer, subscriber count, publish and delivery counters, buffer and notify setting, filtered and sorted as asked.", &[
        param("has_buffer", "boolean", "Keep only events with (true) or without (false) a buffer"),
        param("limit", "integer", "Most rows to answer (100 when unset)"),
        param("max_published", "integer", "Keep events published at most this many times (0 finds silent events)"),
        param("max_subscribers", "integer", "Keep events with at most this many subscribers (0 finds unheard events)"),
        param("min_local_sent", "integer", "Keep events delivered locally at least this many times"),
        param("min_published", "integer", "Keep events published at least this many times"),
        param("min_remote_sent", "integer", "Keep events sent to other nodes at least this many times"),
        param("min_subscribers", "integer", "Keep events with at least this many subscribers"),
        param("name", "string", "Keep events whose name contains this text"),
        param("notify", "boolean", "Keep only events whose producer asked (true) or did not ask (false) for notifications"),
        param("producer", "string", "Keep events of this producer: part of a registered name, or a PID"),
        choice("sort_by", "Order by this counter, largest first", &["subscribers", "published", "local_sent", "remote_sent"]),
        choice("utilization_state", "Keep events in this derived state: active (published and heard), on_demand (notify set, waiting), idle (nothing at all), no_subscribers (published, unheard), no_publishing (heard, never published)", &["active", "on_demand", "idle", "no_subscribers", "no_publishing"]),
    ], &[]),
    open("event_info", "Details and counters of one registered event.", &[param("name", "string", "The event's name")], &["name"]),
    closed("network_info", "How the node's networking is set up: mode, flags, largest message, acceptors, static and proxy routes, registrar."),
    open("network_nodes", "Remote nodes this node is connected to, with versions, pool, uptimes and traffic counters, filtered as asked.", &[
        param("min_bytes_in", "integer", "Keep peers we received at least this many bytes from"),
        param("min_bytes_out", "integer", "Keep peers we sent at least this many bytes to"),
        param("min_connection_uptime", "integer", "Keep connections open for at least this many seconds"),
        param("min_messages_in", "integer", "Keep peers we received at least this many messages from"),
        param("min_messages_out", "integer", "Keep peers we sent at least this many messages to"),
        param("min_uptime", "integer", "Keep peers up for at least this many seconds"),
        param("name", "string", "Keep peers whose name contains this text"),
    ], &[]),
    open("network_node_info", "Details of the connection to one remote node: versions, flags, pool, largest message, traffic counters and uptimes.", &[NODE_NAME], &["name"]),
    closed("network_acceptors", "The node's listening acceptors and their settings (interface, flags, TLS, registrar)."),
    open("network_connect", "Connects to a remote node found through routes or the registrar; answers the existing connection when there is one.", &[NODE_NAME], &["name"]),
    open("network_connect_route", "Connects to a remote node at an explicit host and port, for peers no registrar or route knows.", &[
        param("cookie", "string", "Cookie for this connection (the node's own when empty)"),
        param("host", "string", "Host name or address to dial"),
        param("insecure_skip_verify", "boolean", "Accept any TLS certificate (false when unset)"),
        NODE_NAME,
        param("port", "integer", "TCP port to dial"),
        param("tls", "boolean", "Dial with TLS (false when unset)"),
    ], &["name", "host", "port"]),
    open("network_disconnect", "Closes the connection to a remote node.", &[param("name", "string", "Full name of the node to drop")], &["name"]),
    open("network_ping", "Sends a ping to the MCP application of a remote node and back, over the real network path, and answers the round-trip time.", &[param("name", "string", "Full name of the node to ping")], &["name"]),
    closed("cron_info", "The cron scheduler: when it runs next, how many jobs are queued, and every job."),
    open("cron_job", "One cron job: its schedule, time zone, last run and last error.", &[param("name", "string", "The job's name")], &["name"]),
    open("cron_schedule", "Jobs due to run in the coming period.", &[param("duration_seconds", "integer", "How far ahead to look, in seconds (3600 when unset)")], &[]),
    closed("registrar_info", "The registrar in use: server, version and which features it supports."),
    open("registrar_resolve", "Asks the registrar how to reach a node: its host, port and protocol versions.", &[param("name", "string", "Full name of the node to look up")], &["name"]),
    open("registrar_resolve_proxy", "Asks the registrar for proxy routes to a node through other nodes.", &[param("name", "string", "Full name of the node to reach")], &["name"]),
    open("registrar_resolve_app", "Asks the registrar which nodes of the cluster run an application.", &[param("name", "string", "The application's name")], &["name"]),
    closed("cluster_nodes", "Every node this node knows of: itself, its connected peers and those the registrar announces, each with a status."),
    open("pprof_goroutines", "A goroutine dump: all goroutines, or the stack of one process (which needs a pprof build; a sleeping process has no running stack to show).", &[
        param("debug", "integer", "1 for a count per distinct stack, 2 for every full trace (2 when unset)"),
        param("exclude", "string", "Leave out goroutines whose stack contains this text (after filter)"),
        param("filter", "string", "Keep only goroutines whose stack contains this text"),
        param("limit", "integer", "Most goroutines to show after filtering (50 when unset); not used with pid"),
        param("pid", "string", "Show the goroutine of this process only (pprof builds); all goroutines when empty"),
    ], &[]),
    open("pprof_cpu", "Profiles the CPU for a while and answers the busiest functions; one of the node's workers is busy for the whole time.", &[
        param("duration", "integer", "Seconds to profile (5 when unset, at most 30)"),
        EXCLUDE,
        FILTER,
        TOP,
    ], &[]),
    open("pprof_heap", "The heap profile: the functions holding the most live memory.", &[EXCLUDE, FILTER, TOP], &[]),
    closed("runtime_stats", "Go runtime figures: goroutines, CPUs, heap and stack sizes, allocation totals and garbage collector activity."),
    open("sample_start", "Starts an active sampler: it calls a tool of this node on an interval and keeps the answers in a ring buffer for sample_read. Good for trends of any metric.", &[
        param("arguments", "object", "Arguments for each call of the tool, as a JSON object"),
        BUFFER,
        param("count", "integer", "Stop after this many successful samples (0 runs until stopped)"),
        DURATION,
        param("interval_ms", "integer", "Milliseconds between calls (5000 when unset, at least 100)"),
        LINGER,
        param("max_errors", "integer", "Give up after this many failures in a row (0, the default, keeps trying: handy to wait for a rare state)"),
        param("tool", "string", "Name of the tool to call, e.g. process_list or runtime_stats"),
    ], &["tool"]),
    open("sample_listen", "Starts a passive sampler that keeps log lines and/or publications of one event in a ring buffer for sample_read.", &[
        BUFFER,
        DURATION,
        param("event", "string", "Event whose publications to keep; leave out to ignore events"),
        param("event_node", "string", "Node that owns the event (this node when unset)"),
        LINGER,
        strings("log_levels", "Log levels to keep (trace, debug, info, warning, error, panic); info and above when unset, none when empty"),
        choice("log_source", "Keep only log lines of this kind of source; empty keeps all", &["", "process", "meta", "node", "network"]),
    ], &[]),
    open("sample_read", "Answers what a sampler has collected: entries whose sequence is above `since`. Read with since=0 first, then pass the highest sequence seen.", &[
        SAMPLER_ID,
        param("since", "integer", "Answer only entries with a sequence above this (0 when unset: everything buffered)"),
    ], &["sampler_id"]),
    open("sample_stop", "Stops a sampler and ends its process.", &[SAMPLER_ID], &["sampler_id"]),
    closed("sample_list", "The node's samplers with their settings, status and progress."),
    open("log_level_get", "The log level of the node, a process (PID or name) or a meta process (alias).", &[TARGET], &[]),
    open("log_level_set", "Changes the log level of the node, a process (PID or name) or a meta process (alias).", &[
        choice("level", "The new level", &["trace", "debug", "info", "warning", "error", "panic", "disabled"]),
        TARGET,
    ], &["level"]),
    closed("loggers_list", "The registered loggers, each with its name and the levels it takes."),
    open("message_types", "Names of the message types registered for the network codec; message_type_info shows their fields and send_message can build them.", &[param("filter", "string", "Keep names containing this text, in any case")], &[]),
    open("message_type_info", "The fields of one registered message type, with their types and JSON names, to know what a typed message needs.", &[param("type_name", "string", "Full codec name (#package/Type) or the short type name")], &["type_name"]),
    open("send_message", "Sends an asynchronous message to a process: a registered type built from the fields given, or the raw JSON value when no type is named.", &[
        IMPORTANT,
        param("message", "object", "The message: field values for a typed message, any JSON for a raw one"),
        DESTINATION,
        param("type_name", "string", "Registered type to build (full or short name); raw JSON when empty"),
    ], &["to", "message"]),
    open("call_process", "Makes a synchronous request to a process and answers its reply; a registered type is built when one is named.", &[
        IMPORTANT,
        param("request", "object", "The request: field values for a typed request, any JSON for a raw one"),
        DESTINATION,
        param("type_name", "string", "Registered type to build for the request; raw JSON when empty"),
    ], &["to", "request"]),
    open("send_exit", "Sends an exit signal to a process; unless it traps exits, it terminates.", &[
        param("pid", "string", "Process identifier"),
        param("reason", "string", "Why: normal, shutdown, kill or any text (normal when unset)"),
    ], &["pid"]),
    open("process_kill", "Kills a process at once, leaving it a zombee; send_exit is the gentle way.", &[param("pid", "string", "Process identifier")], &["pid"]),
];

/// The tool a `ChangeTools` fault takes out of the list.
const REMOVED_TOOL: &str = "send_exit";

/// The name of the tool a `ChangeTools` fault adds to the list.
pub const EXTRA_TOOL_NAME: &str = "process_top";

/// The tool a `ChangeTools` fault adds to the list.
const EXTRA_TOOL: Tool = open(
    EXTRA_TOOL_NAME,
    "The busiest processes by one measure (appears after an upgrade of the node).",
    &[param("limit", "integer", "How many processes to answer")],
    &[],
);

/// Whether the node has this tool.
pub fn has_tool(name: &str) -> bool {
    TOOLS.iter().any(|tool| tool.name == name)
}

/// Whether the node has this tool, in its normal or its changed list.
pub fn has_tool_now(name: &str, changed: bool) -> bool {
    if !changed {
        return has_tool(name);
    }
    name == EXTRA_TOOL_NAME || (name != REMOVED_TOOL && has_tool(name))
}

/// Whether the tool takes parameters of its own: such tools fail when the
/// call carries no `arguments` at all, as Go fails to decode nothing.
pub fn takes_arguments(name: &str) -> bool {
    name == EXTRA_TOOL_NAME || TOOLS.iter().any(|tool| tool.name == name && !tool.closed)
}

/// The full list as `tools/list` answers it.
pub fn tool_specs() -> Vec<ToolSpec> {
    TOOLS.iter().map(spec).collect()
}

/// The list after a `ChangeTools` fault: one tool gone, one new.
pub fn changed_tool_specs() -> Vec<ToolSpec> {
    let mut specs: Vec<ToolSpec> =
        tool_specs().into_iter().filter(|spec| spec.name != REMOVED_TOOL).collect();
    let extra = spec(&EXTRA_TOOL);
    specs.push(extra);
    specs
}

fn spec(tool: &Tool) -> ToolSpec {
    ToolSpec {
        name: tool.name.to_string(),
        description: tool.doc.to_string(),
        input_schema: input_schema(tool),
    }
}

fn input_schema(tool: &Tool) -> Value {
    let mut properties: Vec<(&str, Value)> =
        tool.params.iter().map(|param| (param.name, property(param))).collect();
    properties.push(("node", json!({"type": "string", "description": NODE_DOC})));
    properties.push(("timeout", json!({"type": "integer", "description": TIMEOUT_DOC})));
    properties.sort_by(|left, right| left.0.cmp(right.0));

    let mut schema = Map::new();
    if tool.closed {
        schema.insert("additionalProperties".to_string(), Value::Bool(false));
    }
    let properties: Map<String, Value> =
        properties.into_iter().map(|(name, value)| (name.to_string(), value)).collect();
    schema.insert("properties".to_string(), Value::Object(properties));
    if !tool.required.is_empty() {
        schema.insert("required".to_string(), json!(tool.required));
    }
    schema.insert("type".to_string(), json!("object"));
    Value::Object(schema)
}

fn property(param: &Param) -> Value {
    let mut property = Map::new();
    property.insert("type".to_string(), json!(param.kind));
    if let Some(items) = param.items {
        property.insert("items".to_string(), json!({"type": items}));
    }
    property.insert("description".to_string(), json!(param.doc));
    if !param.choices.is_empty() {
        property.insert("enum".to_string(), json!(param.choices));
    }
    Value::Object(property)
}

#[cfg(test)]
mod tests {
    use super::{has_tool, takes_arguments, tool_specs};

    #[test]
    fn every_schema_has_the_proxy_properties() {
        let specs = tool_specs();
        assert_eq!(specs.len(), 48);
        for spec in &specs {
            let properties = &spec.input_schema["properties"];
            assert_eq!(properties["node"]["type"], "string", "{}", spec.name);
            assert_eq!(properties["timeout"]["type"], "integer", "{}", spec.name);
        }
    }

    #[test]
    fn closed_tools_take_no_arguments() {
        assert!(has_tool("node_info"));
        assert!(!takes_arguments("node_info"));
        assert!(takes_arguments("process_info"));
        assert!(!has_tool("no_such_tool"));
    }
}
