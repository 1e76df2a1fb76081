//! Property tests of the two readers of untrusted bytes, at the public
//! API: the MCP client reading whatever a server answers (JSON bodies and
//! event streams, through `McpClient::call_tool`), and
//! `bindings::convert::parse_json` on deep, long and mutated JSON. The
//! unit tests beside each parser fuzz its internals; these check what a
//! caller sees: a value or a one-line error, never a panic or a hang, and
//! a client that still works after any garbage.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use ergosh::bindings::convert::{dynamic_to_value, parse_json};
use ergosh::mcp::{ClientOptions, McpClient, McpError};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Where the request id goes in a templated answer.
const ID: &[u8] = b"\x00ID\x00";

/// What the server answers the next `tools/call` with.
#[derive(Clone)]
struct Answer {
    content_type: &'static str,
    body: Vec<u8>,
}

/// A keep-alive HTTP/1.1 server that answers the handshake properly and
/// every `tools/call` with the current [`Answer`].
struct Server {
    url: String,
    answer: Arc<Mutex<Answer>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/mcp", listener.local_addr().expect("address"));
        let answer = Arc::new(Mutex::new(valid_json_answer()));
        let shared = answer.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let answer = shared.clone();
                thread::spawn(move || serve(stream, answer));
            }
        });
        Server { url, answer }
    }

    fn answer_with(&self, answer: Answer) {
        *self.answer.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = answer;
    }
}

fn serve(stream: TcpStream, answer: Arc<Mutex<Answer>>) {
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(value) = lower.strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0_u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let id = request["id"].clone();
        let (status, content_type, reply) = match request["method"].as_str().unwrap_or("") {
            "initialize" => (200, "application/json", rpc(&id, initialize_result())),
            "tools/list" => (200, "application/json", rpc(&id, tool_list())),
            "tools/call" => {
                let answer = answer.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
                (200, answer.content_type, with_id(&answer.body, &id))
            }
            _ if id.is_null() => (202, "application/json", Vec::new()),
            _ => (200, "application/json", rpc(&id, json!({}))),
        };
        let head = format!(
            "HTTP/1.1 {status} OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
            reply.len()
        );
        // One write: a head and a body in two would wait on Nagle's algorithm.
        let mut message = head.into_bytes();
        message.extend_from_slice(&reply);
        if writer.write_all(&message).is_err() {
            return;
        }
    }
}

fn rpc(id: &Value, result: Value) -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string().into_bytes()
}

fn initialize_result() -> Value {
    json!({"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
           "serverInfo": {"name": "fuzz", "version": "0"}})
}

fn tool_list() -> Value {
    json!({"tools": [{"name": "echo", "description": "answers what the test says",
                      "inputSchema": {"type": "object", "properties": {}}}]})
}

/// `template` with every [`ID`] marker replaced by the request id.
fn with_id(template: &[u8], id: &Value) -> Vec<u8> {
    let id = id.to_string().into_bytes();
    let mut out = Vec::with_capacity(template.len() + 8);
    let mut rest = template;
    while let Some(at) = rest.windows(ID.len()).position(|window| window == ID) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(&id);
        rest = &rest[at + ID.len()..];
    }
    out.extend_from_slice(rest);
    out
}

fn valid_result() -> Vec<u8> {
    let mut body = br#"{"jsonrpc":"2.0","id":"#.to_vec();
    body.extend_from_slice(ID);
    body.extend_from_slice(
        br#","result":{"content":[{"type":"text","text":"{\"a\":[1,2.5,\"\\u00e9\",null]}"},{"type":"image","data":"AA==","mimeType":"image/png"}],"isError":false}}"#,
    );
    body
}

fn valid_json_answer() -> Answer {
    Answer { content_type: "application/json", body: valid_result() }
}

/// The answer as an event stream, after a notification of the server.
fn as_event_stream(result: &[u8]) -> Vec<u8> {
    let mut body = b": keep-alive\r\n\r\nevent: message\r\ndata: ".to_vec();
    body.extend_from_slice(br#"{"jsonrpc":"2.0","method":"notifications/progress","params":{}}"#);
    body.extend_from_slice(b"\r\n\r\nevent: message\r\ndata: ");
    body.extend_from_slice(result);
    body.extend_from_slice(b"\r\n\r\n");
    body
}

/// One client and runtime for every case, connected once.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    server: Server,
    client: McpClient,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let server = Server::start();
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let mut options = ClientOptions::new(server.url.clone());
        options.max_response_bytes = 64 * 1024;
        let client = runtime.block_on(McpClient::connect(options)).expect("connects");
        Fixture { runtime, server, client }
    })
}

/// Serialises the cases: they share one server answer.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn call(fixture: &Fixture) -> Result<ergosh::mcp::ToolOutput, McpError> {
    let call = fixture.client.call_tool("echo", Map::new(), Duration::from_secs(2));
    fixture.runtime.block_on(call)
}

