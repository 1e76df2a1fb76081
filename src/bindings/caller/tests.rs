//! The caller against a small MCP server on loopback: conversions, errors
//! and hints, and Ctrl-C during a call the server never answers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

use super::*;
use crate::mcp::ClientOptions;

const BASE: Duration = Duration::from_secs(35);

fn arguments(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[test]
fn a_local_call_waits_the_base_timeout() {
    assert_eq!(request_timeout(BASE, "node_info", &arguments(json!({}))), BASE);
}

#[test]
fn a_proxied_call_waits_longer_than_the_proxy() {
    let proxied = arguments(json!({"node": "backend@host", "timeout": 100}));
    assert_eq!(request_timeout(BASE, "node_info", &proxied), Duration::from_secs(110));

    let short_base = Duration::from_secs(5);
    let default_proxy = arguments(json!({"node": "backend@host"}));
    assert_eq!(request_timeout(short_base, "node_info", &default_proxy), Duration::from_secs(40));
}

#[test]
fn a_cpu_profile_waits_longer_than_its_duration() {
    let profile = arguments(json!({"duration": 60}));
    assert_eq!(request_timeout(BASE, "pprof_cpu", &profile), Duration::from_secs(70));
    let short_base = Duration::from_secs(1);
    assert_eq!(request_timeout(short_base, "pprof_cpu", &Map::new()), Duration::from_secs(15));
}

#[test]
fn errors_read_as_one_line_with_hints() {
    let unknown = CallError::UnknownTool {
        name: "proces_list".into(),
        suggestion: Some("process_list".into()),
    };
    assert_eq!(unknown.to_string(), "unknown tool `proces_list`; did you mean `process_list`?");
    assert_eq!(CallError::Interrupted.to_string(), "interrupted");

    let pprof = CallError::Mcp(McpError::Rpc {
        code: -32602,
        message: "looking up goroutine by process PID requires building with -tags=pprof.".into(),
    });
    assert_eq!(pprof.hint().as_deref(), Some("node built without -tags=pprof"));

    let latency = CallError::Tool(ToolFailure {
        tool: "process_list".into(),
        message: "mailbox latency measurement is disabled. Rebuild with -tags=latency".into(),
    });
    assert_eq!(
        latency.hint().as_deref(),
        Some("node built without -tags=latency (latency fields read -1)")
    );
}

/// A connected caller, the runtime it runs on, and a flag the server sets
/// when it receives `notifications/cancelled`.
struct Fixture {
    caller: Caller,
    interrupt: Interrupt,
    cancelled: Arc<AtomicBool>,
    _runtime: Runtime,
}

fn fixture() -> Fixture {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let cancelled = Arc::new(AtomicBool::new(false));
    let url = runtime.block_on(serve(cancelled.clone()));
    let client = runtime
        .block_on(McpClient::connect(ClientOptions::new(url)))
        .expect("the loopback server answers the handshake");
    let interrupt = Interrupt::new();
    let caller = Caller::new(client, runtime.handle().clone(), interrupt.clone());
    Fixture { caller, interrupt, cancelled, _runtime: runtime }
}

#[test]
fn a_call_returns_rhai_values() {
    let fixture = fixture();
    let rows = fixture.caller.call("process_list", Map::new()).expect("the call succeeds");
    let rows = rows.into_array().expect("an array");
    assert_eq!(rows.len(), 1);
    let row = rows[0].read_lock::<rhai::Map>().expect("a map");
    assert_eq!(row["PID"].to_string(), "<9F35C982.0.1012>");
    assert_eq!(row["MessagesIn"].as_int(), Ok(6130));

    let empty = fixture.caller.call("process_children", Map::new()).expect("succeeds");
    assert!(empty.into_array().is_ok_and(|list| list.is_empty()));
}

#[test]
fn failures_come_back_as_their_kinds() {
    let fixture = fixture();

    let unknown = fixture.caller.call("proces_list", Map::new()).unwrap_err();
    assert_eq!(unknown.to_string(), "unknown tool `proces_list`; did you mean `process_list`?");

    let failed = fixture.caller.call("failing", Map::new()).unwrap_err();
    assert!(matches!(failed, CallError::Tool(_)), "{failed:?}");
    assert_eq!(failed.to_string(), "failing: something broke");

    let rpc = fixture.caller.call("pprof_goroutines", Map::new()).unwrap_err();
    assert!(matches!(rpc, CallError::Mcp(McpError::Rpc { code: -32602, .. })), "{rpc:?}");
    assert_eq!(rpc.hint().as_deref(), Some("node built without -tags=pprof"));
}

#[test]
fn arguments_are_checked_by_name() {
    let fixture = fixture();
    let args: rhai::Map = [("sort".into(), rhai::Dynamic::from_int(1))].into_iter().collect();
    let error = fixture.caller.check("process_list", &args).unwrap_err();
    assert_eq!(
        error.to_string(),
        "process_list: unknown parameter `sort`; did you mean `sort_by`? (valid: limit, sort_by)"
    );
}

#[test]
fn ctrl_c_returns_at_once_and_cancels_the_call() {
    let fixture = fixture();
    let interrupt = fixture.interrupt.clone();
    let raiser = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        interrupt.raise();
    });

    let started = Instant::now();
    let result = fixture.caller.call("hang", Map::new());
    assert!(matches!(result, Err(CallError::Interrupted)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    raiser.join().expect("the raiser thread ends");

    let deadline = Instant::now() + Duration::from_secs(5);
    while !fixture.cancelled.load(Ordering::SeqCst) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    assert!(fixture.cancelled.load(Ordering::SeqCst), "the server saw notifications/cancelled");

    // a raised flag refuses the next call until the front end clears it
    assert!(matches!(fixture.caller.call("process_list", Map::new()), Err(CallError::Interrupted)));
    fixture.interrupt.clear();
    assert!(fixture.caller.call("process_list", Map::new()).is_ok());
}

/// Serves MCP over plain HTTP/1.1 on an ephemeral loopback port.
async fn serve(cancelled: Arc<AtomicBool>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}/mcp", listener.local_addr().expect("an address"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(connection(stream, cancelled.clone()));
        }
    });
    url
}

