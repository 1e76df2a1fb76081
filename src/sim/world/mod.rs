//! The simulated Ergo cluster: node state, clock-driven dynamics, planted
//! trouble and every non-sampler tool handler.
//!
//! The server in `sim` owns transport, proxying and samplers; it asks the
//! [`World`] for tool answers, log lines and event publications, and moves
//! its clock with [`World::advance_to`].

mod args;
mod build;
mod cron;
mod journal;
mod json;
mod network;
mod node;
mod pprof;
mod process;
mod runtime;
mod tools_action;
mod tools_app;
mod tools_network;
mod tools_node;
mod tools_process;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::SimOptions;
use network::Link;
use node::Node;

pub(crate) use json::json_kind;
pub use json::pretty_go;

/// The world moves in steps of this many ms of sim time.
pub const TICK_MS: u64 = 100;

/// What a tool handler answers; the server turns it into an MCP result.
#[derive(Debug, Clone)]
pub enum ToolReply {
    /// JSON, pretty-printed by the server (see [`pretty_go`]).
    Json(Value),
    /// Plain text, sent as is.
    Text(String),
    /// A tool failure with the node's message.
    Error(String),
    /// Text already pretty-printed as JSON (scale mode).
    Rendered(Arc<String>),
    /// Answer after holding a worker for `seconds` (pprof_cpu, a call that
    /// times out).
    Hold { seconds: f64, then: Box<ToolReply> },
}

/// One log line of a node's journal.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// Sim time of the line.
    pub time_ms: u64,
    /// trace, debug, info, warning, error or panic.
    pub level: String,
    pub message: String,
    /// As the node words it: `<PID> ('name') behavior` for a process, the
    /// node name otherwise.
    pub source: String,
    /// process, meta, node or network.
    pub kind: String,
}

/// One planted trouble, as a playbook should find it.
#[derive(Debug, Clone, PartialEq)]
pub struct Planted {
    pub scenario: String,
    pub node: String,
    /// The PID, registered name, node or event a playbook would name.
    pub culprit: String,
    pub detail: String,
}

/// The tools that fail with `invalid params: unexpected end of JSON input`
/// when a request has no `arguments` member; the others work without.
pub const STRICT_TOOLS: &[&str] = &[
    "process_children",
    "process_info",
    "process_state",
    "process_lookup",
    "process_inspect",
    "meta_inspect",
    "app_info",
    "app_processes",
    "event_info",
    "network_node_info",
    "network_connect",
    "network_connect_route",
    "network_disconnect",
    "network_ping",
    "cron_job",
    "registrar_resolve",
    "registrar_resolve_proxy",
    "registrar_resolve_app",
    "log_level_set",
    "message_type_info",
    "send_message",
    "call_process",
    "send_exit",
    "process_kill",
];

/// Names of the recorded cluster (`../shared/ergo-mcp/recordings`) and the
/// simulated name that plays the same part, for tests that replay recorded
/// requests: processes, events, the application and the entry node. The
/// simulated entry node also puts each of these processes on the PID
/// number the recorded node used (`slow_worker` was `<…0.1012>`, so is
/// `checkout_worker`). Playbooks must never rely on either name.
pub const RECORDED_NAMES: &[(&str, &str)] = &[
    ("demo@localhost", "shop@localhost"),
    ("shop", "storefront"),
    ("slow_worker", "checkout_worker"),
    ("flooder", "cart_service"),
    ("leaky_spawner", "session_manager"),
    ("payments_sup", "billing_sup"),
    ("payment_gw", "billing_gw"),
    ("payment", "billing"),
    ("price_feed", "stock_feed"),
    ("prices", "stock_levels"),
    ("cache", "inventory_cache"),
    ("blackhole", "audit_sink"),
    ("caller", "price_sync"),
    ("noisy", "report_builder"),
    ("sales_report", "hourly_digest"),
    ("cleanup_sessions", "cache_sweep"),
];

/// The whole simulated cluster.
pub struct World {
    nodes: Vec<Node>,
    links: Vec<Link>,
    planted: Vec<Planted>,
    now_ms: u64,
    stepped_ms: i64,
    latency_ms: f64,
}

