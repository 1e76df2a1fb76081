//! The simulator's wire behaviour, over real HTTP on loopback: transport
//! and JSON-RPC rules as the recorded Ergo node has them, the worker pool,
//! the cluster proxy, the call record and the scale node. Samplers and
//! fault modes have their own files (`sim_samplers.rs`, `sim_faults.rs`).

mod sim_support;

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use ergosh::sim::{Fault, FaultRule, SimOptions};
use serde_json::{json, Value};
use sim_support::{
    call, error, fast, json_text, manual, ping, post, post_raw, rpc, send, start, text,
};

// ---- transport ----

#[test]
fn get_and_delete_are_405_before_the_token_check() {
    let (_sim, address, _) =
        start(SimOptions { token: Some("secret".into()), ..SimOptions::test() });
    for method in ["GET", "DELETE"] {
        let reply = send(address, method, "/mcp", &[], b"").unwrap();
        assert_eq!(reply.status, 405);
        assert_eq!(reply.text(), "Method Not Allowed\n");
        assert_eq!(reply.header("content-type"), Some("text/plain; charset=utf-8"));
    }
}

#[test]
fn other_paths_are_404() {
    let (_sim, address, _) = manual();
    let reply =
        send(address, "POST", "/other", &[], ping(json!(1)).to_string().as_bytes()).unwrap();
    assert_eq!(reply.status, 404);
    assert_eq!(reply.text(), "404 page not found\n");
}

#[test]
fn a_missing_wrong_or_non_bearer_token_is_401_with_an_empty_body() {
    let (_sim, address, _) =
        start(SimOptions { token: Some("secret".into()), ..SimOptions::test() });
    let body = ping(json!(1)).to_string();
    for headers in
        [vec![], vec![("Authorization", "Bearer nope")], vec![("Authorization", "secret")]]
    {
        let reply = post_raw(address, &headers, body.as_bytes());
        assert_eq!(reply.status, 401);
        assert!(reply.body.is_empty());
    }
    let reply = post_raw(address, &[], b"{not json");
    assert_eq!(reply.status, 401, "the token is checked before the body is parsed");
    let reply = post_raw(address, &[("Authorization", "Bearer secret")], body.as_bytes());
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["result"], json!({}));
}

#[test]
fn answers_are_json_whatever_the_client_accepts() {
    let (_sim, address, _) = manual();
    let headers = [
        ("Accept", "text/event-stream"),
        ("Mcp-Session-Id", "x"),
        ("MCP-Protocol-Version", "1999-01-01"),
    ];
    let reply = post_raw(address, &headers, ping(json!(129)).to_string().as_bytes());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.text(), r#"{"jsonrpc":"2.0","id":129,"result":{}}"#);
    assert_eq!(reply.header("mcp-session-id"), None);
}

#[test]
fn a_body_over_one_mebibyte_is_a_parse_error_and_closes_the_connection() {
    let (_sim, address, _) = manual();
    let padding = "x".repeat(1 << 20);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": padding}});
    let reply = post(address, &body);
    assert_eq!(
        reply.text(),
        r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}"#
    );
    assert_eq!(reply.header("connection"), Some("close"));
}

#[test]
fn the_handler_deadline_answers_504() {
    let (_sim, address, control) = fast(100.0);
    control.set_fault(FaultRule::always(Fault::Delay(Duration::from_secs(3))));
    let started = Instant::now();
    let reply = post(address, &ping(json!(1)));
    assert_eq!(reply.status, 504);
    assert!(started.elapsed() < Duration::from_secs(3));
}

// ---- JSON-RPC ----

#[test]
fn malformed_empty_and_batch_bodies_are_parse_errors_with_a_null_id() {
    let (_sim, address, _) = manual();
    let expected = r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}"#;
    for body in [
        &br#"{"jsonrpc":"2.0","id":1,"method":"ping""#[..],
        b"",
        br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
    ] {
        let reply = post_raw(address, &[], body);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), expected);
    }
}

