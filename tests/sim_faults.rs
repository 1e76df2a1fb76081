//! The simulator's fault modes, as a client on the wire sees them.

mod sim_support;

use std::time::{Duration, Instant};

use ergosh::sim::{Fault, FaultRule};
use serde_json::{json, Value};
use sim_support::{
    call, error, json_text, manual, ping, post, post_raw, rpc, send, send_for_bytes, send_within,
    text,
};

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
    let bytes = send_for_bytes(address, tool_call_body("node_info").to_string().as_bytes());
    let text = String::from_utf8_lossy(&bytes);
    let (head, body) = text.split_once("\r\n\r\n").expect("the headers arrive before the cut");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let declared: usize = head
        .lines()
        .find_map(|line| {
            let line = line.to_ascii_lowercase();
            line.strip_prefix("content-length:").map(|value| value.trim().parse().unwrap())
        })
        .expect("a declared length");
    assert!(!body.is_empty() && body.len() < declared, "{} of {declared} bytes", body.len());

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
    let waited =
        send_within(address, "POST", "/mcp", &[], body.as_bytes(), Duration::from_millis(300));
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
    let (code, message) = error(&call(address, "send_exit", json!({"pid": "<1.0.1>"})));
    assert_eq!((code, message.as_str()), (-32602, "unknown tool: send_exit"));
    let top = json_text(&call(address, "process_top", json!({"limit": 3})));
    assert_eq!(top.as_array().map(Vec::len), Some(3));
    control.clear_faults();
    assert_eq!(names(), before);
}
