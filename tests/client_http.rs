//! The MCP client against a small MCP server on loopback, written here with
//! hyper: JSON and SSE answers, sessions, tokens, and every way an answer
//! can go wrong. Each test asserts what the client sent, too.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderMap, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;

use ergosh::mcp::{ClientOptions, McpClient, McpError, Secret};

type Body = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// How the test server behaves.
#[derive(Clone, Default)]
struct Config {
    token: Option<String>,
    sessions: bool,
    sse: bool,
    /// `tools/list` pages (0 or 1: no cursor).
    pages: usize,
    /// Answer DELETE with 405 although sessions are issued.
    refuse_delete: bool,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    headers: HeaderMap,
    message: Value,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    fn rpc_method(&self) -> &str {
        self.message["method"].as_str().unwrap_or("")
    }
}

struct State {
    config: Config,
    seen: Mutex<Vec<Seen>>,
    sessions: Mutex<HashSet<String>>,
    next_session: AtomicU64,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    connections: AtomicUsize,
    open_connections: AtomicUsize,
    max_open_connections: AtomicUsize,
}

struct Peer {
    url: String,
    state: Arc<State>,
}

impl Peer {
    async fn start(config: Config) -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        let state = Arc::new(State {
            config,
            seen: Mutex::new(Vec::new()),
            sessions: Mutex::new(HashSet::new()),
            next_session: AtomicU64::new(1),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            open_connections: AtomicUsize::new(0),
            max_open_connections: AtomicUsize::new(0),
        });
        let server_state = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let state = server_state.clone();
                state.connections.fetch_add(1, Ordering::SeqCst);
                let open = state.open_connections.fetch_add(1, Ordering::SeqCst) + 1;
                state.max_open_connections.fetch_max(open, Ordering::SeqCst);
                tokio::spawn(async move {
                    let service = {
                        let state = state.clone();
                        hyper::service::service_fn(move |request| handle(state.clone(), request))
                    };
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                    state.open_connections.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Peer { url, state }
    }

    fn options(&self) -> ClientOptions {
        let mut options = ClientOptions::new(&self.url);
        options.request_timeout = Duration::from_secs(5);
        options
    }

    async fn connect(&self) -> McpClient {
        McpClient::connect(self.options()).await.unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    fn seen_method(&self, method: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|seen| seen.rpc_method() == method).collect()
    }

    /// Waits up to two seconds for a `notifications/cancelled`.
    async fn cancellation(&self) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Some(seen) = self.seen_method("notifications/cancelled").pop() {
                return Some(seen.message["params"].clone());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let (parts, body) = request.into_parts();
    let bytes = body.collect().await.map(|body| body.to_bytes()).unwrap_or_default();
    let message: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    state.seen.lock().unwrap().push(Seen {
        method: parts.method.clone(),
        headers: parts.headers.clone(),
        message: message.clone(),
    });

    if let Some(token) = &state.config.token {
        let expected = format!("Bearer {token}");
        if parts.headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&expected) {
            return Ok(plain(401, "", ""));
        }
    }
    let session = parts.headers.get("mcp-session-id").and_then(|v| v.to_str().ok());
    if parts.method == Method::DELETE {
        if !state.config.sessions || state.config.refuse_delete {
            return Ok(plain(405, "text/plain", "Method Not Allowed\n"));
        }
        if let Some(session) = session {
            state.sessions.lock().unwrap().remove(session);
        }
        return Ok(plain(200, "", ""));
    }

    let method = message["method"].as_str().unwrap_or("").to_string();
    if state.config.sessions && method != "initialize" {
        let known = session.is_some_and(|id| state.sessions.lock().unwrap().contains(id));
        if !known {
            let (status, text) =
                if session.is_some() { (404, "Session not found") } else { (400, "No session") };
            let body =
                json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": text}});
            return Ok(plain(status, "application/json", &body.to_string()));
        }
    }

    let id = message["id"].clone();
    let answer = match method.as_str() {
        "initialize" => {
            let result = json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "test-peer", "version": "9.9"},
            });
            let mut response = reply(&state, &id, json!({"result": result}));
            if state.config.sessions {
                let session =
                    format!("session-{}", state.next_session.fetch_add(1, Ordering::Relaxed));
                state.sessions.lock().unwrap().insert(session.clone());
                response
                    .headers_mut()
                    .insert("mcp-session-id", HeaderValue::from_str(&session).unwrap());
            }
            response
        }
        name if name.starts_with("notifications/") => plain(202, "", ""),
        "tools/list" => list_tools(&state, &id, &message["params"]),
        "tools/call" => call_tool(&state, &id, &message["params"]).await,
        _ => reply(
            &state,
            &id,
            json!({"error": {"code": -32601, "message": format!("method not found: {method}")}}),
        ),
    };
    Ok(answer)
}