async fn connection(mut stream: TcpStream, cancelled: Arc<AtomicBool>) {
    let mut buffer = Vec::new();
    loop {
        let Some(body) = read_request(&mut stream, &mut buffer).await else { return };
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let method = request["method"].as_str().unwrap_or_default();
        if method == "notifications/cancelled" {
            cancelled.store(true, Ordering::SeqCst);
        }
        let answer = match answer(&request) {
            Some(Value::Null) => return hold(&mut stream).await,
            Some(result) => json!({"jsonrpc": "2.0", "id": request["id"], "result": result}),
            None if request.get("id").is_none() => {
                let accepted = "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n";
                if stream.write_all(accepted.as_bytes()).await.is_err() {
                    return;
                }
                continue;
            }
            None => json!({"jsonrpc": "2.0", "id": request["id"], "error": {
                "code": -32602,
                "message": "looking up goroutine by process PID requires building with -tags=pprof"
            }}),
        };
        let body = answer.to_string();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        if stream.write_all(head.as_bytes()).await.is_err()
            || stream.write_all(body.as_bytes()).await.is_err()
        {
            return;
        }
    }
}

/// Never answers: holds the connection until the client goes away.
async fn hold(stream: &mut TcpStream) {
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
}

/// The result for a request; `Some(Null)` means never answer, `None` an
/// error (or nothing, for a notification).
fn answer(request: &Value) -> Option<Value> {
    let text = |text: &str| json!({"content": [{"type": "text", "text": text}]});
    match request["method"].as_str()? {
        "initialize" => Some(json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "loopback", "version": "1"}
        })),
        "tools/list" => Some(json!({"tools": [
            {"name": "process_list", "inputSchema": {"type": "object", "properties": {
                "limit": {"type": "integer"}, "sort_by": {"type": "string"}}}},
            {"name": "process_children", "inputSchema": {"type": "object"}},
            {"name": "failing", "inputSchema": {"type": "object"}},
            {"name": "pprof_goroutines", "inputSchema": {"type": "object"}},
            {"name": "hang", "inputSchema": {"type": "object"}}
        ]})),
        "tools/call" => match request["params"]["name"].as_str()? {
            "process_list" => Some(text(
                "[\n  {\n    \"PID\": \"\\u003c9F35C982.0.1012\\u003e\",\n    \"MessagesIn\": 6130\n  }\n]",
            )),
            "process_children" => Some(text("null")),
            "failing" => Some(json!({"content": [{"type": "text", "text": "something broke"}], "isError": true})),
            "hang" => Some(Value::Null),
            _ => None,
        },
        _ => None,
    }
}

/// Reads one request (headers, then a `content-length` body) off a
/// keep-alive connection; `None` when the client closed it.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Vec<u8>> {
    loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                let body = buffer[end + 4..end + 4 + length].to_vec();
                buffer.drain(..end + 4 + length);
                return Some(body);
            }
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}
