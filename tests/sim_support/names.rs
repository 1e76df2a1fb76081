//! The simulator's own names for the things the recorded application
//! named: found by asking the simulator, by the part each thing plays.

use std::collections::HashMap;
use std::net::SocketAddr;

use ergosh::sim::SimControl;
use serde_json::{json, Value};

use super::recorded::{tool_of, Exchange};

pub struct Names {
    map: HashMap<String, String>,
}

impl Names {
    pub fn substitute(&self, value: &mut Value) {
        match value {
            Value::String(text) => {
                if let Some(replacement) = self.map.get(text.as_str()) {
                    *text = replacement.clone();
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.substitute(item)),
            Value::Object(map) => map.values_mut().for_each(|item| self.substitute(item)),
            _ => {}
        }
    }

    pub fn learn(&mut self, recorded: &str, simulated: &str) {
        self.map.insert(recorded.to_string(), simulated.to_string());
    }
}

pub fn tool_json(address: SocketAddr, tool: &str, arguments: Value) -> Value {
    let answer = super::call(address, tool, arguments);
    match answer["result"]["content"][0]["text"].as_str() {
        Some(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        None => Value::Null,
    }
}

pub fn discover(address: SocketAddr, control: &SimControl, exchanges: &[Exchange]) -> Names {
    let mut names = Names { map: HashMap::new() };
    let nodes = control.node_names();
    names.learn("demo@localhost", &nodes[0]);
    names.learn("backend@localhost", &nodes[1]);

    let processes = tool_json(address, "process_list", json!({"limit": -1}));
    let rows: Vec<Value> = processes.as_array().cloned().unwrap_or_default();
    let named: Vec<&Value> = rows
        .iter()
        .filter(|row| row["Name"].as_str().is_some_and(|name| !name.is_empty()))
        .collect();
    let pid_of = |row: &Value| row["PID"].as_str().unwrap_or_default().to_string();
    let name_of = |row: &Value| row["Name"].as_str().unwrap_or_default().to_string();
    let children = |row: &Value| rows.iter().filter(|other| other["Parent"] == row["PID"]).count();

    let mut by_mailbox = named.clone();
    by_mailbox.sort_by_key(|row| std::cmp::Reverse(row["MessagesMailbox"].as_i64().unwrap_or(0)));
    let mut parents = named.clone();
    parents.sort_by_key(|row| std::cmp::Reverse(children(row)));
    let leaves: Vec<&Value> = named.iter().copied().filter(|row| children(row) == 0).collect();
    let waiting = named.iter().copied().find(|row| row["State"] == "wait response");

    let inspectable = leaves
        .iter()
        .copied()
        .find(|row| tool_json(address, "process_inspect", json!({"pid": pid_of(row)})).is_object());
    let mut roles: Vec<(&str, Option<&Value>)> = vec![
        ("slow_worker", by_mailbox.first().copied()),
        ("caller", waiting.or(leaves.get(1).copied())),
        ("payments_sup", parents.first().copied()),
        ("leaky_spawner", parents.get(1).copied().or(parents.first().copied())),
        ("cache", inspectable.or(leaves.first().copied())),
        ("noisy", leaves.get(2).copied().or(leaves.first().copied())),
        ("order_desk", leaves.get(3).copied().or(leaves.first().copied())),
        ("throwaway_factory", leaves.get(3).copied().or(leaves.first().copied())),
    ];

    // A process with meta processes stands for `mcp_web`; its aliases
    // for the recorded ones.
    let with_metas = named.iter().copied().find(|row| {
        let info = tool_json(address, "process_info", json!({"pid": pid_of(row)}));
        info["Metas"].as_array().is_some_and(|metas| !metas.is_empty())
    });
    roles.push(("mcp_web", with_metas.or(leaves.first().copied())));
    if let Some(row) = with_metas {
        let info = tool_json(address, "process_info", json!({"pid": pid_of(row)}));
        let metas: Vec<String> = info["Metas"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m.as_str().map(str::to_string))
            .collect();
        names.learn("Alias#<9F35C982.195416.25526.0>", &metas[0]);
        names.learn("Alias#<9F35C982.195417.25526.0>", metas.get(1).unwrap_or(&metas[0]));
    }
    for (role, row) in roles {
        // The simulator may well use the recorded name itself.
        if named.iter().any(|row| row["Name"] == role) {
            continue;
        }
        if let Some(row) = row {
            names.learn(role, &name_of(row));
        }
    }
    names.learn("payment", &name_of(parents.first().copied().unwrap_or(&json!({"Name": "x"}))));
    if !named.iter().any(|row| row["Name"] == "blackhole") {
        names.learn("blackhole", "no_process_has_this_name");
    }

    // Recorded PIDs: those the recorded lookups answered for a name.
    for exchange in exchanges.iter().filter(|e| tool_of(e).as_deref() == Some("process_lookup")) {
        let Some(name) =
            exchange.body.as_ref().and_then(|b| b["params"]["arguments"]["name"].as_str())
        else {
            continue;
        };
        let Some(pid) = exchange.response["result"]["content"][0]["text"].as_str() else {
            continue;
        };
        if let Some(simulated) = names.map.get(name).cloned() {
            if let Some(row) = named.iter().find(|row| row["Name"] == simulated.as_str()) {
                names.learn(pid, &pid_of(row));
            }
        }
    }

    let events = tool_json(address, "event_list", json!({"sort_by": "published"}));
    if let Some(event) = events.as_array().and_then(|events| events.first()) {
        let full = event["Event"].as_str().unwrap_or_default();
        let short = full.rsplit(':').next().unwrap_or(full).trim_end_matches('>');
        if !events.as_array().unwrap().iter().any(|event| {
            event["Event"].as_str().is_some_and(|e| e.ends_with(":orders>") || e == "orders")
        }) {
            names.learn("orders", short);
            names.learn("order_feed", event["Producer"].as_str().unwrap_or_default());
        }
    }
    let cron = tool_json(address, "cron_info", json!({}));
    let jobs = cron["Jobs"].as_array().cloned().unwrap_or_default();
    if !jobs.iter().any(|job| job["Name"] == "cleanup_sessions") {
        if let Some(job) = jobs.first() {
            names.learn("cleanup_sessions", job["Name"].as_str().unwrap_or_default());
        }
    }
    let apps = tool_json(address, "app_list", json!({}));
    if let Some(mut apps) = apps.as_array().cloned() {
        apps.sort_by_key(|app| std::cmp::Reverse(app["processes"].as_i64().unwrap_or(0)));
        if let (false, Some(app)) = (apps.iter().any(|app| app["name"] == "shop"), apps.first()) {
            names.learn("shop", app["name"].as_str().unwrap_or_default());
        }
    }
    let types = tool_json(address, "message_types", json!({}));
    let types: Vec<String> = types
        .as_array()
        .map(|t| t.iter().filter_map(|t| t.as_str().map(short_type)).collect())
        .unwrap_or_default();
    let fields = |name: &str| {
        let info = tool_json(address, "message_type_info", json!({"type_name": name}));
        info["fields"].as_array().map_or(0, Vec::len)
    };
    if !types.iter().any(|t| t == "ShopOrder") {
        if let Some(richest) = types.iter().max_by_key(|t| fields(t)) {
            names.learn("ShopOrder", richest);
        }
    }
    if !types.iter().any(|t| t == "SpawnThrowaway") {
        if let Some(spawn) =
            types.iter().find(|t| t.to_lowercase().contains("spawn")).or(types.first())
        {
            names.learn("SpawnThrowaway", spawn);
        }
    }
    names
}

pub fn short_type(full: &str) -> String {
    full.rsplit('/').next().unwrap_or(full).to_string()
}
