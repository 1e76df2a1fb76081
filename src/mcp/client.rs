//! The MCP client: handshake, tool list, tool calls with timeouts and
//! cancellation, the session's life on the server.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::{Mutex, Semaphore};
use tracing::debug;

use crate::mcp::answer::Answer;
use crate::mcp::cancel::{cancel, CancelOnDrop};
use crate::mcp::error::HumanDuration;
use crate::mcp::transport::{SessionHeaders, Transport};
use crate::mcp::{ClientOptions, McpError};
use crate::protocol::{CallToolResult, ContentItem, Implementation, ListToolsResult, ToolSpec};

/// How long a best-effort message (a cancellation, the closing DELETE) may take.
pub(super) const COURTESY_TIMEOUT: Duration = Duration::from_secs(2);

/// `tools/list` pages followed before giving up on a server that loops.
const MAX_TOOL_PAGES: usize = 1000;

/// The answer of a tool: `is_error: true` results are returned too, and
/// turned into errors by the bindings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolOutput {
    pub content: Vec<ContentItem>,
    pub is_error: bool,
    pub structured: Option<Value>,
}

/// A connection to one MCP endpoint. Cheap to clone; clones share one
/// keep-alive pool, one session and one bound on requests in flight.
#[derive(Clone)]
pub struct McpClient {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) transport: Transport,
    request_timeout: Duration,
    pub(super) next_id: AtomicU64,
    permits: Semaphore,
    pub(super) session: RwLock<Session>,
    /// Held while a stale session is replaced, so concurrent calls that
    /// all see a 404 initialize only once.
    pub(super) reinitializing: Mutex<()>,
    pub(super) server_info: RwLock<Implementation>,
    tools: RwLock<Arc<Vec<ToolSpec>>>,
    /// Where cancellations are spawned when a call is dropped off-runtime.
    pub(super) runtime: tokio::runtime::Handle,
    /// Cancellations still being sent; `close()` waits for them so a run
    /// that ends right after Ctrl-C still tells the server.
    pub(super) cancellations: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

#[derive(Clone, Default)]
pub(super) struct Session {
    pub(super) headers: SessionHeaders,
    /// Counts handshakes, so a 404 seen with an older session is retried
    /// without another one.
    pub(super) generation: u64,
}

impl McpClient {
    /// Connects: `initialize`, `notifications/initialized`, then `tools/list`
    /// (following `nextCursor`). A handshake that gets no answer in
    /// `request_timeout` is a connection failure.
    pub async fn connect(options: ClientOptions) -> Result<McpClient, McpError> {
        let transport = Transport::new(&options)?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| McpError::Connect {
            url: transport.url().to_string(),
            reason: "the client needs a tokio runtime to run on".into(),
        })?;
        debug!(
            url = transport.url(),
            token = options.token.is_some(),
            max_concurrency = options.max_concurrency,
            "connecting"
        );
        let client = McpClient {
            inner: Arc::new(Inner {
                transport,
                request_timeout: options.request_timeout,
                next_id: AtomicU64::new(1),
                permits: Semaphore::new(options.max_concurrency.max(1)),
                session: RwLock::new(Session::default()),
                reinitializing: Mutex::new(()),
                server_info: RwLock::new(Implementation::default()),
                tools: RwLock::new(Arc::new(Vec::new())),
                runtime,
                cancellations: std::sync::Mutex::new(Vec::new()),
            }),
        };

