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

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::net::SocketAddr;
use std::time::Duration;

use ergosh::sim::{SimOptions, Simulator};
use serde_json::{json, Value};
use sim_support::names::{discover, Names};
use sim_support::recorded::{self, load, tool_of, Exchange};
use sim_support::structure::{clip, compare, tool_kinds, Kinds};
use sim_support::{send, Reply};

fn check(exchange: &Exchange, reply: &Reply, kinds: &Kinds) -> Vec<String> {
    let mut problems = Vec::new();
    if reply.status != exchange.status {
        problems.push(format!("HTTP {} instead of {}", reply.status, exchange.status));
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
            if let (Some(old), Some(new)) =
                (recorded["sampler_id"].as_str(), simulated["sampler_id"].as_str())
            {
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
    let Some(folder) = recorded::folder() else {
        return;
    };
    let exchanges = load(&folder);
    let kinds = tool_kinds(&exchanges);

    let main = Simulator::start(SimOptions { legacy: true, ..SimOptions::test() }).unwrap();
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
    assert!(failures.is_empty(), "{} exchanges differ:\n{}", failures.len(), report.join("\n"));
}

#[test]
fn the_tool_list_matches_the_recorded_one_in_all_but_words() {
    let Some(folder) = recorded::folder() else {
        return;
    };
    let record: Value =
        serde_json::from_str(&fs::read_to_string(folder.join("004_tools_list.json")).unwrap())
            .unwrap();
    let recorded = record["response"]["body"]["result"]["tools"].as_array().unwrap().clone();
    let simulator = Simulator::start(SimOptions::test()).unwrap();
    let answer = sim_support::rpc(simulator.address(), 1, "tools/list", json!({}));
    let simulated = answer["result"]["tools"].as_array().unwrap().clone();

    let names = |tools: &[Value]| {
        tools.iter().map(|tool| tool["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(names(&simulated), names(&recorded));
    for (mine, theirs) in simulated.iter().zip(&recorded) {
        let name = theirs["name"].as_str().unwrap();
        assert_ne!(mine["description"], theirs["description"], "{name}: description copied");
        let (mine, theirs) = (&mine["inputSchema"], &theirs["inputSchema"]);
        assert_eq!(mine["type"], theirs["type"], "{name}");
        assert_eq!(mine["required"], theirs["required"], "{name}: required");
        assert_eq!(
            mine["additionalProperties"], theirs["additionalProperties"],
            "{name}: additionalProperties"
        );
        let (my_properties, their_properties) =
            (mine["properties"].as_object().unwrap(), theirs["properties"].as_object().unwrap());
        let keys = |map: &serde_json::Map<String, Value>| map.keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(my_properties), keys(their_properties), "{name}: parameters");
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
        [".PID: recorded string, simulated number", ".Children[]: key `Name` missing"]
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
