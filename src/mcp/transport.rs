//! One HTTP exchange of a JSON-RPC message with a streamable-HTTP MCP
//! endpoint: headers, the session id, timeouts at connect, size caps, JSON
//! or SSE answers, and the mapping of every failure to an [`McpError`].

use std::error::Error as _;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use tracing::{debug, trace, Level};

use crate::mcp::error::{one_line, HumanDuration};
use crate::mcp::reader::{decode_body, decode_event, snippet};
use crate::mcp::sse::SseParser;
use crate::mcp::{ClientOptions, McpError};
use crate::protocol::RpcError;

pub const SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
pub const PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");

/// How much of a request or response body a trace line shows.
const TRACE_BYTES: usize = 4096;

/// The headers that tie a request to the session: none before the
/// handshake, then the server's session id (when it set one) and the
/// negotiated protocol version.
#[derive(Debug, Clone, Default)]
pub struct SessionHeaders {
    pub id: Option<HeaderValue>,
    pub protocol_version: Option<HeaderValue>,
}

/// The HTTP side of a client: one reqwest pool for every request.
pub struct Transport {
    http: reqwest::Client,
    url: Url,
    /// The URL as messages show it (a password in it is masked).
    display_url: String,
    connect_timeout: Duration,
    max_response_bytes: usize,
}