#[test]
fn a_wrong_or_missing_version_is_invalid_request() {
    let (_sim, address, _) = manual();
    for body in [
        json!({"jsonrpc": "1.0", "id": 125, "method": "ping"}),
        json!({"id": 125, "method": "ping"}),
    ] {
        let (code, message) = error(&post(address, &body).json());
        assert_eq!((code, message.as_str()), (-32600, "invalid JSON-RPC version"));
    }
}

#[test]
fn unknown_methods_and_notifications_with_an_id_are_not_found() {
    let (_sim, address, _) = manual();
    let answer = rpc(address, 124, "resources/list", json!({}));
    assert_eq!(error(&answer), (-32601, "method not found: resources/list".to_string()));
    let answer =
        post(address, &json!({"jsonrpc": "2.0", "id": 127, "method": "notifications/initialized"}))
            .json();
    assert_eq!(error(&answer), (-32601, "method not found: notifications/initialized".to_string()));
}

#[test]
fn notifications_without_an_id_are_accepted_with_an_empty_body() {
    let (_sim, address, _) = manual();
    for body in [
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": null, "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}),
    ] {
        let reply = post(address, &body);
        assert_eq!(reply.status, 202);
        assert!(reply.body.is_empty());
    }
}

#[test]
fn ids_are_echoed_the_way_go_decodes_them() {
    let (_sim, address, _) = manual();
    let cases = [
        (r#""req-abc""#, r#""req-abc""#),
        ("0", "0"),
        ("null", "null"),
        ("12345678901234567890", "12345678901234567000"),
    ];
    for (sent, echoed) in cases {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{sent},"method":"ping"}}"#);
        let reply = post_raw(address, &[], body.as_bytes());
        assert_eq!(reply.text(), format!(r#"{{"jsonrpc":"2.0","id":{echoed},"result":{{}}}}"#));
    }
    let reply = post_raw(address, &[], br#"{"jsonrpc":"2.0","method":"ping"}"#);
    assert_eq!(reply.text(), r#"{"jsonrpc":"2.0","id":null,"result":{}}"#);
}

#[test]
fn initialize_always_answers_the_current_protocol() {
    let (_sim, address, _) = manual();
    let answer =
        rpc(address, 1, "initialize", json!({"protocolVersion": "2024-11-05", "capabilities": {}}));
    let result = &answer["result"];
    assert_eq!(result["protocolVersion"], "2025-06-18");
    assert_eq!(result["capabilities"], json!({"tools": {}}));
    assert!(result["serverInfo"]["name"].is_string());
    assert!(result["instructions"].is_string());
    let answer = post(address, &json!({"jsonrpc": "2.0", "id": 2, "method": "initialize"})).json();
    assert_eq!(answer["result"]["protocolVersion"], "2025-06-18");
    let answer = rpc(address, 3, "initialize", json!("v1"));
    assert_eq!(error(&answer), (-32602, "invalid initialize params".to_string()));
}

#[test]
fn tools_call_needs_object_params_and_a_known_tool() {
    let (_sim, address, control) = manual();
    let answer = rpc(address, 122, "tools/call", json!("process_list"));
    assert_eq!(error(&answer), (-32602, "invalid tools/call params".to_string()));
    let answer =
        post(address, &json!({"jsonrpc": "2.0", "id": 123, "method": "tools/call"})).json();
    assert_eq!(error(&answer), (-32602, "invalid tools/call params".to_string()));
    let answer = call(address, "no_such_tool", json!({}));
    assert_eq!(error(&answer), (-32602, "unknown tool: no_such_tool".to_string()));
    let backend = &control.node_names()[1];
    let answer = call(address, "no_such_tool", json!({"node": backend}));
    assert_eq!(error(&answer), (-32603, "unknown tool: no_such_tool".to_string()));
}

#[test]
fn omitted_arguments_fail_only_for_tools_that_take_some() {
    let (_sim, address, _) = manual();
    let omitted = |tool: &str| rpc(address, 9, "tools/call", json!({"name": tool}));
    let answer = omitted("process_info");
    assert_eq!(
        error(&answer),
        (-32602, "invalid params: unexpected end of JSON input".to_string())
    );
    assert!(json_text(&omitted("node_info")).is_object());
}

#[test]
fn tools_list_has_the_48_tools_with_the_proxy_properties() {
    let (_sim, address, _) = manual();
    let answer = rpc(address, 3, "tools/list", json!({"cursor": "abc"}));
    let tools = answer["result"]["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 48);
    assert!(answer["result"].get("nextCursor").is_none());
    for tool in tools {
        let properties = &tool["inputSchema"]["properties"];
        assert_eq!(properties["node"]["type"], "string");
        assert_eq!(properties["timeout"]["type"], "integer");
        assert!(tool["description"].as_str().is_some_and(|text| !text.is_empty()));
    }
}

#[test]
fn tool_text_is_escaped_like_go_on_the_wire() {
    let (_sim, address, _) = manual();
    let started = call(address, "sample_start", json!({"tool": "node_info"}));
    assert!(json_text(&started)["sampler_id"].is_string());
    let reply = post(
        address,
        &json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": {"name": "sample_list", "arguments": {}}}),
    );
    let raw = reply.text();
    assert!(raw.contains(r#"\"\\u003c"#), "PIDs escaped twice: {raw}");
    assert!(!raw.contains('<'));
    let rows = json_text(&reply.json());
    assert!(rows[0]["pid"].as_str().unwrap().starts_with('<'));
}

// ---- worker pool and proxy ----

fn timed_calls(address: SocketAddr, calls: Vec<(String, Value)>) -> Vec<(Duration, Value)> {
    let started = Instant::now();
    let handles: Vec<_> = calls
        .into_iter()
        .map(|(tool, arguments)| {
            thread::spawn(move || {
                let answer = call(address, &tool, arguments);
                (started.elapsed(), answer)
            })
        })
        .collect();
    handles.into_iter().map(|handle| handle.join().unwrap()).collect()
}

#[test]
fn a_sixth_pprof_cpu_waits_for_a_worker() {
    let (_sim, address, _) = fast(10.0);
    let calls = (0..6).map(|_| ("pprof_cpu".to_string(), json!({"duration": 5}))).collect();
    let mut times: Vec<Duration> = timed_calls(address, calls)
        .into_iter()
        .map(|(elapsed, answer)| {
            assert!(text(&answer).contains("CPU"), "{answer}");
            elapsed
        })
        .collect();
    times.sort();
    assert!(times[4] < Duration::from_millis(900), "five run at once: {times:?}");
    assert!(times[5] >= Duration::from_millis(950), "the sixth queues: {times:?}");
}

#[test]
fn a_proxied_call_holds_an_entry_worker() {
    let (_sim, address, control) = fast(10.0);
    let backend = control.node_names()[1].clone();
    let proxied = (0..5)
        .map(|_| ("pprof_cpu".to_string(), json!({"duration": 5, "node": backend})))
        .collect();
    let busy = thread::spawn(move || timed_calls(address, proxied));
    thread::sleep(Duration::from_millis(150));
    let started = Instant::now();
    let local = call(address, "node_info", json!({}));
    let waited = started.elapsed();
    assert!(json_text(&local).is_object());
    assert!(waited >= Duration::from_millis(200), "node_info waited for a worker: {waited:?}");
    for (_, answer) in busy.join().unwrap() {
        assert!(text(&answer).contains("CPU"), "{answer}");
    }
}

#[test]
fn fan_out_is_limited_by_the_entry_pool() {
    let options =
        SimOptions { nodes: 21, node_latency: Duration::from_millis(50), ..SimOptions::test() };
    let (_sim, address, control) = start(options);
    let calls = control.node_names()[1..]
        .iter()
        .map(|node| ("node_info".to_string(), json!({"node": node})))
        .collect();
    let results = timed_calls(address, calls);
    let slowest = results.iter().map(|(elapsed, _)| *elapsed).max().unwrap();
    for (_, answer) in &results {
        assert!(json_text(answer).is_object(), "{answer}");
    }
    // 20 calls, 5 entry workers, 50 ms each: four rounds.
    assert!(slowest >= Duration::from_millis(190), "{slowest:?}");
    assert!(slowest < Duration::from_millis(900), "{slowest:?}");
}

#[test]
fn the_proxy_reports_unknown_nodes_timeouts_and_remote_failures() {
    let (_sim, address, control) = fast(10.0);
    let entry = control.entry_node();
    let backend = control.node_names()[1].clone();

    let answer = call(address, "node_info", json!({"node": "nowhere@localhost", "timeout": 3}));
    assert_eq!(
        error(&answer),
        (-32603, "remote call to 'nowhere@localhost' failed: no route".to_string())
    );

    let answer = call(address, "pprof_cpu", json!({"node": backend, "duration": 3, "timeout": 1}));
    assert_eq!(error(&answer), (-32603, format!("remote call to '{backend}' failed: timed out")));

    let answer =
        call(address, "process_info", json!({"node": backend, "pid": "<00000000.0.99999>"}));
    assert_eq!(error(&answer).0, -32603);
    let answer = call(address, "process_info", json!({"pid": "<00000000.0.99999>"}));
    assert_eq!(error(&answer).0, -32602);

    let answer = call(address, "node_info", json!({"node": entry}));
    assert_eq!(json_text(&answer)["Name"], entry.as_str());
    let answer = call(address, "node_info", json!({"node": backend}));
    assert_eq!(json_text(&answer)["Name"], backend.as_str());
}

#[test]
fn a_manual_clock_releases_a_held_worker_when_stepped() {
    let (_sim, address, control) = manual();
    let started = Instant::now();
    let handle = thread::spawn(move || call(address, "pprof_cpu", json!({"duration": 30})));
    thread::sleep(Duration::from_millis(200));
    control.advance(Duration::from_secs(31));
    let answer = handle.join().unwrap();
    assert!(text(&answer).contains("CPU"));
    assert!(started.elapsed() < Duration::from_secs(10));
}

// ---- the call record ----

#[test]
fn every_tool_call_is_recorded_with_its_node_and_arguments() {
    let (_sim, address, control) = manual();
    let backend = control.node_names()[1].clone();
    control.advance(Duration::from_secs(5));
    call(address, "node_info", json!({}));
    call(address, "node_info", json!({"node": backend}));
    control.set_fault(FaultRule::for_tool("runtime_stats", Fault::Status(500)));
    post(
        address,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "runtime_stats", "arguments": {}}}),
    );
    rpc(address, 2, "ping", json!({}));

    let calls = control.calls();
    let summary: Vec<(&str, &str)> =
        calls.iter().map(|call| (call.node.as_str(), call.tool.as_str())).collect();
    assert_eq!(
        summary,
        [
            (control.entry_node().as_str(), "node_info"),
            (backend.as_str(), "node_info"),
            (control.entry_node().as_str(), "runtime_stats")
        ]
    );
    assert_eq!(calls[1].arguments, json!({"node": backend}));
    assert_eq!(calls[0].at_ms, 5000);
}

#[test]
fn a_scale_node_answers_every_process_and_repeats_it_from_cache() {
    let options = SimOptions { processes: Some(20_000), ..SimOptions::test() };
    let (_sim, address, _) = start(options);
    let body = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "process_list", "arguments": {"limit": -1}}});
    let first = post(address, &body);
    let started = Instant::now();
    let second = post(address, &body);
    let repeat = started.elapsed();
    assert_eq!(first.header("transfer-encoding"), Some("chunked"));
    assert!(first.body.len() > 2_000_000, "{} bytes", first.body.len());
    assert_eq!(first.body, second.body);
    let rows = json_text(&second.json());
    assert!(rows.as_array().unwrap().len() >= 20_000);
    assert!(repeat < Duration::from_secs(5), "{repeat:?}");
}
