//! The simulated Ergo cluster: node state, clock-driven dynamics, planted
//! trouble and every non-sampler tool handler.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::SimOptions;

/// What a tool handler answers; the server turns it into an MCP result.
#[derive(Debug, Clone)]
pub enum ToolReply {
    /// JSON, pretty-printed by the server.
    Json(Value),
    /// Plain text, sent as is.
    Text(String),
    /// A tool failure with the node's message.
    Error(String),
    /// Text already pretty-printed as JSON (scale mode).
    Rendered(Arc<String>),
    /// Answer after holding a worker for `seconds` (pprof_cpu).
    Hold { seconds: f64, then: Box<ToolReply> },
}

/// One log line of a node's journal.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub time_ms: u64,
    pub level: String,
    pub message: String,
    pub source: String,
    pub kind: String,
}

/// One planted trouble, as a playbook should find it.
#[derive(Debug, Clone, PartialEq)]
pub struct Planted {
    pub scenario: String,
    pub node: String,
    pub culprit: String,
    pub detail: String,
}

/// The whole simulated cluster.
pub struct World {
    names: Vec<String>,
    now_ms: u64,
}

impl World {
    pub fn new(options: &SimOptions) -> World {
        let names = (0..options.nodes.max(1)).map(node_name).collect();
        World { names, now_ms: 0 }
    }

    pub fn node_names(&self) -> Vec<String> {
        self.names.clone()
    }

    pub fn advance_to(&mut self, now_ms: u64) {
        self.now_ms = self.now_ms.max(now_ms);
    }

    pub fn call(&mut self, node: &str, tool: &str, _args: &Map<String, Value>) -> ToolReply {
        if !self.names.iter().any(|name| name == node) {
            return ToolReply::Error(format!("remote call to '{node}' failed: no route"));
        }
        match tool {
            "node_info" => ToolReply::Json(json!({ "Name": node, "Uptime": self.now_ms / 1000 })),
            _ => ToolReply::Error(format!("unknown tool: {tool}")),
        }
    }

    pub fn logs_since(&self, _node: &str, _seq: u64) -> Vec<(u64, LogLine)> {
        Vec::new()
    }

    pub fn publications_since(&self, _node: &str, _event: &str, _seq: u64) -> Vec<(u64, Value)> {
        Vec::new()
    }

    pub fn alloc_pid(&mut self, node: &str) -> String {
        format!("<{:08X}.0.{}>", node.len(), 1)
    }

    pub fn planted(&self) -> Vec<Planted> {
        Vec::new()
    }
}

fn node_name(index: usize) -> String {
    match index {
        0 => "shop@localhost".to_string(),
        1 => "backend@localhost".to_string(),
        2 => "payments@localhost".to_string(),
        n => format!("node{}@localhost", n + 1),
    }
}
