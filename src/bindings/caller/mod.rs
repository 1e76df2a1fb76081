//! Blocking tool calls for the script engine, with Ctrl-C and timeouts.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rhai::Dynamic;
use serde_json::{Map, Value};
use tokio::runtime::{Handle, RuntimeFlavor};

use super::check::ArgError;
use super::hint;
use super::nearest::nearest;
use super::output::{output_to_dynamic, ToolFailure};
use super::schema::Catalog;
use crate::interrupt::Interrupt;
use crate::mcp::{McpClient, McpError, ToolOutput};

/// The request timeout when none is given: the client's default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(35);

/// How much longer than the server's own wait ergosh waits for an answer.
const MARGIN: Duration = Duration::from_secs(10);

/// The proxy timeout the Ergo endpoint applies when `timeout` is omitted.
const PROXY_DEFAULT: Duration = Duration::from_secs(30);

/// Why a call produced no value.
#[derive(Debug)]
pub enum CallError {
    /// The arguments do not fit the tool's schema; nothing was sent.
    Args(ArgError),
    /// The request failed, or the server answered with a JSON-RPC error.
    Mcp(McpError),
    /// The tool answered `isError: true`.
    Tool(ToolFailure),
    /// Ctrl-C: the request was abandoned (and cancelled on the server).
    Interrupted,
    UnknownTool {
        name: String,
        suggestion: Option<String>,
    },
}

impl CallError {
    /// What the user can do about it: the meaning of a recognised tool
    /// message (a missing build tag, a sleeping process) first, then the
    /// client's hint for transport errors.
    pub fn hint(&self) -> Option<String> {
        match self {
            CallError::Mcp(McpError::Rpc { message, .. }) => {
                hint::for_tool_message(message).map(str::to_string)
            }
            CallError::Mcp(error) => error.hint(),
            CallError::Tool(failure) => failure.hint().map(str::to_string),
            CallError::UnknownTool { .. } => {
                Some("`:tools` lists the tools this server offers".to_string())
            }
            CallError::Args(_) | CallError::Interrupted => None,
        }
    }
}

impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CallError::Args(error) => Some(error),
            CallError::Mcp(error) => Some(error),
            CallError::Tool(failure) => Some(failure),
            CallError::Interrupted | CallError::UnknownTool { .. } => None,
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Args(error) => error.fmt(f),
            CallError::Mcp(error) => error.fmt(f),
            CallError::Tool(failure) => failure.fmt(f),
            CallError::Interrupted => f.write_str("interrupted"),
            CallError::UnknownTool { name, suggestion: Some(suggestion) } => {
                write!(f, "unknown tool `{name}`; did you mean `{suggestion}`?")
            }
            CallError::UnknownTool { name, suggestion: None } => {
                write!(f, "unknown tool `{name}`")
            }
        }
    }
}

impl From<ArgError> for CallError {
    fn from(error: ArgError) -> Self {
        CallError::Args(error)
    }
}

/// Makes tool calls from synchronous code (the Rhai engine) on the
/// client's runtime. Cheap to clone; clones share the catalog.
#[derive(Clone)]
pub struct Caller {
    client: McpClient,
    runtime: Handle,
    interrupt: Interrupt,
    catalog: Arc<RwLock<Arc<Catalog>>>,
    base_timeout: Duration,
}

