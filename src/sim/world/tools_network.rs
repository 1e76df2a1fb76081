//! Network, registrar and cluster tools, answered from the links between
//! nodes so that every node tells the same story.

use serde_json::{json, Map, Value};

use super::args::Args;
use super::network::{self, Link, Peer};
use super::node::Node;
use super::ToolReply;

/// The cluster as the network tools see it.
pub struct Net<'a> {
    pub nodes: &'a mut [Node],
    pub links: &'a mut Vec<Link>,
    pub now: i64,
    /// Extra round-trip time of non-entry nodes, in ms.
    pub latency_ms: f64,
}

pub fn acceptor_port(index: usize) -> u16 {
    (15_000 + 100 * index).min(u16::MAX as usize) as u16
}

impl Net<'_> {
    fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|node| node.name == name)
    }

    fn link(&self, x: usize, y: usize) -> Option<&Link> {
        self.links.iter().find(|link| link.joins(x, y) && link.is_up(self.now))
    }

    /// The peers `x` is connected to right now, in node order.
    pub fn peers(&self, x: usize) -> Vec<usize> {
        let mut peers: Vec<usize> = self
            .links
            .iter()
            .filter(|link| (link.a == x || link.b == x) && link.is_up(self.now))
            .map(|link| link.other(x))
            .collect();
        peers.sort_unstable();
        peers
    }

    fn remote(&self, x: usize, y: usize) -> Option<Value> {
        let link = self.link(x, y)?;
        let peer = &self.nodes[y];
        let peer = Peer {
            name: &peer.name,
            uptime: peer.uptime(self.now),
            acceptor_port: acceptor_port(y),
        };
        Some(network::remote_info(link, x, &peer, self.now))
    }

    /// Connects `x` to `y` if they are not connected yet.
    fn connect(&mut self, x: usize, y: usize) {
        if self.links.iter().any(|link| link.joins(x, y)) {
            return;
        }
        let mut link = Link::new(x, y, self.now);
        link.dialer = x;
        self.links.push(link);
    }
}

/// Answers the tools of this module; `None` for any other tool.
pub fn call(net: &mut Net, x: usize, tool: &str, args: &Map<String, Value>) -> Option<ToolReply> {
    let reply = match tool {
        "network_info" => network_info(net, x),
        "network_nodes" => network_nodes(net, x, args),
        "network_node_info" => network_node_info(net, x, args),
        "network_acceptors" => ToolReply::Json(json!([network::acceptor(acceptor_port(x))])),
        "network_connect" => network_connect(net, x, args),
        "network_connect_route" => network_connect_route(net, x, args),
        "network_disconnect" => network_disconnect(net, x, args),
        "network_ping" => network_ping(net, x, args),
        "registrar_info" => ToolReply::Json(network::registrar(x == 0)),
        "registrar_resolve" => registrar_resolve(net, args),
        "registrar_resolve_proxy" | "registrar_resolve_app" => {
            let mut decoded = Args::strict(args, "registrarResolveParams");
            decoded.string("name");
            match decoded.finish() {
                Ok(()) => ToolReply::Error(format!("{tool}: not supported")),
                Err(error) => ToolReply::Error(error),
            }
        }
        "cluster_nodes" => cluster_nodes(net, x),
        _ => return None,
    };
    Some(reply)
}

fn network_node_info(net: &Net, x: usize, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "networkNodeInfoParams");
    let name = decoded.string("name");
    if let Err(error) = decoded.finish() {
        return ToolReply::Error(error);
    }
    let info = net.index_of(&name).filter(|y| *y != x).and_then(|y| net.remote(x, y));
    match info {
        Some(info) => ToolReply::Json(info),
        None => ToolReply::Error("network_node_info: no connection".to_string()),
    }
}

fn network_info(net: &Net, x: usize) -> ToolReply {
    let nodes: Vec<&str> = net.peers(x).into_iter().map(|y| net.nodes[y].name.as_str()).collect();
    ToolReply::Json(json!({
        "Mode": "enabled",
        "Registrar": network::registrar(x == 0),
        "Acceptors": [network::acceptor(acceptor_port(x))],
        "MaxMessageSize": 0,
        "HandshakeVersion": network::handshake_version(),
        "ProtoVersion": network::proto_version(),
        "Nodes": nodes,
        "Routes": null,
        "ProxyRoutes": null,
        "Flags": network::flags(),
        "EnabledSpawn": [],
        "EnabledApplicationStart": []
    }))
}

fn network_nodes(net: &Net, x: usize, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::lenient(args, "networkNodesParams");
    let name = decoded.string("name");
    let min_uptime = decoded.int("min_uptime", "int64");
    let min_connection = decoded.int("min_connection_uptime", "int64");
    let minimums = [
        ("MessagesIn", decoded.uint("min_messages_in", "uint64")),
        ("MessagesOut", decoded.uint("min_messages_out", "uint64")),
        ("BytesIn", decoded.uint("min_bytes_in", "uint64")),
        ("BytesOut", decoded.uint("min_bytes_out", "uint64")),
    ];

    let mut rows = Vec::new();
    for y in net.peers(x) {
        let Some(info) = net.remote(x, y) else {
            continue;
        };
        let number = |key: &str| info[key].as_i64().unwrap_or(0);
        let keep = (name.is_empty() || net.nodes[y].name.contains(&name))
            && (min_uptime <= 0 || number("Uptime") >= min_uptime)
            && (min_connection <= 0 || number("ConnectionUptime") >= min_connection)
            && minimums.iter().all(|(key, minimum)| {
                *minimum == 0 || info[*key].as_u64().unwrap_or(0) >= *minimum
            });
        if keep {
            rows.push(info);
        }
    }
    if rows.is_empty() {
        return ToolReply::Json(Value::Null);
    }
    ToolReply::Json(Value::Array(rows))
}

