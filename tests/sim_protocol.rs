//! The simulator's wire behaviour, over real HTTP on loopback: transport
//! and JSON-RPC rules as the recorded Ergo node has them, the worker pool,
//! the cluster proxy, samplers, the call record and the fault modes.

mod sim_support;

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use ergosh::sim::{ClockMode, Fault, FaultRule, SimControl, SimOptions, Simulator};
use serde_json::{json, Value};
use sim_support::{call, error, json_text, post, post_raw, rpc, send, send_within, text};

fn start(options: SimOptions) -> (Simulator, SocketAddr, SimControl) {
    let simulator = Simulator::start(options).expect("simulator starts");
    let address = simulator.address();
    let control = simulator.control();
    (simulator, address, control)
}

fn manual() -> (Simulator, SocketAddr, SimControl) {
    start(SimOptions::test())
}

fn fast(speed: f64) -> (Simulator, SocketAddr, SimControl) {
    start(SimOptions { clock: ClockMode::Real { speed }, ..SimOptions::test() })
}

fn ping(id: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "ping"})
}

// ---- transport ----

#[test]
fn get_and_delete_are_405_before_the_token_check() {
    let (_sim, address, _) = start(SimOptions { token: Some("secret".into()), ..SimOptions::test() });
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
    let reply = send(address, "POST", "/other", &[], ping(json!(1)).to_string().as_bytes()).unwrap();
    assert_eq!(reply.status, 404);
    assert_eq!(reply.text(), "404 page not found\n");
}

#[test]
fn a_missing_wrong_or_non_bearer_token_is_401_with_an_empty_body() {
    let (_sim, address, _) = start(SimOptions { token: Some("secret".into()), ..SimOptions::test() });
    let body = ping(json!(1)).to_string();
    for headers in [vec![], vec![("Authorization", "Bearer nope")], vec![("Authorization", "secret")]] {
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
    let headers = [("Accept", "text/event-stream"), ("Mcp-Session-Id", "x"), ("MCP-Protocol-Version", "1999-01-01")];
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
    assert_eq!(reply.text(), r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}"#);
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
    for body in [&br#"{"jsonrpc":"2.0","id":1,"method":"ping""#[..], b"", br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#] {
        let reply = post_raw(address, &[], body);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), expected);
    }
}

#[test]
fn a_wrong_or_missing_version_is_invalid_request() {
    let (_sim, address, _) = manual();
    for body in [json!({"jsonrpc": "1.0", "id": 125, "method": "ping"}), json!({"id": 125, "method": "ping"})] {
        let (code, message) = error(&post(address, &body).json());
        assert_eq!((code, message.as_str()), (-32600, "invalid JSON-RPC version"));
    }
}

#[test]
fn unknown_methods_and_notifications_with_an_id_are_not_found() {
    let (_sim, address, _) = manual();
    let answer = rpc(address, 124, "resources/list", json!({}));
    assert_eq!(error(&answer), (-32601, "method not found: resources/list".to_string()));
    let answer = post(address, &json!({"jsonrpc": "2.0", "id": 127, "method": "notifications/initialized"})).json();
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
    let answer = rpc(address, 1, "initialize", json!({"protocolVersion": "2024-11-05", "capabilities": {}}));
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
    let answer = post(address, &json!({"jsonrpc": "2.0", "id": 123, "method": "tools/call"})).json();
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
    assert_eq!(error(&answer), (-32602, "invalid params: unexpected end of JSON input".to_string()));
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
    let reply = post(address, &json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": {"name": "sample_list", "arguments": {}}}));
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
        .map(|(tool, arguments)| thread::spawn(move || {
            let answer = call(address, &tool, arguments);
            (started.elapsed(), answer)
        }))
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
    let options = SimOptions { nodes: 21, node_latency: Duration::from_millis(50), ..SimOptions::test() };
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
    assert_eq!(error(&answer), (-32603, "remote call to 'nowhere@localhost' failed: no route".to_string()));

    let answer = call(address, "pprof_cpu", json!({"node": backend, "duration": 3, "timeout": 1}));
    assert_eq!(error(&answer), (-32603, format!("remote call to '{backend}' failed: timed out")));

    let answer = call(address, "process_info", json!({"node": backend, "pid": "<00000000.0.99999>"}));
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
    post(address, &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "runtime_stats", "arguments": {}}}));
    rpc(address, 2, "ping", json!({}));

    let calls = control.calls();
    let summary: Vec<(&str, &str)> = calls.iter().map(|call| (call.node.as_str(), call.tool.as_str())).collect();
    assert_eq!(summary, [(control.entry_node().as_str(), "node_info"), (backend.as_str(), "node_info"), (control.entry_node().as_str(), "runtime_stats")]);
    assert_eq!(calls[1].arguments, json!({"node": backend}));
    assert_eq!(calls[0].at_ms, 5000);
}

