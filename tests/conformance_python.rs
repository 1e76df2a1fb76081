//! Conformance with a third-party MCP server: the official Python SDK
//! (`tests/peers/mcp_server.py`), which answers in SSE frames and issues a
//! session id. Skips with a message when the SDK is not installed; CI
//! installs it with `python3 -m pip install 'mcp>=2,<3'`.

use std::fs::File;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use ergosh::mcp::{ClientOptions, McpClient, McpError, ToolOutput};

const CALL: Duration = Duration::from_secs(10);

/// The Python server, killed on drop.
struct PythonPeer {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl PythonPeer {
    /// None (after saying why) when the SDK is not installed.
    fn start() -> Option<PythonPeer> {
        let probe = Command::new("python3")
            .args(["-c", "import mcp.server.mcpserver"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !probe.is_ok_and(|status| status.success()) {
            eprintln!(
                "skipping: the Python MCP SDK is not installed \
                 (python3 -m pip install 'mcp>=2,<3')"
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Some(PythonPeer::on_port(port))
    }

    fn on_port(port: u16) -> PythonPeer {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/mcp_server.py");
        let log = std::env::temp_dir().join(format!("ergosh-python-peer-{port}.log"));
        let child = Command::new("python3")
            .arg(&script)
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .expect("cannot start python3");
        let mut peer = PythonPeer { child, port, log };
        peer.wait_until_listening();
        peer
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!("the python peer exited ({status}):\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the python peer did not listen on port {} within 20 s", self.port);
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn args(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn text(output: &ToolOutput) -> &str {
    output.content.first().and_then(|item| item.text.as_deref()).unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_server_answers_over_sse_with_a_session() {
    let Some(peer) = PythonPeer::start() else {
        return;
    };
    let client = McpClient::connect(ClientOptions::new(peer.url())).await.unwrap();

    assert_eq!(client.server_info().name, "ergosh-conformance-peer");
    let names: Vec<String> = client.tools().iter().map(|tool| tool.name.clone()).collect();
    for expected in ["node_info", "echo", "fail", "chatty", "slow", "cancellations"] {
        assert!(names.iter().any(|name| name == expected), "{expected} missing from {names:?}");
    }

    let info = client.call_tool("node_info", Map::new(), CALL).await.unwrap();
    let parsed: Value = serde_json::from_str(text(&info)).unwrap();
    assert_eq!(parsed["ProcessesTotal"], 42);

    let echoed =
        client.call_tool("echo", args(json!({"text": "hi", "times": 3})), CALL).await.unwrap();
    assert_eq!(text(&echoed), "hi hi hi");
    assert!(!echoed.is_error);

    let failed = client.call_tool("fail", args(json!({"reason": "test"})), CALL).await.unwrap();
    assert!(failed.is_error);
    assert!(text(&failed).contains("failed on purpose: test"), "{failed:?}");

    // Log and progress notifications ride the same stream before the answer.
    let chatty = client.call_tool("chatty", Map::new(), CALL).await.unwrap();
    assert_eq!(text(&chatty), "done");

    let refreshed = client.refresh_tools().await.unwrap();
    assert_eq!(refreshed.len(), names.len());

    client.close().await;
    let closed = client.call_tool("echo", args(json!({"text": "x"})), CALL).await.unwrap_err();
    assert!(matches!(closed, McpError::Cancelled), "{closed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_call_is_cancelled_and_a_restarted_server_gets_a_new_session() {
    let Some(mut peer) = PythonPeer::start() else {
        return;
    };
    let client = McpClient::connect(ClientOptions::new(peer.url())).await.unwrap();

    let slow = client.call_tool("slow", args(json!({"seconds": 5})), Duration::from_millis(300));
    let error = slow.await.unwrap_err();
    assert!(matches!(error, McpError::Timeout { .. }), "{error}");
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let count = client.call_tool("cancellations", Map::new(), CALL).await.unwrap();
        if text(&count) == "1" {
            break;
        }
        assert!(Instant::now() < deadline, "the server never saw the cancellation");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The restarted server has forgotten the session: 404, then a new handshake.
    peer.stop();
    let port = peer.port;
    let _restarted = PythonPeer::on_port(port);
    let echoed = client.call_tool("echo", args(json!({"text": "again"})), CALL).await.unwrap();
    assert_eq!(text(&echoed), "again");
    client.close().await;
}