const TOOLS: &[&str] = &[
    "echo",
    "slow",
    "hold",
    "html",
    "status",
    "empty",
    "truncated",
    "close_mid_body",
    "huge",
    "huge_declared",
    "wrong_id",
    "no_result",
    "rpc_error",
    "is_error",
    "sse_noise",
    "sse_silent",
    "forget_session",
    "gone",
    "big",
    "mixed",
];

fn list_tools(state: &State, id: &Value, params: &Value) -> Response<Body> {
    let pages = state.config.pages.max(1);
    let page: usize =
        params["cursor"].as_str().and_then(|c| c.strip_prefix("page-")?.parse().ok()).unwrap_or(0);
    let per_page = TOOLS.len().div_ceil(pages);
    let tools: Vec<Value> = TOOLS
        .iter()
        .skip(page * per_page)
        .take(per_page)
        .map(|name| json!({"name": name, "description": format!("the {name} tool"), "inputSchema": {"type": "object"}}))
        .collect();
    let mut result = json!({"tools": tools});
    if page + 1 < pages {
        result["nextCursor"] = json!(format!("page-{}", page + 1));
    }
    reply(state, id, json!({"result": result}))
}

async fn call_tool(state: &State, id: &Value, params: &Value) -> Response<Body> {
    let arguments = params["arguments"].clone();
    let text = |text: String| json!({"result": {"content": [{"type": "text", "text": text}]}});
    match params["name"].as_str().unwrap_or("") {
        "echo" => reply(state, id, text(arguments.to_string())),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            reply(state, id, text("late".into()))
        }
        "hold" => {
            let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            state.max_in_flight.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(150)).await;
            state.in_flight.fetch_sub(1, Ordering::SeqCst);
            reply(state, id, text("held".into()))
        }
        "html" => plain(
            200,
            "text/html",
            "<html><head><title>Gateway Error</title></head><body><h1>oops</h1></body></html>",
        ),
        "status" => {
            let code = arguments["code"].as_u64().unwrap_or(500) as u16;
            plain(code, "text/plain", "upstream\nfailed")
        }
        "empty" => plain(200, "application/json", ""),
        "truncated" => {
            let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[{{"type":"te"#);
            plain(200, "application/json", &body)
        }
        "close_mid_body" => {
            // Headers and a first part go out, then the connection breaks.
            let frames = stream::unfold(0, |step| async move {
                let frame: Result<Frame<Bytes>, Box<dyn std::error::Error + Send + Sync>> =
                    match step {
                        0 => Ok(Frame::data(Bytes::from_static(
                            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"con",
                        ))),
                        1 => {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Err("cut".into())
                        }
                        _ => return None,
                    };
                Some((frame, step + 1))
            });
            let mut response = Response::new(BodyExt::boxed(StreamBody::new(frames)));
            response.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from_static("10000"));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        "huge" | "huge_declared" => {
            let chunk = Bytes::from(vec![b' '; 1 << 20]);
            let frames = stream::iter((0..200).map(move |_| Ok(Frame::data(chunk.clone()))));
            let mut response = Response::new(BodyExt::boxed(StreamBody::new(frames)));
            if params["name"] == "huge_declared" {
                response.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(200u64 << 20));
            }
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        "wrong_id" => {
            let wrong = id.as_u64().unwrap_or(0) + 1000;
            plain(
                200,
                "application/json",
                &json!({"jsonrpc": "2.0", "id": wrong, "result": {"content": []}}).to_string(),
            )
        }
        "no_result" => reply(state, id, json!({})),
        "rpc_error" => reply(
            state,
            id,
            json!({"error": {"code": -32602, "message": "process_info: unknown process"}}),
        ),
        "is_error" => reply(
            state,
            id,
            json!({"result": {"content": [{"type": "text", "text": "boom"}], "isError": true}}),
        ),
        "sse_noise" => {
            let response = json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": "after noise"}]}});
            let body = format!(
                ": keep-alive\n\nevent: message\ndata: {}\n\nevent: message\ndata: {}\n\nevent: message\r\ndata: {}\r\n\r\n",
                json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progress": 1}}),
                json!({"jsonrpc": "2.0", "id": id, "method": "ping"}),
                response
            );
            plain(200, "text/event-stream", &body)
        }
        "sse_silent" => {
            let note = json!({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info"}});
            plain(200, "text/event-stream", &format!("data: {note}\n\n"))
        }
        "forget_session" => {
            state.sessions.lock().unwrap().clear();
            reply(state, id, text("forgotten".into()))
        }
        "gone" => plain(404, "text/plain", "not here"),
        "big" => {
            let rows: Vec<Value> = (0..60_000)
                .map(|i| json!({"PID": format!("<9F35C982.0.{i}>"), "MessagesMailbox": i}))
                .collect();
            let inner = serde_json::to_string_pretty(&rows).unwrap();
            reply(state, id, text(inner))
        }
        "mixed" => reply(
            state,
            id,
            json!({"result": {
                "content": [{"type": "text", "text": "a"}, {"type": "image", "data": "AA==", "mimeType": "image/png"}],
                "structuredContent": {"ok": true},
            }}),
        ),
        other => reply(
            state,
            id,
            json!({"error": {"code": -32602, "message": format!("unknown tool: {other}")}}),
        ),
    }
}

/// A JSON-RPC answer (`outcome` holds `result` or `error`), as JSON or SSE.
fn reply(state: &State, id: &Value, outcome: Value) -> Response<Body> {
    let mut message = json!({"jsonrpc": "2.0", "id": id});
    if let (Value::Object(message), Value::Object(outcome)) = (&mut message, outcome) {
        message.extend(outcome);
    }
    if state.config.sse {
        plain(200, "text/event-stream", &format!("event: message\ndata: {message}\n\n"))
    } else {
        plain(200, "application/json", &message.to_string())
    }
}

fn plain(status: u16, content_type: &str, body: &str) -> Response<Body> {
    let full = Full::new(Bytes::from(body.to_string())).map_err(|never| match never {});
    let mut response = Response::new(BodyExt::boxed(full));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    if !content_type.is_empty() {
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
    }
    response
}

fn args(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

const CALL: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_lists_tools_and_calls_over_json() {
    let peer = Peer::start(Config::default()).await;
    let client = peer.connect().await;

    assert_eq!(client.server_info().name, "test-peer");
    assert_eq!(client.tools().len(), TOOLS.len());
    let output = client.call_tool("echo", args(json!({"limit": 5})), CALL).await.unwrap();
    assert_eq!(output.content[0].text.as_deref(), Some(r#"{"limit":5}"#));
    assert!(!output.is_error);
    client.close().await;

    let seen = peer.seen();
    let methods: Vec<&str> = seen.iter().map(Seen::rpc_method).collect();
    assert_eq!(methods, ["initialize", "notifications/initialized", "tools/list", "tools/call"]);
    let initialize = &seen[0].message;
    assert_eq!(initialize["params"]["protocolVersion"], "2025-06-18");
    assert_eq!(initialize["params"]["clientInfo"]["name"], "ergosh");
    assert_eq!(initialize["params"]["clientInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(initialize["params"]["capabilities"], json!({}));
    assert!(seen[1].message.get("id").is_none());
    let ids: Vec<u64> = seen.iter().filter_map(|s| s.message["id"].as_u64()).collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]) && ids[0] < 10, "{ids:?}");
    for request in &seen {
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.header("accept"), Some("application/json, text/event-stream"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert!(request.header("authorization").is_none());
        assert!(request.header("mcp-session-id").is_none());
    }
    assert!(seen[0].header("mcp-protocol-version").is_none());
    assert!(seen[1..].iter().all(|s| s.header("mcp-protocol-version") == Some("2025-06-18")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_answers_and_the_session_id_is_echoed_then_deleted() {
    let peer = Peer::start(Config { sessions: true, sse: true, ..Config::default() }).await;
    let client = peer.connect().await;

    let output = client.call_tool("echo", args(json!({"x": "y"})), CALL).await.unwrap();
    assert_eq!(output.content[0].text.as_deref(), Some(r#"{"x":"y"}"#));
    let output = client.call_tool("sse_noise", Map::new(), CALL).await.unwrap();
    assert_eq!(output.content[0].text.as_deref(), Some("after noise"));
    client.close().await;
    let after = client.call_tool("echo", Map::new(), CALL).await.unwrap_err();
    assert!(matches!(after, McpError::Cancelled), "{after}");

    let seen = peer.seen();
    assert!(seen[0].header("mcp-session-id").is_none());
    for request in &seen[1..] {
        assert_eq!(request.header("mcp-session-id"), Some("session-1"), "{request:?}");
    }
    let last = seen.last().unwrap();
    assert_eq!(last.method, Method::DELETE);
    assert!(peer.state.sessions.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_without_the_response_is_a_protocol_error() {
    let peer = Peer::start(Config::default()).await;
    let client = peer.connect().await;
    let error = client.call_tool("sse_silent", Map::new(), CALL).await.unwrap_err();
    assert!(error.to_string().contains("event stream ended without the response"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_session_is_initialized_again_once() {
    let peer = Peer::start(Config { sessions: true, ..Config::default() }).await;
    let client = peer.connect().await;

    client.call_tool("forget_session", Map::new(), CALL).await.unwrap();
    let output = client.call_tool("echo", args(json!({"n": 1})), CALL).await.unwrap();
    assert_eq!(output.content[0].text.as_deref(), Some(r#"{"n":1}"#));
    assert_eq!(peer.seen_method("initialize").len(), 2);
    let echoes = peer.seen_method("tools/call");
    let sessions: Vec<_> =
        echoes[1..].iter().map(|s| s.header("mcp-session-id").unwrap().to_string()).collect();
    assert_eq!(sessions, ["session-1", "session-2"]);

    // A 404 that stays after the new handshake is reported, not retried forever.
    let error = client.call_tool("gone", Map::new(), CALL).await.unwrap_err();
    assert!(matches!(error, McpError::Http { status: 404, .. }), "{error}");
    assert_eq!(peer.seen_method("initialize").len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_sent_as_a_bearer_and_never_printed() {
    let token = "s3cret-t0ken";
    let peer = Peer::start(Config { token: Some(token.into()), ..Config::default() }).await;

    let mut options = peer.options();
    options.token = Some(Secret::new(token));
    let printed = format!("{options:?}");
    let client = McpClient::connect(options).await.unwrap();
    client.call_tool("echo", Map::new(), CALL).await.unwrap();
    assert!(peer.seen().iter().all(|s| s.header("authorization") == Some("Bearer s3cret-t0ken")));

    let mut wrong = peer.options();
    wrong.token = Some(Secret::new("wrong-token"));
    let error = McpClient::connect(wrong).await.unwrap_err();
    assert!(matches!(error, McpError::Auth { status: 401, .. }), "{error}");
    assert!(error.to_string().starts_with("authentication failed"), "{error}");
    assert!(error.hint().unwrap().contains("ERGOSH_TOKEN"));
    assert!(error.is_connection());
    let missing = McpClient::connect(peer.options()).await.unwrap_err();
    assert!(matches!(missing, McpError::Auth { .. }), "{missing}");

    for text in [printed, format!("{client:?}"), format!("{error} {error:?} {:?}", error.hint())] {
        assert!(!text.contains(token) && !text.contains("wrong-token"), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_list_follows_every_cursor() {
    let peer = Peer::start(Config { pages: 3, ..Config::default() }).await;
    let client = peer.connect().await;
    let names: Vec<String> = client.tools().iter().map(|tool| tool.name.clone()).collect();
    assert_eq!(names, TOOLS);
    let cursors: Vec<Value> = peer
        .seen_method("tools/list")
        .iter()
        .map(|s| s.message["params"]["cursor"].clone())
        .collect();
    assert_eq!(cursors, [Value::Null, json!("page-1"), json!("page-2")]);

    let again = client.refresh_tools().await.unwrap();
    assert_eq!(again.len(), TOOLS.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_fires_and_the_request_is_cancelled() {
    let peer = Peer::start(Config::default()).await;
    let client = peer.connect().await;

    let started = Instant::now();
    let error = client.call_tool("slow", Map::new(), Duration::from_millis(300)).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(matches!(error, McpError::Timeout { .. }), "{error}");
    assert!(error.to_string().contains("within 300 ms"), "{error}");
    assert!(error.hint().unwrap().contains("--timeout"));

    let slow_id = peer.seen_method("tools/call")[0].message["id"].clone();
    let params = peer.cancellation().await.expect("no notifications/cancelled");
    assert_eq!(params["requestId"], slow_id);
    assert!(params["reason"].as_str().unwrap().contains("timed out"), "{params}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_call_is_cancelled_on_the_server() {
    let peer = Peer::start(Config { sessions: true, ..Config::default() }).await;
    let client = peer.connect().await;

    let call = tokio::spawn({
        let client = client.clone();
        async move { client.call_tool("slow", Map::new(), CALL).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());

    let slow_id = peer.seen_method("tools/call")[0].message["id"].clone();
    let params = peer.cancellation().await.expect("no notifications/cancelled");
    assert_eq!(params["requestId"], slow_id);
    assert_eq!(params["reason"], "cancelled by the user");
    let cancelled = peer.seen_method("notifications/cancelled");
    assert_eq!(cancelled[0].header("mcp-session-id"), Some("session-1"));

    // The client still works after a cancellation.
    client.call_tool("echo", Map::new(), CALL).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_answers_give_one_line_errors() {
    let peer = Peer::start(Config::default()).await;
    let client = peer.connect().await;
    let url = peer.url.clone();

    let cases: Vec<(&str, Value, &str)> = vec![
        ("html", json!({}), "answered `text/html`, not json: Gateway Error"),
        ("status", json!({"code": 500}), "answered http 500: upstream failed"),
        ("status", json!({"code": 502}), "answered http 502"),
        ("status", json!({"code": 504}), "answered http 504"),
        ("status", json!({"code": 405}), "answered http 405"),
        ("status", json!({"code": 404}), "answered http 404"),
        ("status", json!({"code": 403}), "authentication failed"),
        ("empty", json!({}), "empty body"),
        ("truncated", json!({}), "truncated json"),
        ("close_mid_body", json!({}), "closed mid-body"),
        ("wrong_id", json!({}), "but the request had id"),
        ("no_result", json!({}), "neither a result nor an error"),
        ("rpc_error", json!({}), "json-rpc error -32602: process_info: unknown process"),
    ];
    for (tool, arguments, expected) in cases {
        let error = client.call_tool(tool, args(arguments), CALL).await.unwrap_err();
        let text = error.to_string();
        assert!(text.contains(expected), "{tool}: {text}");
        assert!(!text.contains('\n'), "{tool}: {text}");
        if !matches!(error, McpError::Rpc { .. }) {
            assert!(text.contains(&url), "{tool}: {text}");
        }
    }

    let failed = client.call_tool("is_error", Map::new(), CALL).await.unwrap();
    assert!(failed.is_error);
    assert_eq!(failed.content[0].text.as_deref(), Some("boom"));
    let mixed = client.call_tool("mixed", Map::new(), CALL).await.unwrap();
    assert_eq!(mixed.content.len(), 2);
    assert_eq!(mixed.content[1].kind, "image");
    assert_eq!(mixed.structured, Some(json!({"ok": true})));

    // After all that, the pool still serves calls.
    client.call_tool("echo", Map::new(), CALL).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_answers_stop_at_the_limit() {
    let peer = Peer::start(Config::default()).await;
    let client = peer.connect().await;
    let declared = client.call_tool("huge_declared", Map::new(), CALL).await.unwrap_err();
    assert!(
        matches!(declared, McpError::TooLarge { limit, .. } if limit == 128 << 20),
        "{declared}"
    );

    let mut options = peer.options();
    options.max_response_bytes = 8 << 20;
    let small = McpClient::connect(options).await.unwrap();
    let streamed = small.call_tool("huge", Map::new(), CALL).await.unwrap_err();
    assert!(streamed.to_string().contains("larger than the limit of 8 MiB"), "{streamed}");
    assert!(streamed.hint().is_some());

    // A multi-megabyte answer arrives in many chunks and decodes whole.
    let big = client.call_tool("big", Map::new(), Duration::from_secs(30)).await.unwrap();
    let text = big.content[0].text.as_deref().unwrap();
    assert!(
        text.len() > 3 << 20 && text.ends_with("\"MessagesMailbox\": 59999\n  }\n]"),
        "{}",
        text.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_stay_within_max_concurrency() {
    let peer = Peer::start(Config::default()).await;
    let mut options = peer.options();
    options.max_concurrency = 2;
    let client = McpClient::connect(options).await.unwrap();

    let calls: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.call_tool("hold", Map::new(), CALL).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(peer.state.max_in_flight.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_names_the_url_and_suggests_the_demo() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    drop(listener);

    let error = McpClient::connect(ClientOptions::new(&url)).await.unwrap_err();
    assert!(matches!(error, McpError::Connect { .. }), "{error}");
    assert_eq!(error.to_string(), format!("cannot connect to `{url}`: connection refused"));
    assert!(error.hint().unwrap().contains("ergosh --demo"));
    assert!(error.is_connection());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_does_not_resolve_is_named() {
    let mut options = ClientOptions::new("http://no-such-node.invalid:9922/mcp");
    options.connect_timeout = Duration::from_secs(3);
    let error = McpClient::connect(options).await.unwrap_err();
    assert!(error.to_string().contains("cannot resolve host `no-such-node.invalid`"), "{error}");
    assert!(error.is_connection());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_or_hangs_up_fails_the_connect() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            if held.is_empty() {
                held.push(socket);
            }
        }
    });

    let mut options = ClientOptions::new(&url);
    options.request_timeout = Duration::from_millis(300);
    let silent = McpClient::connect(options.clone()).await.unwrap_err();
    assert!(silent.to_string().contains("no answer to `initialize` within 300 ms"), "{silent}");
    assert!(silent.is_connection());

    let hung_up = McpClient::connect(options).await.unwrap_err();
    assert!(hung_up.to_string().contains("closed before an answer"), "{hung_up}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_delete_is_ignored() {
    let peer =
        Peer::start(Config { sessions: true, refuse_delete: true, ..Config::default() }).await;
    let client = peer.connect().await;
    client.close().await;
    let last = peer.seen().pop().unwrap();
    assert_eq!(last.method, Method::DELETE);
    assert_eq!(last.header("mcp-session-id"), Some("session-1"));
}

/// Collects what a tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn trace_logs_show_bodies_but_never_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let token = "tr4ce-t0ken";
    let peer =
        Peer::start(Config { token: Some(token.into()), sessions: true, ..Config::default() })
            .await;
    let mut options = peer.options();
    options.token = Some(Secret::new(token));
    let client = McpClient::connect(options).await.unwrap();
    client.call_tool("echo", args(json!({"probe": "visible"})), CALL).await.unwrap();
    let _ = client.call_tool("slow", Map::new(), Duration::from_millis(100)).await;
    assert!(peer.cancellation().await.is_some());
    client.close().await;
    let mut wrong = peer.options();
    wrong.token = Some(Secret::new(format!("{token}-wrong")));
    let _ = McpClient::connect(wrong).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("visible") && logs.contains("initialized"), "{logs}");
    assert!(!logs.contains(token) && !logs.contains("Bearer"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_calls_reuse_one_connection_for_json_and_sse() {
    for sse in [false, true] {
        let peer = Peer::start(Config { sse, sessions: sse, ..Config::default() }).await;
        let client = peer.connect().await;
        for round in 0..200 {
            let output = client.call_tool("echo", args(json!({"round": round})), CALL).await;
            assert!(output.is_ok(), "{output:?}");
        }
        // hyper hands a connection back to the pool from a background
        // task, so a quick next call sometimes opens another one; what must
        // hold is reuse (far fewer connections than calls) and a bounded
        // number open at once (the idle pool keeps max_concurrency + 1).
        let opened = peer.state.connections.load(Ordering::SeqCst);
        let open = peer.state.max_open_connections.load(Ordering::SeqCst);
        assert!(opened <= 20, "sse: {sse}, {opened} connections for 200 calls");
        assert!(open <= 6, "sse: {sse}, {open} connections open at once");
    }
}