// ---- samplers ----

fn start_sampler(address: SocketAddr, arguments: Value) -> String {
    let answer = call(address, "sample_start", arguments);
    json_text(&answer)["sampler_id"].as_str().unwrap_or_else(|| panic!("{answer}")).to_string()
}

fn read(address: SocketAddr, id: &str, since: u64) -> Value {
    json_text(&call(address, "sample_read", json!({"sampler_id": id, "since": since})))
}

fn sequences(read: &Value) -> Vec<u64> {
    read["samples"].as_array().unwrap().iter().map(|sample| sample["sequence"].as_u64().unwrap()).collect()
}

#[test]
fn an_active_sampler_stops_after_count_successes() {
    let (_sim, address, control) = manual();
    let id = start_sampler(address, json!({"tool": "node_info", "interval_ms": 1000, "count": 3}));
    assert!(id.starts_with("mcp_sampler_") && id.len() == 20, "{id}");
    control.advance(Duration::from_secs(10));
    let answer = read(address, &id, 0);
    assert_eq!(sequences(&answer), [1, 2, 3]);
    assert_eq!(answer["completed"], true);
    assert_eq!(answer["mode"], "active");
    assert_eq!(answer["tool"], "node_info");
    assert_eq!(answer["sequence"], 4, "the next sequence number");
    let data = &answer["samples"][0]["data"];
    let inner: Value = serde_json::from_str(data["content"][0]["text"].as_str().unwrap()).unwrap();
    assert!(inner.is_object());
    assert_eq!(data["content"][0]["type"], "text");
}

#[test]
fn the_first_sample_is_taken_at_once_and_reads_are_incremental() {
    let (_sim, address, control) = manual();
    let id = start_sampler(address, json!({"tool": "runtime_stats", "interval_ms": 1000}));
    assert_eq!(sequences(&read(address, &id, 0)), [1]);
    control.advance(Duration::from_millis(2500));
    assert_eq!(sequences(&read(address, &id, 0)), [1, 2, 3]);
    assert_eq!(sequences(&read(address, &id, 2)), [3]);
    assert_eq!(read(address, &id, 2)["completed"], false);
}

#[test]
fn a_sampler_ends_at_its_duration_and_lingers() {
    let (_sim, address, control) = manual();
    let id = start_sampler(address, json!({"tool": "node_info", "interval_ms": 500, "duration_sec": 2, "linger_sec": 5}));
    control.advance(Duration::from_secs(3));
    let answer = read(address, &id, 0);
    assert_eq!(sequences(&answer), [1, 2, 3, 4]);
    assert_eq!(answer["completed"], true);
    assert_eq!(control.samplers()[0].2, "completed");
    control.advance(Duration::from_secs(5));
    let answer = call(address, "sample_read", json!({"sampler_id": id}));
    assert_eq!(error(&answer), (-32602, format!("sampler {id} not found or not responding: unknown process")));
    assert!(control.samplers().is_empty());
}

#[test]
fn a_full_buffer_drops_the_oldest_entries() {
    let (_sim, address, control) = manual();
    let id = start_sampler(address, json!({"tool": "node_info", "interval_ms": 100, "buffer_size": 2}));
    control.advance(Duration::from_secs(1));
    assert_eq!(sequences(&read(address, &id, 0)), [10, 11]);
    let rows = json_text(&call(address, "sample_list", json!({})));
    assert_eq!(rows[0]["samples"], "11 collected, buffer 2/2");
    assert_eq!(rows[0]["status"], "running");
    assert_eq!(rows[0]["description"], "node_info() every 100ms");
}