impl Transport {
    pub fn new(options: &ClientOptions) -> Result<Transport, McpError> {
        let url = Url::parse(options.url.trim()).map_err(|error| McpError::Connect {
            url: options.url.clone(),
            reason: format!("not a valid url ({error})"),
        })?;
        let display_url = masked(&url);
        if !matches!(url.scheme(), "http" | "https") {
            return Err(McpError::Connect {
                url: display_url,
                reason: "the url must start with `http://` or `https://`".into(),
            });
        }

        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
        if let Some(token) = &options.token {
            let mut value =
                HeaderValue::try_from(format!("Bearer {}", token.expose())).map_err(|_| {
                    McpError::Connect {
                        url: display_url.clone(),
                        reason: "the token holds characters an http header cannot carry".into(),
                    }
                })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }

        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("ergosh/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.connect_timeout)
            .pool_max_idle_per_host(options.max_concurrency.max(1) + 1)
            .pool_idle_timeout(Duration::from_secs(50))
            .tcp_nodelay(true)
            .tcp_keepalive(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| McpError::Connect {
                url: display_url.clone(),
                reason: format!("cannot set up the http client: {}", deepest(&error)),
            })?;

        Ok(Transport {
            http,
            url,
            display_url,
            connect_timeout: options.connect_timeout,
            max_response_bytes: options.max_response_bytes,
        })
    }

    /// The endpoint as messages show it.
    pub fn url(&self) -> &str {
        &self.display_url
    }

    /// POSTs one JSON-RPC message; the caller checks the status (a 404 may
    /// mean an expired session) and then reads the answer with [`Transport::read`].
    pub async fn post(
        &self,
        body: Bytes,
        session: &SessionHeaders,
    ) -> Result<reqwest::Response, McpError> {
        if tracing::enabled!(Level::TRACE) {
            trace!(body = %preview(&body), "sending");
        }
        let mut request = self
            .http
            .post(self.url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(id) = &session.id {
            request = request.header(SESSION_ID, id.clone());
        }
        if let Some(version) = &session.protocol_version {
            request = request.header(PROTOCOL_VERSION, version.clone());
        }
        request
            .body(body)
            .send()
            .await
            .map_err(|error| self.send_error(&error))
    }

    /// The result of request `expected` from its HTTP answer: a JSON body or
    /// an SSE stream carrying it.
    pub async fn read<T: DeserializeOwned>(
        &self,
        mut response: reqwest::Response,
        expected: u64,
    ) -> Result<T, McpError> {
        if !response.status().is_success() {
            return Err(self.status_error(response).await);
        }
        let content_type = content_type(&response);
        if content_type.starts_with("text/event-stream") {
            return self.read_event_stream(response, expected).await;
        }
        let body = self.read_body(&mut response).await?;
        if tracing::enabled!(Level::TRACE) {
            trace!(bytes = body.len(), body = %preview(&body), "received");
        }
        decode_body(&body, &content_type, expected, &self.display_url)
    }

    /// Checks the answer to a notification (202 and an empty body, or any
    /// 2xx) and reads what little body it has so the connection is reused.
    pub async fn accepted(&self, mut response: reqwest::Response) -> Result<(), McpError> {
        if !response.status().is_success() {
            return Err(self.status_error(response).await);
        }
        let _ = read_prefix(&mut response, 64 * 1024).await;
        Ok(())
    }

    /// Ends the session on the server: DELETE with its id. The answer does
    /// not matter (405 means the server does not support it).
    pub async fn delete(&self, session: &SessionHeaders) -> Result<StatusCode, McpError> {
        let mut request = self.http.delete(self.url.clone());
        if let Some(id) = &session.id {
            request = request.header(SESSION_ID, id.clone());
        }
        if let Some(version) = &session.protocol_version {
            request = request.header(PROTOCOL_VERSION, version.clone());
        }
        let mut response = request
            .send()
            .await
            .map_err(|error| self.send_error(&error))?;
        let status = response.status();
        let _ = read_prefix(&mut response, 64 * 1024).await;
        Ok(status)
    }

    /// The whole body, within `max_response_bytes`. A body that arrives in
    /// one chunk is used as it is; otherwise the chunks are copied once into
    /// a buffer sized from `Content-Length`.
    async fn read_body(&self, response: &mut reqwest::Response) -> Result<Bytes, McpError> {
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

    async fn read_event_stream<T: DeserializeOwned>(
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
                if let Some(result) = decode_event(&event.data, expected, &self.display_url)? {
                    drain(response);
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
                            decode_event(&event.data, expected, &self.display_url)?
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

    /// The error for a status outside 2xx, with a short excerpt of the body.
    async fn status_error(&self, mut response: reqwest::Response) -> McpError {
        let status = response.status().as_u16();
        let url = self.display_url.clone();
        if status == 401 || status == 403 {
            return McpError::Auth { url, status };
        }
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(|location| one_line(location, 200));
        let body = read_prefix(&mut response, 4096).await;
        let snippet = match location {
            Some(location) if response_is_redirect(status) => format!("redirects to `{location}`"),
            _ => rpc_error_text(&body).unwrap_or_else(|| snippet(&body)),
        };
        McpError::Http {
            url,
            status,
            snippet,
        }
    }

    fn send_error(&self, error: &reqwest::Error) -> McpError {
        let chain = chain(error);
        let reason = if chain.contains("dns error") || chain.contains("failed to lookup address") {
            let host = self.url.host_str().unwrap_or("");
            format!("cannot resolve host `{host}`")
        } else if error.is_connect() && error.is_timeout() {
            format!(
                "no connection within {}",
                HumanDuration(self.connect_timeout)
            )
        } else if error.is_connect() {
            deepest(error)
        } else {
            debug!(error = %chain, "request failed before an answer");
            "the connection closed before an answer arrived".to_string()
        };
        McpError::Connect {
            url: self.display_url.clone(),
            reason,
        }
    }

    fn broken_body(
        &self,
        error: &reqwest::Error,
        received: usize,
        declared: Option<u64>,
    ) -> McpError {
        debug!(error = %chain(error), received, "body broke off");
        let of = declared
            .map(|length| format!(" of {length}"))
            .unwrap_or_default();
        self.protocol(&format!(
            "the connection closed mid-body after {received}{of} bytes"
        ))
    }

    fn too_large(&self) -> McpError {
        McpError::TooLarge {
            url: self.display_url.clone(),
            limit: self.max_response_bytes,
        }
    }

    fn protocol(&self, message: &str) -> McpError {
        McpError::Protocol {
            url: self.display_url.clone(),
            message: message.to_string(),
        }
    }
}

fn response_is_redirect(status: u16) -> bool {
    (300..400).contains(&status)
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Reads on after the response event so the connection can go back to the
/// pool; a server that keeps the stream open loses it after a second.
fn drain(mut response: reqwest::Response) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let rest =
            tokio::time::timeout(Duration::from_secs(1), read_prefix(&mut response, 1 << 20));
        let _ = rest.await;
    });
}

/// Up to `limit` bytes of a body; errors end it quietly.
async fn read_prefix(response: &mut reqwest::Response, limit: usize) -> Vec<u8> {
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

/// `json-rpc error CODE: MESSAGE` when an error body is a JSON-RPC error
/// (the Python SDK answers a stale session that way).
fn rpc_error_text(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: RpcError,
    }
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    Some(format!(
        "json-rpc error {}: {}",
        parsed.error.code,
        one_line(&parsed.error.message, 200)
    ))
}

/// The URL with any password replaced by `***`.
fn masked(url: &Url) -> String {
    if url.password().is_none() {
        return url.as_str().to_string();
    }
    let mut copy = url.clone();
    let _ = copy.set_password(Some("***"));
    copy.as_str().to_string()
}

/// Every message in an error's source chain, for decisions and logs.
fn chain(error: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut source = error.source();
    while let Some(cause) = source {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.to_ascii_lowercase()
}

/// The innermost cause, as a lowercase phrase: `connection refused`.
fn deepest(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string().to_ascii_lowercase();
    let text = match text.find(" (os error") {
        Some(at) => &text[..at],
        None => &text,
    };
    one_line(text, 200)
}

/// A body for a trace line: the first few KB, one line.
fn preview(body: &[u8]) -> String {
    let head = &body[..body.len().min(TRACE_BYTES)];
    let mut text = one_line(&String::from_utf8_lossy(head), TRACE_BYTES);
    if body.len() > TRACE_BYTES {
        text.push_str(&format!(" ... ({} bytes)", body.len()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_url_is_masked() {
        let url = Url::parse("http://admin:hunter2@node:9922/mcp").unwrap();
        assert_eq!(masked(&url), "http://admin:***@node:9922/mcp");
    }

    #[test]
    fn error_bodies_in_json_rpc_form_are_read() {
        let body =
            br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Session not found"}}"#;
        assert_eq!(
            rpc_error_text(body).unwrap(),
            "json-rpc error -32600: Session not found"
        );
        assert!(rpc_error_text(b"<html>").is_none());
    }

    #[test]
    fn a_url_that_is_not_http_is_refused() {
        let error = Transport::new(&ClientOptions::new("ftp://node/mcp"))
            .err()
            .unwrap();
        assert!(error.to_string().contains("http://"), "{error}");
        assert!(Transport::new(&ClientOptions::new("not a url")).is_err());
    }
}
