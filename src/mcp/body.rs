//! Reading answers within the size cap: whole JSON bodies (one copy at
//! most) and SSE streams (events until the one that answers).

use std::time::Duration;

use bytes::Bytes;
use tracing::{debug, trace, Level};

use crate::mcp::answer::Answer;
use crate::mcp::sse::SseParser;
use crate::mcp::transport::{chain, deepest, preview, Transport};
use crate::mcp::McpError;

impl Transport {
    /// The whole body, within `max_response_bytes`. A body that arrives in
    /// one chunk is used as it is; otherwise the chunks are copied once into
    /// a buffer sized from `Content-Length`.
    pub(super) async fn read_body(
        &self,
        response: &mut reqwest::Response,
    ) -> Result<Bytes, McpError> {
        let limit = self.max_response_bytes;
        let declared = response.content_length();
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(self.too_large());
        }

        let mut first: Option<Bytes> = None;
        let mut buffer: Vec<u8> = Vec::new();
        let mut received = 0usize;
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(error) => return Err(self.broken_body(&error, received, declared)),
            };
            received += chunk.len();
            if received > limit {
                return Err(self.too_large());
            }
            if first.is_none() && buffer.is_empty() {
                first = Some(chunk);
                continue;
            }
            if let Some(head) = first.take() {
                let expected = declared.map_or(received * 2, |length| length as usize);
                buffer.reserve_exact(expected.clamp(received, limit));
                buffer.extend_from_slice(&head);
            }
            buffer.extend_from_slice(&chunk);
        }
        Ok(first.unwrap_or_else(|| Bytes::from(buffer)))
    }

    pub(super) async fn read_event_stream<T: Answer>(
        &self,
        mut response: reqwest::Response,
        expected: u64,
    ) -> Result<T, McpError> {
        let mut parser = SseParser::new();
        let mut received = 0usize;
        loop {
            while let Some(event) = parser.next_event() {
                if tracing::enabled!(Level::TRACE) {
                    trace!(event = %event.event, data = %preview(&event.data), "received event");
                }
                if let Some(result) = T::from_event(&event.data, expected, &self.display_url)? {
                    drain(response).await;
                    return Ok(result);
                }
            }
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    received += chunk.len();
                    if received > self.max_response_bytes {
                        return Err(self.too_large());
                    }
                    parser.feed(&chunk);
                }
                Ok(None) => {
                    if let Some(event) = parser.finish() {
                        if let Some(result) =
                            T::from_event(&event.data, expected, &self.display_url)?
                        {
                            return Ok(result);
                        }
                    }
                    return Err(self.protocol("the event stream ended without the response"));
                }
                Err(error) => {
                    debug!(error = %deepest(&error), received, "event stream broke off");
                    return Err(self.protocol(&format!(
                        "the event stream broke off after {received} bytes, before the response"
                    )));
                }
            }
        }
    }

    fn broken_body(
        &self,
        error: &reqwest::Error,
        received: usize,
        declared: Option<u64>,
    ) -> McpError {
        debug!(error = %chain(error), received, "body broke off");
        let of = declared.map(|length| format!(" of {length}")).unwrap_or_default();
        self.protocol(&format!("the connection closed mid-body after {received}{of} bytes"))
    }

    fn too_large(&self) -> McpError {
        McpError::TooLarge { url: self.display_url.clone(), limit: self.max_response_bytes }
    }
}

/// Reads the stream to its end after the response event, so the
/// connection goes back to the pool for the next call. Servers close the
/// stream right after the response; one that keeps it open gets a second
/// in the background, then loses the connection.
async fn drain(mut response: reqwest::Response) {
    const QUICK: Duration = Duration::from_millis(20);
    const PATIENT: Duration = Duration::from_secs(1);
    const LIMIT: usize = 1 << 20;

    if tokio::time::timeout(QUICK, read_prefix(&mut response, LIMIT)).await.is_ok() {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let _ = tokio::time::timeout(PATIENT, read_prefix(&mut response, LIMIT)).await;
    });
}

/// Up to `limit` bytes of a body; errors end it quietly.
pub(super) async fn read_prefix(response: &mut reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk[..chunk.len().min(limit - body.len())])
            }
            _ => break,
        }
    }
    body
}