#[test]
fn intervals_below_the_minimum_are_raised() {
    let (_sim, address, _) = manual();
    let answer = json_text(&call(address, "sample_start", json!({"tool": "node_info", "interval_ms": 10})));
    assert_eq!(answer["interval_ms"], 100);
    assert_eq!(answer["buffer_size"], 256);
    assert_eq!(answer["duration_sec"], 60);
    assert_eq!(answer["mode"], "active");
}

#[test]
fn sample_list_describes_each_sampler_as_the_node_words_it() {
    let (_sim, address, control) = manual();
    let id = start_sampler(address, json!({"tool": "process_list", "arguments": {"sort_by": "mailbox", "limit": 2}, "interval_ms": 1000, "count": 5}));
    control.advance(Duration::from_millis(2000));
    let rows = json_text(&call(address, "sample_list", json!({})));
    let row = &rows[0];
    assert_eq!(row["id"], id.as_str());
    assert_eq!(row["description"], "process_list(sort_by=mailbox, limit=2) every 1s");
    assert_eq!(row["progress"], "3/5 samples");
    assert_eq!(row["remaining"], "58s");
    assert_eq!(row["uptime"], "2s");
    assert_eq!(row["owner"], control.entry_node().as_str());
    let keys: Vec<&str> = row.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["deadline", "description", "id", "owner", "pid", "progress", "remaining", "samples", "status", "uptime"]);
}

#[test]
fn a_stopped_sampler_is_gone() {
    let (_sim, address, control) = manual();
    let id = start_sampler(address, json!({"tool": "node_info"}));
    let answer = call(address, "sample_stop", json!({"sampler_id": id}));
    assert_eq!(text(&answer), format!("sampler {id} stopping"));
    let answer = call(address, "sample_read", json!({"sampler_id": id, "since": 0}));
    assert_eq!(error(&answer), (-32602, format!("sampler {id} not found or not responding: unknown process")));
    assert!(control.samplers().is_empty());
}

#[test]
fn sample_start_needs_a_tool() {
    let (_sim, address, _) = manual();
    let answer = call(address, "sample_start", json!({"interval_ms": 1000}));
    assert_eq!(error(&answer), (-32602, "tool is required".to_string()));
}

#[test]
fn a_sampler_lives_on_the_node_it_was_started_on() {
    let (_sim, address, control) = manual();
    let backend = control.node_names()[1].clone();
    let id = start_sampler(address, json!({"node": backend, "tool": "runtime_stats", "interval_ms": 500, "count": 3}));
    assert_eq!(control.samplers(), [(backend.clone(), id.clone(), "running".to_string())]);
    control.advance(Duration::from_secs(2));
    let answer = json_text(&call(address, "sample_read", json!({"node": backend, "sampler_id": id})));
    assert_eq!(sequences(&answer), [1, 2, 3]);
    let answer = call(address, "sample_read", json!({"sampler_id": id}));
    assert_eq!(error(&answer).0, -32602);
    let answer = call(address, "sample_stop", json!({"node": backend, "sampler_id": id}));
    assert_eq!(text(&answer), format!("sampler {id} stopping"));
}

#[test]
fn a_passive_sampler_keeps_log_lines_of_the_chosen_levels() {
    let (_sim, address, control) = manual();
    let answer = json_text(&call(address, "sample_listen", json!({"log_levels": ["info", "warning", "error"], "duration_sec": 120})));
    assert_eq!(answer["mode"], "passive");
    assert_eq!(answer["log_source"], "");
    let id = answer["sampler_id"].as_str().unwrap().to_string();
    control.advance(Duration::from_secs(60));
    let answer = read(address, &id, 0);
    let samples = answer["samples"].as_array().unwrap();
    assert!(!samples.is_empty(), "the world logs something in a minute");
    for sample in samples {
        let data = &sample["data"];
        let level = data["level"].as_str().unwrap();
        assert!(["info", "warning", "error"].contains(&level), "{level}");
        for key in ["message", "source", "time", "type"] {
            assert!(data[key].is_string(), "{key} in {data}");
        }
    }
}

