//! The cluster at start: each node's applications and processes, the
//! connections between nodes, and the planted trouble.

mod peers;
mod shop;

use super::network::Link;
use super::node::{App, Chatter, CronJob, Meta, Node};
use super::process::{Flow, Process};
use super::Planted;

/// The nodes, their connections and what was planted.
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
    pub planted: Vec<Planted>,
}

/// What to build.
pub struct Plan<'a> {
    pub nodes: usize,
    pub scenarios: &'a [String],
    pub legacy: bool,
    pub epoch_s: i64,
}

impl Plan<'_> {
    fn has(&self, scenario: &str) -> bool {
        self.scenarios.iter().any(|name| name == scenario)
    }
}

pub fn node_name(index: usize) -> String {
    match index {
        0 => "shop@localhost".to_string(),
        1 => "backend@localhost".to_string(),
        2 => "payments@localhost".to_string(),
        n => format!("node{}@localhost", n + 1),
    }
}

/// Builds the whole cluster as it is at sim time 0.
pub fn cluster(plan: &Plan) -> Cluster {
    let count = plan.nodes.max(1);
    let mut planted = Vec::new();
    let mut nodes: Vec<Node> = (0..count).map(|index| base_node(plan, index)).collect();

    shop::storefront(&mut nodes[0], plan, &mut planted);
    if count > 1 {
        peers::pricing(&mut nodes[1], plan, &mut planted);
    } else {
        // A single node carries the backend's trouble itself.
        peers::goroutine_leak(&mut nodes[0], "storefront", plan, &mut planted);
    }
    if count > 2 {
        peers::ledger(&mut nodes[2]);
    }
    for node in nodes.iter_mut().skip(3) {
        peers::edge(node);
    }
    let links = links(&nodes, plan, &mut planted);
    Cluster { nodes, links, planted }
}

fn base_node(plan: &Plan, index: usize) -> Node {
    let born_ms = match index {
        0 => -60_000,
        1 => -72_000,
        2 => -66_000,
        n => -50_000 - (n as i64 % 40) * 1_000,
    };
    let mut node = Node::new(&node_name(index), index, born_ms, plan.legacy);
    node.epoch_s = plan.epoch_s;
    node.pprof_tag = index == 2;

    let system = node.add("system_sup", "system_app", "system.sup", 1, Flow::default());
    node.add(
        "system_metrics",
        "system_app",
        "system.metrics",
        system,
        Flow::calm(0.2, 0.0, 70_000.0),
    );
    node.add("system_inspect", "system_app", "inspect.inspect", system, Flow::default());
    let mcp_sup = node.add("mcp_sup", "mcp_app", "mcp.mcpSup", 1, Flow::default());
    let pool = node.add("mcp", "mcp_app", "mcp.MCPPool", mcp_sup, Flow::calm(0.4, 0.4, 15_000.0));
    for _ in 0..5 {
        node.add("", "mcp_app", "mcp.MCPWorker", pool, Flow::calm(0.08, 0.0, 200_000.0));
    }
    if index == 0 {
        let web = node.add("mcp_web", "mcp_app", "mcp.MCPWeb", mcp_sup, Flow::default());
        let crc = node.crc.clone();
        let listener = serde_json::json!({"listener": "127.0.0.1:9922"});
        for (number, inspect) in [(195_416, serde_json::Value::Null), (195_417, listener)] {
            let alias = format!("Alias#<{crc}.{number}.25526.0>");
            node.metas.push(Meta { alias: alias.clone(), inspect, log_level: "info".to_string() });
            if let Some(process) = node.processes.get_mut(&web) {
                process.metas.push(alias);
                process.links.push(mcp_sup);
            }
        }
    }

    node.apps.push(app("system_app", "System Application", "", "permanent", 0, born_ms));
    node.apps.push(app("mcp_app", "", "", "temporary", 0, born_ms + 200));
    node
}

fn app(name: &str, description: &str, release: &str, mode: &str, weight: i64, born_ms: i64) -> App {
    App {
        name: name.to_string(),
        description: description.to_string(),
        release: release.to_string(),
        mode: mode.to_string(),
        weight,
        env: Vec::new(),
        born_ms,
    }
}

fn plant(planted: &mut Vec<Planted>, scenario: &str, node: &Node, culprit: &str, detail: &str) {
    planted.push(Planted {
        scenario: scenario.to_string(),
        node: node.name.clone(),
        culprit: culprit.to_string(),
        detail: detail.to_string(),
    });
}

fn chatter(node: &mut Node, process: u64, level: &str, every_ms: i64, messages: &[&str]) {
    node.chatter.push(Chatter {
        process,
        level: level.to_string(),
        messages: messages.iter().map(|message| message.to_string()).collect(),
        every_ms,
        next_ms: node.born_ms + every_ms,
        count: 0,
    });
}

fn configure(node: &mut Node, id: u64, change: impl FnOnce(&mut Process)) {
    if let Some(process) = node.processes.get_mut(&id) {
        change(process);
    }
}

fn cron_job(name: &str, spec: &str, target: &str) -> CronJob {
    CronJob {
        name: name.to_string(),
        spec: spec.to_string(),
        action: format!("send message to '{target}' with normal priority"),
        last_run_ms: None,
    }
}

/// Scale mode: nameless connection handlers up to `total` processes.
pub fn fill(node: &mut Node, total: usize) {
    let supervisor = node.add("conn_sup", "storefront", "main.connSup", 1, Flow::default());
    let born = node.born_ms + 500;
    while node.processes.len() < total {
        let mut process = Process::new(0, "", "storefront", "main.connHandler", supervisor);
        process.born_ms = born;
        process.flow = Flow::calm(0.3, 0.3, 120_000.0);
        node.spawn(process);
    }
    node.scale = true;
}

/// The mesh: the first four nodes all connected, later ones only to the
/// entry node. Plants the network troubles on the entry node's links.
fn links(nodes: &[Node], plan: &Plan, planted: &mut Vec<Planted>) -> Vec<Link> {
    let count = nodes.len();
    let mut links = Vec::new();
    for a in 0..count {
        for b in (a + 1)..count {
            if a == 0 || b < 4 {
                let established = nodes[a].born_ms.max(nodes[b].born_ms) + 1_000;
                links.push(Link::new(a, b, established));
            }
        }
    }
    if count < 2 {
        return links;
    }

    let flap_peer = if count > 2 { 2 } else { 1 };
    if plan.has("flapping_peer") {
        if let Some(link) = links.iter_mut().find(|link| link.joins(0, flap_peer)) {
            link.flap_every_ms = Some(15_000);
            link.next_flap_ms = 5_000;
            link.established_ms = -10_000;
        }
        let detail = "the connection drops and comes back every 15s: ConnectionUptime stays below 15 while Uptime grows";
        plant(planted, "flapping_peer", &nodes[0], &nodes[flap_peer].name, detail);
    }
    if plan.has("message_loss") {
        if let Some(link) = links.iter_mut().find(|link| link.joins(0, 1)) {
            link.lost_ab = true;
            link.rate_ab = 5.0;
        }
        let detail = format!(
            "MessagesOut to {} grows on {}; MessagesIn from {} on {} does not",
            nodes[1].name, nodes[0].name, nodes[0].name, nodes[1].name
        );
        plant(planted, "message_loss", &nodes[0], &nodes[1].name, &detail);
    }
    links
}
