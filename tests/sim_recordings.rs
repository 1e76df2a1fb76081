//! Replays every exchange recorded from a real Ergo node
//! (`../shared/ergo-mcp/recordings/`) against the simulator and compares
//! the structure of each answer with the recorded one; compares the
//! simulator's `tools/list` with the recorded one. Skips, saying so, when
//! the recordings are absent.
//!
//! How the replay works:
//! - Exchanges run in recorded order on one simulator with a manual clock,
//!   stepped by the gaps between the recorded `Date` headers, so samplers
//!   have collected about as much as the real ones had. 901-907 (the
//!   token runs) go to a second simulator started with token `secret`.
//! - Requests without a tool call are sent as the exact recorded bytes.
//! - Tool calls name things of the recorded application (`slow_worker`,
//!   the `orders` event, PIDs, sampler ids). Before the replay the test
//!   asks the simulator for its own things that play the same part (the
//!   busiest named process, a supervisor with children, a childless named
//!   process, a process with meta processes, a publishing event, a cron
//!   job, the largest application, registered message types) and
//!   substitutes them, as whole string values, in the recorded arguments.
//!   Names learnt from answers during the replay join the map: the sim's
//!   sampler ids for the recorded ones, the PIDs `call_process` spawned.
//!   `blackhole` (a process that never answers a call) becomes a name no
//!   process has: both fail with -32602, which is what the check compares.
//! - The comparison: HTTP status; result or error, and the error code;
//!   for tool results, JSON text versus plain text, then recursively the
//!   recorded object keys (present in the simulator's answer) and value
//!   kinds. Each array element is compared with the recorded first one.
//!   A value may be of another kind (null instead of an array, an empty
//!   array) only where the recordings of that tool show that kind at that
//!   place too. Keys that are data, not schema (environment variables,
//!   inspect items, message fields), are not compared.

mod sim_support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ergosh::sim::{SimControl, SimOptions, Simulator};
use serde_json::{json, Value};
use sim_support::{send, Reply};

const RECORDINGS: &str = "../shared/ergo-mcp/recordings";

/// One recorded exchange.
struct Exchange {
    name: String,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    raw_request: Vec<u8>,
    body: Option<Value>,
    status: u16,
    response: Value,
    response_text: String,
    seconds: Option<u64>,
}

fn recordings() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(RECORDINGS);
    if path.is_dir() {
        Some(path)
    } else {
        println!("skipped: no recordings at {}", path.display());
        None
    }
}

fn load(folder: &Path) -> Vec<Exchange> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json") && name.as_bytes()[0].is_ascii_digit())
        .map(|name| name.trim_end_matches(".json").to_string())
        .collect();
    names.sort();
    names.iter().map(|name| load_one(folder, name)).collect()
}

