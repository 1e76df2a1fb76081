//! The MCP handshake, and its repeat when the server forgets the session.

use std::sync::atomic::Ordering;

use reqwest::header::HeaderValue;
use serde::Serialize;
use serde_json::{Map, Value};
use tracing::debug;

use crate::mcp::client::{read, write, McpClient};
use crate::mcp::transport::{SessionHeaders, SESSION_ID};
use crate::mcp::McpError;
use crate::protocol::{Implementation, InitializeResult, PROTOCOL_VERSION};

impl McpClient {
    /// Replaces a session the server answered 404 for, unless a concurrent
    /// call already did (the generation moved on).
    pub(super) async fn reinitialize(&self, seen_generation: u64) -> Result<(), McpError> {
        let _lock = self.inner.reinitializing.lock().await;
        if read(&self.inner.session).generation != seen_generation {
            return Ok(());
        }
        self.initialize().await
    }

    /// The handshake: `initialize` without session headers, then
    /// `notifications/initialized` with the new ones.
    pub(super) async fn initialize(&self) -> Result<(), McpError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Params<'a> {
            protocol_version: &'a str,
            capabilities: Map<String, Value>,
            client_info: Implementation,
        }

        let params = Params {
            protocol_version: PROTOCOL_VERSION,
            capabilities: Map::new(),
            client_info: Implementation {
                name: "ergosh".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
        };
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let body = self.encode(Some(id), "initialize", Some(&params))?;
        let transport = &self.inner.transport;
        let response = transport.post(body, &SessionHeaders::default()).await?;
        let session_id = response.headers().get(SESSION_ID).cloned();
        let result: InitializeResult = transport.read(response, id).await?;

        let version = if result.protocol_version.is_empty() {
            PROTOCOL_VERSION
        } else {
            result.protocol_version.as_str()
        };
        let headers = SessionHeaders {
            id: session_id,
            protocol_version: Some(
                HeaderValue::from_str(version)
                    .unwrap_or(HeaderValue::from_static(PROTOCOL_VERSION)),
            ),
        };
        debug!(
            server = %result.server_info.name,
            version = %result.server_info.version,
            protocol = version,
            session = headers.id.is_some(),
            "initialized"
        );
        {
            let mut session = write(&self.inner.session);
            session.headers = headers.clone();
            session.generation += 1;
        }
        *write(&self.inner.server_info) = result.server_info;

        let body = self.encode(None, "notifications/initialized", None::<&()>)?;
        let response = transport.post(body, &headers).await?;
        transport.accepted(response).await
    }
}
