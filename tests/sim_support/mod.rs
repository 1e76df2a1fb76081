//! A small blocking HTTP/1.1 client for the simulator tests: one
//! connection per request, exact bytes in and out, so the tests see what a
//! client on the wire would see (status, headers, cut bodies).

#![allow(dead_code)]

pub mod names;
pub mod recorded;
pub mod structure;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use ergosh::sim::{ClockMode, SimControl, SimOptions, Simulator};
use serde_json::{json, Value};

/// A simulator with its address and control handle.
pub fn start(options: SimOptions) -> (Simulator, SocketAddr, SimControl) {
    let simulator = Simulator::start(options).expect("simulator starts");
    let address = simulator.address();
    let control = simulator.control();
    (simulator, address, control)
}

/// A test cluster on a manual clock.
pub fn manual() -> (Simulator, SocketAddr, SimControl) {
    start(SimOptions::test())
}

/// A test cluster on a real clock running `speed` times faster.
pub fn fast(speed: f64) -> (Simulator, SocketAddr, SimControl) {
    start(SimOptions { clock: ClockMode::Real { speed }, ..SimOptions::test() })
}

/// A `ping` request body.
pub fn ping(id: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "ping"})
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text()))
    }
}

/// Sends one request and reads the answer to the end.
pub fn send(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Reply> {
    send_within(address, method, path, headers, body, Duration::from_secs(60))
}

/// [`send`] with a read timeout.
pub fn send_within(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> io::Result<Reply> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(timeout))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    // A server may answer (and close) before reading a body over its limit.
    let _ = stream.write_all(body);
    read_reply(stream)
}

/// Sends a request and answers every byte the server sent until it closed
/// the connection (or failed it).
pub fn send_for_bytes(address: SocketAddr, body: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write");
    stream.write_all(body).expect("write");
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    while let Ok(count) = stream.read(&mut buffer) {
        if count == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..count]);
    }
    received
}

fn read_reply(stream: TcpStream) -> io::Result<Reply> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status: u16 =
        line.split_whitespace().nth(1).and_then(|code| code.parse().ok()).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, format!("status line {line:?}"))
        })?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(key, _): &&(String, String)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };
    let mut body = Vec::new();
    if find("transfer-encoding").is_some_and(|value| value.eq_ignore_ascii_case("chunked")) {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim(), 16)
                .map_err(|_| io::Error::new(io::ErrorKind::UnexpectedEof, "chunk size"))?;
            if size == 0 {
                break;
            }
            let mut chunk = vec![0; size];
            reader.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk);
            line.clear();
            reader.read_line(&mut line)?;
        }
    } else if let Some(length) =
        find("content-length").and_then(|value| value.parse::<usize>().ok())
    {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    } else {
        reader.read_to_end(&mut body)?;
    }
    Ok(Reply { status, headers, body })
}

/// POSTs a JSON body to /mcp.
pub fn post(address: SocketAddr, body: &Value) -> Reply {
    post_raw(address, &[], body.to_string().as_bytes())
}

/// POSTs raw bytes to /mcp with extra headers.
pub fn post_raw(address: SocketAddr, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    send(address, "POST", "/mcp", &all, body).expect("request failed")
}

/// A JSON-RPC request; answers the parsed body.
pub fn rpc(address: SocketAddr, id: u64, method: &str, params: Value) -> Value {
    let reply =
        post(address, &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

/// A `tools/call`; answers the parsed body.
pub fn call(address: SocketAddr, tool: &str, arguments: Value) -> Value {
    rpc(address, 7, "tools/call", json!({"name": tool, "arguments": arguments}))
}

/// The text of a successful tool result.
pub fn text(answer: &Value) -> String {
    answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("not a text result: {answer}"))
        .to_string()
}

/// The text of a successful tool result, parsed as JSON.
pub fn json_text(answer: &Value) -> Value {
    let text = text(answer);
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("text not JSON ({error}): {text}"))
}

/// The JSON-RPC error `(code, message)` of an answer.
pub fn error(answer: &Value) -> (i64, String) {
    let error = &answer["error"];
    assert!(error.is_object(), "expected an error: {answer}");
    (
        error["code"].as_i64().unwrap_or_default(),
        error["message"].as_str().unwrap_or_default().to_string(),
    )
}