#[test]
fn a_passive_sampler_keeps_publications_of_an_event() {
    let (_sim, address, control) = manual();
    let answer = call(address, "sample_listen", json!({"log_levels": [], "event": "no_such_event"}));
    assert_eq!(error(&answer).0, -32602);

    let events = json_text(&call(address, "event_list", json!({"sort_by": "published"})));
    assert!(events[0]["MessagesPublished"].as_u64() > Some(0), "{events}");
    let event = events[0]["Event"].as_str().expect("a published event").to_string();
    let name = event.rsplit(':').next().unwrap().trim_end_matches('>').to_string();
    let answer = json_text(&call(address, "sample_listen", json!({"log_levels": [], "event": name})));
    assert_eq!(answer["event"], name.as_str());
    assert!(answer.get("log_levels").is_none());
    let id = answer["sampler_id"].as_str().unwrap().to_string();
    control.advance(Duration::from_secs(30));
    let answer = read(address, &id, 0);
    let samples = answer["samples"].as_array().unwrap();
    assert!(!samples.is_empty(), "{name} is published within 30 s");
    let data = &samples[0]["data"];
    assert_eq!(data["event"], format!("'{name}'@'{}'", control.entry_node()));
    assert!(!data["message"].is_null());
}

// ---- faults ----

fn tool_call_body(tool: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": 41, "method": "tools/call", "params": {"name": tool, "arguments": {}}})
}

#[test]
fn status_html_empty_and_malformed_faults() {
    let (_sim, address, control) = manual();
    control.set_fault(FaultRule::for_tool("node_info", Fault::Status(500)).times(1));
    control.set_fault(FaultRule::for_tool("node_info", Fault::HtmlPage).times(1));
    control.set_fault(FaultRule::for_tool("node_info", Fault::EmptyBody).times(1));
    control.set_fault(FaultRule::for_tool("node_info", Fault::Malformed).times(1));
    let body = tool_call_body("node_info");

    let reply = post(address, &body);
    assert_eq!((reply.status, reply.body.len()), (500, 0));
    let reply = post(address, &body);
    assert_eq!(reply.status, 502);
    assert!(reply.header("content-type").unwrap().starts_with("text/html"));
    assert!(reply.text().contains("<html>"));
    let reply = post(address, &body);
    assert_eq!((reply.status, reply.body.len()), (200, 0));
    let reply = post(address, &body);
    assert!(serde_json::from_slice::<Value>(&reply.body).is_err());
    let reply = post(address, &body);
    assert!(json_text(&reply.json()).is_object(), "the rules ran out");
}

#[test]
fn faults_for_one_tool_leave_others_alone() {
    let (_sim, address, control) = manual();
    control.set_fault(FaultRule::for_tool("runtime_stats", Fault::Status(503)));
    assert_eq!(post(address, &tool_call_body("node_info")).status, 200);
    assert_eq!(post(address, &ping(json!(1))).status, 200);
    assert_eq!(post(address, &tool_call_body("runtime_stats")).status, 503);
    control.clear_faults();
    assert_eq!(post(address, &tool_call_body("runtime_stats")).status, 200);
}