fn load_one(folder: &Path, name: &str) -> Exchange {
    let record: Value =
        serde_json::from_str(&fs::read_to_string(folder.join(format!("{name}.json"))).unwrap())
            .unwrap();
    let request = &record["request"];
    let url = request["url"].as_str().unwrap_or("/mcp");
    let path = url
        .splitn(4, '/')
        .nth(3)
        .map(|rest| format!("/{rest}"))
        .unwrap_or_else(|| "/mcp".into());
    let headers = request["headers"]
        .as_object()
        .map(|headers| {
            headers
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let raw = folder.join("raw");
    let raw_request = fs::read(raw.join(format!("{name}.req"))).unwrap_or_default();
    let header_text = fs::read_to_string(raw.join(format!("{name}.hdr"))).unwrap_or_default();
    let response = &record["response"];
    Exchange {
        name: name.to_string(),
        method: request["method"].as_str().unwrap_or("POST").to_string(),
        path,
        headers,
        body: serde_json::from_slice(&raw_request).ok(),
        raw_request,
        status: response["http_status"].as_u64().unwrap_or(200) as u16,
        response_text: fs::read_to_string(raw.join(format!("{name}.resp"))).unwrap_or_default(),
        response: response["body"].clone(),
        seconds: date_seconds(&header_text),
    }
}

/// Seconds of the day of the `Date` header.
fn date_seconds(headers: &str) -> Option<u64> {
    let line = headers.lines().find(|line| line.starts_with("Date:"))?;
    let time = line
        .split_whitespace()
        .find(|word| word.matches(':').count() == 2)?;
    let parts: Vec<u64> = time
        .split(':')
        .filter_map(|part| part.parse().ok())
        .collect();
    Some(parts[0] * 3600 + parts[1] * 60 + parts[2])
}

fn tool_of(exchange: &Exchange) -> Option<String> {
    let body = exchange.body.as_ref()?;
    if body["method"] != "tools/call" {
        return None;
    }
    body["params"]["name"].as_str().map(str::to_string)
}

// ---- the substitution map ----

struct Names {
    map: HashMap<String, String>,
}

impl Names {
    fn substitute(&self, value: &mut Value) {
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

    fn learn(&mut self, recorded: &str, simulated: &str) {
        self.map.insert(recorded.to_string(), simulated.to_string());
    }
}

fn tool_json(address: SocketAddr, tool: &str, arguments: Value) -> Value {
    let answer = sim_support::call(address, tool, arguments);
    match answer["result"]["content"][0]["text"].as_str() {
        Some(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        None => Value::Null,
    }
}

fn discover(address: SocketAddr, control: &SimControl, exchanges: &[Exchange]) -> Names {
    let mut names = Names {
        map: HashMap::new(),
    };
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
    let children = |row: &Value| {
        rows.iter()
            .filter(|other| other["Parent"] == row["PID"])
            .count()
    };

    let mut by_mailbox = named.clone();
    by_mailbox.sort_by_key(|row| std::cmp::Reverse(row["MessagesMailbox"].as_i64().unwrap_or(0)));
    let mut parents = named.clone();
    parents.sort_by_key(|row| std::cmp::Reverse(children(row)));
    let leaves: Vec<&Value> = named
        .iter()
        .copied()
        .filter(|row| children(row) == 0)
        .collect();
    let waiting = named
        .iter()
        .copied()
        .find(|row| row["State"] == "wait response");

    let inspectable = leaves
        .iter()
        .copied()
        .find(|row| tool_json(address, "process_inspect", json!({"pid": pid_of(row)})).is_object());
    let mut roles: Vec<(&str, Option<&Value>)> = vec![
        ("slow_worker", by_mailbox.first().copied()),
        ("caller", waiting.or(leaves.get(1).copied())),
        ("payments_sup", parents.first().copied()),
        (
            "leaky_spawner",
            parents.get(1).copied().or(parents.first().copied()),
        ),
        ("cache", inspectable.or(leaves.first().copied())),
        ("noisy", leaves.get(2).copied().or(leaves.first().copied())),
        (
            "order_desk",
            leaves.get(3).copied().or(leaves.first().copied()),
        ),
        (
            "throwaway_factory",
            leaves.get(3).copied().or(leaves.first().copied()),
        ),
    ];

    // A process with meta processes stands for `mcp_web`; its aliases
    // for the recorded ones.
    let with_metas = named.iter().copied().find(|row| {
        let info = tool_json(address, "process_info", json!({"pid": pid_of(row)}));
        info["Metas"]
            .as_array()
            .is_some_and(|metas| !metas.is_empty())
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
        names.learn(
            "Alias#<9F35C982.195417.25526.0>",
            metas.get(1).unwrap_or(&metas[0]),
        );
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
    names.learn(
        "payment",
        &name_of(parents.first().copied().unwrap_or(&json!({"Name": "x"}))),
    );
    if !named.iter().any(|row| row["Name"] == "blackhole") {
        names.learn("blackhole", "no_process_has_this_name");
    }

    // Recorded PIDs: those the recorded lookups answered for a name.
    for exchange in exchanges
        .iter()
        .filter(|e| tool_of(e).as_deref() == Some("process_lookup"))
    {
        let Some(name) = exchange
            .body
            .as_ref()
            .and_then(|b| b["params"]["arguments"]["name"].as_str())
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
        let short = full
            .rsplit(':')
            .next()
            .unwrap_or(full)
            .trim_end_matches('>');
        if !events.as_array().unwrap().iter().any(|event| {
            event["Event"]
                .as_str()
                .is_some_and(|e| e.ends_with(":orders>") || e == "orders")
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
        .map(|t| {
            t.iter()
                .filter_map(|t| t.as_str().map(short_type))
                .collect()
        })
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
        if let Some(spawn) = types
            .iter()
            .find(|t| t.to_lowercase().contains("spawn"))
            .or(types.first())
        {
            names.learn("SpawnThrowaway", spawn);
        }
    }
    names
}

fn short_type(full: &str) -> String {
    full.rsplit('/').next().unwrap_or(full).to_string()
}

// ---- structure ----

/// What the recordings show at each place (`tool:path`) of each tool's
/// answers: the kinds of value, and which object keys are sometimes left
/// out (Go's `omitempty`).
#[derive(Default)]
struct Kinds {
    kinds: HashMap<String, BTreeSet<&'static str>>,
    objects: HashMap<String, usize>,
    keys: HashMap<String, usize>,
}

impl Kinds {
    fn get(&self, place: &str) -> Option<&BTreeSet<&'static str>> {
        self.kinds.get(place)
    }

    fn is_optional(&self, place: &str, key: &str) -> bool {
        let objects = self.objects.get(place).copied().unwrap_or(0);
        let present = self
            .keys
            .get(&format!("{place}.{key}"))
            .copied()
            .unwrap_or(0);
        present < objects
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(items) if items.is_empty() => "empty array",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn collect_kinds(tool: &str, path: &str, value: &Value, kinds: &mut Kinds) {
    let place = format!("{tool}:{path}");
    kinds
        .kinds
        .entry(place.clone())
        .or_default()
        .insert(kind(value));
    if let Value::Object(map) = value {
        *kinds.objects.entry(place.clone()).or_default() += 1;
        for key in map.keys() {
            *kinds.keys.entry(format!("{place}.{key}")).or_default() += 1;
        }
    }
    match value {
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_kinds(tool, &format!("{path}[]"), item, kinds)),
        Value::Object(map) if !is_data_map(tool, path) => map
            .iter()
            .for_each(|(key, item)| collect_kinds(tool, &format!("{path}.{key}"), item, kinds)),
        _ => {}
    }
}

/// Places whose keys are data (names of variables, inspect items, message
/// fields), not part of the schema.
fn is_data_map(tool: &str, path: &str) -> bool {
    let whole_answer = matches!(
        tool,
        "node_env" | "process_inspect" | "meta_inspect" | "call_process"
    );
    (whole_answer && path.is_empty())
        || path.ends_with(".Env")
        || path.ends_with(".message")
        || path.ends_with(".MailboxQueues")
}

fn compare(
    tool: &str,
    path: &str,
    recorded: &Value,
    actual: &Value,
    kinds: &Kinds,
    problems: &mut Vec<String>,
) {
    let (recorded_kind, actual_kind) = (kind(recorded), kind(actual));
    if recorded_kind != actual_kind {
        let seen = kinds.get(&format!("{tool}:{path}"));
        if !seen.is_some_and(|seen| seen.contains(actual_kind)) {
            problems.push(format!(
                "{path}: recorded {recorded_kind}, simulated {actual_kind}"
            ));
        }
        return;
    }
    match (recorded, actual) {
        (Value::Object(recorded), Value::Object(actual)) if !is_data_map(tool, path) => {
            for (key, item) in recorded {
                match actual.get(key) {
                    Some(other) => {
                        compare(tool, &format!("{path}.{key}"), item, other, kinds, problems)
                    }
                    None if kinds.is_optional(&format!("{tool}:{path}"), key) => {}
                    None => problems.push(format!("{path}: key `{key}` missing")),
                }
            }
        }
        (Value::Array(recorded), Value::Array(actual)) => {
            if let Some(first) = recorded.first() {
                for item in actual {
                    compare(tool, &format!("{path}[]"), first, item, kinds, problems);
                }
            }
        }
        (Value::String(recorded), Value::String(actual)) if path.ends_with(".text") => {
            compare_text(tool, recorded, actual, kinds, problems);
        }
        _ => {}
    }
}

/// A tool's text: JSON compared as JSON, plain text must stay plain.
fn compare_text(
    tool: &str,
    recorded: &str,
    actual: &str,
    kinds: &Kinds,
    problems: &mut Vec<String>,
) {
    let structured = |text: &str| {
        serde_json::from_str::<Value>(text)
            .ok()
            .filter(|v| v.is_object() || v.is_array() || v.is_null())
    };
    match (structured(recorded), structured(actual)) {
        (Some(recorded), Some(actual)) => compare(tool, "", &recorded, &actual, kinds, problems),
        (Some(_), None) => problems.push(format!(
            "text: recorded JSON, simulated plain text {:?}",
            clip(actual)
        )),
        (None, Some(_)) => problems.push(format!(
            "text: recorded plain text, simulated JSON {:?}",
            clip(actual)
        )),
        (None, None) => {}
    }
}

fn clip(text: &str) -> String {
    text.chars().take(120).collect()
}

fn tool_kinds(exchanges: &[Exchange]) -> Kinds {
    let mut kinds = Kinds::default();
    for exchange in exchanges {
        let Some(tool) = tool_of(exchange) else {
            continue;
        };
        let Some(text) = exchange.response["result"]["content"][0]["text"].as_str() else {
            continue;
        };
        if let Ok(value) = serde_json::from_str::<Value>(text) {
            collect_kinds(&tool, "", &value, &mut kinds);
        }
    }
    kinds
}

fn check(exchange: &Exchange, reply: &Reply, kinds: &Kinds) -> Vec<String> {
    let mut problems = Vec::new();
    if reply.status != exchange.status {
        problems.push(format!(
            "HTTP {} instead of {}",
            reply.status, exchange.status
        ));
        return problems;
    }
    if !exchange.response.is_object() {
        if reply.text() != exchange.response_text {
            problems.push(format!(
                "body {:?} instead of {:?}",
                reply.text(),
                exchange.response_text
            ));
        }
        return problems;
    }
    let Ok(actual) = serde_json::from_slice::<Value>(&reply.body) else {
        problems.push(format!("not JSON: {:?}", clip(&reply.text())));
        return problems;
    };
    let recorded = &exchange.response;
    match (recorded.get("error"), actual.get("error")) {
        (Some(recorded), Some(simulated)) => {
            if recorded["code"] != simulated["code"] {
                problems.push(format!("error {} instead of {}", simulated, recorded));
            }
        }
        (Some(recorded), None) => problems.push(format!("a result instead of error {recorded}")),
        (None, Some(simulated)) => problems.push(format!("error {simulated} instead of a result")),
        (None, None) => {
            let tool = tool_of(exchange).unwrap_or_default();
            if recorded["result"].get("isError").is_none()
                && actual["result"].get("isError").is_some()
            {
                problems.push("isError set".to_string());
            }
            if exchange.name != "004_tools_list" && exchange.name != "953_tools_list_cursor" {
                compare(
                    &tool,
                    "result",
                    &recorded["result"],
                    &actual["result"],
                    kinds,
                    &mut problems,
                );
            }
        }
    }
    problems
}

// ---- replay ----

fn replay(address: SocketAddr, exchange: &Exchange, names: &Names) -> Reply {
    let headers: Vec<(&str, &str)> = exchange
        .headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-length"))
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let body = match (&exchange.body, tool_of(exchange)) {
        (Some(body), Some(_)) => {
            let mut body = body.clone();
            names.substitute(&mut body["params"]["arguments"]);
            serde_json::to_vec(&body).unwrap()
        }
        _ => exchange.raw_request.clone(),
    };
    send(address, &exchange.method, &exchange.path, &headers, &body)
        .unwrap_or_else(|error| panic!("{}: {error}", exchange.name))
}

/// Learns names the simulator answered during the replay.
fn learn_from(exchange: &Exchange, reply: &Reply, names: &mut Names) {
    let Some(tool) = tool_of(exchange) else {
        return;
    };
    let Ok(actual) = serde_json::from_slice::<Value>(&reply.body) else {
        return;
    };
    let text = |answer: &Value| {
        answer["result"]["content"][0]["text"]
            .as_str()
            .and_then(|text| serde_json::from_str::<Value>(text).ok())
    };
    let (Some(recorded), Some(simulated)) = (text(&exchange.response), text(&actual)) else {
        return;
    };
    match tool.as_str() {
        "sample_start" | "sample_listen" => {
            if let (Some(old), Some(new)) = (
                recorded["sampler_id"].as_str(),
                simulated["sampler_id"].as_str(),
            ) {
                names.learn(old, new);
            }
        }
        "call_process" => {
            if let (Some(old), Some(new)) = (recorded.as_array(), simulated.as_array()) {
                for (old, new) in old.iter().zip(new) {
                    if let (Some(old), Some(new)) = (old.as_str(), new.as_str()) {
                        names.learn(old, new);
                    }
                }
            }
        }
        _ => {}
    }
}

#[test]
fn every_recorded_exchange_has_the_recorded_structure() {
    let Some(folder) = recordings() else { return };
    let exchanges = load(&folder);
    let kinds = tool_kinds(&exchanges);

    let main = Simulator::start(SimOptions {
        legacy: true,
        ..SimOptions::test()
    })
    .unwrap();
    let secured = Simulator::start(SimOptions {
        token: Some("secret".into()),
        legacy: true,
        ..SimOptions::test()
    })
    .unwrap();
    let (control, secured_control) = (main.control(), secured.control());
    let mut names = discover(main.address(), &control, &exchanges);

    let mut failures = BTreeMap::new();
    let mut covered_tools = BTreeSet::new();
    let mut last_seconds = None;
    for exchange in &exchanges {
        let token_run = exchange.name.starts_with('9') && exchange.name.as_str() < "951";
        let (address, control) = if token_run {
            (secured.address(), &secured_control)
        } else {
            (main.address(), &control)
        };
        if let (Some(previous), Some(now)) = (last_seconds, exchange.seconds) {
            if now > previous && !token_run {
                control.advance(Duration::from_secs(now - previous));
            }
        }
        if !token_run {
            last_seconds = exchange.seconds.or(last_seconds);
        }
        let reply = replay(address, exchange, &names);
        let problems = check(exchange, &reply, &kinds);
        if !problems.is_empty() {
            failures.insert(exchange.name.clone(), problems);
        }
        learn_from(exchange, &reply, &mut names);
        if let Some(tool) = tool_of(exchange) {
            covered_tools.insert(tool);
        }
    }

    let recorded_calls = exchanges.iter().filter(|e| tool_of(e).is_some()).count();
    println!(
        "{} exchanges replayed, {recorded_calls} tool calls, {} tools",
        exchanges.len(),
        covered_tools.len()
    );
    let report: Vec<String> = failures
        .iter()
        .map(|(name, problems)| format!("{name}:\n    {}", problems.join("\n    ")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} exchanges differ:\n{}",
        failures.len(),
        report.join("\n")
    );
}

#[test]
fn the_tool_list_matches_the_recorded_one_in_all_but_words() {
    let Some(folder) = recordings() else { return };
    let record: Value =
        serde_json::from_str(&fs::read_to_string(folder.join("004_tools_list.json")).unwrap())
            .unwrap();
    let recorded = record["response"]["body"]["result"]["tools"]
        .as_array()
        .unwrap()
        .clone();
    let simulator = Simulator::start(SimOptions::test()).unwrap();
    let answer = sim_support::rpc(simulator.address(), 1, "tools/list", json!({}));
    let simulated = answer["result"]["tools"].as_array().unwrap().clone();

    let names = |tools: &[Value]| {
        tools
            .iter()
            .map(|tool| tool["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&simulated), names(&recorded));
    for (mine, theirs) in simulated.iter().zip(&recorded) {
        let name = theirs["name"].as_str().unwrap();
        assert_ne!(
            mine["description"], theirs["description"],
            "{name}: description copied"
        );
        let (mine, theirs) = (&mine["inputSchema"], &theirs["inputSchema"]);
        assert_eq!(mine["type"], theirs["type"], "{name}");
        assert_eq!(mine["required"], theirs["required"], "{name}: required");
        assert_eq!(
            mine["additionalProperties"], theirs["additionalProperties"],
            "{name}: additionalProperties"
        );
        let (my_properties, their_properties) = (
            mine["properties"].as_object().unwrap(),
            theirs["properties"].as_object().unwrap(),
        );
        let keys = |map: &serde_json::Map<String, Value>| map.keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            keys(my_properties),
            keys(their_properties),
            "{name}: parameters"
        );
        for (parameter, theirs) in their_properties {
            let mine = &my_properties[parameter];
            for field in ["type", "enum", "items"] {
                assert_eq!(mine[field], theirs[field], "{name}.{parameter}: {field}");
            }
            assert_ne!(
                mine["description"], theirs["description"],
                "{name}.{parameter}: description copied"
            );
        }
    }
}

#[test]
fn the_comparison_notices_missing_keys_and_other_kinds() {
    let kinds = Kinds::default();
    let recorded = json!({"PID": "<a>", "Children": [{"Name": "x", "Uptime": 3}]});
    let mut problems = Vec::new();
    compare(
        "process_info",
        "",
        &recorded,
        &json!({"PID": "<b>", "Children": [{"Name": "y", "Uptime": 4}], "Extra": 1}),
        &kinds,
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:?}");
    compare(
        "process_info",
        "",
        &recorded,
        &json!({"PID": 7, "Children": [{"Uptime": 4}]}),
        &kinds,
        &mut problems,
    );
    assert_eq!(
        problems,
        [
            ".PID: recorded string, simulated number",
            ".Children[]: key `Name` missing"
        ]
    );
    let mut problems = Vec::new();
    compare(
        "process_info",
        "",
        &recorded,
        &json!({"PID": "<b>", "Children": null}),
        &kinds,
        &mut problems,
    );
    assert_eq!(problems, [".Children: recorded array, simulated null"]);
}