/// Any answer: a value or a one-line error; then a good answer works.
fn check_answer(answer: Answer) -> Result<(), TestCaseError> {
    let fixture = fixture();
    fixture.server.answer_with(answer);
    if let Err(error) = call(fixture) {
        let text = error.to_string();
        prop_assert!(!text.is_empty() && !text.contains('\n'), "{text:?}");
        prop_assert!(!matches!(error, McpError::Timeout { .. }), "a complete answer hung: {text}");
    }
    fixture.server.answer_with(valid_json_answer());
    let after = call(fixture);
    prop_assert!(after.is_ok(), "the client broke after garbage: {after:?}");
    Ok(())
}

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
    for (position, byte) in edits {
        if bytes.is_empty() {
            break;
        }
        let at = position % bytes.len();
        bytes[at] = *byte;
    }
    bytes.truncate(cut % (bytes.len() + 1));
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_json_bodies_give_a_value_or_one_line(
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let _serial = one_at_a_time();
        check_answer(Answer { content_type: "application/json", body })?;
    }

    #[test]
    fn mutated_json_answers_give_a_value_or_one_line(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in any::<usize>(),
    ) {
        let _serial = one_at_a_time();
        let body = mutate(valid_result(), &edits, cut);
        check_answer(Answer { content_type: "application/json", body })?;
    }

    #[test]
    fn mutated_event_streams_give_a_value_or_one_line(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in any::<usize>(),
    ) {
        let _serial = one_at_a_time();
        let body = mutate(as_event_stream(&valid_result()), &edits, cut);
        check_answer(Answer { content_type: "text/event-stream", body })?;
    }

    #[test]
    fn random_event_streams_give_a_value_or_one_line(
        lines in proptest::collection::vec("(data|event|id|retry|:)?:? ?[ -~]{0,40}", 0..12),
    ) {
        let _serial = one_at_a_time();
        let body = lines.join("\n").into_bytes();
        check_answer(Answer { content_type: "text/event-stream", body })?;
    }
}

#[test]
fn every_json_rpc_error_code_of_the_node_comes_back_as_rpc() {
    let _serial = one_at_a_time();
    let fixture = fixture();
    for (code, id) in
        [(-32700, "null"), (-32600, "ID"), (-32601, "ID"), (-32602, "ID"), (-32603, "ID")]
    {
        let mut body = br#"{"jsonrpc":"2.0","id":"#.to_vec();
        body.extend_from_slice(if id == "null" { b"null" } else { ID });
        body.extend_from_slice(
            format!(r#","error":{{"code":{code},"message":"m {code}"}}}}"#).as_bytes(),
        );
        fixture.server.answer_with(Answer { content_type: "application/json", body });
        match call(fixture) {
            Err(McpError::Rpc { code: got, message }) => {
                assert_eq!((got, message), (code, format!("m {code}")));
            }
            other => panic!("code {code}: {other:?}"),
        }
    }
    fixture.server.answer_with(valid_json_answer());
    assert!(call(fixture).is_ok());
}

#[test]
fn an_answer_over_the_size_cap_is_too_large_and_the_client_recovers() {
    let _serial = one_at_a_time();
    let fixture = fixture();
    let mut body = valid_result();
    let filler = format!(r#","pad":"{}"}}"#, "x".repeat(100 * 1024));
    body.truncate(body.len() - 1);
    body.extend_from_slice(filler.as_bytes());
    fixture.server.answer_with(Answer { content_type: "application/json", body });
    assert!(matches!(call(fixture), Err(McpError::TooLarge { .. })));
    fixture.server.answer_with(valid_json_answer());
    assert!(call(fixture).is_ok());
}

// ---- parse_json ------------------------------------------------------------

#[test]
fn nesting_far_deeper_than_any_answer_is_an_error_not_a_stack_overflow() {
    for depth in [1_000, 100_000, 1_000_000] {
        let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse_json(&arrays).is_err(), "depth {depth}");
        let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
        assert!(parse_json(&objects).is_err(), "depth {depth}");
        let unclosed = "[{\"a\":".repeat(depth);
        assert!(parse_json(&unclosed).is_err(), "depth {depth}");
    }
}

/// A top-level array big enough to be parsed in several parts.
fn big_array(rows: usize) -> String {
    let mut text = String::from("[");
    for index in 0..rows {
        if index > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            r#"{{"PID":"<9F35C982.0.{index}>","Name":"w\"{index}\\","MessagesMailbox":{index},"Ratio":{index}.5e-3,"Tags":["a","\u00e9",null,true]}}"#
        ));
    }
    text.push(']');
    text
}

fn big() -> &'static String {
    static BIG: OnceLock<String> = OnceLock::new();
    BIG.get_or_init(|| big_array(24_000))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn mutated_big_arrays_agree_with_serde_json(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..12), 1..4),
    ) {
        let alphabet = [b'{', b'}', b'[', b']', b'"', b',', b':', b'\\', b' ', b'0', b'e', b'n'];
        let mut bytes = big().clone().into_bytes();
        for (index, pick) in edits {
            let at = index.index(bytes.len());
            bytes[at] = alphabet[pick];
        }
        let text = String::from_utf8_lossy(&bytes);
        let ours = parse_json(&text);
        match serde_json::from_str::<Value>(&text) {
            Ok(theirs) => {
                let ours = ours.map_err(|e| TestCaseError::fail(format!("serde_json took it: {e}")))?;
                prop_assert_eq!(dynamic_to_value(&ours).ok(), Some(theirs));
            }
            Err(_) => prop_assert!(ours.is_err(), "accepted what serde_json refuses"),
        }
    }
}

#[test]
fn a_big_array_parses_like_serde_json() {
    let theirs: Value = serde_json::from_str(big()).expect("valid");
    let ours = parse_json(big()).expect("parses");
    assert_eq!(dynamic_to_value(&ours).ok(), Some(theirs));
}