impl Caller {
    /// The catalog is built from the tools the client listed at connect
    /// time. The base request timeout is [`DEFAULT_TIMEOUT`]; set the
    /// client's own with [`Caller::with_timeout`].
    pub fn new(client: McpClient, runtime: Handle, interrupt: Interrupt) -> Caller {
        let catalog = Catalog::new(&client.tools());
        Caller {
            client,
            runtime,
            interrupt,
            catalog: Arc::new(RwLock::new(Arc::new(catalog))),
            base_timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The shortest request timeout (`--timeout`); calls that make the
    /// server wait longer get longer ones.
    pub fn with_timeout(mut self, base: Duration) -> Caller {
        self.base_timeout = base;
        self
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        match self.catalog.read() {
            Ok(catalog) => catalog.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn client(&self) -> &McpClient {
        &self.client
    }

    pub fn interrupt(&self) -> &Interrupt {
        &self.interrupt
    }

    /// Checks Rhai arguments against the tool's schema: the JSON to send.
    pub fn check(&self, tool: &str, args: &rhai::Map) -> Result<Map<String, Value>, CallError> {
        let catalog = self.catalog();
        let schema = catalog.get(tool).ok_or_else(|| unknown_tool(&catalog, tool))?;
        Ok(schema.check(args)?)
    }

    /// Calls a tool and converts its result (see
    /// [`output_to_dynamic`]). Blocks until the answer, the timeout, or
    /// Ctrl-C, which returns [`CallError::Interrupted`] at once.
    pub fn call(&self, tool: &str, arguments: Map<String, Value>) -> Result<Dynamic, CallError> {
        let output = self.call_raw(tool, arguments)?;
        output_to_dynamic(tool, output).map_err(CallError::Tool)
    }

    /// Calls a tool and returns its output unconverted (`isError` included).
    pub fn call_raw(
        &self,
        tool: &str,
        arguments: Map<String, Value>,
    ) -> Result<ToolOutput, CallError> {
        let catalog = self.catalog();
        if catalog.get(tool).is_none() {
            return Err(unknown_tool(&catalog, tool));
        }

        let timeout = request_timeout(self.base_timeout, tool, &arguments);
        let call = self.client.call_tool(tool, arguments, timeout);
        self.interruptible(call)?.map_err(CallError::Mcp)
    }

    /// Lists the tools again (a server may have gained some) and rebuilds
    /// the catalog every clone shares.
    pub fn refresh(&self) -> Result<Arc<Catalog>, CallError> {
        let specs = self.interruptible(self.client.refresh_tools())?.map_err(CallError::Mcp)?;
        let catalog = Arc::new(Catalog::new(&specs));
        match self.catalog.write() {
            Ok(mut shared) => *shared = catalog.clone(),
            Err(poisoned) => *poisoned.into_inner() = catalog.clone(),
        }
        Ok(catalog)
    }

    /// Runs `future` to completion unless Ctrl-C comes first; then the
    /// future is dropped, which makes the client cancel the request.
    fn interruptible<F: Future>(&self, future: F) -> Result<F::Output, CallError> {
        if self.interrupt.is_raised() {
            return Err(CallError::Interrupted);
        }
        let interrupt = self.interrupt.clone();
        let raced = async move {
            tokio::select! {
                biased;
                () = interrupt.raised() => None,
                output = future => Some(output),
            }
        };
        self.block_on(raced).ok_or(CallError::Interrupted)
    }

    /// `Handle::block_on`, also from a worker thread of a multi-threaded
    /// runtime (a test, a fan-out task). Calling it from a current-thread
    /// runtime's own thread is a programming error and panics in tokio.
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        match Handle::try_current() {
            Ok(current) if current.runtime_flavor() == RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| self.runtime.block_on(future))
            }
            _ => self.runtime.block_on(future),
        }
    }
}

fn unknown_tool(catalog: &Catalog, name: &str) -> CallError {
    CallError::UnknownTool {
        name: name.to_string(),
        suggestion: nearest(name, catalog.names()).map(str::to_string),
    }
}

/// How long to wait for the answer: at least `base`, and longer than the
/// server itself may wait: a proxied call's `timeout` (30 s when omitted)
/// and `pprof_cpu`'s `duration`, each plus a margin.
pub fn request_timeout(base: Duration, tool: &str, arguments: &Map<String, Value>) -> Duration {
    let seconds = |name: &str| {
        arguments
            .get(name)
            .and_then(Value::as_f64)
            .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
            .map(|seconds| Duration::from_secs_f64(seconds.min(86_400.0)))
    };
    let proxied = arguments.get("node").is_some_and(|node| !node.is_null());

    let mut timeout = base;
    if let Some(wait) = seconds("timeout") {
        timeout = timeout.max(wait + MARGIN);
    } else if proxied {
        timeout = timeout.max(PROXY_DEFAULT + MARGIN);
    }
    if tool == "pprof_cpu" {
        // a cpu profile runs for `duration` seconds (the tool's default is 5)
        let duration = seconds("duration").unwrap_or(Duration::from_secs(5));
        timeout = timeout.max(duration + MARGIN);
    }
    timeout
}

#[cfg(test)]
mod tests;