#[test]
fn cut_bodies_and_dropped_connections_fail_on_the_wire() {
    let (_sim, address, control) = manual();
    control.set_fault(FaultRule::always(Fault::CloseMidBody).times(1));
    let cut = send(address, "POST", "/mcp", &[], tool_call_body("node_info").to_string().as_bytes());
    assert!(cut.is_err(), "a body shorter than its length: {cut:?}");

    control.set_fault(FaultRule::always(Fault::DropConnection).times(1));
    let dropped = send(address, "POST", "/mcp", &[], ping(json!(1)).to_string().as_bytes());
    assert!(dropped.is_err(), "no answer at all: {dropped:?}");

    control.set_fault(FaultRule::always(Fault::Truncated).times(1));
    let reply = post(address, &tool_call_body("node_info"));
    assert_eq!(reply.status, 200);
    assert!(reply.text().starts_with(r#"{"jsonrpc":"2.0""#));
    assert!(serde_json::from_slice::<Value>(&reply.body).is_err());
}

#[test]
fn a_never_answering_node_keeps_the_client_waiting() {
    let (_sim, address, control) = manual();
    control.set_fault(FaultRule::always(Fault::NeverAnswer));
    let body = ping(json!(1)).to_string();
    let waited = send_within(address, "POST", "/mcp", &[], body.as_bytes(), Duration::from_millis(300));
    assert!(waited.is_err());
}

#[test]
fn a_delay_fault_slows_the_answer() {
    let (_sim, address, control) = manual();
    control.set_fault(FaultRule::always(Fault::Delay(Duration::from_millis(300))).times(1));
    let started = Instant::now();
    assert_eq!(post(address, &ping(json!(1))).status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn a_huge_body_is_streamed_whole() {
    let (_sim, address, control) = manual();
    control.set_fault(FaultRule::always(Fault::Huge(5_000_000)).times(1));
    let reply = post(address, &tool_call_body("node_info"));
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(reply.body.len(), 5_000_000);
    assert!(text(&reply.json()).len() > 4_000_000);
}

#[test]
fn result_shape_faults() {
    let (_sim, address, control) = manual();
    let rules = [
        Fault::IsError("boom".into()),
        Fault::NoContent,
        Fault::SeveralItems,
        Fault::NonTextItem,
        Fault::TextNotJson,
        Fault::WrongId,
    ];
    for fault in rules {
        control.set_fault(FaultRule::for_tool("node_info", fault).times(1));
    }
    let next = || post(address, &tool_call_body("node_info")).json();
    let answer = next();
    assert_eq!(answer["result"]["isError"], true);
    assert_eq!(text(&answer), "boom");
    assert_eq!(next()["result"]["content"], json!([]));
    let items = next()["result"]["content"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert!(serde_json::from_str::<Value>(items[0]["text"].as_str().unwrap()).is_ok());
    assert_eq!(next()["result"]["content"][0]["type"], "image");
    assert!(serde_json::from_str::<Value>(&text(&next())).is_err());
    let answer = next();
    assert_ne!(answer["id"], 41);
    assert!(json_text(&answer).is_object());
    assert!(next()["result"].get("isError").is_none(), "never set by a healthy node");
}

#[test]
fn session_ids_are_issued_required_and_expire_once() {
    let (_sim, address, control) = manual();
    control.set_fault(FaultRule::for_tool("node_info", Fault::SessionIds));
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}});
    let reply = post(address, &initialize);
    let session = reply.header("mcp-session-id").expect("a session id").to_string();
    let body = tool_call_body("node_info").to_string();

    assert_eq!(post_raw(address, &[], body.as_bytes()).status, 400);
    let with_session = [("Mcp-Session-Id", session.as_str())];
    assert_eq!(post_raw(address, &with_session, ping(json!(2)).to_string().as_bytes()).status, 200);
    assert_eq!(post_raw(address, &with_session, body.as_bytes()).status, 404, "expired");
    assert_eq!(post_raw(address, &with_session, body.as_bytes()).status, 404, "stays stale");

    let renewed = post(address, &initialize).header("mcp-session-id").unwrap().to_string();
    assert_ne!(renewed, session);
    let reply = post_raw(address, &[("Mcp-Session-Id", renewed.as_str())], body.as_bytes());
    assert_eq!(reply.status, 200);
    assert!(json_text(&reply.json()).is_object());
}

#[test]
fn the_tool_list_changes_after_the_next_call() {
    let (_sim, address, control) = manual();
    control.set_fault(FaultRule::always(Fault::ChangeTools));
    let names = || -> Vec<String> {
        rpc(address, 1, "tools/list", json!({}))["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tool| tool["name"].as_str().unwrap().to_string())
            .collect()
    };
    let before = names();
    assert!(before.contains(&"send_exit".to_string()));
    call(address, "node_info", json!({}));
    let after = names();
    assert_ne!(before, after);
    assert!(!after.contains(&"send_exit".to_string()));
    control.clear_faults();
    assert_eq!(names(), before);
}

#[test]
fn samplers_tick_on_their_own_with_a_real_clock() {
    let (_sim, address, _) = fast(20.0);
    let started = Instant::now();
    let id = start_sampler(address, json!({"tool": "node_info", "interval_ms": 1000}));
    thread::sleep(Duration::from_millis(400));
    let taken = sequences(&read(address, &id, 0)).len() as f64;
    let most = started.elapsed().as_secs_f64() * 20.0 + 2.0;
    assert!(taken >= 5.0 && taken <= most, "one sample a sim second: {taken} of at most {most}");
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