fn network_connect(net: &mut Net, x: usize, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "networkConnectParams");
    let name = decoded.string("name");
    if let Err(error) = decoded.finish() {
        return ToolReply::Error(error);
    }
    match net.index_of(&name) {
        Some(y) if y != x => {
            net.connect(x, y);
            match net.remote(x, y) {
                Some(info) => ToolReply::Json(info),
                None => ToolReply::Error(format!("network_connect to {name}: no route")),
            }
        }
        _ => ToolReply::Error(format!("network_connect to {name}: no route")),
    }
}

fn network_connect_route(net: &mut Net, x: usize, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "networkConnectRouteParams");
    let name = decoded.string("name");
    let host = decoded.string("host");
    let port = decoded.uint("port", "uint16");
    decoded.boolean("tls");
    decoded.string("cookie");
    decoded.boolean("insecure_skip_verify");
    if let Err(error) = decoded.finish() {
        return ToolReply::Error(error);
    }
    let target = net.index_of(&name).filter(|y| *y != x && acceptor_port(*y) as u64 == port);
    let local_host = host == "127.0.0.1" || host == "localhost" || host.is_empty();
    match target {
        Some(y) if local_host => {
            net.connect(x, y);
            match net.remote(x, y) {
                Some(info) => ToolReply::Json(info),
                None => ToolReply::Error(format!("network_connect_route to {name} at {host}:{port}: no route")),
            }
        }
        _ => ToolReply::Error(format!(
            "network_connect_route to {name} at {host}:{port}: dial tcp {host}:{port}: connect: connection refused"
        )),
    }
}

fn network_disconnect(net: &mut Net, x: usize, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "networkDisconnectParams");
    let name = decoded.string("name");
    if let Err(error) = decoded.finish() {
        return ToolReply::Error(error);
    }
    let now = net.now;
    let peer = net.index_of(&name);
    let link =
        peer.and_then(|y| net.links.iter_mut().find(|link| link.joins(x, y) && link.is_up(now)));
    let Some(link) = link else {
        return ToolReply::Error(format!("node {name} not connected: no connection"));
    };
    link.disconnect(x, now);
    let local = net.nodes[x].name.clone();
    net.nodes[x].log_node("info", format!("disconnected from {name}"), "network", now);
    if let Some(y) = peer {
        net.nodes[y].log_node(
            "warning",
            format!("connection with {local} lost: EOF"),
            "network",
            now,
        );
    }
    ToolReply::Text(format!("disconnected from {name}"))
}

fn network_ping(net: &mut Net, x: usize, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "networkPingParams");
    let name = decoded.string("name");
    if let Err(error) = decoded.finish() {
        return ToolReply::Error(error);
    }
    let Some(y) = net.index_of(&name) else {
        return ToolReply::Error(format!("ping {name} failed: no route"));
    };
    if y != x {
        net.connect(x, y);
    }
    let jitter =
        (super::node::crc32(format!("{x}:{y}:{}", net.now / 1000).as_bytes()) % 60) as f64 / 100.0;
    let extra = if y == 0 { 0.0 } else { net.latency_ms * 2.0 };
    let rtt = if y == x { 0.05 } else { 0.31 + jitter + extra };
    ToolReply::Text(format!("ping {name}: rtt {rtt:.2}ms"))
}

fn registrar_resolve(net: &Net, args: &Map<String, Value>) -> ToolReply {
    let mut decoded = Args::strict(args, "registrarResolveParams");
    let name = decoded.string("name");
    if let Err(error) = decoded.finish() {
        return ToolReply::Error(error);
    }
    match net.index_of(&name) {
        Some(y) => ToolReply::Json(json!([{
            "Host": "",
            "Port": acceptor_port(y),
            "TLS": false,
            "HandshakeVersion": network::handshake_version(),
            "ProtoVersion": network::proto_version()
        }])),
        None => ToolReply::Error("registrar_resolve: no route".to_string()),
    }
}

fn cluster_nodes(net: &Net, x: usize) -> ToolReply {
    let peers = net.peers(x);
    let mut rows = vec![json!({"name": net.nodes[x].name, "status": "self"})];
    for y in &peers {
        rows.push(json!({"name": net.nodes[*y].name, "status": "connected"}));
    }
    for (y, node) in net.nodes.iter().enumerate() {
        if y != x && !peers.contains(&y) {
            rows.push(json!({"name": node.name, "status": "discovered"}));
        }
    }
    ToolReply::Json(Value::Array(rows))
}
