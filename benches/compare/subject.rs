//! ergosh itself, both ways it is measured: in process (the real engine,
//! bindings and client, driven like the REPL drives them) and as the
//! release binary in a child process.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use ergosh::bindings::Caller;
use ergosh::engine::{Frontend, Session, SessionOptions};
use ergosh::interrupt::Interrupt;
use ergosh::mcp::{ClientOptions, McpClient};
use rhai::Dynamic;
use serde_json::{Map, Value};

/// The release binary cargo built beside this bench.
pub const BINARY: &str = env!("CARGO_BIN_EXE_ergosh");

/// A session connected to one endpoint, with the runtime its client uses.
pub struct InProcess {
    session: Session,
    caller: Caller,
    // Kept alive for the client's connections; dropped last.
    runtime: tokio::runtime::Runtime,
}

impl InProcess {
    /// Connects (initialize, tools/list) and builds a session with the
    /// prelude, as the binary does.
    pub fn connect(url: &str) -> Result<InProcess> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start a tokio runtime")?;
        let client = runtime
            .block_on(McpClient::connect(ClientOptions::new(url)))
            .with_context(|| format!("cannot connect to `{url}`"))?;
        let caller = Caller::new(client, runtime.handle().clone(), Interrupt::new());
        let options = SessionOptions::default();
        let session = Session::new(caller.clone(), options, Arc::new(Quiet))?;
        Ok(InProcess { session, caller, runtime })
    }

    /// Evaluates a script for its effect only.
    pub fn run(&mut self, source: &str) -> Result<()> {
        self.eval(source).map(drop)
    }

    /// One call through the bindings alone (no Rhai): blocking, converted.
    pub fn caller_call(&self, tool: &str, arguments: Map<String, Value>) -> Result<()> {
        self.caller
            .call(tool, arguments)
            .map(drop)
            .map_err(|error| anyhow!("{tool} through the bindings: {error}"))
    }

    /// One call through the MCP client alone, on this thread.
    pub fn client_call(&self, tool: &str, arguments: Map<String, Value>) -> Result<()> {
        let client = self.caller.client();
        let call = client.call_tool(tool, arguments, Duration::from_secs(35));
        self.runtime
            .block_on(call)
            .map(drop)
            .map_err(|error| anyhow!("{tool} through the client: {error}"))
    }

    /// Evaluates a script, its failure turned into an error.
    pub fn eval(&mut self, source: &str) -> Result<Dynamic> {
        self.session
            .eval(source)
            .map_err(|failure| anyhow!("ergosh eval of `{source}` failed: {failure}"))
    }
}

/// A front end that prints nothing and confirms nothing.
struct Quiet;

impl Frontend for Quiet {
    fn confirm(&self, _call: &str) -> bool {
        false
    }
    fn warn(&self, _message: &str) {}
    fn print(&self, _text: &str) {}
    fn call_started(&self, _label: &str) {}
    fn call_finished(&self) {}
    fn width(&self) -> usize {
        120
    }
}

/// `ergosh --url URL -e SCRIPT`, ready to run.
pub fn command(url: &str, script: &str) -> Command {
    let mut command = Command::new(BINARY);
    command.arg("--url").arg(url).arg("-e").arg(script);
    command
}

/// Whether the binary was built (cargo builds it with the bench).
pub fn is_built() -> bool {
    Path::new(BINARY).is_file()
}
