//! How to reach an MCP endpoint, and the limits of the client.

use std::time::Duration;

use crate::mcp::Secret;

/// Connection settings for [`McpClient::connect`](crate::mcp::McpClient::connect).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The endpoint, e.g. `http://localhost:9922/mcp`.
    pub url: String,
    /// Sent as `Authorization: Bearer ...` when set.
    pub token: Option<Secret>,
    /// How long a TCP (and TLS) connection may take to open.
    pub connect_timeout: Duration,
    /// The limit of the handshake and `tools/list` requests; tool calls
    /// pass their own.
    pub request_timeout: Duration,
    /// Requests in flight at once. The Ergo endpoint serves with 5
    /// workers; the default leaves one free.
    pub max_concurrency: usize,
    /// The largest answer read; a bigger one fails with `TooLarge`.
    pub max_response_bytes: usize,
}

impl ClientOptions {
    /// The defaults: 5 s to connect, 35 s per request (longer than the
    /// Ergo proxy's own 30 s), 4 requests in flight, answers up to 128 MiB.
    pub fn new(url: impl Into<String>) -> Self {
        ClientOptions {
            url: url.into(),
            token: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(35),
            max_concurrency: 4,
            max_response_bytes: 128 * 1024 * 1024,
        }
    }
}