impl World {
    pub fn new(options: &SimOptions) -> World {
        let epoch_s = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs() as i64 / 60 * 60);
        let scenarios = options.active_scenarios();
        let plan = build::Plan {
            nodes: options.nodes,
            scenarios: &scenarios,
            legacy: options.legacy,
            epoch_s,
        };
        let cluster = build::cluster(&plan);
        let mut world = World {
            nodes: cluster.nodes,
            links: cluster.links,
            planted: cluster.planted,
            now_ms: 0,
            stepped_ms: 0,
            latency_ms: options.node_latency.as_secs_f64() * 1000.0,
        };
        world.warm_up();
        if let Some(total) = options.processes {
            build::fill(&mut world.nodes[0], total);
        }
        world
    }

    /// Lives each node's life from its start up to sim time 0.
    fn warm_up(&mut self) {
        for node in &mut self.nodes {
            let mut at = node.born_ms + TICK_MS as i64;
            while at <= 0 {
                node.tick(at, TICK_MS);
                at += TICK_MS as i64;
            }
        }
    }

    pub fn node_names(&self) -> Vec<String> {
        self.nodes.iter().map(|node| node.name.clone()).collect()
    }

    /// Moves sim time to `now_ms` (never backwards), in fixed ticks.
    pub fn advance_to(&mut self, now_ms: u64) {
        if now_ms <= self.now_ms {
            return;
        }
        self.now_ms = now_ms;
        while self.stepped_ms + TICK_MS as i64 <= now_ms as i64 {
            self.stepped_ms += TICK_MS as i64;
            let at = self.stepped_ms;
            for node in &mut self.nodes {
                node.tick(at, TICK_MS);
            }
            self.tick_links(at);
        }
    }

    fn tick_links(&mut self, at: i64) {
        for index in 0..self.links.len() {
            let link = &mut self.links[index];
            link.settle(at);
            let Some(every) = link.flap_every_ms else {
                continue;
            };
            while link.next_flap_ms <= at {
                let flap_at = link.next_flap_ms;
                link.established_ms = flap_at;
                link.next_flap_ms += every;
                let (a, b) = (link.a, link.b);
                let (name_a, name_b) = (self.nodes[a].name.clone(), self.nodes[b].name.clone());
                let lost = "read: connection reset by peer";
                self.nodes[a].log_node(
                    "warning",
                    format!("connection with {name_b} lost: {lost}"),
                    "network",
                    flap_at,
                );
                self.nodes[b].log_node(
                    "warning",
                    format!("connection with {name_a} lost: {lost}"),
                    "network",
                    flap_at,
                );
                self.nodes[a].log_node(
                    "info",
                    format!("connected to {name_b}"),
                    "network",
                    flap_at,
                );
                self.nodes[b].log_node(
                    "info",
                    format!("accepted connection from {name_a}"),
                    "network",
                    flap_at,
                );
            }
        }
    }

    /// Answers one tool call on `node` as that node would.
    pub fn call(&mut self, node: &str, tool: &str, args: &Map<String, Value>) -> ToolReply {
        let Some(index) = self.nodes.iter().position(|candidate| candidate.name == node) else {
            return ToolReply::Error(format!("remote call to '{node}' failed: no route"));
        };
        let now = self.now_ms as i64;
        for link in &mut self.links {
            link.settle(now);
        }

        let mut net = tools_network::Net {
            nodes: &mut self.nodes,
            links: &mut self.links,
            now,
            latency_ms: self.latency_ms,
        };
        if let Some(reply) = tools_network::call(&mut net, index, tool, args) {
            return reply;
        }
        let peers = net.peers(index).len();

        let node = &mut self.nodes[index];
        let context = tools_node::Context { now, peers };
        if let Some(reply) = tools_node::call(node, &context, tool, args) {
            return reply;
        }
        if let Some(reply) = tools_process::call(node, now, tool, args) {
            return reply;
        }
        if let Some(reply) = tools_app::call(node, now, tool, args) {
            return reply;
        }
        if let Some(reply) = tools_action::call(node, now, tool, args) {
            return reply;
        }
        ToolReply::Error(format!("unknown tool: {tool}"))
    }

    /// Log lines of `node` with a sequence number above `seq`.
    pub fn logs_since(&self, node: &str, seq: u64) -> Vec<(u64, LogLine)> {
        self.node(node).map(|node| node.journal.since(seq)).unwrap_or_default()
    }

    /// Publications of `event` on `node` with a sequence number above `seq`:
    /// `{"event": "'name'@'node'", "message": {...}}`.
    pub fn publications_since(&self, node: &str, event: &str, seq: u64) -> Vec<(u64, Value)> {
        self.node(node)
            .and_then(|node| node.events.iter().find(|candidate| candidate.name == event))
            .map(|event| event.since(seq))
            .unwrap_or_default()
    }

    /// A fresh PID on `node` for a sampler process (not in the table).
    pub fn alloc_pid(&mut self, node: &str) -> String {
        match self.nodes.iter_mut().find(|candidate| candidate.name == node) {
            Some(node) => {
                let id = node.next_id;
                node.next_id += 1;
                node.pid(id)
            }
            None => "<00000000.0.0>".to_string(),
        }
    }

    /// The troubles planted at start.
    pub fn planted(&self) -> Vec<Planted> {
        self.planted.clone()
    }

    fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|node| node.name == name)
    }
}