        let timeout = options.request_timeout;
        let silent = |method: &str| McpError::Connect {
            url: client.url().to_string(),
            reason: format!("no answer to `{method}` within {}", HumanDuration(timeout)),
        };
        match tokio::time::timeout(timeout, client.initialize()).await {
            Ok(outcome) => outcome?,
            Err(_) => return Err(silent("initialize")),
        }
        match client.refresh_tools().await {
            Err(McpError::Timeout { .. }) => Err(silent("tools/list")),
            Err(error) => Err(error),
            Ok(_) => Ok(client),
        }
    }

    /// The endpoint (a password in it masked).
    pub fn url(&self) -> &str {
        self.inner.transport.url()
    }

    /// Who answered `initialize`.
    pub fn server_info(&self) -> Implementation {
        read(&self.inner.server_info).clone()
    }

    /// The tools listed at connect time or by the last refresh.
    pub fn tools(&self) -> Arc<Vec<ToolSpec>> {
        read(&self.inner.tools).clone()
    }

    /// Lists the tools again (every page) and keeps the new list.
    pub async fn refresh_tools(&self) -> Result<Arc<Vec<ToolSpec>>, McpError> {
        #[derive(Serialize)]
        struct Params<'a> {
            cursor: &'a str,
        }

        let timeout = self.inner.request_timeout;
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_TOOL_PAGES {
            let page: ListToolsResult = match &cursor {
                None => self.request("tools/list", None::<&()>, timeout).await?,
                Some(cursor) => {
                    self.request("tools/list", Some(&Params { cursor }), timeout).await?
                }
            };
            tools.extend(page.tools);
            match page.next_cursor.filter(|next| !next.is_empty()) {
                Some(next) if cursor.as_deref() == Some(next.as_str()) => {
                    return Err(self.protocol("`tools/list` gave the same cursor twice"));
                }
                Some(next) => cursor = Some(next),
                None => {
                    debug!(tools = tools.len(), "tools listed");
                    let tools = Arc::new(tools);
                    *write(&self.inner.tools) = tools.clone();
                    return Ok(tools);
                }
            }
        }
        Err(self.protocol("`tools/list` did not end after 1000 pages"))
    }

    /// Calls a tool. Waits for one of the `max_concurrency` permits, then
    /// gives the exchange `timeout`. When the timeout fires, or the future
    /// is dropped (Ctrl-C), the server is sent `notifications/cancelled`.
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        timeout: Duration,
    ) -> Result<ToolOutput, McpError> {
        #[derive(Serialize)]
        struct Params<'a> {
            name: &'a str,
            arguments: &'a Map<String, Value>,
        }

        let params = Params { name, arguments: &arguments };
        let result: CallToolResult = self.request("tools/call", Some(&params), timeout).await?;
        Ok(ToolOutput {
            content: result.content,
            is_error: result.is_error.unwrap_or(false),
            structured: result.structured_content,
        })
    }

    /// Ends the session: later calls fail with `Cancelled`, and the server
    /// gets a DELETE for the session when it issued one.
    pub async fn close(&self) {
        self.inner.permits.close();
        let pending = std::mem::take(&mut *lock(&self.inner.cancellations));
        for cancellation in pending {
            let _ = tokio::time::timeout(COURTESY_TIMEOUT, cancellation).await;
        }
        let headers = {
            let mut session = write(&self.inner.session);
            let headers = session.headers.clone();
            session.headers.id = None;
            headers
        };
        if headers.id.is_none() {
            return;
        }
        let outcome = tokio::time::timeout(COURTESY_TIMEOUT, self.inner.transport.delete(&headers));
        match outcome.await {
            Ok(Ok(status)) => debug!(status = status.as_u16(), "session deleted"),
            Ok(Err(error)) => debug!(%error, "session delete failed"),
            Err(_) => debug!("session delete timed out"),
        }
    }

    /// One request under a permit and a timeout, cancelled on the server
    /// if it times out or is dropped.
    async fn request<P: Serialize, T: Answer>(
        &self,
        method: &str,
        params: Option<&P>,
        timeout: Duration,
    ) -> Result<T, McpError> {
        let _permit = self.inner.permits.acquire().await.map_err(|_| McpError::Cancelled)?;
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let body = self.encode(Some(id), method, params)?;

        let mut guard = CancelOnDrop { inner: Some(self.inner.clone()), id };
        let outcome = tokio::time::timeout(timeout, self.exchange(id, body)).await;
        guard.inner = None;
        match outcome {
            Ok(result) => result,
            Err(_) => {
                let reason = format!("timed out after {}", HumanDuration(timeout));
                cancel(self.inner.clone(), id, reason);
                Err(McpError::Timeout { url: self.url().to_string(), after: timeout })
            }
        }
    }

    /// POSTs the request; on a 404 for a session the server has forgotten,
    /// initializes again (once) and retries.
    async fn exchange<T: Answer>(&self, id: u64, body: Bytes) -> Result<T, McpError> {
        let mut retried = false;
        loop {
            let session = read(&self.inner.session).clone();
            let response = self.inner.transport.post(body.clone(), &session.headers).await?;
            if response.status() == StatusCode::NOT_FOUND
                && session.headers.id.is_some()
                && !retried
            {
                debug!("the server forgot the session (http 404): initializing again");
                drop(response);
                self.reinitialize(session.generation).await?;
                retried = true;
                continue;
            }
            return self.inner.transport.read(response, id).await;
        }
    }

    pub(super) fn encode<P: Serialize>(
        &self,
        id: Option<u64>,
        method: &str,
        params: Option<&P>,
    ) -> Result<Bytes, McpError> {
        encode(id, method, params).map_err(|error| {
            self.protocol(&format!("cannot encode the `{method}` request: {error}"))
        })
    }

    fn protocol(&self, message: &str) -> McpError {
        McpError::Protocol { url: self.url().to_string(), message: message.to_string() }
    }
}

impl std::fmt::Debug for McpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpClient").field("url", &self.url()).finish_non_exhaustive()
    }
}

/// The JSON-RPC message as bytes; borrowed params, no intermediate `Value`.
pub(super) fn encode<P: Serialize>(
    id: Option<u64>,
    method: &str,
    params: Option<&P>,
) -> serde_json::Result<Bytes> {
    #[derive(Serialize)]
    struct Message<'a, P> {
        jsonrpc: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        method: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        params: Option<&'a P>,
    }

    let mut body = Vec::with_capacity(128);
    serde_json::to_writer(&mut body, &Message { jsonrpc: "2.0", id, method, params })?;
    Ok(Bytes::from(body))
}

pub(super) fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(super) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(super) fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_encode_with_small_integer_ids() {
        let mut arguments = Map::new();
        arguments.insert("limit".into(), Value::from(5));
        #[derive(Serialize)]
        struct Params<'a> {
            name: &'a str,
            arguments: &'a Map<String, Value>,
        }
        let body =
            encode(Some(3), "tools/call", Some(&Params { name: "x", arguments: &arguments }));
        assert_eq!(
            body.unwrap(),
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"x","arguments":{"limit":5}}}"#
        );
        let note = encode(None, "notifications/initialized", None::<&()>).unwrap();
        assert_eq!(note, r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    }
}
